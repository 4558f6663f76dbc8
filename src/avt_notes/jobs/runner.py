"""The job runner: polls the job table and runs each job's handler in a thread.

Why a table-backed runner in a thread: a clinic server has a few cores and no
message broker; the job table makes work survive restarts (stale running jobs
go back to the queue) and the thread keeps `avt-notes serve` a single process.
Several workers (threads or processes) can share one database safely.

A runner knows no job kind itself: its handlers (`process.process_session`,
`live.follow_recording`) are given to it, so this module imports neither.
The work done on a session while it records is handed from the live handler
to the process handler through a `LiveSessions` object that both runners of
one process share (an explicit object, not module state). The models are
reached only through the pipeline function, imported lazily, so the web app
starts without loading torch; tests inject a `Pipeline` (a plain function).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from avt_notes.config import Settings
from avt_notes.errors import AvtError
from avt_notes.pipeline_result import Pipeline, PipelineResult
from avt_notes.progress import Progress
from avt_notes.store import Store, audit, jobs
from avt_notes.store.tables import Job

if TYPE_CHECKING:
    from pathlib import Path

    from avt_notes.live import LiveSession

logger = logging.getLogger("avt_notes.worker")


class JobCancelled(Exception):
    """The job was cancelled (withdrawal, deletion) or taken over while running."""


def run_pipeline(
    audio_path: Path,
    settings: Settings,
    *,
    template: str,
    num_speakers: int | None,
    live: LiveSession | None,
    progress: Progress,
) -> PipelineResult:
    """The real thing: `pipeline.process_recording`, imported when the first job runs."""
    from avt_notes.pipeline import process_recording

    return process_recording(
        audio_path,
        settings,
        template=template,
        num_speakers=num_speakers,
        live=live,
        progress=progress,
    )


class LiveSessions:
    """Hands the work done while a session recorded from its live job to its process job.

    The live job registers its `LiveSession` when it starts following and
    hands it over once the recording has finished and every chunk is decoded;
    the process job takes it, waiting for the hand-over if the live job is
    still catching up. Both jobs must run in this process (the live work is in
    memory); after a restart there is nothing to take and the whole file is
    processed.
    """

    def __init__(self) -> None:
        self._sessions: dict[str, tuple[LiveSession, bool]] = {}
        self._changed = threading.Condition()

    def following(self, session_id: str, live: LiveSession) -> None:
        with self._changed:
            self._sessions[session_id] = (live, False)
            self._changed.notify_all()

    def current(self, session_id: str) -> LiveSession | None:
        """The live work on a session, handed over or not (for inspection only)."""
        with self._changed:
            entry = self._sessions.get(session_id)
            return entry[0] if entry is not None else None

    def hand_over(self, session_id: str) -> None:
        """The live work is complete: the process job may take it."""
        with self._changed:
            if session_id in self._sessions:
                self._sessions[session_id] = (self._sessions[session_id][0], True)
            self._changed.notify_all()

    def drop(self, session_id: str) -> None:
        """Forget the live work (withdrawn, deleted, or the live job failed)."""
        with self._changed:
            self._sessions.pop(session_id, None)
            self._changed.notify_all()

    def take(self, session_id: str, timeout: float = 3600.0) -> LiveSession | None:
        """The handed-over live work, removed; None if there is none or it did not come.

        Waits while the live job is still following: once the recording is
        finished it stops at its next check, and whatever it was doing (a
        lagging ASR window, a draft window) is work the process job would
        otherwise do again from the start. A live job that fails drops its
        entry, which ends the wait at once.
        """
        with self._changed:
            self._changed.wait_for(lambda: self._sessions.get(session_id, (None, True))[1], timeout)
            live, ready = self._sessions.pop(session_id, (None, False))
            return live if ready else None


class Handler(Protocol):
    def __call__(self, worker: Worker, job: Job, beat: Progress) -> None: ...


class Worker:
    """Polls the job table and runs one job at a time in a daemon thread."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        handlers: Mapping[str, Handler],
        pipeline: Pipeline | None = None,
        *,
        live_sessions: LiveSessions | None = None,
        poll_seconds: float = 1.0,
        stale_after: timedelta = timedelta(minutes=2),
        heartbeat_seconds: float = 10.0,
    ) -> None:
        self.store = store
        self.settings = settings
        self.handlers = dict(handlers)
        self.pipeline: Pipeline = pipeline or run_pipeline
        self.live_sessions = live_sessions or LiveSessions()
        self.poll_seconds = poll_seconds
        self.stale_after = stale_after
        self.heartbeat_seconds = heartbeat_seconds
        self.worker_id = f"{uuid.uuid4().hex[:12]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="avt-worker", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Look at the queue now (called when a job is queued)."""
        self._wake.set()

    def _loop(self) -> None:
        logger.info("worker %s started", self.worker_id)
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:
                logger.exception("worker loop error")
                worked = False
            if not worked:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    # --- one job ----------------------------------------------------------------
    def run_once(self) -> bool:
        """Claim and run one job; False when the queue had nothing for us."""
        with self.store.sessions() as db:
            requeued = jobs.requeue_stale(db, self.stale_after)
            if requeued:
                logger.warning("re-queued %d job(s) whose worker stopped", requeued)
            job = jobs.claim_next(db, self.worker_id, tuple(self.handlers))
        if job is None:
            return False
        logger.info("job %d (%s) for session %s started", job.id, job.kind, job.session_id)
        beat = _Beat(self, job.id)
        stop_beating = threading.Event()
        ticker = threading.Thread(target=_tick, args=(beat, stop_beating, self), daemon=True)
        ticker.start()
        try:
            self.handlers[job.kind](self, job, beat)
        except JobCancelled:
            logger.info("job %d cancelled", job.id)
        except Exception as error:
            reason = str(error) if isinstance(error, AvtError) else _internal(error)
            if not isinstance(error, AvtError):
                logger.exception("job %d failed", job.id)
            self._fail(job, reason)
        finally:
            stop_beating.set()
            ticker.join()
        return True

    def _fail(self, job: Job, reason: str) -> None:
        with self.store.transaction() as db:
            current = jobs.still_ours(db, job.id, self.worker_id)
            if current is None:
                return
            jobs.fail(db, current, reason)
            audit.append(db, "process_failed", session_id=job.session_id, reason=reason[:300])
        logger.warning("job %d failed: %s", job.id, reason)


