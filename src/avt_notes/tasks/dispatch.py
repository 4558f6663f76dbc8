"""The web app's side of the queue: publish each queued job row to the broker.

The row is committed first, then its id is published, so a worker never sees
an id it cannot read. Publishing twice is harmless (the worker's claim skips a
job that is no longer queued); not publishing at all would leave a job
waiting, so every queued row is published again when the web app starts,
whenever a publish failed, and when the broker lost messages (a Redis without
persistence restarted, a queue purged): a watcher republishes jobs that have
been queued for a while when the broker's queues are empty.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import select

from avt_notes.store import Store
from avt_notes.store.tables import QUEUED, Job, utcnow
from avt_notes.tasks.celery_app import QUEUE_FOR_TASK, TASK_FOR_KIND, celery_for
from avt_notes.tasks.queue_state import queue_depths

logger = logging.getLogger("avt_notes.tasks")


class TaskDispatcher:
    def __init__(self, store: Store, broker_url: str) -> None:
        self.store = store
        self.celery = celery_for(broker_url)
        self._published: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()

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

    def republish_lost(self, queued_for: timedelta) -> int:
        """Publish again jobs queued longer than `queued_for` while the broker holds no
        message at all (so theirs were lost); returns how many."""
        if any(queue_depths(self.celery).values()):  # None: not declared, so empty
            return 0
        with self.store.sessions() as db:
            lost = db.scalars(
                select(Job.id).where(Job.status == QUEUED, Job.created_at < utcnow() - queued_for)
            ).all()
        if not lost:
            return 0
        logger.warning("republishing %d queued job(s) the broker no longer holds", len(lost))
        with self._lock:
            self._published.difference_update(lost)
        return self.publish_queued()

    def watch(self, every_seconds: float = 30.0) -> None:
        """Run `republish_lost` in a daemon thread until `close`."""

        def loop() -> None:
            while not self._stop.wait(every_seconds):
                try:
                    self.republish_lost(timedelta(seconds=every_seconds))
                except Exception:
                    logger.exception("checking the broker for lost jobs failed")

        threading.Thread(target=loop, name="avt-dispatch-watch", daemon=True).start()

    def close(self) -> None:
        self._stop.set()

    def wake(self) -> None:
        self.publish_queued()

    def on_chunk(self, _session_id: str, _seq: int) -> None:
        """A chunk arrived: the first one queues the session's live job."""
        self.publish_queued()
