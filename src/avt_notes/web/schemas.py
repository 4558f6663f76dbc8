"""Request and response bodies of the JSON API, and how records become them.

Pydantic at the HTTP boundary: unknown fields are refused, so a typo is a
clear 422 instead of a silently ignored option.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from avt_notes.store import jobs
from avt_notes.store.tables import (
    AMENDING,
    CANCELLED,
    DONE,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    ClinicalSession,
    DraftRecord,
    Job,
    ReviewDraft,
    SignedNote,
    User,
    utcnow,
)
from avt_notes.web.progress import overall_fraction, seconds_left


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str


class MeOut(UserOut):
    csrf_token: str
    idle_minutes: int


class UserCreateIn(Strict):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)  # the policy (store.text_rules) says the rest
    role: Literal["clinician", "evaluator", "admin"]
    display_name: str = Field("", max_length=100)


class SessionCreateIn(Strict):
    label: str = Field("", max_length=200)
    template: str | None = None
    num_speakers: int | None = None


class ConsentIn(Strict):
    method: Literal["verbal", "written", "declined"]
    notice_sha256: str = Field(min_length=64, max_length=64)
    language_group: str | None = Field(
        None, max_length=64, description="Patient's self-described language/accent group."
    )


class FinishIn(Strict):
    total_chunks: int = Field(ge=1)


class JobOut(BaseModel):
    id: int
    status: str
    stage: str
    progress: float = Field(description="Fraction done of the current stage.")
    overall: float | None = Field(description="Fraction done of the whole job (all stages).")
    seconds_left: int | None = Field(description="Estimate; None until enough is done.")
    error: str | None
    attempts: int


class SignedOut(BaseModel):
    """The latest signed version, for the session list and page (the review page has all)."""

    version: int
    signed_at: datetime
    signer_name: str
    amendments: int
    amending: bool


class ConsentOut(BaseModel):
    method: str
    notice_version: str
    recorded_at: datetime
    withdrawn_at: datetime | None


class SessionOut(BaseModel):
    id: str
    label: str
    template: str
    state: str = Field(
        description="consent, declined, ready, recording, queued, processing, failed, done, "
        "signed, withdrawn"
    )
    status: str
    source: str | None
    mime_type: str | None
    chunks: int
    chunk_bytes: int
    total_chunks: int | None
    audio_seconds: float | None
    audio_warning: str | None
    created_at: datetime
    finished_at: datetime | None
    consent: ConsentOut | None
    job: JobOut | None
    has_draft: bool
    signed: SignedOut | None


class ChunkAckOut(BaseModel):
    seq: int
    stored: bool = True
    duplicate: bool
    chunks: int


class ChunksOut(BaseModel):
    received: list[int]
    bytes: int
    status: str


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id, username=user.username, display_name=user.display_name, role=user.role
    )


def _state(session: ClinicalSession, job: Job | None, signed: SignedOut | None) -> str:
    if signed is not None:
        return "signed"
    if session.status != FINISHED:
        return session.status
    if job is None or job.status == QUEUED:
        return "queued"
    return {RUNNING: "processing", DONE: "done", FAILED: "failed", CANCELLED: "failed"}.get(
        job.status, job.status
    )


def _signed_out(db: Session, session_id: str) -> SignedOut | None:
    versions = db.scalars(
        select(SignedNote).where(SignedNote.session_id == session_id).order_by(SignedNote.version)
    ).all()
    if not versions:
        return None
    phase = db.scalar(select(ReviewDraft.phase).where(ReviewDraft.session_id == session_id))
    latest = versions[-1]
    return SignedOut(
        version=latest.version,
        signed_at=latest.signed_at,
        signer_name=latest.signer_name,
        amendments=len(versions) - 1,
        amending=phase == AMENDING,
    )


def job_out(job: Job, now: datetime | None = None) -> JobOut:
    overall = overall_fraction(job.stage, job.progress) if job.status == RUNNING else None
    if job.status == DONE:
        overall = 1.0
    return JobOut(
        id=job.id,
        status=job.status,
        stage=job.stage,
        progress=job.progress,
        overall=overall,
        seconds_left=seconds_left(job.started_at, now or utcnow(), overall)
        if job.status == RUNNING
        else None,
        error=job.error,
        attempts=job.attempts,
    )


def session_out(db: Session, session: ClinicalSession) -> SessionOut:
    job = jobs.latest(db, session.id)
    has_draft = db.query(DraftRecord.id).filter(DraftRecord.session_id == session.id).first()
    signed = _signed_out(db, session.id)
    consent = session.consent
    return SessionOut(
        id=session.id,
        label=session.label,
        template=session.template,
        state=_state(session, job, signed),
        status=session.status,
        source=session.source,
        mime_type=session.mime_type,
        chunks=session.chunk_count,
        chunk_bytes=session.chunk_bytes,
        total_chunks=session.total_chunks,
        audio_seconds=session.audio_seconds,
        audio_warning=session.audio_warning,
        created_at=session.created_at,
        finished_at=session.finished_at,
        consent=ConsentOut(
            method=consent.method,
            notice_version=consent.notice_version,
            recorded_at=consent.recorded_at,
            withdrawn_at=consent.withdrawn_at,
        )
        if consent
        else None,
        job=job_out(job) if job else None,
        has_draft=has_draft is not None,
        signed=signed,
    )


def stored_json(body: str) -> Any:
    return json.loads(body)
