"""How sure the recogniser was about a transcript: marked words and a session notice.

Accent, noise and distance all show up the same way: more words with low
recogniser probability. The review page marks each word below
`settings.decoding.asr_low_probability`; a session whose share of marked words reaches
`settings.decoding.asr_low_confidence_share` gets a notice on the draft and review
pages so the clinician reviews it more deeply. Both thresholds were picked
from the benchmark's error rate by probability band (benchmarks/decoding.py):
a marked word must be wrong several times as often as an unmarked one.
"""

from __future__ import annotations

from pydantic import BaseModel

from avt_notes.config import Settings
from avt_notes.schemas import Transcript

NOTICE = (
    "Speech recognition was less sure than usual in this session ({share:.0%} of words "
    "marked). Check the draft against the audio, especially the marked words."
)


class TranscriptConfidence(BaseModel):
    words: int
    marked: int  # words below the word threshold
    marked_share: float | None
    mean_probability: float | None
    word_threshold: float
    session_threshold: float
    low: bool  # show the session notice

    @property
    def notice(self) -> str | None:
        return NOTICE.format(share=self.marked_share or 0.0) if self.low else None


def transcript_confidence(transcript: Transcript, settings: Settings) -> TranscriptConfidence:
    """Marked-word counts and whether the session needs the low-confidence notice."""
    d = settings.decoding
    probabilities = [w.probability for u in transcript.utterances for w in u.words]
    marked = sum(1 for p in probabilities if p < d.asr_low_probability)
    share = marked / len(probabilities) if probabilities else None
    return TranscriptConfidence(
        words=len(probabilities),
        marked=marked,
        marked_share=share,
        mean_probability=sum(probabilities) / len(probabilities) if probabilities else None,
        word_threshold=d.asr_low_probability,
        session_threshold=d.asr_low_confidence_share,
        low=share is not None and share >= d.asr_low_confidence_share,
    )
