"""The Celery application, configured from the `queue` settings.

Delivery rules that make a dying worker lose nothing: a processing task is
acknowledged only after it finished (`acks_late`), a task whose pool process
died is requeued (`reject_on_worker_lost`), and a worker takes one message at
a time (prefetch 1), so a killed worker holds at most the message it was
running. Results are not stored in Celery: the job table is the record.
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

from avt_notes.config import QueueSettings
from avt_notes.tasks.queues import LIVE_QUEUE, PROCESS_QUEUE

PROCESS_TASK = "avt.process_session"
LIVE_TASK = "avt.follow_recording"
TASK_FOR_KIND = {"process": PROCESS_TASK, "live": LIVE_TASK}
QUEUE_FOR_TASK = {PROCESS_TASK: PROCESS_QUEUE, LIVE_TASK: LIVE_QUEUE}


def make_celery(queue: QueueSettings) -> Celery:
    if not queue.broker_url:
        raise ValueError("AVT_BROKER_URL is not set: there is no task queue to connect to")
    app = Celery("avt_notes", broker=queue.broker_url, include=["avt_notes.tasks.run"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=PROCESS_QUEUE,
        task_routes={name: {"queue": queue_name} for name, queue_name in QUEUE_FOR_TASK.items()},
        # A pool process loads the models before it reports ready: allow minutes, not 4 s.
        worker_proc_alive_timeout=600.0,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        # The broker redelivers a lost worker's task; don't also finish it here.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_transport_options={"visibility_timeout": queue.redis_visibility_seconds},
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
    )
    return app


@lru_cache(maxsize=4)
def celery_for(broker_url: str) -> Celery:
    """One Celery app per broker URL per process (publishing and the worker share it)."""
    return make_celery(QueueSettings(broker_url=broker_url))
