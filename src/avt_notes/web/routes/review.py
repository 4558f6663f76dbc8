"""Review and sign-off: the review state, autosave, role swaps, signing, amendments, export.

Thin: each route checks who is asking (clinician role; ownership in the store),
calls one store function and commits. Nothing is exported before signing.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from avt_notes.export import FORMATS, render
from avt_notes.store import accounts, audit, recordings, review, signing
from avt_notes.store.errors import TooManyAttemptsError, WrongPasswordError
from avt_notes.web.deps import (
    Auth,
    ClinicianAuth,
    DbDep,
    Services,
    ServicesDep,
    password_subject,
)
from avt_notes.web.review_view import (
    ReviewOut,
    RolesIn,
    SavedOut,
    SaveIn,
    SignIn,
    VersionOut,
    review_state,
    version_out,
)

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["review"])


def _state(db: Session, services: Services, auth: Auth, session_id: str) -> ReviewOut:
    session = recordings.get_owned(db, auth.user, session_id)
    work = review.get_review(db, auth.user, session_id)
    return review_state(db, session, work, services.store.audio)


@router.get("/review")
def get_review(session_id: str, auth: ClinicianAuth, db: DbDep, services: ServicesDep) -> ReviewOut:
    """Everything the review page draws; the first call starts the review clock (audited)."""
    review.open_review(db, auth.user, session_id)
    db.commit()
    return _state(db, services, auth, session_id)


@router.put("/review")
def autosave(session_id: str, body: SaveIn, auth: ClinicianAuth, db: DbDep) -> SavedOut:
    """Save the working copy (409 if another tab saved since `revision`, or once signed)."""
    copy = review.WorkingCopy(sections=body.sections, decisions=body.decisions)
    work = review.save(db, auth.user, session_id, body.revision, copy, body.audio_seconds_played)
    db.commit()
    return SavedOut(
        revision=work.revision,
        phase=work.phase,
        updated_at=work.updated_at,
        audio_seconds_played=work.audio_seconds_played,
    )


@router.post("/review/roles")
def set_roles(
    session_id: str, body: RolesIn, auth: ClinicianAuth, db: DbDep, services: ServicesDep
) -> ReviewOut:
    """Correct the speaker roles the diarisation guessed (the stored transcript is unchanged)."""
    review.set_roles(db, auth.user, session_id, body.roles)
    db.commit()
    return _state(db, services, auth, session_id)


@router.post("/sign")
def sign(
    session_id: str,
    body: SignIn,
    request: Request,
    auth: ClinicianAuth,
    db: DbDep,
    services: ServicesDep,
) -> ReviewOut:
    """Sign (attestation + password); while amending, sign the amendment (reason required).

    Wrong passwords count against the account's throttle (shared with login); when it
    engages, this login session ends: whoever is guessing is logged out."""
    subject = password_subject(request, auth.user.username)
    services.throttle.check(subject)
    try:
        signing.sign(
            db,
            auth.user,
            session_id,
            attested=body.attest,
            password=body.password,
            reason=body.reason,
        )
    except WrongPasswordError as wrong:
        wait = services.throttle.failed(db, subject, "sign")
        if wait:
            accounts.logout(db, db.merge(auth.login))
        db.commit()
        if wait:
            raise TooManyAttemptsError(
                f"{wrong}. Too many wrong passwords: you are logged out; log in again in "
                f"{wait} seconds",
                retry_after=wait,
            ) from wrong
        raise
    db.commit()  # before the throttle's own connection writes (SQLite has one writer)
    services.throttle.succeeded(subject)
    return _state(db, services, auth, session_id)


@router.post("/amend")
def start_amendment(
    session_id: str, auth: ClinicianAuth, db: DbDep, services: ServicesDep
) -> ReviewOut:
    """Reopen the latest signed version for an amendment (a new version when signed)."""
    signing.start_amendment(db, auth.user, session_id)
    db.commit()
    return _state(db, services, auth, session_id)


@router.post("/amend/cancel")
def cancel_amendment(
    session_id: str, auth: ClinicianAuth, db: DbDep, services: ServicesDep
) -> ReviewOut:
    review.cancel_amendment(db, auth.user, session_id)
    db.commit()
    return _state(db, services, auth, session_id)


@router.get("/note")
def signed_versions(session_id: str, auth: ClinicianAuth, db: DbDep) -> list[VersionOut]:
    """Every signed version, oldest first (empty before signing)."""
    recordings.get_owned(db, auth.user, session_id)
    return [version_out(note) for note in signing.versions(db, session_id)]


@router.get("/note/export")
def export(
    session_id: str,
    auth: ClinicianAuth,
    db: DbDep,
    format: Literal["markdown", "pdf", "fhir"] = Query("markdown"),
    version: int | None = Query(None, ge=1),
) -> Response:
    """The signed note as Markdown, PDF or FHIR R4 DocumentReference; 409 before signing."""
    session, note, is_latest = signing.owned_version(db, auth.user, session_id, version)
    content = render(signing.document(db, session, note, is_latest), format)
    audit.append(
        db,
        "export",
        actor=auth.user,
        session_id=session_id,
        format=format,
        version=note.version,
        sha256=note.content_sha256,
    )
    db.commit()
    media_type, suffix = FORMATS[format]
    name = f"note-{session_id[:8]}-v{note.version}.{suffix}"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
