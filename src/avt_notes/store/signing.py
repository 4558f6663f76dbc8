"""Signing: the clinician takes responsibility, the text is frozen, the edits are measured.

A signature needs the attestation and the account password typed again, and
(for the first version) a decision on every flagged sentence. The signed text
is stored with the signer, the time and its SHA-256; the database refuses to
update or delete it (triggers from migration 0002). A later change is an
amendment: a new version with a reason, pointing at the one it supersedes.

At the first signature the edit metrics (`avt_notes.editing`) between the
draft as generated and the signed text are stored in `signoff_metrics`, with
the review time, the audio listened to and what happened to each flag: the
record the automation-bias analytics read (`signed_note_records`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from avt_notes.editing import NoteEdit, normalise_space, note_edit, sentences_changed_share
from avt_notes.errors import InputError
from avt_notes.store import accounts, audit, review
from avt_notes.store.errors import (
    ConflictError,
    NotFoundError,
    WrongPasswordError,
)
from avt_notes.store.recordings import get_owned
from avt_notes.store.tables import (
    AMENDING,
    EDITING,
    SIGNED,
    ClinicalSession,
    SignedNote,
    SignoffMetrics,
    User,
    utcnow,
)
from avt_notes.store.text_rules import single_line

MAX_REASON = 2000

ATTESTATION = "I have reviewed this note against the session and take responsibility for it."
Outcome = Literal["kept", "edited", "removed"]


class FlagOutcome(BaseModel):
    """What the clinician decided about one flagged sentence, and what the text shows."""

    id: str
    kind: Literal["unsupported", "risk"]
    decision: str
    outcome: Outcome
    draft_text: str


# --- reading signed versions ---------------------------------------------------------------------
def versions(db: Session, session_id: str) -> list[SignedNote]:
    """Every signed version of a session's note, oldest first."""
    return list(
        db.scalars(
            select(SignedNote)
            .where(SignedNote.session_id == session_id)
            .order_by(SignedNote.version)
        )
    )


def latest(db: Session, session_id: str) -> SignedNote | None:
    return db.scalar(
        select(SignedNote)
        .where(SignedNote.session_id == session_id)
        .order_by(SignedNote.version.desc())
        .limit(1)
    )


def owned_version(
    db: Session, user: User, session_id: str, version: int | None = None
) -> tuple[ClinicalSession, SignedNote, bool]:
    """(session, the requested or latest version, whether it is the latest); 409 if unsigned."""
    session = get_owned(db, user, session_id)
    notes = versions(db, session_id)
    if not notes:
        raise ConflictError("the note is not signed yet; nothing can be exported before signing")
    if version is None:
        return session, notes[-1], True
    for note in notes:
        if note.version == version:
            return session, note, note is notes[-1]
    raise NotFoundError(f"no signed version {version} of this note")


def sections_of(note: SignedNote) -> list[tuple[str, list[str]]]:
    """[(section name, [sentence, ...]), ...] of a signed version."""
    return [
        (section["name"], [s["text"] for s in section["sentences"]])
        for section in json.loads(note.body)
    ]


def metrics_for(db: Session, session_id: str) -> SignoffMetrics | None:
    return db.scalar(select(SignoffMetrics).where(SignoffMetrics.session_id == session_id))


def has_signed_note(db: Session, session_id: str) -> bool:
    count = db.scalar(select(func.count()).where(SignedNote.session_id == session_id))
    return bool(count)


def refuse_if_signed(db: Session, session_id: str) -> None:
    """A signed note is part of the clinical record: its session cannot be deleted."""
    if has_signed_note(db, session_id):
        raise ConflictError(
            "this session holds a signed note, which is part of the clinical record and "
            "cannot be deleted"
        )


# --- signing -------------------------------------------------------------------------------------
def render_text(sections: list[tuple[str, list[str]]]) -> str:
    """The signed text: each non-empty section as its name, then its sentences on one line."""
    blocks = [f"{name}\n{' '.join(sentences)}" for name, sentences in sections if sentences]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _outcomes(
    copy: review.WorkingCopy, drafted: list[review.DraftSectionView]
) -> list[FlagOutcome]:
    live = {s.id: s.text for _name, kept in copy.live_sections() for s in kept}
    outcomes = []
    for section in drafted:
        for sentence in section.sentences:
            if not sentence.flagged:
                continue
            decision = copy.decisions.get(sentence.id, "")
            if sentence.id not in live:
                outcome: Outcome = "removed"
            elif normalise_space(live[sentence.id]) != normalise_space(sentence.text):
                outcome = "edited"
            else:
                outcome = "kept"
            outcomes.append(
                FlagOutcome(
                    id=sentence.id,
                    kind=sentence.flagged,
                    decision=decision,
                    outcome=outcome,
                    draft_text=sentence.text,
                )
            )
    return outcomes


