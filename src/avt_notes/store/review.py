"""The clinician's review of a draft: the working copy, autosave, flags, role swaps.

The generated draft (`DraftRecord`) is never touched: review starts from a
copy of it (`ReviewDraft`) with the sentence ids `store.generated` gives
(``s<section>-<n>`` from the draft, ``r<n>`` for risk items) plus ``n…`` for
sentences the clinician adds, so evidence, flags and edit metrics can always be
traced back to what the model wrote.

Autosave is optimistic: every save names the revision it started from, and a
save from a stale tab is refused (409) rather than silently overwriting newer
work. Every view and every change is audited in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from avt_notes.drafting.schemas import DraftNote
from avt_notes.errors import InputError
from avt_notes.schemas import Transcript
from avt_notes.store import audit
from avt_notes.store.errors import ConflictError, NotFoundError
from avt_notes.store.generated import (
    RISK_SECTION,
    DraftSectionView,
    DraftSentenceView,
    draft_sections,
    flagged_ids,
    latest_draft,
    load_transcript,
    parse_draft,
)
from avt_notes.store.recordings import get_owned
from avt_notes.store.tables import (
    AMENDING,
    EDITING,
    SIGNED,
    ClinicalSession,
    DraftRecord,
    ReviewDraft,
    User,
    utcnow,
)

logger = logging.getLogger("avt_notes.store")

Decision = Literal["keep", "edit", "remove"]
DECISIONS: tuple[str, ...] = ("keep", "edit", "remove")
MAX_SENTENCES = 1000
MAX_SENTENCE_CHARS = 5000
MAX_PLAYED_SECONDS = 24 * 3600.0
# Listening time the server accepts from the page: the recording replayed this many times.
REPLAY_FACTOR = 3.0
_SENTENCE_ID = re.compile(r"^(s\d{1,4}-\d{1,4}|r\d{1,4}|n[0-9a-z-]{1,40})$")
_ROLE = re.compile(r"^(clinician|patient|other(-\d{1,2})?)$")
__all__ = [  # what other modules use from here, including the generated-draft views
    "RISK_SECTION",
    "DraftSectionView",
    "DraftSentenceView",
    "WorkingCopy",
    "draft_sections",
    "flagged_ids",
    "source_for",
]


# --- the working copy ----------------------------------------------------------------------------
class WorkingSentence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(max_length=42)
    text: str = Field(max_length=MAX_SENTENCE_CHARS)
    removed: bool = False


class WorkingSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    sentences: list[WorkingSentence]


class WorkingCopy(BaseModel):
    """What the clinician is editing: sections of sentences and the decisions on flags."""

    model_config = ConfigDict(extra="forbid")

    sections: list[WorkingSection]
    decisions: dict[str, Decision] = Field(default_factory=dict)

    def live_sections(self) -> list[tuple[str, list[WorkingSentence]]]:
        """Sections with removed sentences (and those decided "remove") left out."""
        out = []
        for section in self.sections:
            kept = [
                s
                for s in section.sentences
                if not s.removed and self.decisions.get(s.id) != "remove" and s.text.strip()
            ]
            out.append((section.name, kept))
        return out


def initial_copy(sections: list[DraftSectionView]) -> WorkingCopy:
    return WorkingCopy(
        sections=[
            WorkingSection(
                name=section.name,
                sentences=[WorkingSentence(id=s.id, text=s.text) for s in section.sentences],
            )
            for section in sections
        ]
    )


def read_copy(review: ReviewDraft) -> WorkingCopy:
    return WorkingCopy.model_validate_json(review.body)


def _body(copy: WorkingCopy) -> str:
    return audit.canonical_json(copy.model_dump(mode="json"))


# --- reading what the pipeline stored -------------------------------------------------------------
def source_for(db: Session, review: ReviewDraft) -> DraftNote | None:
    """The generated draft this review started from (None once retention deleted it)."""
    record = db.get(DraftRecord, review.draft_id) if review.draft_id is not None else None
    return parse_draft(record)


# --- operations ----------------------------------------------------------------------------
def get_review(db: Session, user: User, session_id: str, *, lock: bool = False) -> ReviewDraft:
    """The user's working copy; 404 for others' sessions, 409 before the review was opened."""
    get_owned(db, user, session_id, lock=lock)
    review = db.get(ReviewDraft, session_id, with_for_update=lock, populate_existing=lock)
    if review is None:
        raise ConflictError("open the review page first: there is no working copy yet")
    return review


def open_review(db: Session, user: User, session_id: str) -> ReviewDraft:
    """Start (first view) or resume the review; audited as a view (the caller commits)."""
    get_owned(db, user, session_id, lock=True)
    review = db.get(ReviewDraft, session_id)
    first = review is None
    if review is None:
        record = latest_draft(db, session_id)
        source = parse_draft(record)
        if record is None or source is None:
            raise NotFoundError("no draft yet for this session")
        now = utcnow()
        review = ReviewDraft(
            session_id=session_id,
            draft_id=record.id,
            phase=EDITING,
            body=_body(initial_copy(draft_sections(source))),
            roles="{}",
            revision=1,
            audio_seconds_played=0.0,
            first_viewed_at=now,
            updated_at=now,
        )
        db.add(review)
        db.flush()
    audit.append(
        db, "view", actor=user, session_id=session_id, phase=review.phase, first_view=first
    )
    return review


def _require_editable(review: ReviewDraft) -> None:
    if review.phase not in (EDITING, AMENDING):
        raise ConflictError(
            "this note is signed and cannot be changed; start an amendment to change it",
            phase=review.phase,
        )


def _check_copy(copy: WorkingCopy, current: WorkingCopy, flagged: set[str]) -> None:
    names = [s.name for s in current.sections]
    if [s.name for s in copy.sections] != names:
        raise InputError(f"sections must stay as they are: {', '.join(names)}")
    ids = [s.id for section in copy.sections for s in section.sentences]
    if len(ids) > MAX_SENTENCES:
        raise InputError(f"a note can hold at most {MAX_SENTENCES} sentences")
    bad = [i for i in ids if not _SENTENCE_ID.match(i)]
    if bad:
        raise InputError(f"bad sentence id(s): {', '.join(bad[:5])}")
    if len(set(ids)) != len(ids):
        raise InputError("sentence ids must be unique")
    stray = sorted(set(copy.decisions) - flagged)
    if stray:
        raise InputError(f"decisions are only for flagged sentences, not {', '.join(stray[:5])}")


def flagged_for(db: Session, review: ReviewDraft) -> set[str]:
    """Ids that need a decision: flags of the generated draft, while it is being edited."""
    if review.phase != EDITING:
        return set()
    source = source_for(db, review)
    return set(flagged_ids(draft_sections(source))) if source else set()


def save(
    db: Session,
    user: User,
    session_id: str,
    revision: int,
    copy: WorkingCopy,
    audio_seconds_played: float | None = None,
) -> ReviewDraft:
    """Autosave the working copy if `revision` is current; audited when the text changed."""
    review = get_review(db, user, session_id, lock=True)
    _require_editable(review)
    if revision != review.revision:
        raise ConflictError(
            "the note was changed in another tab or device; reload to get the newest version",
            revision=review.revision,
        )
    current = read_copy(review)
    _check_copy(copy, current, flagged_for(db, review))
    if audio_seconds_played is not None:
        session = db.get(ClinicalSession, session_id)
        played = bounded_playback(
            audio_seconds_played,
            (session.audio_seconds if session else None) or 0.0,
            seconds_between(review.first_viewed_at, utcnow()),
        )
        review.audio_seconds_played = max(review.audio_seconds_played, played)
    body = _body(copy)
    if body != review.body:
        before = {s.id: (s.text, s.removed) for sec in current.sections for s in sec.sentences}
        after = {s.id: (s.text, s.removed) for sec in copy.sections for s in sec.sentences}
        changed = sum(before.get(i) != value for i, value in after.items()) + len(
            set(before) - set(after)
        )
        review.body = body
        review.revision += 1
        audit.append(
            db,
            "edit",
            actor=user,
            session_id=session_id,
            kind="autosave",
            revision=review.revision,
            sentences_changed=changed,
            decisions=len(copy.decisions),
            sha256=hashlib.sha256(body.encode()).hexdigest(),
        )
    review.updated_at = utcnow()
    return review


def set_roles(db: Session, user: User, session_id: str, roles: dict[str, str]) -> ReviewDraft:
    """Override speaker roles (e.g. swap clinician and patient) for the review; audited."""
    review = get_review(db, user, session_id, lock=True)
    _require_editable(review)
    transcript = load_transcript(db, session_id)
    if transcript is None:
        raise ConflictError("the transcript is no longer stored; roles cannot be changed")
    labels = {u.speaker for u in transcript.utterances} | {s.label for s in transcript.speakers}
    unknown = sorted(set(roles) - labels)
    if unknown:
        raise InputError(f"no such speaker(s): {', '.join(unknown)}")
    bad = sorted(r for r in roles.values() if not _ROLE.match(r))
    if bad:
        raise InputError(f"role must be clinician, patient or other-N, not {bad[0]!r}")
    merged = {**json.loads(review.roles), **roles}
    review.roles = audit.canonical_json(merged)
    review.revision += 1
    review.updated_at = utcnow()
    audit.append(db, "edit", actor=user, session_id=session_id, kind="roles", roles=merged)
    return review


def start_amendment(db: Session, user: User, session_id: str, sections: WorkingCopy) -> ReviewDraft:
    """Reopen the signed note for an amendment (the signing module supplies `sections`)."""
    review = get_review(db, user, session_id, lock=True)
    if review.phase != SIGNED:
        raise ConflictError(f"nothing to amend: the note is {review.phase}", phase=review.phase)
    review.phase = AMENDING
    review.body = _body(sections)
    review.revision += 1
    review.updated_at = utcnow()
    audit.append(db, "edit", actor=user, session_id=session_id, kind="amendment_started")
    return review


def cancel_amendment(db: Session, user: User, session_id: str) -> ReviewDraft:
    review = get_review(db, user, session_id, lock=True)
    if review.phase != AMENDING:
        raise ConflictError("no amendment is in progress", phase=review.phase)
    review.phase = SIGNED
    review.revision += 1
    review.updated_at = utcnow()
    audit.append(db, "edit", actor=user, session_id=session_id, kind="amendment_cancelled")
    return review


# --- the transcript, with roles applied --------------------------------------------------------
def transcript_view(db: Session, review: ReviewDraft) -> Transcript | None:
    """The transcript with the review's role overrides applied (the stored one is unchanged)."""
    from avt_notes.alignment import apply_role_overrides

    transcript = load_transcript(db, review.session_id)
    overrides = json.loads(review.roles or "{}")
    if transcript is None or not overrides:
        return transcript
    overrides = {k: v for k, v in overrides.items() if k in {s.label for s in transcript.speakers}}
    utterances, speakers = apply_role_overrides(
        transcript.utterances, transcript.speakers, overrides
    )
    return transcript.model_copy(update={"utterances": utterances, "speakers": speakers})


def bounded_playback(reported: float, audio_seconds: float, seconds_open: float) -> float:
    """The page's listening time, believed only as far as it can be true: no more than the
    recording played `REPLAY_FACTOR` times, nor than the time the review has been open."""
    ceiling = min(audio_seconds * REPLAY_FACTOR, seconds_open, MAX_PLAYED_SECONDS)
    return round(min(max(reported, 0.0), ceiling), 3)


def seconds_between(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())
