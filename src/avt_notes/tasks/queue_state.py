"""What the admin view shows about processing: queue depth, job states, running jobs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from avt_notes.store.tables import RUNNING, Job
from avt_notes.tasks.queues import LIVE_QUEUE, PROCESS_QUEUE

if TYPE_CHECKING:
    from celery import Celery


def job_counts(db: Session) -> dict[str, dict[str, int]]:
    """Jobs by kind and status, e.g. {"process": {"queued": 3, "running": 2, "done": 40}}."""
    counts: dict[str, dict[str, int]] = {}
    rows = db.execute(select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status))
    for kind, status, count in rows:
        counts.setdefault(kind, {})[status] = int(count)
    return counts


def running_jobs(db: Session) -> list[dict[str, Any]]:
    jobs = db.scalars(select(Job).where(Job.status == RUNNING).order_by(Job.started_at)).all()
    return [
        {
            "job_id": job.id,
            "session_id": job.session_id,
            "kind": job.kind,
            "stage": job.stage,
            "progress": job.progress,
            "worker": job.worker_id,
            "attempts": job.attempts,
            "started_at": _iso(job.started_at),
            "heartbeat_at": _iso(job.heartbeat_at),
        }
        for job in jobs
    ]


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def queue_depths(celery: Celery) -> dict[str, int | None]:
    """Messages waiting in each broker queue (None: the queue cannot be read now)."""
    depths: dict[str, int | None] = {}
    with celery.connection_for_read() as connection:
        channel = connection.default_channel
        for name in (PROCESS_QUEUE, LIVE_QUEUE):
            try:
                depths[name] = int(channel.queue_declare(queue=name, passive=True).message_count)
            except Exception:
                depths[name] = None  # not declared yet: no worker has started
                channel = connection.channel()  # a failed passive declare closes the channel
    return depths


def worker_names(celery: Celery, timeout: float = 0.5) -> list[str]:
    """Workers that answered a broadcast ping within `timeout` seconds."""
    replies = celery.control.ping(timeout=timeout) or []
    return sorted(name for reply in replies for name in reply)