def _check_password(db: Session, user: User, session_id: str, password: str) -> None:
    fresh = db.get(User, user.id)
    if fresh is None or not accounts.check_password(db, fresh, password):
        audit.append(db, "sign_refused", actor=user, session_id=session_id, reason="password")
        db.commit()
        raise WrongPasswordError("the password is not correct; the note was not signed")


def sign(
    db: Session,
    user: User,
    session_id: str,
    *,
    attested: bool,
    password: str,
    reason: str | None = None,
) -> SignedNote:
    """Sign the working copy: version 1, or an amendment while amending (the caller commits)."""
    work = review.get_review(db, user, session_id, lock=True)
    if work.phase not in (EDITING, AMENDING):
        raise ConflictError(
            "this note is already signed; start an amendment to change it", phase=work.phase
        )
    if not attested:
        raise InputError(f"confirm the attestation to sign: “{ATTESTATION}”")
    amending = work.phase == AMENDING
    reason = single_line(reason or "", "amendment reason", MAX_REASON)
    if amending and not reason:
        raise InputError("an amendment needs a reason")
    _check_password(db, user, session_id, password)

    copy = review.read_copy(work)
    source = review.source_for(db, work)
    drafted = review.draft_sections(source) if source else []
    if not amending:
        missing = [i for i in review.flagged_ids(drafted) if i not in copy.decisions]
        if missing:
            raise ConflictError(
                f"{len(missing)} flagged sentence(s) need a decision (keep, edit or remove) "
                "before signing",
                unresolved=missing,
            )
    live = copy.live_sections()
    signed_sections = [(name, [" ".join(s.text.split()) for s in kept]) for name, kept in live]
    text = render_text(signed_sections)
    if not text:
        raise InputError("the note is empty; there is nothing to sign")

    previous = latest(db, session_id)
    if amending and previous is not None:
        before = [(name, " ".join(s)) for name, s in sections_of(previous)]
    else:
        before = [(sec.name, " ".join(s.text for s in sec.sentences)) for sec in drafted]
    edits = note_edit(before, [(name, " ".join(s)) for name, s in signed_sections])
    now = utcnow()
    note = SignedNote(
        session_id=session_id,
        version=(previous.version + 1) if previous else 1,
        supersedes_id=previous.id if previous else None,
        draft_id=work.draft_id,
        template=get_owned(db, user, session_id).template,
        body=audit.canonical_json(
            [
                {
                    "name": name,
                    "sentences": [{"id": s.id, "text": " ".join(s.text.split())} for s in kept],
                }
                for name, kept in live
            ]
        ),
        text=text,
        content_sha256=hashlib.sha256(text.encode()).hexdigest(),
        signer_id=user.id,
        signer_username=user.username,
        signer_name=user.display_name or user.username,
        signed_at=now,
        attestation=ATTESTATION,
        amendment_reason=reason if amending else None,
        edits=edits.model_dump_json(),
    )
    db.add(note)
    db.flush()
    detail: dict[str, Any] = {
        "version": note.version,
        "note_id": note.id,
        "sha256": note.content_sha256,
        "normalised_edit_distance": round(edits.note.normalised_edit_distance, 4),
    }
    if amending:
        detail["reason"] = reason[:500]
        detail["supersedes"] = note.supersedes_id
    else:
        outcomes = _outcomes(copy, drafted)
        row = _metrics_row(note, user, work, edits, outcomes)
        _add_group_metrics(db, user, row, drafted, live)
        db.add(row)
        detail["flagged"] = len(outcomes)
    work.phase = SIGNED
    work.revision += 1
    work.updated_at = now
    audit.append(db, "amend" if amending else "sign", actor=user, session_id=session_id, **detail)
    return note


def _add_group_metrics(
    db: Session, user: User, row: SignoffMetrics, drafted: Any, live: Any
) -> None:
    """Language group (from consent), transcript confidence and sentences changed."""
    from avt_notes.store.generated import load_transcript

    consent = get_owned(db, user, row.session_id).consent
    row.accent_group = consent.patient_language_group if consent else None
    transcript = load_transcript(db, row.session_id)
    probabilities = (
        [w.probability for u in transcript.utterances for w in u.words] if transcript else []
    )
    row.transcript_confidence = (
        round(sum(probabilities) / len(probabilities), 4) if probabilities else None
    )
    row.sentences_changed_share = sentences_changed_share(
        [(s.id, s.text) for section in drafted for s in section.sentences],
        [(s.id, s.text) for _name, kept in live for s in kept],
    )


