"""Clinical sessions: create, list, show, consent, withdraw, retry, delete, results."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from avt_notes.store import audit, generated, intake, jobs, recordings, signing
from avt_notes.store.errors import NotFoundError
from avt_notes.store.tables import DraftRecord, TranscriptRecord
from avt_notes.web.deps import ClinicianAuth, DbDep, ServicesDep
from avt_notes.web.ranges import parse_range, slice_pieces
from avt_notes.web.schemas import (
    ConsentIn,
    SessionCreateIn,
    SessionOut,
    session_out,
    stored_json,
)

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


@router.get("")
def list_sessions(auth: ClinicianAuth, db: DbDep) -> list[SessionOut]:
    return [session_out(db, s) for s in recordings.list_owned(db, auth.user)]


@router.post("", status_code=201)
def create_session(
    body: SessionCreateIn, auth: ClinicianAuth, db: DbDep, services: ServicesDep
) -> SessionOut:
    template = body.template or services.web.default_template
    session = recordings.create(
        db, auth.user, body.label, template, services.limits, body.num_speakers
    )
    db.commit()
    return session_out(db, session)


@router.get("/{session_id}")
def get_session(session_id: str, auth: ClinicianAuth, db: DbDep) -> SessionOut:
    return session_out(db, recordings.get_owned(db, auth.user, session_id))


@router.post("/{session_id}/consent")
def give_consent(
    session_id: str, body: ConsentIn, auth: ClinicianAuth, db: DbDep, services: ServicesDep
) -> SessionOut:
    session = recordings.record_consent(
        db,
        auth.user,
        session_id,
        body.method,
        body.notice_sha256,
        services.notice,
        language_group=body.language_group,
        language_groups=services.settings.web.patient_language_groups,
    )
    db.commit()
    return session_out(db, session)


@router.post("/{session_id}/withdraw")
def withdraw(session_id: str, auth: ClinicianAuth, db: DbDep, services: ServicesDep) -> SessionOut:
    """The patient withdrew consent: the session's audio and derived text are deleted."""
    session = recordings.withdraw(db, services.store.audio, auth.user, session_id)
    return session_out(db, session)


@router.post("/{session_id}/retry", status_code=202)
def retry(session_id: str, auth: ClinicianAuth, db: DbDep, services: ServicesDep) -> SessionOut:
    session = recordings.get_owned(db, auth.user, session_id, lock=True)
    jobs.retry(db, session_id)
    audit.append(db, "process_retry", actor=auth.user, session_id=session_id)
    db.commit()
    services.wake_worker()
    return session_out(db, session)


@router.delete("/{session_id}", status_code=204)
def delete_session(
    session_id: str, auth: ClinicianAuth, db: DbDep, services: ServicesDep
) -> Response:
    recordings.get_owned(db, auth.user, session_id)
    signing.refuse_if_signed(db, session_id)  # a signed note is part of the clinical record
    recordings.remove(db, services.store.audio, auth.user, session_id)
    return Response(status_code=204)


@router.get("/{session_id}/draft")
def get_draft(session_id: str, auth: ClinicianAuth, db: DbDep) -> dict[str, object]:
    """The newest generated draft, exactly as stored, and its risk items worded for review."""
    recordings.get_owned(db, auth.user, session_id)
    draft = db.scalar(
        select(DraftRecord)
        .where(DraftRecord.session_id == session_id)
        .order_by(DraftRecord.id.desc())
        .limit(1)
    )
    if draft is None:
        raise NotFoundError("no draft yet for this session")
    return {
        "id": draft.id,
        "template": draft.template,
        "created_at": draft.created_at.isoformat(),
        "sha256": draft.body_sha256,
        "draft": stored_json(draft.body),
        "for_review": generated.risk_lines(generated.parse_draft(draft)),
    }


@router.get("/{session_id}/transcript")
def get_transcript(session_id: str, auth: ClinicianAuth, db: DbDep) -> dict[str, object]:
    recordings.get_owned(db, auth.user, session_id)
    transcript = db.scalar(
        select(TranscriptRecord)
        .where(TranscriptRecord.session_id == session_id)
        .order_by(TranscriptRecord.id.desc())
        .limit(1)
    )
    if transcript is None:
        raise NotFoundError("no transcript yet for this session")
    return {"id": transcript.id, "transcript": stored_json(transcript.body)}


@router.get("/{session_id}/audio")
def get_audio(
    session_id: str, request: Request, auth: ClinicianAuth, db: DbDep, services: ServicesDep
) -> StreamingResponse:
    """The assembled recording, decrypted and verified as it streams; one byte range if asked
    (the review page seeks to a sentence's evidence)."""
    session = recordings.get_owned(db, auth.user, session_id)
    if not services.store.audio.has_audio(session_id):
        raise NotFoundError("this session has no stored audio")
    media_type = intake.base_type(session.mime_type) or "application/octet-stream"
    headers = {"Cache-Control": "no-store", "Accept-Ranges": "bytes"}
    pieces = services.store.audio.iter_audio(session_id)
    if session.audio_bytes is None:
        return StreamingResponse(pieces, media_type=media_type, headers=headers)
    wanted = parse_range(request.headers.get("range"), session.audio_bytes)
    if wanted is None:
        headers["Content-Length"] = str(session.audio_bytes)
        return StreamingResponse(pieces, media_type=media_type, headers=headers)
    first, last = wanted
    headers["Content-Range"] = f"bytes {first}-{last}/{session.audio_bytes}"
    headers["Content-Length"] = str(last - first + 1)
    return StreamingResponse(
        slice_pieces(pieces, first, last), status_code=206, media_type=media_type, headers=headers
    )
