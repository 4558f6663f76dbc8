"""The persistent job table: queue, claim, heartbeat, finish, fail, retry.

Jobs are rows, so a restart loses nothing: a job whose worker died (no
heartbeat for a while) goes back to the queue, and the next worker to poll
picks it up. Claiming is a conditional update, safe with several worker
threads or processes on either backend. Each job has a `kind`; a worker only
claims kinds it has a handler for, so a later job kind (e.g. processing while
recording) can be queued before any worker knows how to run it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, or_, select, update
from sqlalchemy.orm import Session

from avt_notes.store.errors import ConflictError
from avt_notes.store.tables import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, utcnow

PROCESS = "process"  # assembled audio → transcript → draft
LIVE = "live"  # incremental work while chunks arrive (handler provided elsewhere)


def _rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE touched (typed: `execute` is declared to return a plain Result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def enqueue(db: Session, session_id: str, kind: str = PROCESS, **params: Any) -> Job:
    """Queue a job (the caller commits)."""
    job = Job(session_id=session_id, kind=kind, status=QUEUED, params=json.dumps(params))
    db.add(job)
    db.flush()
    return job


def latest(db: Session, session_id: str, kind: str = PROCESS) -> Job | None:
    return db.scalar(
        select(Job)
        .where(Job.session_id == session_id, Job.kind == kind)
        .order_by(Job.id.desc())
        .limit(1)
    )


def claim_next(
    db: Session, worker_id: str, kinds: tuple[str, ...], now: datetime | None = None
) -> Job | None:
    """Take the oldest runnable job of the given kinds, or None; commits."""
    now = now or utcnow()
    candidates = db.scalars(
        select(Job.id)
        .where(
            Job.status == QUEUED,
            Job.kind.in_(kinds),
            or_(Job.run_after.is_(None), Job.run_after <= now),
        )
        .order_by(Job.created_at, Job.id)
        .limit(5)
    ).all()
    for job_id in candidates:
        claimed = _rowcount(
            db.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == QUEUED)
                .values(
                    status=RUNNING,
                    worker_id=worker_id,
                    started_at=now,
                    heartbeat_at=now,
                    attempts=Job.attempts + 1,
                    error=None,
                )
            )
        )
        if claimed:
            db.commit()
            return db.get(Job, job_id, populate_existing=True)
    db.commit()
    return None


def heartbeat(
    db: Session,
    job_id: int,
    worker_id: str,
    stage: str | None = None,
    progress: float | None = None,
) -> bool:
    """Record liveness (and progress); False when the job is no longer ours to run."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if stage is not None:
        values["stage"] = stage[:64]
    if progress is not None:
        values["progress"] = max(0.0, min(1.0, progress))
    updated = _rowcount(
        db.execute(
            update(Job)
            .where(Job.id == job_id, Job.worker_id == worker_id, Job.status == RUNNING)
            .values(**values)
        )
    )
    db.commit()
    return bool(updated)


def complete(db: Session, job: Job) -> None:
    """Mark done (the caller commits, together with the job's results)."""
    job.status = DONE
    job.stage = "done"
    job.progress = 1.0
    job.finished_at = utcnow()


def fail(db: Session, job: Job, reason: str) -> None:
    """Mark failed with a reason a clinician can read (the caller commits)."""
    job.status = FAILED
    job.error = reason[:2000]
    job.finished_at = utcnow()


def still_ours(db: Session, job_id: int, worker_id: str) -> Job | None:
    """The job, locked for update, if this worker still owns it as running."""
    job = db.get(Job, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.status != RUNNING or job.worker_id != worker_id:
        return None
    return job


def requeue_stale(db: Session, stale_after: timedelta, now: datetime | None = None) -> int:
    """Put running jobs whose worker stopped beating back in the queue; commits."""
    now = now or utcnow()
    count = _rowcount(
        db.execute(
            update(Job)
            .where(Job.status == RUNNING, Job.heartbeat_at < now - stale_after)
            .values(status=QUEUED, worker_id=None, stage="waiting (worker restarted)")
        )
    )
    db.commit()
    return count


def cancel_for_session(db: Session, session_id: str) -> int:
    """Cancel queued and running jobs of a session (the caller commits)."""
    count = _rowcount(
        db.execute(
            update(Job)
            .where(Job.session_id == session_id, Job.status.in_((QUEUED, RUNNING)))
            .values(status=CANCELLED, finished_at=utcnow(), stage="cancelled")
        )
    )
    return count


def retry(db: Session, session_id: str, kind: str = PROCESS) -> Job:
    """Queue a fresh attempt after a failure (the caller commits)."""
    last = latest(db, session_id, kind)
    if last is None or last.status not in (FAILED, CANCELLED):
        state = last.status if last else "not started"
        raise ConflictError(f"nothing to retry: processing is {state}")
    job = enqueue(db, session_id, kind, **json.loads(last.params or "{}"))
    job.attempts = last.attempts
    return job
