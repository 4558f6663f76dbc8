"""Per-session exclusion across worker machines, and claiming a job by its id.

A queue worker holds a PostgreSQL session-level advisory lock on the session
while it runs the session's job. The lock lives on its own connection, so it
is released the moment the worker process dies (the server closes the
connection), and a redelivered task can tell "another live worker has it"
(lock busy) from "its worker died" (lock free, row still `running`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, text, update
from sqlalchemy.orm import Session

from avt_notes.store.jobs import LIVE
from avt_notes.store.tables import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, utcnow

# Job statuses after which a delivered task has nothing left to do.
FINISHED_STATUSES = frozenset({DONE, FAILED, CANCELLED})


def session_lock_key(session_id: str) -> int:
    """A signed 64-bit advisory-lock key for a session (collisions: ~2^-64 per pair)."""
    digest = hashlib.sha256(b"avt-session:" + session_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def session_lock(engine: Engine, session_id: str) -> Iterator[bool]:
    """Try to take the session's advisory lock; yields whether we hold it (never waits)."""
    if engine.dialect.name != "postgresql":
        raise RuntimeError("queue workers need PostgreSQL (DATABASE_URL) for their session lock")
    key = session_lock_key(session_id)
    with engine.connect() as connection:
        held = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()


@dataclass(frozen=True)
class Claim:
    job: Job | None  # None: nothing to run (finished, cancelled, deleted, given up)
    taken_over: bool = False  # the job was running under a worker that died
    reason: str = ""


def claim_by_id(db: Session, job_id: int, worker_id: str, max_attempts: int) -> Claim:
    """Claim one job for this worker; commits. Call only while holding its session lock:
    a `running` row then means its previous worker died, and it is taken over."""
    job = db.get(Job, job_id, with_for_update=True, populate_existing=True)
    if job is None:
        db.commit()
        return Claim(None, reason="job deleted")
    if job.status in FINISHED_STATUSES:
        db.commit()
        return Claim(None, reason=f"already {job.status}")
    taken_over = job.status == RUNNING
    if taken_over and job.attempts >= max_attempts:
        job.status, job.finished_at = FAILED, utcnow()
        job.error = f"stopped after {job.attempts} attempts: the worker died each time"
        db.commit()
        return Claim(None, reason=job.error)
    now = utcnow()
    job.status, job.worker_id = RUNNING, worker_id
    job.started_at, job.heartbeat_at = now, now
    job.attempts += 1
    job.error = None
    if taken_over:
        job.stage = "resumed after a worker stopped"
    db.commit()
    return Claim(job, taken_over=taken_over)


def close_orphaned_live_jobs(db: Session, session_id: str) -> int:
    """Mark a session's `live` jobs done once its processing starts (the recording is over;
    a live job left `running` belonged to a worker that died); commits."""
    result = db.execute(
        update(Job)
        .where(Job.session_id == session_id, Job.kind == LIVE)
        .where(Job.status.in_((QUEUED, RUNNING)))
        .values(status=DONE, stage="recording over", finished_at=utcnow())
    )
    db.commit()
    return int(cast(CursorResult[Any], result).rowcount or 0)
