"""The two Celery tasks and the per-process state they run with.

`process_session(job_id)` and `follow_recording(job_id)` each take the
session's PostgreSQL lock, claim the job row and call the same handler the
in-process worker calls. Each pool process opens its own store and loads the
models once, at start (`worker_process_init`), not when the first task comes.

A live task holds the session lock for the whole recording; when the
clinician stops, it claims the session's processing job itself, so the work
done while recording is reused in the same process. The processing task that
the web app published meanwhile finds the session busy, retries, and then
finds the job done.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from functools import lru_cache

from celery import Task, shared_task
from celery.signals import worker_process_init
from sqlalchemy import select

from avt_notes.config import QueueSettings, Settings
from avt_notes.errors import AvtError
from avt_notes.jobs import LiveSessions, Worker
from avt_notes.jobs.live import follow_recording as follow
from avt_notes.jobs.process import process_session as process
from avt_notes.store import Store, jobs, open_store
from avt_notes.store.job_locks import claim_by_id, close_orphaned_live_jobs, session_lock
from avt_notes.store.tables import QUEUED, Job
from avt_notes.tasks.celery_app import LIVE_TASK, PROCESS_TASK
from avt_notes.tasks.health import mark_pool_process_ready
from avt_notes.tasks.logs import job_context, set_session

logger = logging.getLogger("avt_notes.tasks")


@dataclass
class TaskContext:
    """What one pool process keeps between tasks: settings, store, the handler host."""

    queue: QueueSettings
    store: Store
    worker: Worker


@lru_cache(maxsize=1)
def task_context() -> TaskContext:
    settings = Settings()
    key_file = settings.store.audio_key_file or settings.store.data_dir / "keys" / "audio.key"
    if not key_file.is_file():  # a key made here could not open the web app's audio
        raise AvtError(f"no audio key at {key_file}: copy the web app's key (see README)")
    store = open_store(settings.store)
    handlers = {jobs.PROCESS: process, **({jobs.LIVE: follow} if settings.web.live_jobs else {})}
    # One LiveSessions per pool process: a live task hands its work to the processing it
    # runs itself when the recording ends.
    worker = Worker(
        store,
        settings,
        handlers,
        live_sessions=LiveSessions(),
        poll_seconds=settings.web.worker_poll_seconds,
    )
    # Host, worker main process and pool process: an admin can find who runs a job.
    worker.worker_id = f"{socket.gethostname()}/{os.getppid()}/{os.getpid()}"[:64]
    return TaskContext(queue=settings.queue, store=store, worker=worker)


@worker_process_init.connect
def _start_pool_process(**_: object) -> None:
    context = task_context()
    logger.info("pool process %s loading models", context.worker.worker_id)
    from avt_notes.pipeline import preload_models

    preload_models(context.worker.settings)
    mark_pool_process_ready()
    logger.info("pool process %s ready", context.worker.worker_id)


def run_job(task: Task, job_id: int) -> str:
    """Lock the job's session, claim the job, run it; returns what happened (for logs)."""
    context = task_context()
    store = context.store
    with job_context(job_id):
        with store.sessions() as db:
            session_id = db.scalar(select(Job.session_id).where(Job.id == job_id))
        if session_id is None:
            logger.info("job no longer exists")
            return "gone"
        set_session(session_id)
        with session_lock(store.engine, session_id) as held:
            if not held:
                logger.info("session busy in another worker; retrying")
                raise task.retry(countdown=context.queue.lock_retry_seconds, max_retries=None)
            outcome = _claim_and_run(context, job_id, session_id)
            if outcome == "ran" and task.name == LIVE_TASK:
                _take_over_processing(context, session_id)
        return outcome


def _claim_and_run(context: TaskContext, job_id: int, session_id: str) -> str:
    store, worker = context.store, context.worker
    with store.sessions() as db:
        claim = claim_by_id(db, job_id, worker.worker_id, context.queue.max_attempts)
        if claim.job is not None and claim.job.kind == jobs.PROCESS:
            closed = close_orphaned_live_jobs(db, session_id)
            if closed:
                logger.info("closed %d live job(s) of the finished recording", closed)
    if claim.job is None:
        logger.info("nothing to do: %s", claim.reason)
        return claim.reason
    if claim.taken_over:
        logger.warning("resuming a job whose worker stopped (attempt %d)", claim.job.attempts)
    logger.info("job %s started", claim.job.kind)
    worker.run_job(claim.job)
    logger.info("job %s finished", claim.job.kind)
    return "ran"


def _take_over_processing(context: TaskContext, session_id: str) -> None:
    """After following a recording: run its processing here, where the live work is."""
    with context.store.sessions() as db:
        job = jobs.latest(db, session_id, jobs.PROCESS)
        job_id = job.id if job is not None and job.status == QUEUED else None
    if job_id is not None:
        with job_context(job_id, session_id):
            _claim_and_run(context, job_id, session_id)


@shared_task(name=PROCESS_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
def process_session(self: Task, job_id: int) -> str:
    """Transcribe, diarise and draft one session (the job row says which)."""
    return run_job(self, job_id)


# Acknowledged on receipt: a live task follows a recording for up to hours (longer than
# RabbitMQ's delivery timeout), and losing one only loses a head start: processing
# then runs on the whole file.
@shared_task(name=LIVE_TASK, bind=True, acks_late=False)
def follow_recording(self: Task, job_id: int) -> str:
    """Follow one recording while it is made; then process it here."""
    return run_job(self, job_id)