def _metrics_row(
    note: SignedNote,
    user: User,
    work: Any,
    edits: NoteEdit,
    outcomes: list[FlagOutcome],
) -> SignoffMetrics:
    overall = edits.note
    return SignoffMetrics(
        note_id=note.id,
        session_id=note.session_id,
        clinician=user.username,
        clinician_id=user.id,
        template=note.template,
        signed_at=note.signed_at,
        draft_chars=overall.draft_chars,
        signed_chars=overall.signed_chars,
        char_distance=overall.char_distance,
        normalised_edit_distance=overall.normalised_edit_distance,
        word_distance=overall.word_distance,
        words_inserted=overall.words_inserted,
        words_deleted=overall.words_deleted,
        words_substituted=overall.words_substituted,
        signed_unchanged=overall.unchanged,
        review_seconds=review.seconds_between(work.first_viewed_at, note.signed_at),
        audio_seconds_played=round(work.audio_seconds_played, 3),
        flagged_total=len(outcomes),
        flagged_kept_unedited=sum(o.outcome == "kept" for o in outcomes),
        flagged_edited=sum(o.outcome == "edited" for o in outcomes),
        flagged_removed=sum(o.outcome == "removed" for o in outcomes),
        sections=json.dumps([s.model_dump() for s in edits.sections]),
        decisions=json.dumps([o.model_dump() for o in outcomes]),
    )


def start_amendment(db: Session, user: User, session_id: str) -> Any:
    """Reopen the latest signed version as the working copy (audited by `review`)."""
    note = latest(db, session_id)
    if note is None:
        get_owned(db, user, session_id)
        raise ConflictError("nothing to amend: the note is not signed yet")
    copy = review.WorkingCopy(
        sections=[
            review.WorkingSection(
                name=section["name"],
                sentences=[review.WorkingSentence(**s) for s in section["sentences"]],
            )
            for section in json.loads(note.body)
        ]
    )
    return review.start_amendment(db, user, session_id, copy)


def document(db: Session, session: ClinicalSession, note: SignedNote, is_latest: bool) -> Any:
    """The signed version as `export.SignedDocument` (what every export format renders)."""
    from avt_notes.export import SignedDocument
    from avt_notes.export.document import SignedSection

    supersedes = db.get(SignedNote, note.supersedes_id) if note.supersedes_id else None
    return SignedDocument(
        note_id=note.id,
        session_id=session.id,
        session_label=session.label,
        session_date=session.finished_at or session.created_at,
        template=note.template,
        version=note.version,
        is_latest=is_latest,
        supersedes_version=supersedes.version if supersedes else None,
        amendment_reason=note.amendment_reason,
        sections=[SignedSection(name=n, sentences=s) for n, s in sections_of(note)],
        text=note.text,
        content_sha256=note.content_sha256,
        signer_username=note.signer_username,
        signer_name=note.signer_name,
        signed_at=note.signed_at,
        attestation=note.attestation,
    )


# --- for the automation-bias analytics -----------------------------------------------------------
RECORD_FIELDS = (
    "note_id",
    "clinician",
    "template",
    "accent_group",
    "signed_at",
    "draft_chars",
    "signed_chars",
    "normalised_edit_distance",
    "signed_unchanged",
    "review_seconds",
    "audio_seconds_played",
    "flagged_total",
    "flagged_kept_unedited",
    "flagged_edited",
    "flagged_removed",
    "transcript_confidence",
    "sentences_changed_share",
)


def metrics_dict(row: SignoffMetrics) -> dict[str, Any]:
    """Every stored metric of one signed note, JSON-ready (details decoded)."""
    out: dict[str, Any] = {
        column.name: getattr(row, column.name) for column in SignoffMetrics.__table__.columns
    }
    out["signed_at"] = row.signed_at.isoformat()
    out["sections"] = json.loads(row.sections)
    out["decisions"] = json.loads(row.decisions)
    return out


def signed_note_records(db: Session) -> list[dict[str, Any]]:
    """One record per signed note, in signing order, with the fields
    `bench.automation_bias.SignedNoteRecord` reads (`signed_at` a UTC datetime)."""
    rows = db.scalars(select(SignoffMetrics).order_by(SignoffMetrics.signed_at))
    return [{name: getattr(row, name) for name in RECORD_FIELDS} for row in rows]
