"""Fit long sessions into the model's context: chunk by utterance, merge by section.

An hour-long session does not fit a small model's context (and a long context
makes a small model worse). The transcript is cut into runs of whole
utterances whose prompt fits the context minus the fixed prompt text and the
output budget, measured with the backend's own token counter; each chunk is
drafted on its own and the sections are merged in time order. Chunks never
split an utterance, so every id a chunk shows is a real, whole utterance;
only an utterance too long for any chunk is shortened (with a warning).

Merging removes near-identical sentences (a model restates the same fact from
two chunks) by joining their evidence, never by dropping a distinct sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from avt_notes.drafting.backend import Drafter
from avt_notes.drafting.prompting import utterance_line
from avt_notes.drafting.schemas import DraftSentence
from avt_notes.drafting.templates import Template
from avt_notes.errors import DraftingError
from avt_notes.schemas import Utterance

SAFETY_TOKENS = 16
DUPLICATE_SIMILARITY = 92.0
_METHOD_RANK = {"cited": 3, "extract": 2, "lexical": 1, "none": 0}


@dataclass
class Chunk:
    number: int
    utterances: list[Utterance]
    lines: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def transcript_budget(template: Template, drafter: Drafter, max_new_tokens: int) -> int:
    """Tokens left for utterance lines once the longest fixed prompt and the output fit."""
    fixed = max(
        drafter.count_tokens(template.compose_messages(section, "", 99, 99))
        for section in template.sections
    )
    return drafter.context_tokens - fixed - max_new_tokens - SAFETY_TOKENS


def _line_cost(drafter: Drafter, line: str, base: int) -> int:
    return max(1, drafter.count_tokens([{"role": "user", "content": line}]) - base + 1)


def chunk_utterances(utterances: Sequence[Utterance], drafter: Drafter, budget: int) -> list[Chunk]:
    """Greedy runs of whole utterances whose lines cost at most `budget` tokens."""
    if budget < 16:
        raise DraftingError(
            f"the drafter's context ({drafter.context_tokens} tokens) leaves only {budget} "
            "tokens for the transcript; use a model with a longer context or fewer output tokens"
        )
    base = drafter.count_tokens([{"role": "user", "content": ""}])
    chunks: list[Chunk] = []
    current = Chunk(1, [], [])
    used = 0
    for utterance in utterances:
        line = utterance_line(utterance)
        cost = _line_cost(drafter, line, base)
        if cost > budget:
            keep = max(16, int(len(line) * budget / cost) - 8)
            while keep > 16 and _line_cost(drafter, line[:keep] + " …", base) > budget:
                keep = int(keep * 0.9)
            current.warnings.append(
                f"utterance {utterance.id} is longer than the drafter's context allows; "
                f"the model saw only its first {keep} characters"
            )
            line = line[:keep] + " …"
            cost = _line_cost(drafter, line, base)
        if current.lines and used + cost > budget:
            chunks.append(current)
            current = Chunk(len(chunks) + 1, [], [])
            used = 0
        current.utterances.append(utterance)
        current.lines.append(line)
        used += cost
    if current.lines or not chunks:
        chunks.append(current)
    return chunks


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def _same(a: str, b: str) -> bool:
    """Near-identical wording and exactly the same numbers ("3 days" never merges "5 days")."""
    if a == b:
        return True
    return (
        re.findall(r"\d+", a) == re.findall(r"\d+", b) and fuzz.ratio(a, b) >= DUPLICATE_SIMILARITY
    )


def merge_sentences(parts: Sequence[Sequence[DraftSentence]]) -> tuple[list[DraftSentence], int]:
    """Concatenate per-chunk sentences in order; near-duplicates join their evidence.

    Returns the merged list and how many duplicates were folded in.
    """
    merged: list[DraftSentence] = []
    keys: list[str] = []
    folded = 0
    for part in parts:
        for sentence in part:
            key = _key(sentence.text)
            match = next((i for i, k in enumerate(keys) if _same(k, key)), None)
            if match is None:
                merged.append(sentence.model_copy(deep=True))
                keys.append(key)
                continue
            folded += 1
            kept = merged[match]
            kept.evidence = list(dict.fromkeys([*kept.evidence, *sentence.evidence]))
            if _METHOD_RANK[sentence.evidence_method] > _METHOD_RANK[kept.evidence_method]:
                kept.evidence_method = sentence.evidence_method
    return merged, folded
