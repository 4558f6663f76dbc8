"""The `live` job: follow a recording while its chunks arrive (see `avt_notes.live`).

A live job is queued at a session's first chunk and runs on its own worker
thread for as long as the session is recording. Each new chunk (in sequence,
up to the first gap) is decrypted once and fed to a `StreamDecoder`, which
decodes the growing stream once, in the background; every few seconds of new
audio `LiveSession.update` does whatever ASR and diarisation work is ready,
and each few minutes a window of transcript is drafted. When the clinician
stops, the chunks are replaced by the sealed recording: its bytes after those
already fed finish the stream, and the `LiveSession` is handed to the process
job through the runner's `LiveSessions`, so that only the last window,
clustering, the last draft window and a merge remain. If the server restarts
mid-recording, nothing is handed over and the process job works on the whole
file.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from avt_notes.audio import SAMPLE_RATE
from avt_notes.audio_stream import StreamDecoder
from avt_notes.jobs.runner import Worker
from avt_notes.progress import Progress
from avt_notes.store import Store, jobs
from avt_notes.store.intake import suffix_for
from avt_notes.store.recordings import received_chunks
from avt_notes.store.tables import FINISHED, READY, RECORDING, ClinicalSession, Job

if TYPE_CHECKING:
    from avt_notes.live import LiveSession

logger = logging.getLogger("avt_notes.worker")

# Seconds of new audio between two rounds of model work: each round costs a
# fixed overhead (VAD over the pending audio, a diarisation batch).
UPDATE_EVERY_SECONDS = 10.0


def follow_recording(worker: Worker, job: Job, beat: Progress) -> None:
    """Handler of `live` jobs: keep the models busy with the audio received so far."""
    from avt_notes.diarization import PyannoteDiarizer
    from avt_notes.drafting import load_template
    from avt_notes.live import LiveSession
    from avt_notes.live_drafting import LiveDrafting
    from avt_notes.pipeline import get_diarizer, get_drafter, get_transcriber

    store, settings, session_id = worker.store, worker.settings, job.session_id
    diarizer = get_diarizer(settings)
    if not isinstance(diarizer, PyannoteDiarizer):
        _complete(worker, job)  # another diariser: everything happens after stop
        return
    with store.sessions() as db:
        session = db.get(ClinicalSession, session_id)
        template = session.template if session is not None else None
        recording = session is not None and session.status in (READY, RECORDING)
    if not recording:  # claimed late (another recording held this worker): nothing to follow
        _complete(worker, job)
        return
    drafting = None
    if template is not None:
        drafting = LiveDrafting(
            load_template(template),
            get_drafter(settings),
            max_new_tokens=settings.drafting.drafter_max_new_tokens,
            window_seconds=settings.drafting.live_draft_window_seconds,
            finish_checks_seconds=settings.drafting.live_finish_checks_seconds,
        )
    stream = StreamDecoder(session_id)
    live = LiveSession(
        get_transcriber(settings),
        diarizer,
        drafting=drafting,
        stream=stream,
        read_ahead_seconds=settings.drafting.live_read_ahead_seconds,
    )
    worker.live_sessions.following(session_id, live)
    status: str | None = None
    try:
        status = _follow(worker, live, stream, session_id, beat)
        if status == FINISHED:
            beat("listening", 1.0)
            _feed_sealed_tail(worker, stream, session_id)
    finally:
        stream.close()
        if status == FINISHED:
            worker.live_sessions.hand_over(session_id)
        else:  # withdrawn, deleted, or this job failed: the process job starts afresh
            worker.live_sessions.drop(session_id)
    _complete(worker, job)


class RecordingStopped:
    """Whether the session has left recording, read from the store at most once per
    `every` seconds: asked between a drafter's tokens, so that a window being drafted
    when the clinician stops is left to the final pass instead of delaying it."""

    def __init__(self, store: Store, session_id: str, every: float = 1.0) -> None:
        self.store = store
        self.session_id = session_id
        self.every = every
        self._asked_at = time.monotonic()
        self._stopped = False

    def __call__(self) -> bool:
        now = time.monotonic()
        if self._stopped or now - self._asked_at < self.every:
            return self._stopped
        self._asked_at = now
        try:
            with self.store.sessions() as db:
                session = db.get(ClinicalSession, self.session_id)
                self._stopped = session is None or session.status not in (READY, RECORDING)
        except SQLAlchemyError as error:  # a busy database: ask again next time
            logger.warning("live: cannot read the status of %s: %s", self.session_id, error)
        return self._stopped


def _follow(
    worker: Worker, live: LiveSession, stream: StreamDecoder, session_id: str, beat: Progress
) -> str | None:
    """Feed chunks and update the live work until the session stops recording; its status."""
    store = worker.store
    stopped = RecordingStopped(store, session_id)
    fed = 0
    updated_samples = 0
    beat("listening", 0.0)
    while True:
        with store.sessions() as db:
            session = db.get(ClinicalSession, session_id)
            status = session.status if session is not None else None
            chunks = [(c.seq, c.sha256) for c in received_chunks(db, session_id)]
        if status not in (READY, RECORDING):
            return status
        contiguous = next((i for i, (seq, _) in enumerate(chunks) if seq != i), len(chunks))
        if contiguous > fed:
            try:
                for piece in store.audio.iter_chunks(session_id, chunks[fed:contiguous]):
                    stream.feed(piece)
            except Exception as error:  # the store raises its own errors for missing files
                logger.info("live: chunks of %s gone (%s)", session_id, error)
                continue  # finished or withdrawn meanwhile: the status says which
            fed = contiguous
        decoded = stream.decoded_samples
        if decoded - updated_samples >= UPDATE_EVERY_SECONDS * SAMPLE_RATE:
            samples = stream.samples()
            with live.lock:
                live.update(samples)
                live.draft_if_due(samples, stopped)
            updated_samples = len(samples)
        beat("listening", 0.0)  # heartbeat and cancellation check
        time.sleep(worker.poll_seconds)


def _feed_sealed_tail(worker: Worker, stream: StreamDecoder, session_id: str) -> None:
    """The sealed recording's bytes after those already fed (the chunks are deleted at finish)."""
    store = worker.store
    with store.sessions() as db:
        session = db.get(ClinicalSession, session_id)
        mime = session.mime_type if session is not None else None
    with store.audio.scratch_file(suffix_for(mime)) as plain:
        store.audio.decrypt_audio_to(session_id, plain)
        with open(plain, "rb") as recording:
            recording.seek(stream.fed)
            while piece := recording.read(1 << 20):
                stream.feed(piece)


def _complete(worker: Worker, job: Job) -> None:
    with worker.store.transaction() as db:
        current = jobs.still_ours(db, job.id, worker.worker_id)
        if current is not None:
            jobs.complete(db, current)
