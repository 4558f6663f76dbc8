"""What the pipeline generated, read the way review needs it: the draft and the transcript.

Stored drafts are read as what the pipeline wrote, `drafting.schemas.DraftNote`;
one that does not validate cannot be reviewed (logged, treated as absent).
Every sentence gets a stable id (``s<section>-<n>``), and the risk items "for
clinician review" become one more section (``r<n>``), worded by
`risk.describe`: the clinician decides about each of them as about an
unsupported sentence.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from avt_notes.drafting.schemas import DraftNote
from avt_notes.risk import describe
from avt_notes.store.tables import DraftRecord, TranscriptRecord

logger = logging.getLogger("avt_notes.store")

RISK_SECTION = "For clinician review"


class DraftSentenceView(BaseModel):
    """A sentence as the model wrote it, with its id and its evidence."""

    id: str
    text: str
    evidence: list[str]
    flagged: Literal["unsupported", "risk"] | None
    reasons: list[str]


class DraftSectionView(BaseModel):
    name: str
    sentences: list[DraftSentenceView]


def draft_sections(source: DraftNote) -> list[DraftSectionView]:
    """The draft's sections with sentence ids, plus the risk items as their own section."""
    sections = [
        DraftSectionView(
            name=section.name,
            sentences=[
                DraftSentenceView(
                    id=f"s{i}-{j}",
                    text=sentence.text,
                    evidence=sentence.evidence,
                    flagged="unsupported" if sentence.status == "unsupported" else None,
                    reasons=sentence.reasons,
                )
                for j, sentence in enumerate(section.sentences)
            ],
        )
        for i, section in enumerate(source.sections)
    ]
    if source.risk_items:
        risk = [
            DraftSentenceView(
                id=f"r{k}",
                text=text,
                evidence=[item.utterance_id]
                + ([item.answer_utterance_id] if item.answer_utterance_id else []),
                flagged="risk",
                reasons=[f"{item.role}: “{item.phrase}”" if item.role else item.phrase],
            )
            for k, (item, text) in enumerate(
                zip(source.risk_items, risk_lines(source), strict=True)
            )
        ]
        sections.append(DraftSectionView(name=RISK_SECTION, sentences=risk))
    return sections


def risk_lines(source: DraftNote | None) -> list[str]:
    """The risk items "for clinician review" as the review shows them."""
    return [describe(item) for item in source.risk_items] if source else []


def flagged_ids(sections: list[DraftSectionView]) -> list[str]:
    return [s.id for section in sections for s in section.sentences if s.flagged]


# --- reading what the pipeline stored ------------------------------------------------------
def latest_draft(db: Session, session_id: str) -> DraftRecord | None:
    return db.scalar(
        select(DraftRecord)
        .where(DraftRecord.session_id == session_id)
        .order_by(DraftRecord.id.desc())
        .limit(1)
    )


def latest_transcript(db: Session, session_id: str) -> TranscriptRecord | None:
    return db.scalar(
        select(TranscriptRecord)
        .where(TranscriptRecord.session_id == session_id)
        .order_by(TranscriptRecord.id.desc())
        .limit(1)
    )


def parse_draft(record: DraftRecord | None) -> DraftNote | None:
    """The stored draft; None if absent or not a `DraftNote`."""
    if record is None:
        return None
    try:
        return DraftNote.model_validate_json(record.body)
    except ValidationError as error:
        logger.warning("draft %d cannot be reviewed: %s", record.id, str(error).splitlines()[0])
        return None


def load_transcript(db: Session, session_id: str) -> Any:
    """The newest stored transcript as `schemas.Transcript`, or None (absent or unreadable)."""
    from avt_notes.schemas import Speaker, Transcript

    record = latest_transcript(db, session_id)
    if record is None:
        return None
    try:
        transcript = Transcript.model_validate_json(record.body)
    except ValidationError as error:
        logger.warning("transcript %d unreadable: %s", record.id, str(error).splitlines()[0])
        return None
    known = {s.label for s in transcript.speakers}
    for utterance in transcript.utterances:  # older or hand-made transcripts may list none
        if utterance.speaker not in known:
            known.add(utterance.speaker)
            transcript.speakers.append(Speaker(label=utterance.speaker, role=utterance.role))
    return transcript
