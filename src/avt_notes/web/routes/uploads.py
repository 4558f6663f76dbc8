"""Audio intake: recorded chunks (PUT per sequence number), finish, whole-file upload.

Bodies are raw bytes, not multipart: a phone sends each MediaRecorder chunk as
is, with its SHA-256 in ``X-Chunk-SHA256``, and an existing file streams
straight to a private scratch file under a size cap. The slow parts (fsync,
decoding) run in the thread pool, off the event loop.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from avt_notes.errors import EmptyAudioError
from avt_notes.store import intake, recordings
from avt_notes.store.errors import PayloadTooLargeError
from avt_notes.web.deps import ClinicianAuth, DbDep, ServicesDep
from avt_notes.web.schemas import ChunkAckOut, ChunksOut, FinishIn, SessionOut, session_out

router = APIRouter(prefix="/api/sessions", tags=["audio"])


def _declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value and value.isdigit() else None


async def _read_capped(request: Request, limit: int, what: str) -> bytes:
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        raise PayloadTooLargeError(f"{what} is {declared} bytes, over the limit of {limit}")
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > limit:
            raise PayloadTooLargeError(f"{what} is over the limit of {limit} bytes")
    return bytes(body)


@router.put("/{session_id}/chunks/{seq}", responses={200: {"model": ChunkAckOut}})
async def put_chunk(
    session_id: str,
    seq: int,
    request: Request,
    auth: ClinicianAuth,
    db: DbDep,
    services: ServicesDep,
) -> JSONResponse:
    """Store chunk `seq`; 201 once durable, 200 for an identical re-send."""
    data = await _read_capped(request, services.limits.max_chunk_bytes, f"chunk {seq}")
    ack = await run_in_threadpool(
        intake.save_chunk,
        db,
        services.store.audio,
        auth.user,
        session_id,
        seq,
        data,
        request.headers.get("x-chunk-sha256"),
        request.headers.get("content-type"),
        services.limits,
    )
    if not ack.duplicate:
        services.on_chunk(session_id, seq)
    body = ChunkAckOut(seq=ack.seq, duplicate=ack.duplicate, chunks=ack.chunks)
    return JSONResponse(body.model_dump(), status_code=200 if ack.duplicate else 201)


@router.get("/{session_id}/chunks")
def list_chunks(session_id: str, auth: ClinicianAuth, db: DbDep) -> ChunksOut:
    """Which sequence numbers the server holds, so a client can resume."""
    session = recordings.get_owned(db, auth.user, session_id)
    chunks = recordings.received_chunks(db, session_id)
    return ChunksOut(
        received=[c.seq for c in chunks],
        bytes=sum(c.size for c in chunks),
        status=session.status,
    )


@router.post("/{session_id}/finish")
def finish(
    session_id: str, body: FinishIn, auth: ClinicianAuth, db: DbDep, services: ServicesDep
) -> SessionOut:
    """Verify every chunk 0..total-1 arrived, assemble, decode, queue processing."""
    session = intake.finish(
        db, services.store.audio, auth.user, session_id, body.total_chunks, services.probe
    )
    services.wake_worker()
    return session_out(db, session)


@router.post("/{session_id}/file", status_code=201)
async def upload_file(
    session_id: str,
    request: Request,
    auth: ClinicianAuth,
    db: DbDep,
    services: ServicesDep,
) -> SessionOut:
    """Use an existing recording for a consented session (raw body, any audio type)."""
    limit = services.settings.audio.max_upload_bytes
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        raise PayloadTooLargeError(f"the file is {declared} bytes, over the limit of {limit}")
    content_type = request.headers.get("content-type")
    filename = request.headers.get("x-filename", "")[:200]
    await run_in_threadpool(intake.check_file_allowed, db, auth.user, session_id, content_type)
    audio = services.store.audio
    with audio.scratch_file(intake.suffix_for(content_type)) as plain:
        size = 0
        with open(plain, "wb") as out:
            async for piece in request.stream():
                size += len(piece)
                if size > limit:
                    raise PayloadTooLargeError(f"the file is over the limit of {limit} bytes")
                out.write(piece)
        if size == 0:
            raise EmptyAudioError("the uploaded file is empty (0 bytes)")
        session = await run_in_threadpool(
            intake.store_file,
            db,
            audio,
            auth.user,
            session_id,
            plain,
            content_type,
            filename,
            services.probe,
        )
    services.wake_worker()
    return session_out(db, session)
