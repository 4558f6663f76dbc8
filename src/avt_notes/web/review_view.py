"""What the review page receives and sends: request bodies and the review state.

One GET gives the page everything it draws: the draft as generated (with
sentence ids, evidence and flags), the working copy, the transcript with the
review's roles applied and each word's probability (low-confidence words are
marked), the signed versions and, once signed, the stored edit metrics.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from avt_notes.confidence import unsure_words
from avt_notes.config import get_settings
from avt_notes.schemas import Transcript
from avt_notes.store import review, signing
from avt_notes.store.audio_store import AudioStore
from avt_notes.store.generated import DraftSectionView
from avt_notes.store.tables import EDITING, ClinicalSession, ReviewDraft, SignedNote


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SaveIn(Strict):
    revision: int
    sections: list[review.WorkingSection]
    decisions: dict[str, review.Decision] = Field(default_factory=dict)
    audio_seconds_played: float | None = Field(None, ge=0)


class SavedOut(BaseModel):
    revision: int
    phase: str
    updated_at: datetime
    audio_seconds_played: float


class RolesIn(Strict):
    roles: dict[str, str] = Field(description="speaker label -> clinician, patient or other-N")


class SignIn(Strict):
    attest: bool = Field(description="The clinician confirms the attestation text.")
    password: str = Field(min_length=1, max_length=1024)
    reason: str | None = Field(None, max_length=2000, description="Required for amendments.")


class VersionOut(BaseModel):
    note_id: int
    version: int
    signed_at: datetime
    signer_username: str
    signer_name: str
    sha256: str
    amendment_reason: str | None
    text: str
    sections: list[dict[str, Any]]


class ReviewOut(BaseModel):
    session: dict[str, Any]
    phase: str
    revision: int
    updated_at: datetime
    first_viewed_at: datetime
    audio_seconds_played: float
    draft: dict[str, Any]
    working: review.WorkingCopy
    flagged: list[str]
    transcript: dict[str, Any] | None
    roles: dict[str, str]
    versions: list[VersionOut]
    metrics: dict[str, Any] | None
    attestation: str
    low_confidence: float
    # Drafted sentence id -> its words taken from words recognition was unsure of.
    unsure: dict[str, list[str]]


def version_out(note: SignedNote) -> VersionOut:
    return VersionOut(
        note_id=note.id,
        version=note.version,
        signed_at=note.signed_at,
        signer_username=note.signer_username,
        signer_name=note.signer_name,
        sha256=note.content_sha256,
        amendment_reason=note.amendment_reason,
        text=note.text,
        sections=json.loads(note.body),
    )


def _transcript(transcript: Any) -> dict[str, Any] | None:
    if transcript is None:
        return None
    return {
        "speakers": [
            {"label": s.label, "role": s.role, "role_source": s.role_source}
            for s in transcript.speakers
        ],
        "utterances": [
            {
                "id": u.id,
                "start": round(u.start, 3),
                "end": round(u.end, 3),
                "speaker": u.speaker,
                "role": u.role,
                "text": u.text,
                "words": [[w.text, round(w.probability, 3)] for w in u.words],
                # Word index -> what was heard, for words the vocabulary correction rewrote.
                "heard": {str(i): w.heard for i, w in enumerate(u.words) if w.heard},
            }
            for u in transcript.utterances
        ],
    }


def review_state(
    db: Session, session: ClinicalSession, work: ReviewDraft, audio: AudioStore
) -> ReviewOut:
    source = review.source_for(db, work)
    drafted = review.draft_sections(source) if source else []
    metrics = signing.metrics_for(db, session.id)
    transcript = review.transcript_view(db, work)
    threshold = get_settings().decoding.asr_low_probability
    return ReviewOut(
        session={
            "id": session.id,
            "label": session.label,
            "template": session.template,
            "audio_seconds": session.audio_seconds,
            "has_audio": session.audio_deleted_at is None and audio.has_audio(session.id),
            "created_at": session.created_at.isoformat(),
        },
        phase=work.phase,
        revision=work.revision,
        updated_at=work.updated_at,
        first_viewed_at=work.first_viewed_at,
        audio_seconds_played=work.audio_seconds_played,
        draft={
            "available": source is not None,
            "id": work.draft_id,
            "marker": source.marker if source else "",
            "model": source.model.model_dump(mode="json") if source else None,
            "sections": [section.model_dump() for section in drafted],
            # Shown beside the note, never in it: see drafting.set_aside.
            "set_aside": [s.model_dump() for s in source.set_aside] if source else [],
        },
        working=review.read_copy(work),
        flagged=review.flagged_ids(drafted) if work.phase == EDITING else [],
        transcript=_transcript(transcript),
        roles=json.loads(work.roles or "{}"),
        versions=[version_out(note) for note in signing.versions(db, session.id)],
        metrics=signing.metrics_dict(metrics) if metrics else None,
        attestation=signing.ATTESTATION,
        # Words below this probability are marked (threshold from the benchmark).
        low_confidence=threshold,
        unsure=_unsure(drafted, transcript, threshold),
    )


def _unsure(
    drafted: list[DraftSectionView], transcript: Transcript | None, threshold: float
) -> dict[str, list[str]]:
    if transcript is None:
        return {}
    by_id = {u.id: u for u in transcript.utterances}
    found = {
        sentence.id: unsure_words(
            sentence.text, [by_id[i] for i in sentence.evidence if i in by_id], threshold
        )
        for section in drafted
        for sentence in section.sentences
    }
    return {sentence_id: words for sentence_id, words in found.items() if words}
