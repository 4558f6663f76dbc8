"""Audio intake: recorded chunks, "finish" (assembly), and whole-file uploads.

The rules that keep audio safe while it arrives:
- no audio without a recorded consent, none after a withdrawal;
- a chunk is acknowledged only after its sealed bytes are fsync'd *and* its row
  committed; a re-send of the same bytes is a no-op, different bytes under an
  acknowledged number are refused;
- "finish" verifies every sequence number arrived, decodes the concatenation,
  and only then marks the session finished and queues processing; a failure
  leaves every acknowledged chunk where it was.

Functions that do slow file work commit first, so no database lock is held
while bytes are written or decoded, and re-check the state afterwards.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from avt_notes.audio import looks_like_audio
from avt_notes.errors import AudioError, InputError
from avt_notes.store import audit, jobs
from avt_notes.store.audio_store import AssembledAudio, AudioStore
from avt_notes.store.errors import (
    ChecksumError,
    ConflictError,
    PayloadTooLargeError,
    UnsupportedMediaError,
)
from avt_notes.store.recordings import Limits, get_owned, received_chunks
from avt_notes.store.tables import (
    AWAITING_CONSENT,
    DECLINED,
    FINISHED,
    READY,
    RECORDING,
    WITHDRAWN,
    AudioChunk,
    ClinicalSession,
    User,
    utcnow,
)

logger = logging.getLogger("avt_notes.store")

# Content types a browser or a file picker gives for audio we can decode.
AUDIO_TYPES = {
    "audio/webm": ".webm",
    "video/webm": ".webm",
    "audio/ogg": ".ogg",
    "audio/mp4": ".m4a",
    "video/mp4": ".mp4",
    "audio/x-m4a": ".m4a",
    "audio/m4a": ".m4a",
    "audio/aac": ".aac",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/vnd.wave": ".wav",
    "audio/flac": ".flac",
    "audio/x-flac": ".flac",
}
# File pickers send this when the OS does not know the type; the bytes then decide.
GENERIC_TYPE = "application/octet-stream"

Probe = Callable[[Path], float]  # decodes a file, returns seconds, raises AudioError


@dataclass(frozen=True)
class ChunkAck:
    seq: int
    duplicate: bool
    chunks: int


def base_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def suffix_for(content_type: str | None) -> str:
    return AUDIO_TYPES.get(base_type(content_type), "")


def _mark_finished(session: ClinicalSession, assembled: AssembledAudio, seconds: float) -> None:
    """Record the stored recording's facts on the session; processing can start."""
    session.status = FINISHED
    session.audio_bytes = assembled.bytes
    session.audio_sha256 = assembled.sha256
    session.audio_seconds = seconds
    session.finished_at = utcnow()


def _require_accepting(session: ClinicalSession) -> None:
    reasons = {
        AWAITING_CONSENT: "record the patient's consent before recording",
        DECLINED: "the patient declined; this session cannot hold audio",
        WITHDRAWN: "the patient withdrew consent; audio is no longer accepted",
        FINISHED: "this recording is already finished",
    }
    if session.status in reasons:
        raise ConflictError(reasons[session.status], status=session.status)
    if session.source == "file":
        raise ConflictError("this session was created from an uploaded file")


# --- chunks -------------------------------------------------------------------------
def save_chunk(
    db: Session,
    store: AudioStore,
    user: User,
    session_id: str,
    seq: int,
    data: bytes,
    sha256: str | None,
    content_type: str | None,
    limits: Limits,
) -> ChunkAck:
    """Durably store one chunk, then acknowledge it by committing its row; commits."""
    sha256 = (sha256 or "").strip().lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise InputError("header X-Chunk-SHA256 must be the 64-hex-digit SHA-256 of the body")
    if not 0 <= seq < limits.max_chunks:
        raise InputError(f"sequence number must be between 0 and {limits.max_chunks - 1}")
    if not data:
        raise InputError(f"chunk {seq} is empty")
    if len(data) > limits.max_chunk_bytes:
        raise PayloadTooLargeError(f"chunk {seq} is over {limits.max_chunk_bytes} bytes")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ChecksumError(f"chunk {seq} arrived damaged (checksum mismatch); send it again")
    kind = base_type(content_type)
    if kind not in AUDIO_TYPES:
        raise UnsupportedMediaError(
            f"chunk content type {kind or 'missing'!r} is not audio (expected audio/webm, "
            "audio/mp4, audio/ogg ...)"
        )

    session = get_owned(db, user, session_id)
    existing = db.get(AudioChunk, (session_id, seq))
    if existing is not None:
        return _duplicate(db, existing, seq, sha256, session)
    _require_accepting(session)
    if session.mime_type and base_type(session.mime_type) != kind:
        raise UnsupportedMediaError(
            f"chunk {seq} is {kind} but this recording is {base_type(session.mime_type)}"
        )
    if seq == 0 and not looks_like_audio(data[:16]):
        raise UnsupportedMediaError("chunk 0 does not start like an audio file")
    if session.chunk_bytes + len(data) > limits.max_session_bytes:
        raise PayloadTooLargeError(
            f"the recording would exceed {limits.max_session_bytes} bytes; finish it and "
            "start a new session"
        )
    db.commit()  # release the database while the bytes go to disk

    path = store.put_chunk(session_id, seq, data, sha256)

    session = get_owned(db, user, session_id, lock=True)
    try:
        _require_accepting(session)  # withdrawn or finished while we were writing
    except ConflictError:
        db.commit()
        path.unlink(missing_ok=True)
        raise
    db.add(AudioChunk(session_id=session_id, seq=seq, size=len(data), sha256=sha256))
    try:
        db.flush()
    except IntegrityError:
        db.rollback()  # a concurrent re-send won the race
        existing = db.get(AudioChunk, (session_id, seq))
        if existing is None:
            raise
        return _duplicate(db, existing, seq, sha256, session)
    first = session.chunk_count == 0
    session.chunk_count += 1
    session.chunk_bytes += len(data)
    session.mime_type = session.mime_type or (content_type or kind)[:100]
    session.source = "recording"
    if first:
        session.status = RECORDING
        audit.append(db, "recording_started", actor=user, session_id=session_id, mime=kind)
        if limits.live_jobs:
            jobs.enqueue(db, session_id, jobs.LIVE)
    db.commit()
    return ChunkAck(seq=seq, duplicate=False, chunks=session.chunk_count)


