"""The web app's side of the queue: publish each queued job row to the broker.

The row is committed first, then its id is published, so a worker never sees
an id it cannot read. Publishing twice is harmless (the worker's claim skips a
job that is no longer queued); not publishing at all would leave a job
waiting, so every queued row is published again when the web app starts and
whenever a publish failed.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from avt_notes.store import Store
from avt_notes.store.models import QUEUED, Job
from avt_notes.tasks.celery_app import QUEUE_FOR_TASK, TASK_FOR_KIND, celery_for

logger = logging.getLogger("avt_notes.tasks")


class TaskDispatcher:
    def __init__(self, store: Store, broker_url: str) -> None:
        self.store = store
        self.celery = celery_for(broker_url)
        self._published: set[int] = set()
        self._lock = threading.Lock()

    def publish_queued(self) -> int:
        """Publish every queued job this process has not published yet; returns how many."""
        with self.store.sessions() as db:
            queued = db.execute(
                select(Job.id, Job.kind, Job.session_id)
                .where(Job.status == QUEUED)
                .order_by(Job.created_at, Job.id)
            ).all()
        sent = 0
        with self._lock:
            for job_id, kind, session_id in queued:
                task = TASK_FOR_KIND.get(kind)
                if task is None or job_id in self._published:
                    continue
                try:
                    self.celery.send_task(task, args=[job_id], queue=QUEUE_FOR_TASK[task])
                except Exception:  # the broker is down: the row waits, the next call retries
                    logger.exception("could not publish job %d of session %s", job_id, session_id)
                    break
                self._published.add(job_id)
                sent += 1
        return sent

    def wake(self) -> None:
        self.publish_queued()

    def on_chunk(self, _session_id: str, _seq: int) -> None:
        """A chunk arrived: the first one queues the session's live job."""
        self.publish_queued()
