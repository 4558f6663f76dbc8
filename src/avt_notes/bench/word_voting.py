"""Word-by-word voting between recognisers (ROVER, Fiscus 1997), with word probabilities.

Two Whisper models make different mistakes on hard speech: where they
disagree, the word one of them is surer of is more often right. The
hypotheses are aligned into slots (edit distance on normalised words, the
first hypothesis as the skeleton); in each slot every candidate word, and
"no word", gets `weight * votes / systems + (1 - weight) * confidence`, and
the best one is kept. A kept word's probability is the mean over all systems
(0 for a system that heard no word there), so a word only one model heard is
marked for review.

A benchmark tool (benchmarks/combine.py), not a recognition stage: Whisper base
+ tiny.en lowered WER on real L2 speech with a 10 s window (0.93x), but with
Whisper's own 30 s window, the default, not measurably (README, accents).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from avt_notes.schemas import Word

_NOT_WORD = re.compile(r"[^\w']+")


def _key(text: str) -> str:
    """What two systems must agree on: the word without case and punctuation."""
    return _NOT_WORD.sub("", text.lower())


@dataclass(frozen=True)
class Voting:
    """ROVER's two parameters (tuned on speaker-disjoint dev clips: benchmarks/combine.py)."""

    weight: float = 0.5  # share of the score from votes; the rest from probability
    # The probability "no word here" is given. 0.9 was best of 0.3-1.0 on the dev
    # speakers with Whisper base + tiny.en: a word only one of two models heard is
    # kept only when that model is very sure of it.
    no_word_confidence: float = 0.9


# A slot: for each system, the word it put there (None: no word).
_Slot = list[Word | None]


def _align(slots: list[_Slot], words: Sequence[Word], systems: int) -> list[_Slot]:
    """Add one more system's words to the slots by minimum edit distance."""
    keys = [{_key(w.text) for w in slot if w is not None} for slot in slots]
    n, m = len(slots), len(words)
    # cost[i][j]: aligning the first i slots with the first j words.
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = i
    for j in range(1, m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            same = 0 if _key(words[j - 1].text) in keys[i - 1] else 1
            cost[i][j] = min(cost[i - 1][j - 1] + same, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    out: list[_Slot] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0:
            same = 0 if _key(words[j - 1].text) in keys[i - 1] else 1
            if cost[i][j] == cost[i - 1][j - 1] + same:
                out.append([*slots[i - 1], words[j - 1]])
                i, j = i - 1, j - 1
                continue
        if i > 0 and cost[i][j] == cost[i - 1][j] + 1:
            out.append([*slots[i - 1], None])
            i -= 1
        else:
            out.append([*([None] * (systems - 1)), words[j - 1]])
            j -= 1
    out.reverse()
    return out


def _choose(slot: _Slot, voting: Voting) -> Word | None:
    systems = len(slot)
    candidates: dict[str, list[Word]] = {}
    for word in slot:
        if word is not None:
            candidates.setdefault(_key(word.text), []).append(word)
    silent = sum(word is None for word in slot)
    best_score = (
        voting.weight * silent / systems + (1 - voting.weight) * voting.no_word_confidence
        if silent
        else -1.0
    )
    best: list[Word] | None = None
    for found in candidates.values():
        confidence = sum(w.probability for w in found) / len(found)
        score = voting.weight * len(found) / systems + (1 - voting.weight) * confidence
        if score > best_score:
            best_score, best = score, found
    if best is None:
        return None
    surest = max(best, key=lambda w: w.probability)
    probability = sum(w.probability for w in best) / systems
    return surest.model_copy(update={"probability": round(probability, 4)})


def _cuts(hypotheses: Sequence[Sequence[Word]], every: float) -> list[float]:
    """Times no system's word spans, about `every` seconds apart.

    Alignment is quadratic in words: a long session is aligned piece by piece,
    cut only where every system is silent, so no word is split between pieces.
    """
    spans = sorted((w.start, w.end) for words in hypotheses for w in words)
    if not spans:
        return []
    cuts: list[float] = []
    last, covered = spans[0][0], spans[0][1]
    for start, end in spans[1:]:
        if start > covered and (middle := (covered + start) / 2) - last >= every:
            cuts.append(middle)
            last = middle
        covered = max(covered, end)
    return cuts


def combine(
    hypotheses: Sequence[Sequence[Word]],
    voting: Voting | None = None,
    *,
    piece_seconds: float = 30.0,
) -> list[Word]:
    """One word sequence from several systems' words for the same audio (first = skeleton)."""
    voting = voting or Voting()
    if not hypotheses:
        return []
    bounds = [-math.inf, *_cuts(hypotheses, piece_seconds), math.inf]
    out: list[Word] = []
    for low, high in pairwise(bounds):
        pieces = [[w for w in words if low <= w.start < high] for words in hypotheses]
        slots: list[_Slot] = [[w] for w in pieces[0]]
        for index, words in enumerate(pieces[1:], start=2):
            slots = _align(slots, words, index)
        out.extend(w for slot in slots if (w := _choose(slot, voting)) is not None)
    return out