def _duplicate(
    db: Session, existing: AudioChunk, seq: int, sha256: str, session: ClinicalSession
) -> ChunkAck:
    db.commit()
    if session.status == WITHDRAWN:
        _require_accepting(session)
    if existing.sha256 != sha256:
        raise ConflictError(
            f"chunk {seq} is already stored with different content; it was not replaced",
            seq=seq,
        )
    return ChunkAck(seq=seq, duplicate=True, chunks=session.chunk_count)


# --- finish ---------------------------------------------------------------------------
def finish(
    db: Session,
    store: AudioStore,
    user: User,
    session_id: str,
    total_chunks: int,
    probe: Probe,
) -> ClinicalSession:
    """Verify all chunks arrived, assemble and decode them, queue processing; commits."""
    session = get_owned(db, user, session_id)
    if session.status == FINISHED and session.total_chunks == total_chunks:
        db.commit()
        return session  # a repeated "stop" after a lost response
    _require_accepting(session)
    if total_chunks < 1:
        raise InputError("total_chunks must be at least 1")
    chunks = received_chunks(db, session_id)
    if not chunks:
        raise ConflictError("no audio has arrived for this session yet", missing=[0])
    have = {c.seq for c in chunks}
    missing = sorted(set(range(total_chunks)) - have)
    extra = sorted(s for s in have if s >= total_chunks)
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        raise ConflictError(
            f"{len(missing)} chunk(s) missing: {shown}; send them before finishing",
            missing=missing,
        )
    if extra:
        raise ConflictError(
            f"the server holds chunks beyond {total_chunks - 1}: {extra[:20]}; "
            "total_chunks is too small",
            extra=extra,
        )
    order = [(c.seq, c.sha256) for c in chunks]
    suffix = suffix_for(session.mime_type)
    db.commit()

    with store.scratch_file(suffix) as plain:
        assembled = store.write_audio(session_id, store.iter_chunks(session_id, order), plain)
        try:
            seconds = probe(plain)
        except AudioError:
            store.audio_path(session_id).unlink(missing_ok=True)
            raise

    session = get_owned(db, user, session_id, lock=True)
    if session.status == FINISHED:
        db.commit()
        return session
    if session.status != RECORDING:
        store.audio_path(session_id).unlink(missing_ok=True)
        _require_accepting(session)
    session.total_chunks = total_chunks
    _mark_finished(session, assembled, seconds)
    audit.append(
        db,
        "recording_finished",
        actor=user,
        session_id=session_id,
        chunks=total_chunks,
        bytes=assembled.bytes,
        sha256=assembled.sha256,
        seconds=round(seconds, 2),
    )
    jobs.enqueue(db, session_id, jobs.PROCESS)
    db.commit()
    store.delete_chunks(session_id)  # the sealed recording replaces them
    return session


def check_file_allowed(
    db: Session, user: User, session_id: str, content_type: str | None
) -> ClinicalSession:
    """Refuse a file upload before its bytes are read: ownership, consent, state, type."""
    session = get_owned(db, user, session_id)
    _require_accepting(session)
    if session.status != READY:
        raise ConflictError("this session already has recorded chunks; finish that recording")
    kind = base_type(content_type)
    if kind != GENERIC_TYPE and kind not in AUDIO_TYPES:
        raise UnsupportedMediaError(
            f"{kind or 'missing content type'!r} is not an audio type (expected audio/*)"
        )
    db.commit()
    return session


def store_file(
    db: Session,
    store: AudioStore,
    user: User,
    session_id: str,
    plain: Path,
    content_type: str | None,
    filename: str,
    probe: Probe,
) -> ClinicalSession:
    """Validate an uploaded recording (plaintext scratch file), seal it, queue processing."""
    check_file_allowed(db, user, session_id, content_type)
    with open(plain, "rb") as handle:
        if not looks_like_audio(handle.read(16)):
            raise UnsupportedMediaError(f"{filename or 'the file'} is not an audio file")
    db.commit()

    seconds = probe(plain)

    def pieces() -> Iterator[bytes]:
        with open(plain, "rb") as handle:
            while piece := handle.read(1024 * 1024):
                yield piece

    assembled = store.write_audio(session_id, pieces())
    session = get_owned(db, user, session_id, lock=True)
    if session.status != READY:
        store.audio_path(session_id).unlink(missing_ok=True)
        _require_accepting(session)
        raise ConflictError("this session changed while the file was uploading")
    session.source = "file"
    session.mime_type = (content_type or GENERIC_TYPE)[:100]
    _mark_finished(session, assembled, seconds)
    audit.append(
        db,
        "upload",
        actor=user,
        session_id=session_id,
        filename=filename[:200],
        bytes=assembled.bytes,
        sha256=assembled.sha256,
        seconds=round(seconds, 2),
    )
    jobs.enqueue(db, session_id, jobs.PROCESS)
    db.commit()
    return session
