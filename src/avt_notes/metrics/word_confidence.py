"""Are low-probability words really wrong more often? Error rate by probability band.

The review page marks words whose recogniser probability is below a
threshold. That mark is only useful if marked words are wrong much more often
than unmarked ones, so the benchmark labels every recognised word right or
wrong against the reference (jiwer alignment on normalised text) and reports
the error rate per probability band and for each candidate threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import jiwer

from avt_notes.metrics.asr import normalise

BAND_EDGES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def word_correctness(reference: str, words: Sequence[str]) -> list[bool | None]:
    """For each recognised word, whether all of its normalised tokens match the reference.

    None for a word that normalises to nothing (punctuation, a filler,
    "[unclear]"): WER does not score it either.
    """
    pieces = [normalise(w).split() for w in words]
    hypothesis = [token for piece in pieces for token in piece]
    ref = normalise(reference).split()
    if not hypothesis:
        return [None] * len(words)
    if not ref:
        return [False if piece else None for piece in pieces]
    right = [False] * len(hypothesis)
    alignment = jiwer.process_words(" ".join(ref), " ".join(hypothesis))
    for chunk in alignment.alignments[0]:
        if chunk.type == "equal":
            for index in range(chunk.hyp_start_idx, chunk.hyp_end_idx):
                right[index] = True
    out: list[bool | None] = []
    position = 0
    for piece in pieces:
        out.append(all(right[position : position + len(piece)]) if piece else None)
        position += len(piece)
    return out


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    words: int
    wrong: int

    @property
    def error_rate(self) -> float | None:
        return self.wrong / self.words if self.words else None


def error_by_band(
    scored: Sequence[tuple[float, bool]], edges: Sequence[float] = BAND_EDGES
) -> list[Band]:
    """Words (probability, right) counted per band [low, high); the last band includes 1."""
    bands = []
    for index, (low, high) in enumerate(pairwise(edges)):
        last = index == len(edges) - 2
        inside = [ok for p, ok in scored if low <= p < high or (last and p == high)]
        bands.append(Band(low, high, len(inside), sum(1 for ok in inside if not ok)))
    return bands


@dataclass(frozen=True)
class ThresholdSplit:
    threshold: float
    marked: int
    marked_error: float | None
    unmarked_error: float | None

    @property
    def ratio(self) -> float | None:
        if self.marked_error is None or not self.unmarked_error:
            return None
        return self.marked_error / self.unmarked_error


def split_at(scored: Sequence[tuple[float, bool]], threshold: float) -> ThresholdSplit:
    """Error rate of words marked (probability < threshold) and of the rest."""
    marked = [ok for p, ok in scored if p < threshold]
    rest = [ok for p, ok in scored if p >= threshold]

    def rate(group: list[bool]) -> float | None:
        return sum(1 for ok in group if not ok) / len(group) if group else None

    return ThresholdSplit(threshold, len(marked), rate(marked), rate(rest))
