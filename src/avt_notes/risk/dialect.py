"""Dialect and informal spellings read in standard English before risk language is matched.

"Ah tried tae jump aff the bridge" and "Mi use a razor pon mi thighs" hold
disclosures that the lexicon's patterns and the exemplar bank, both written in
standard English, missed for their spelling alone. `standard_reading` gives
the text the matching sees and what it read ("tae → to"); the review list still
quotes the patient's own words. Words and rules: ``prompts/risk/dialect.yaml``.
Pure functions; the list is loaded once per file version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avt_notes.risk.word_list import load_word_list


@dataclass(frozen=True)
class Dialect:
    version: str
    words: dict[str, str]  # lower-case word (or words) -> standard reading
    any_word: re.Pattern[str] | None
    rules: tuple[tuple[re.Pattern[str], str], ...]
    # Applied before everything and never named in the list: hesitations and repeated
    # words of spontaneous speech ("and, like, what hurts the least", "I, I've been").
    disfluencies: tuple[tuple[re.Pattern[str], str], ...] = ()


NO_DIALECT = Dialect(version="", words={}, any_word=None, rules=())


@dataclass(frozen=True)
class Reading:
    """The text as matched, and each dialect word read ("tae → to"), in order."""

    text: str
    read: tuple[str, ...]


def _cased(word: str, reading: str) -> str:
    return reading[:1].upper() + reading[1:] if word[:1].isupper() else reading


def standard_reading(text: str, dialect: Dialect) -> Reading:
    """`text` with its dialect words in standard English (`text` itself if it holds none)."""
    if dialect.any_word is None and not dialect.rules and not dialect.disfluencies:
        return Reading(text, ())
    read: list[str] = []
    fluent = text
    for pattern, replacement in dialect.disfluencies:
        fluent = pattern.sub(replacement, fluent)

    def word(match: re.Match[str]) -> str:
        said = match.group(0)
        reading = dialect.words[said.lower().replace("’", "'")]
        read.append(f"{said} → {reading}")
        return _cased(said, reading)

    # Rules first: their context may be a dialect word ("mi nuh want" is "I nuh want").
    out = fluent
    for pattern, replacement in dialect.rules:

        def rule(match: re.Match[str], replacement: str = replacement) -> str:
            said = match.group(0)
            reading = match.expand(replacement)
            read.append(f"{said.strip()} → {reading.strip()}")
            return _cased(said, reading)

        out = pattern.sub(rule, out)
    out = dialect.any_word.sub(word, out) if dialect.any_word else out
    return Reading(out, tuple(dict.fromkeys(read)))


def load_dialect(path: Path) -> Dialect:
    """The dialect list at `path` (``prompts/risk/dialect.yaml``)."""
    return load_word_list(path, "dialect list", _dialect)


def _dialect(raw: Any) -> Dialect:
    words = {str(k).lower(): str(v) for k, v in (raw.get("words") or {}).items()}
    # Longest first, so "ah'm" is read before any shorter word inside it; a hyphen or
    # apostrophe next to a word makes it part of another ("wi-fi", "di's").
    spelled = sorted((re.escape(w).replace("'", "['’]") for w in words), key=len, reverse=True)
    any_word = (
        re.compile(r"(?<![\w'’-])(?:" + "|".join(spelled) + r")(?![\w'’-])", re.IGNORECASE)
        if spelled
        else None
    )
    return Dialect(
        version=str(raw["version"]),
        words=words,
        any_word=any_word,
        rules=_rules(raw.get("rules")),
        disfluencies=_rules(raw.get("disfluencies")),
    )


def _rules(raw: Any) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple(
        (re.compile(str(pattern), re.IGNORECASE), str(replacement))
        for pattern, replacement in raw or []
    )