def _internal(error: BaseException) -> str:
    return f"internal error ({type(error).__name__}: {error}); see the server log"


class _Beat:
    """Progress callback that doubles as heartbeat and cancellation check."""

    def __init__(self, worker: Worker, job_id: int) -> None:
        self.worker = worker
        self.job_id = job_id
        self.stage = ""
        self.fraction = 0.0
        self._last_write = 0.0
        self._lock = threading.Lock()
        self.cancelled = False

    def __call__(self, stage: str, fraction: float, *, force: bool = False) -> None:
        if self.cancelled:
            raise JobCancelled
        with self._lock:
            changed = stage != self.stage
            self.stage, self.fraction = stage, fraction
            now = time.monotonic()
            if not (force or changed or now - self._last_write >= 0.5):
                return
            self._last_write = now
        with self.worker.store.sessions() as db:
            alive = jobs.heartbeat(db, self.job_id, self.worker.worker_id, stage, fraction)
        if not alive:
            self.cancelled = True
            raise JobCancelled


def _tick(beat: _Beat, stop: threading.Event, worker: Worker) -> None:
    while not stop.wait(worker.heartbeat_seconds):
        try:
            beat(beat.stage, beat.fraction, force=True)
        except JobCancelled:
            return
        except Exception:
            logger.exception("heartbeat failed")
