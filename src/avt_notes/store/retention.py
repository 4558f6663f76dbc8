"""Retention: delete what is no longer needed once a note is signed, and audit each deletion.

The signed note is the clinical record; the recording, the transcript and the
generated draft only served to write it. After signing, each is deleted on its
own clock, counted from the first signature:

- audio: ``AVT_AUDIO_RETENTION_DAYS`` (default 30);
- transcripts: ``AVT_TRANSCRIPT_RETENTION_DAYS`` (default 90);
- drafts: ``AVT_DRAFT_RETENTION_DAYS`` (default 90): the generated draft, and
  the review working copy reduced to the signed text (the edit metrics were
  stored at signing and stay).

Signed notes and their metrics are never deleted here (and the database would
refuse). Sessions that were never signed are left alone. Every deletion is one
audit entry in the same transaction as the database change; audio files are
removed after that commit, and a run repeats any removal a crash interrupted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from avt_notes.config import RetentionSettings
from avt_notes.store import Store, audit
from avt_notes.store.review import WorkingCopy, WorkingSection, WorkingSentence
from avt_notes.store.tables import (
    SIGNED,
    ClinicalSession,
    DraftRecord,
    ReviewDraft,
    SignedNote,
    TranscriptRecord,
    utcnow,
)

logger = logging.getLogger("avt_notes.store")
ACTOR = "retention"


@dataclass
class RetentionReport:
    now: datetime
    audio: list[str] = field(default_factory=list)  # session ids
    transcripts: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def total(self) -> int:
        return len(self.audio) + len(self.transcripts) + len(self.drafts)


def _signed_sessions(store: Store) -> list[tuple[str, datetime]]:
    with store.sessions() as db:
        rows = db.execute(
            select(SignedNote.session_id, func.min(SignedNote.signed_at)).group_by(
                SignedNote.session_id
            )
        ).all()
    out = []
    for session_id, signed_at in rows:
        if isinstance(signed_at, str):  # SQLite aggregate results skip the column type
            signed_at = datetime.fromisoformat(signed_at)
        out.append((session_id, signed_at if signed_at.tzinfo else signed_at.replace(tzinfo=UTC)))
    return out


def _signed_body(note: SignedNote) -> str:
    copy = WorkingCopy(
        sections=[
            WorkingSection(
                name=section["name"],
                sentences=[WorkingSentence(**s) for s in section["sentences"]],
            )
            for section in json.loads(note.body)
        ]
    )
    return audit.canonical_json(copy.model_dump(mode="json"))


def run(
    store: Store,
    policy: RetentionSettings | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> RetentionReport:
    """Apply the policy as of `now` (default: the current time)."""
    policy = policy or RetentionSettings()
    now = now or utcnow()
    report = RetentionReport(now=now, dry_run=dry_run)
    for session_id, signed_at in _signed_sessions(store):
        age = now - signed_at
        if age >= timedelta(days=policy.audio_retention_days):
            _audio(store, session_id, signed_at, policy.audio_retention_days, report)
        if age >= timedelta(days=policy.transcript_retention_days):
            _transcripts(store, session_id, signed_at, policy.transcript_retention_days, report)
        if age >= timedelta(days=policy.draft_retention_days):
            _drafts(store, session_id, signed_at, policy.draft_retention_days, report)
    if report.total:
        logger.info(
            "retention: deleted audio of %d, transcripts of %d, drafts of %d session(s)%s",
            len(report.audio), len(report.transcripts), len(report.drafts),
            " (dry run)" if dry_run else "",
        )  # fmt: skip
    return report


def _audio(
    store: Store, session_id: str, signed_at: datetime, days: float, report: RetentionReport
) -> None:
    with store.transaction() as db:
        session = db.scalars(
            select(ClinicalSession)
            .where(ClinicalSession.id == session_id)
            .with_for_update(of=ClinicalSession)  # the eager joins are outer joins
        ).first()
        if session is None:
            return
        on_disk = store.audio.session_dir(session_id).exists()
        if session.audio_deleted_at is not None:
            if on_disk and not report.dry_run:  # a crash came between commit and removal
                store.audio.delete_session(session_id)
            return
        if not on_disk and session.audio_bytes is None:
            return  # never had audio
        report.audio.append(session_id)
        if report.dry_run:
            db.rollback()
            return
        session.audio_deleted_at = report.now
        audit.append(
            db, "retention_delete", actor_name=ACTOR, session_id=session_id, what="audio",
            days=days, signed_at=signed_at.isoformat(), bytes=session.audio_bytes,
        )  # fmt: skip
    store.audio.delete_session(session_id)


def _transcripts(
    store: Store, session_id: str, signed_at: datetime, days: float, report: RetentionReport
) -> None:
    with store.transaction() as db:
        ids = db.scalars(
            select(TranscriptRecord.id).where(TranscriptRecord.session_id == session_id)
        ).all()
        if not ids:
            return
        report.transcripts.append(session_id)
        if report.dry_run:
            return
        db.execute(delete(TranscriptRecord).where(TranscriptRecord.id.in_(ids)))
        audit.append(
            db, "retention_delete", actor_name=ACTOR, session_id=session_id, what="transcript",
            days=days, signed_at=signed_at.isoformat(), records=len(ids),
        )  # fmt: skip


def _drafts(
    store: Store, session_id: str, signed_at: datetime, days: float, report: RetentionReport
) -> None:
    with store.transaction() as db:
        ids = db.scalars(select(DraftRecord.id).where(DraftRecord.session_id == session_id)).all()
        work = db.get(ReviewDraft, session_id, with_for_update=True)
        latest = db.scalar(
            select(SignedNote)
            .where(SignedNote.session_id == session_id)
            .order_by(SignedNote.version.desc())
            .limit(1)
        )
        reduced = _signed_body(latest) if latest is not None else None
        stale_copy = (
            work is not None
            and work.phase == SIGNED
            and reduced is not None
            and work.body != reduced
        )
        if not ids and not stale_copy:
            return
        report.drafts.append(session_id)
        if report.dry_run:
            return
        if ids:
            db.execute(delete(DraftRecord).where(DraftRecord.id.in_(ids)))
        if stale_copy and work is not None and reduced is not None:
            work.body = reduced
            work.revision += 1
        audit.append(
            db, "retention_delete", actor_name=ACTOR, session_id=session_id, what="draft",
            days=days, signed_at=signed_at.isoformat(), records=len(ids),
        )  # fmt: skip
