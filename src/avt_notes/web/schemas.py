"""Request and response bodies of the JSON API, and how records become them.

Pydantic at the HTTP boundary: unknown fields are refused, so a typo is a
clear 422 instead of a silently ignored option.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from avt_notes.store import jobs
from avt_notes.store.tables import (
    CANCELLED,
    DONE,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    ClinicalSession,
    DraftRecord,
    Job,
    User,
)


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
    username: str
    password: str
    role: Literal["clinician", "evaluator", "admin"]
    display_name: str = ""


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
    progress: float
    error: str | None
    attempts: int


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
        "withdrawn"
    )
    status: str
    source: str | None
    mime_type: str | None
    chunks: int
    chunk_bytes: int
    total_chunks: int | None
    audio_seconds: float | None
    created_at: datetime
    finished_at: datetime | None
    consent: ConsentOut | None
    job: JobOut | None
    has_draft: bool


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


def _state(session: ClinicalSession, job: Job | None) -> str:
    if session.status != FINISHED:
        return session.status
    if job is None or job.status == QUEUED:
        return "queued"
    return {RUNNING: "processing", DONE: "done", FAILED: "failed", CANCELLED: "failed"}.get(
        job.status, job.status
    )


def session_out(db: Session, session: ClinicalSession) -> SessionOut:
    job = jobs.latest(db, session.id)
    has_draft = db.query(DraftRecord.id).filter(DraftRecord.session_id == session.id).first()
    consent = session.consent
    return SessionOut(
        id=session.id,
        label=session.label,
        template=session.template,
        state=_state(session, job),
        status=session.status,
        source=session.source,
        mime_type=session.mime_type,
        chunks=session.chunk_count,
        chunk_bytes=session.chunk_bytes,
        total_chunks=session.total_chunks,
        audio_seconds=session.audio_seconds,
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
        job=JobOut(
            id=job.id,
            status=job.status,
            stage=job.stage,
            progress=job.progress,
            error=job.error,
            attempts=job.attempts,
        )
        if job
        else None,
        has_draft=has_draft is not None,
    )


def stored_json(body: str) -> Any:
    return json.loads(body)
