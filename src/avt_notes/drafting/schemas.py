"""The typed draft note: what the drafter hands to the clinician (and to the web review).

A draft is data, not prose: sections hold sentences, and every sentence carries
the utterance ids it rests on, how those ids were found, and the grounding
verdict with its reasons. The status is always ``draft`` and the marker text is
fixed by the type, so no code path can produce an unmarked note.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from avt_notes.risk import RiskItem
from avt_notes.schemas import ModelInfo, StageTiming

DRAFT_SCHEMA_VERSION = "1"
DraftMarker = Literal["AI draft — must be reviewed and signed by the clinician"]
DRAFT_MARKER: DraftMarker = "AI draft — must be reviewed and signed by the clinician"

SentenceStatus = Literal["supported", "unsupported"]
EvidenceMethod = Literal["cited", "lexical", "extract", "none"]
VerifyVerdict = Literal["", "yes", "no"]


class DraftSentence(BaseModel):
    text: str
    evidence: list[str] = Field(
        default_factory=list, description="Ids of the utterances the sentence rests on."
    )
    evidence_method: EvidenceMethod = Field(
        "none",
        description=(
            "cited: ids written by the model and confirmed by meaning and word matching; "
            "extract: the utterances the model was asked to restate; lexical: (re)linked by "
            "meaning and word matching; none: no supporting utterance found."
        ),
    )
    status: SentenceStatus = "unsupported"
    reasons: list[str] = Field(default_factory=list, description="Why it is unsupported.")
    model_check: VerifyVerdict = Field(
        "", description="The second model pass: does the evidence support it? ('' = not asked)."
    )


class SetAsideSentence(DraftSentence):
    """A drafted sentence kept out of the note body (see drafting.set_aside), still shown."""

    section: str = Field(description="The section the model wrote it for.")


class NoteSection(BaseModel):
    name: str
    purpose: str = ""
    sentences: list[DraftSentence] = Field(default_factory=list)
    empty_text: str = Field(
        "", description="The template's text for a section nothing was said for."
    )


class DraftNote(BaseModel):
    schema_version: str = DRAFT_SCHEMA_VERSION
    status: Literal["draft"] = "draft"
    marker: DraftMarker = DRAFT_MARKER
    template_id: str
    template_name: str
    template_version: str
    template_file: str
    prompt_sha256: str = Field(description="sha256 of the template file (prompts included).")
    drafting_prompts_sha256: str = Field(
        "", description="sha256 of prompts/drafting.yaml, if used."
    )
    strategy: Literal["note", "compose", "extract"]
    sections: list[NoteSection]
    set_aside: list[SetAsideSentence] = Field(
        default_factory=list,
        description="Sentences no utterance supports, or denials nobody gave: not in the body.",
    )
    risk_items: list[RiskItem] = Field(default_factory=list)
    risk_lexicon_version: str = ""
    risk_lexicon_sha256: str = ""
    grounding_version: str = ""
    model: ModelInfo
    chunks: int = 1
    source: str = Field("", description="The recording or transcript the draft was made from.")
    timings: list[StageTiming] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def section(self, name: str) -> NoteSection:
        for section in self.sections:
            if section.name.casefold() == name.casefold():
                return section
        raise KeyError(name)

    def sentences(self) -> list[DraftSentence]:
        return [sentence for section in self.sections for sentence in section.sentences]

    def plain_text(self, headings: bool = False) -> str:
        """The note's words only: no ids, flags or markers (for metrics and copy-out)."""
        parts: list[str] = []
        for section in self.sections:
            body = " ".join(s.text for s in section.sentences)
            if headings:
                parts.append(f"{section.name}:\n{body}".rstrip())
            elif body:
                parts.append(body)
        return "\n\n".join(parts)
