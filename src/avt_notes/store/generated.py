"""What the pipeline generated, read the way review needs it: the draft and the transcript.

Stored drafts are read tolerantly (the fields review uses, with `DraftNote`'s
defaults), so a draft from an older drafter, or a hand-made one, can still be
reviewed. Every sentence gets a stable id (``s<section>-<n>``), and the risk
items "for clinician review" become one more section (``r<n>``): the clinician
decides about each of them as about an unsupported sentence.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from avt_notes.store.tables import DraftRecord, TranscriptRecord

logger = logging.getLogger("avt_notes.store")

RISK_SECTION = "For clinician review"
_POLARITY = {"reported": "mentioned", "denied": "denied", "asked": "asked, no clear answer"}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SourceSentence(_Loose):
    text: str
    evidence: list[str] = Field(default_factory=list)
    status: str = "unsupported"  # DraftSentence's default: no verdict means not supported
    reasons: list[str] = Field(default_factory=list)


class SourceSection(_Loose):
    name: str
    sentences: list[SourceSentence] = Field(default_factory=list)


class SourceRisk(_Loose):
    utterance_id: str
    start: float = 0.0
    end: float = 0.0
    role: str = ""
    category_label: str = ""
    phrase: str = ""
    polarity: str = "reported"
    answer_utterance_id: str | None = None
    text: str = ""


class SourceDraft(_Loose):
    marker: str = ""
    sections: list[SourceSection] = Field(default_factory=list)
    risk_items: list[SourceRisk] = Field(default_factory=list)
    model: dict[str, Any] | None = None


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


def risk_sentence(item: SourceRisk) -> str:
    """How a risk item reads in the note: category, polarity and the words said."""
    label = item.category_label or "Risk language"
    quote = " ".join((item.text or item.phrase).split())
    return f"{label} ({_POLARITY.get(item.polarity, item.polarity)}): “{quote}”"


def draft_sections(source: SourceDraft) -> list[DraftSectionView]:
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
                text=risk_sentence(item),
                evidence=[item.utterance_id]
                + ([item.answer_utterance_id] if item.answer_utterance_id else []),
                flagged="risk",
                reasons=[f"{item.role}: “{item.phrase}”" if item.role else item.phrase],
            )
            for k, item in enumerate(source.risk_items)
        ]
        sections.append(DraftSectionView(name=RISK_SECTION, sentences=risk))
    return sections


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


def parse_draft(record: DraftRecord | None) -> SourceDraft | None:
    """The stored draft in the shape review needs; None if absent or unreadable."""
    if record is None:
        return None
    try:
        return SourceDraft.model_validate_json(record.body)
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
