"""Typed models that cross stage boundaries (files, HTTP, between modules).

Times are seconds from the start of the recording. Everything here is plain
data: no I/O, no models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = "1"

CLINICIAN = "clinician"
PATIENT = "patient"


class Word(BaseModel):
    text: str
    start: float
    end: float
    probability: float = Field(ge=0.0, le=1.0)
    heard: str | None = Field(
        None,
        description="What the recogniser wrote when `text` is a clinical-vocabulary "
        "correction of it (clinical_vocabulary.py); None when `text` is as recognised.",
    )


class SpeakerTurn(BaseModel):
    """A stretch of time in which one diarised speaker talks (turns may overlap)."""

    speaker: str
    start: float
    end: float


class Utterance(BaseModel):
    id: str = Field(description="Stable id, 'u0001', 'u0002', ... in time order.")
    start: float
    end: float
    speaker: str
    role: str
    text: str
    confidence: float = Field(description="Mean word probability.")
    words: list[Word] = Field(default_factory=list)


class Speaker(BaseModel):
    label: str = Field(description="Diarisation label, e.g. SPEAKER_00.")
    role: str = Field(description="clinician, patient or other-N.")
    talk_seconds: float = 0.0
    role_source: Literal["heuristic", "enrolment", "override", "channel"] = "heuristic"
    enrolment_similarity: float | None = None


class ModelInfo(BaseModel):
    stage: str
    name: str
    version: str = ""
    source: str = Field("", description="Where the weights came from.")


class AudioInfo(BaseModel):
    source: str = Field(description="File name (not the full path) of the input.")
    container: str = ""
    codec: str = ""
    original_sample_rate: int = 0
    channels: int = 1
    duration: float = Field(description="Seconds decoded (16 kHz mono).")
    expected_duration: float | None = Field(
        None, description="Seconds the header promised, when it said."
    )
    truncated: bool = False


class StageTiming(BaseModel):
    stage: str
    seconds: float


class Transcript(BaseModel):
    schema_version: str = SCHEMA_VERSION
    audio: AudioInfo
    language: str
    utterances: list[Utterance]
    speakers: list[Speaker]
    turns: list[SpeakerTurn] = Field(default_factory=list, description="Diarisation output.")
    models: list[ModelInfo] = Field(default_factory=list)
    timings: list[StageTiming] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def utterance(self, utterance_id: str) -> Utterance:
        for utterance in self.utterances:
            if utterance.id == utterance_id:
                return utterance
        raise KeyError(utterance_id)

    def role_of(self, speaker: str) -> str:
        for entry in self.speakers:
            if entry.label == speaker:
                return entry.role
        return speaker
