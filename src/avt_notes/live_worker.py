"""The `live` job: follow a recording while its chunks arrive (see `live.py`).

A live job is queued at a session's first chunk and runs on its own worker
thread for as long as the session is recording. Every few seconds of new audio
it decrypts the chunks received so far (in sequence, up to the first gap),
decodes that prefix (a growing webm/mp4 stream decodes as a cut-short file)
and lets `LiveSession.update` do whatever work is ready. When the clinician
stops, the session's `LiveSession` is left in a process-wide registry, where
the `process` job picks it up (`take_live_session`) so that only the last
window, clustering and the draft remain. If the server restarts mid-recording
the registry is empty and the process job simply works on the whole file.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from avt_notes.audio import load_audio
from avt_notes.errors import AudioError
from avt_notes.store import jobs
from avt_notes.store.intake import suffix_for
from avt_notes.store.recordings import received_chunks
from avt_notes.store.tables import READY, RECORDING, ClinicalSession, Job

if TYPE_CHECKING:
    from avt_notes.live import LiveSession
    from avt_notes.progress import Progress
    from avt_notes.worker import Worker

logger = logging.getLogger("avt_notes.worker")

# Seconds of new audio before the prefix is decoded again: decoding is the cost
# that grows with the recording, the model work per update does not.
UPDATE_EVERY_SECONDS = 10.0

_sessions: dict[str, LiveSession] = {}
_sessions_lock = threading.Lock()


class AvtStoreGone(Exception):
    """The chunks disappeared while being read (the recording was finished or withdrawn)."""


def take_live_session(session_id: str) -> LiveSession | None:
    """The live work done for a session, removed from the registry (None if there is none)."""
    with _sessions_lock:
        return _sessions.pop(session_id, None)


def follow_recording(worker: Worker, job: Job, beat: Progress) -> None:
    """Handler of `live` jobs: keep the models busy with the audio received so far."""
    from avt_notes.diarization import PyannoteDiarizer
    from avt_notes.live import LiveSession
    from avt_notes.pipeline import get_diarizer, get_transcriber

    store, session_id = worker.store, job.session_id
    diarizer = get_diarizer(worker.settings)
    if not isinstance(diarizer, PyannoteDiarizer):
        _complete(worker, job)  # another diariser: everything happens after stop
        return
    live = LiveSession(get_transcriber(worker.settings), diarizer)
    with _sessions_lock:
        _sessions[session_id] = live
    decoded_chunks, last_update = 0, 0.0
    beat("listening", 0.0)
    while True:
        with store.sessions() as db:
            session = db.get(ClinicalSession, session_id)
            status = session.status if session is not None else None
            mime = session.mime_type if session is not None else None
            chunks = [(c.seq, c.sha256) for c in received_chunks(db, session_id)]
        recording = status in (READY, RECORDING)
        contiguous = next((i for i, (seq, _) in enumerate(chunks) if seq != i), len(chunks))
        due = time.monotonic() - last_update >= UPDATE_EVERY_SECONDS
        if recording and contiguous > decoded_chunks and due:
            try:
                _update(worker, live, session_id, chunks[:contiguous], suffix_for(mime))
            except (OSError, AvtStoreGone) as error:
                logger.info("live job %d: chunks gone (%s); stopping", job.id, error)
                break
            decoded_chunks, last_update = contiguous, time.monotonic()
            beat("listening", 0.0)
        elif not recording:
            break
        else:
            beat("listening", 0.0)  # heartbeat and cancellation check
            time.sleep(worker.poll_seconds)
    if status not in ("finished",):
        take_live_session(session_id)  # withdrawn or deleted: forget the work
    _complete(worker, job)


def _update(
    worker: Worker,
    live: LiveSession,
    session_id: str,
    chunks: list[tuple[int, str]],
    suffix: str,
) -> None:
    store = worker.store
    with store.audio.scratch_file(suffix) as plain:
        try:
            with open(plain, "wb") as out:
                for piece in store.audio.iter_chunks(session_id, chunks):
                    out.write(piece)
        except Exception as error:  # the store raises its own errors for missing files
            raise AvtStoreGone(str(error)) from error
        try:
            audio = load_audio(plain, worker.settings.audio.max_audio_seconds)
        except AudioError as error:
            logger.debug("live: prefix not decodable yet (%s)", error)
            return
    with live.lock:
        live.update(audio.samples)


def _complete(worker: Worker, job: Job) -> None:
    with worker.store.transaction() as db:
        current = jobs.still_ours(db, job.id, worker.worker_id)
        if current is not None:
            jobs.complete(db, current)
