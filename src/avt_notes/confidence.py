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

from collections.abc import Sequence

from pydantic import BaseModel

from avt_notes.config import Settings
from avt_notes.grounding.words import content_words, stem
from avt_notes.schemas import Transcript, Utterance

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


_PUNCTUATION = ".,;:!?\"'“”‘’()"


def unsure_words(text: str, evidence: Sequence[Utterance], threshold: float) -> list[str]:
    """Words of a draft sentence taken from words its evidence holds below `threshold`.

    A misheard word reads as a fact once it is in a sentence: "The clinician will coil
    the children" rests on "I'll coil them" (0.39, said "call"), "waking up tight" on
    "waking up tight" (0.21, said "at night"). Named in the review, so the clinician
    listens before signing; a word the sentence does not use is no concern of its.
    """
    wanted = {stem(word) for word in content_words(text)}
    unsure: list[str] = []
    for utterance in evidence:
        for word in utterance.words:
            if word.probability >= threshold:
                continue
            as_heard = word.text.strip(_PUNCTUATION)
            if as_heard.lower() in {w.lower() for w in unsure}:
                continue
            if any(stem(token) in wanted for token in content_words(word.text)):
                unsure.append(as_heard)
    return unsure
