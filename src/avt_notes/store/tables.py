"""The database schema, as SQLAlchemy 2 ORM classes.

One schema for SQLite (embedded default) and PostgreSQL (``DATABASE_URL``);
Alembic migrations in ``store/migrations`` create it, and a test checks that the
migrations and these classes agree. Records a later feature must not lose
(audit entries, generated drafts) keep plain ids instead of foreign keys where
a cascade would silently delete them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("clinician", "evaluator", "admin")
CONSENT_METHODS = ("verbal", "written", "declined")

# ClinicalSession.status: where the recording is in its life.
AWAITING_CONSENT = "consent"
DECLINED = "declined"
READY = "ready"  # consented, no audio yet
RECORDING = "recording"  # chunks arriving
FINISHED = "finished"  # audio assembled and verified, processing queued
WITHDRAWN = "withdrawn"  # patient withdrew; audio deleted

# Job.status
QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginSession(Base):
    """A server-side login session; the cookie holds a token whose SHA-256 is the id."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    user: Mapped[User] = relationship(lazy="joined")


class ClinicalSession(Base):
    """One clinical encounter: its consent, its audio and what was made from it."""

    __tablename__ = "clinical_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    template: Mapped[str] = mapped_column(String(64))
    num_speakers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=AWAITING_CONSENT)
    source: Mapped[str | None] = mapped_column(String(16), nullable=True)  # recording | file
    mime_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    chunk_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    total_chunks: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audio_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    audio_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    audio_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Said to the clinician on the session and review pages: part of the audio did not decode.
    audio_warning: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    audio_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    owner: Mapped[User] = relationship(lazy="joined")
    consent: Mapped[Consent | None] = relationship(
        back_populates="session", lazy="joined", uselist=False, cascade="all, delete-orphan"
    )


class Consent(Base):
    """How the patient was informed and what they said, with the exact notice shown."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("clinical_sessions.id", ondelete="CASCADE"), unique=True
    )
    method: Mapped[str] = mapped_column(String(16))
    notice_version: Mapped[str] = mapped_column(String(32))
    notice_sha256: Mapped[str] = mapped_column(String(64))
    notice_text: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Self-described by the patient, only with their agreement; None: not recorded.
    patient_language_group: Mapped[str | None] = mapped_column(String(64), nullable=True)

    session: Mapped[ClinicalSession] = relationship(back_populates="consent")


class AudioChunk(Base):
    """An acknowledged chunk: it is on disk (encrypted, fsync'd) before this row commits."""

    __tablename__ = "audio_chunks"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("clinical_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Job(Base):
    """A unit of background work; rows outlive the process, so jobs survive restarts."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("clinical_sessions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32), default="process")
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    stage: Mapped[str] = mapped_column(String(64), default="")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    worker_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TranscriptRecord(Base):
    """A transcript as the pipeline produced it (`schemas.Transcript` JSON)."""

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("clinical_sessions.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DraftRecord(Base):
    """The draft note exactly as generated; review edits go elsewhere, never here."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("clinical_sessions.id", ondelete="CASCADE"), index=True
    )
    transcript_id: Mapped[int | None] = mapped_column(
        ForeignKey("transcripts.id", ondelete="SET NULL"), nullable=True
    )
    template: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """One append-only, hash-chained audit entry (see `store.audit`)."""

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("hash", name="uq_audit_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(32), index=True)
    session_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# ReviewDraft.phase: where the clinician's review is.
EDITING = "editing"  # working on the generated draft; not signed yet
SIGNED = "signed"  # a signed version exists and nothing is being changed
AMENDING = "amending"  # editing an amendment to the latest signed version


class ReviewDraft(Base):
    """The clinician's working copy of the note, autosaved; the generated draft stays apart."""

    __tablename__ = "review_drafts"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("clinical_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    draft_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # plain id: see module
    phase: Mapped[str] = mapped_column(String(16), default=EDITING)
    body: Mapped[str] = mapped_column(Text)  # JSON: sections, decisions
    roles: Mapped[str] = mapped_column(Text, default="{}")  # JSON: speaker label -> role
    revision: Mapped[int] = mapped_column(Integer, default=1)
    audio_seconds_played: Mapped[float] = mapped_column(Float, default=0.0)
    first_viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignedNote(Base):
    """One signed version of a note. Never updated or deleted (database triggers refuse it);
    a change is a new version (an amendment, with its reason)."""

    __tablename__ = "signed_notes"
    __table_args__ = (UniqueConstraint("session_id", "version", name="uq_signed_note_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No cascade: the database refuses to delete a session that holds a signed note.
    session_id: Mapped[str] = mapped_column(ForeignKey("clinical_sessions.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    supersedes_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    draft_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    template: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # JSON: [{"name", "sentences": [text, ...]}]
    text: Mapped[str] = mapped_column(Text)  # the signed text; content_sha256 is its hash
    content_sha256: Mapped[str] = mapped_column(String(64))
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signer_username: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attestation: Mapped[str] = mapped_column(Text)
    amendment_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    edits: Mapped[str] = mapped_column(Text, default="{}")  # JSON NoteEdit vs what it replaced


class SignoffMetrics(Base):
    """Edit metrics stored when a note is first signed (one row per note; never updated).

    The columns are what the automation-bias analytics read (`SELECT * FROM
    signoff_metrics`); `sections` and `decisions` keep the detail as JSON.
    """

    __tablename__ = "signoff_metrics"

    note_id: Mapped[int] = mapped_column(ForeignKey("signed_notes.id"), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(32), index=True)
    clinician: Mapped[str] = mapped_column(String(64))
    clinician_id: Mapped[int] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(String(64))
    accent_group: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    draft_chars: Mapped[int] = mapped_column(Integer)
    signed_chars: Mapped[int] = mapped_column(Integer)
    char_distance: Mapped[int] = mapped_column(Integer)
    normalised_edit_distance: Mapped[float] = mapped_column(Float)
    word_distance: Mapped[int] = mapped_column(Integer)
    words_inserted: Mapped[int] = mapped_column(Integer)
    words_deleted: Mapped[int] = mapped_column(Integer)
    words_substituted: Mapped[int] = mapped_column(Integer)
    signed_unchanged: Mapped[bool] = mapped_column(Boolean)
    review_seconds: Mapped[float] = mapped_column(Float)
    audio_seconds_played: Mapped[float] = mapped_column(Float)
    flagged_total: Mapped[int] = mapped_column(Integer)
    flagged_kept_unedited: Mapped[int] = mapped_column(Integer)
    flagged_edited: Mapped[int] = mapped_column(Integer)
    flagged_removed: Mapped[int] = mapped_column(Integer)
    sections: Mapped[str] = mapped_column(Text)  # JSON: per-section edit metrics
    decisions: Mapped[str] = mapped_column(Text)  # JSON: per flagged item, decision and outcome
    transcript_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    sentences_changed_share: Mapped[float | None] = mapped_column(Float, nullable=True)


class RateLimitCounter(Base):
    """One fixed-window counter of the password throttle (`store.throttle`); expires by time."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)  # Unix time, as the `limits` library uses
