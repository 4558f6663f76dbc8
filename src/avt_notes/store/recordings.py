"""Clinical sessions: ownership, creation, consent, withdrawal and deletion.

Deny by default: every lookup is by owner, and someone else's id is "not
found" exactly like an id that never existed. Consent is recorded with the
exact notice text shown; a withdrawal deletes the audio and everything made
from it, in the same breath as it is audited. Audio intake is `store.intake`.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from avt_notes.errors import InputError
from avt_notes.store import audit, jobs
from avt_notes.store.audio_store import AudioStore
from avt_notes.store.errors import (
    ConflictError,
    NotFoundError,
)
from avt_notes.store.tables import (
    AWAITING_CONSENT,
    CONSENT_METHODS,
    DECLINED,
    READY,
    WITHDRAWN,
    AudioChunk,
    ClinicalSession,
    Consent,
    DraftRecord,
    TranscriptRecord,
    User,
    utcnow,
)
from avt_notes.store.text_rules import single_line

logger = logging.getLogger("avt_notes.store")


@dataclass(frozen=True)
class Limits:
    max_chunk_bytes: int
    max_session_bytes: int
    max_chunks: int
    templates: tuple[str, ...]
    live_jobs: bool = False  # queue a "live" job at the first chunk


@dataclass(frozen=True)
class Notice:
    """The consent notice as shown to the clinician (and read to the patient)."""

    text: str
    version: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


# --- lookup -----------------------------------------------------------------------
def get_owned(db: Session, user: User, session_id: str, *, lock: bool = False) -> ClinicalSession:
    """The user's own session, or NotFoundError for missing *and* for others' ids."""
    query = select(ClinicalSession).where(ClinicalSession.id == session_id)
    if lock:  # FOR UPDATE OF the session row only (the eager joins are outer joins)
        query = query.with_for_update(of=ClinicalSession).execution_options(populate_existing=True)
    session = db.scalars(query).unique().one_or_none()
    if session is None or session.owner_id != user.id:
        raise NotFoundError("no such session")
    return session


def list_owned(db: Session, user: User, limit: int = 200) -> list[ClinicalSession]:
    return list(
        db.scalars(
            select(ClinicalSession)
            .where(ClinicalSession.owner_id == user.id)
            .order_by(ClinicalSession.created_at.desc())
            .limit(limit)
        ).unique()
    )


def received_chunks(db: Session, session_id: str) -> list[AudioChunk]:
    return list(
        db.scalars(
            select(AudioChunk).where(AudioChunk.session_id == session_id).order_by(AudioChunk.seq)
        )
    )


MAX_LABEL = 200


# --- create and consent -------------------------------------------------------------
def create(
    db: Session, user: User, label: str, template: str, limits: Limits, num_speakers: int | None
) -> ClinicalSession:
    """A new session awaiting consent (the caller commits)."""
    if template not in limits.templates:
        raise InputError(f"template must be one of {', '.join(limits.templates)}")
    if num_speakers is not None and not 1 <= num_speakers <= 10:
        raise InputError("num_speakers must be between 1 and 10")
    session = ClinicalSession(
        id=uuid.uuid4().hex,
        owner_id=user.id,
        label=single_line(label, "session label", MAX_LABEL),
        template=template,
        num_speakers=num_speakers,
        status=AWAITING_CONSENT,
    )
    session.owner = user
    db.add(session)
    db.flush()
    audit.append(db, "session_create", actor=user, session_id=session.id, template=template)
    return session


def record_consent(
    db: Session,
    user: User,
    session_id: str,
    method: str,
    notice_sha256: str,
    notice: Notice,
    language_group: str | None = None,
    language_groups: Sequence[str] = (),
) -> ClinicalSession:
    """Record how the patient was informed and what they decided (the caller commits).

    `language_group` is the patient's self-described language/accent group,
    one of `language_groups` (whose first entry, "prefer not to say", is
    stored as not recorded).
    """
    session = get_owned(db, user, session_id, lock=True)
    if method not in CONSENT_METHODS:
        raise InputError(f"method must be one of {', '.join(CONSENT_METHODS)}")
    if language_group is not None and language_group not in language_groups:
        raise InputError(f"language group must be one of: {'; '.join(language_groups)}")
    if session.status != AWAITING_CONSENT:
        raise ConflictError(f"consent is already recorded for this session ({session.status})")
    if notice_sha256 != notice.sha256:
        raise ConflictError("the consent notice has changed since the page loaded; reload it")
    session.consent = Consent(
        method=method,
        notice_version=notice.version,
        notice_sha256=notice.sha256,
        notice_text=notice.text,
        recorded_by=user.id,
        patient_language_group=None
        if method == "declined" or not language_groups or language_group == language_groups[0]
        else language_group,
    )
    session.status = DECLINED if method == "declined" else READY
    audit.append(db, "consent", actor=user, session_id=session.id, method=method)
    return session


# --- withdrawal and deletion -------------------------------------------------------------
def withdraw(db: Session, store: AudioStore, user: User, session_id: str) -> ClinicalSession:
    """The patient withdrew: delete audio and everything derived from it; commits."""
    session = get_owned(db, user, session_id, lock=True)
    if session.consent is None or session.status in (DECLINED, WITHDRAWN):
        raise ConflictError(f"nothing to withdraw: session is {session.status}")
    session.status = WITHDRAWN
    session.consent.withdrawn_at = utcnow()
    session.audio_deleted_at = utcnow()
    cancelled = jobs.cancel_for_session(db, session_id)
    db.execute(delete(DraftRecord).where(DraftRecord.session_id == session_id))
    db.execute(delete(TranscriptRecord).where(TranscriptRecord.session_id == session_id))
    audit.append(
        db,
        "consent_withdrawn",
        actor=user,
        session_id=session_id,
        chunks=session.chunk_count,
        jobs_cancelled=cancelled,
    )
    db.commit()
    store.delete_session(session_id)
    return session


def remove(db: Session, store: AudioStore, user: User, session_id: str) -> None:
    """Delete the session, its audio and its derived records; the audit trail stays."""
    session = get_owned(db, user, session_id, lock=True)
    jobs.cancel_for_session(db, session_id)
    audit.append(db, "delete", actor=user, session_id=session_id, status=session.status)
    db.delete(session)
    db.commit()
    store.delete_session(session_id)
