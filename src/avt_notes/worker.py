"""Background job runner for the web service: assembled audio → transcript → draft.

Why a table-backed runner in a thread: a clinic server has a few cores and no
message broker; the job table makes work survive restarts (stale running jobs
go back to the queue) and the thread keeps `avt-notes serve` a single process.
Several workers (threads or processes) can share one database safely.

The models are reached only through the pipeline function, imported lazily, so
the web app starts without loading torch. Tests inject a `Pipeline` (a plain
function) to exercise the plumbing without models. Handlers are registered by
job kind; processing while recording (`jobs.LIVE`) runs on a second worker
whose only handler is `live_worker.follow_recording`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from avt_notes.audio import load_audio
from avt_notes.config import Settings
from avt_notes.errors import AvtError
from avt_notes.live_worker import take_live_session
from avt_notes.progress import Progress
from avt_notes.store import Store, audit, jobs
from avt_notes.store.intake import suffix_for
from avt_notes.store.tables import ClinicalSession, DraftRecord, Job, TranscriptRecord

if TYPE_CHECKING:
    from avt_notes.drafting.schemas import DraftNote
    from avt_notes.live import LiveSession
    from avt_notes.schemas import Transcript

logger = logging.getLogger("avt_notes.worker")


@dataclass
class PipelineResult:
    transcript: Transcript
    draft: DraftNote | None


class Pipeline(Protocol):
    def __call__(
        self,
        audio_path: Path,
        settings: Settings,
        *,
        template: str,
        num_speakers: int | None,
        progress: Progress,
    ) -> PipelineResult: ...


class JobCancelled(Exception):
    """The job was cancelled (withdrawal, deletion) or taken over while running."""


_drafters: dict[tuple[str, int], Any] = {}
_drafters_lock = threading.Lock()


def run_pipeline(
    audio_path: Path,
    settings: Settings,
    *,
    template: str,
    num_speakers: int | None,
    progress: Progress,
    live: LiveSession | None = None,
) -> PipelineResult:
    """The real thing: transcribe and diarise (or finish the live work), then draft."""
    from avt_notes.drafting import draft_note, load_drafter, load_template
    from avt_notes.pipeline import SpeakerOptions, transcribe_file

    note_template = load_template(template)  # fail fast, before minutes of ASR
    if live is None:
        transcript = transcribe_file(
            audio_path, settings, num_speakers=num_speakers, progress=progress
        )
    else:
        audio = load_audio(audio_path, settings.audio.max_audio_seconds)
        with live.lock:
            transcript = live.finish(
                audio,
                speakers=SpeakerOptions(num_speakers=num_speakers),
                language=settings.models.language or "auto",
                progress=progress,
            )
    key = (settings.drafting.drafter, settings.drafting.drafter_max_new_tokens)
    with _drafters_lock:
        if key not in _drafters:
            progress("loading drafting model", 0.0)
            _drafters[key] = load_drafter(settings)
        drafter = _drafters[key]
    draft = draft_note(
        transcript,
        note_template,
        drafter,
        progress=progress,
        max_new_tokens=settings.drafting.drafter_max_new_tokens,
    )
    return PipelineResult(transcript=transcript, draft=draft)


def _to_json(value: BaseModel | dict[str, Any]) -> str:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, ensure_ascii=False)


class Handler(Protocol):
    def __call__(self, worker: Worker, job: Job, beat: Progress) -> None: ...


class Worker:
    """Polls the job table and runs one job at a time in a daemon thread."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        pipeline: Pipeline | None = None,
        *,
        poll_seconds: float = 1.0,
        stale_after: timedelta = timedelta(minutes=2),
        heartbeat_seconds: float = 10.0,
    ) -> None:
        self.store = store
        self.settings = settings
        self.pipeline: Pipeline = pipeline or run_pipeline
        self.poll_seconds = poll_seconds
        self.stale_after = stale_after
        self.heartbeat_seconds = heartbeat_seconds
        self.worker_id = f"{uuid.uuid4().hex[:12]}"
        self.handlers: dict[str, Handler] = {jobs.PROCESS: process_session}
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


def process_session(worker: Worker, job: Job, beat: Progress) -> None:
    """The `process` job: decrypt to scratch, run the pipeline, store transcript + draft."""
    store = worker.store
    with store.sessions() as db:
        session = db.get(ClinicalSession, job.session_id)
        if session is None:
            raise JobCancelled
        template, num_speakers, mime = session.template, session.num_speakers, session.mime_type
    beat("preparing audio", 0.0)
    with store.audio.scratch_file(suffix_for(mime)) as plain:
        store.audio.decrypt_audio_to(job.session_id, plain)
        with store.transaction() as db:
            audit.append(db, "process_started", session_id=job.session_id, job=job.id)
        # Work done while the session was recording, if a live job followed it.
        live = take_live_session(job.session_id)
        result = worker.pipeline(
            plain,
            worker.settings,
            template=template,
            num_speakers=num_speakers,
            progress=beat,
            **({"live": live} if live is not None else {}),
        )
    beat("saving", 1.0)
    with store.transaction() as db:
        current = jobs.still_ours(db, job.id, worker.worker_id)
        if current is None:
            raise JobCancelled
        transcript = TranscriptRecord(
            session_id=job.session_id, job_id=job.id, body=_to_json(result.transcript)
        )
        db.add(transcript)
        db.flush()
        if result.draft is not None:
            body = _to_json(result.draft)
            db.add(
                DraftRecord(
                    session_id=job.session_id,
                    transcript_id=transcript.id,
                    template=template,
                    body=body,
                    body_sha256=hashlib.sha256(body.encode()).hexdigest(),
                )
            )
        jobs.complete(db, current)
        audit.append(db, "process_done", session_id=job.session_id, job=job.id)
    logger.info("job %d done", job.id)
