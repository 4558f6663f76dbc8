"""The risk lexicon and the figurative-language list, loaded from ``prompts/``.

Both are versioned data files a service can audit and extend
(``prompts/risk_lexicon.yaml``, ``prompts/risk/figurative.yaml``); a draft
records the lexicon's version and sha256. Concept ids are fixed (`CONCEPTS`):
the lexicon must define exactly those, so a session file, a benchmark label and
a detected item always speak the same language.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from avt_notes.errors import TemplateError
from avt_notes.risk.sounds import NO_SOUNDALIKES, SoundAlikes, load_soundalikes

RISK_LEXICON_FILE = "risk_lexicon.yaml"
FIGURATIVE_FILE = "risk/figurative.yaml"
SOUNDALIKES_FILE = "risk/soundalikes.yaml"

CONCEPTS = (
    "passive_death_wish",
    "suicidal_ideation",
    "method",
    "plan_preparation",
    "intent",
    "past_attempt",
    "self_harm",
    "harm_to_others",
    "safeguarding_child",
    "adult_at_risk",
    "substance_use",
    "protective_factor",
)


@dataclass(frozen=True)
class Concept:
    key: str
    label: str
    patterns: list[tuple[str, re.Pattern[str]]]
    # All patterns in one: most utterances match none, and one search is cheaper than thirty.
    any_pattern: re.Pattern[str]


@dataclass(frozen=True)
class AnswerRules:
    negative: re.Pattern[str]
    qualifiers: re.Pattern[str]
    positive: re.Pattern[str]
    off_topic_min_words: int
    off_topic_max_similarity: float


@dataclass(frozen=True)
class RiskLexicon:
    version: str
    sha256: str
    path: Path
    concepts: list[Concept]
    cues: re.Pattern[str]
    pseudo: re.Pattern[str] | None
    post_cues: re.Pattern[str] | None
    clause_breaks: re.Pattern[str]
    window: int
    answers: AnswerRules
    figurative: re.Pattern[str]
    figurative_version: str
    soundalikes: SoundAlikes = NO_SOUNDALIKES
    function_words: frozenset[str] = frozenset()
    summary_words: re.Pattern[str] | None = None

    @property
    def labels(self) -> dict[str, str]:
        return {c.key: c.label for c in self.concepts}

    @property
    def categories(self) -> list[Concept]:
        """Old name of `concepts`, kept for callers written before concepts."""
        return self.concepts


def _alternation(words: list[str]) -> str:
    escaped = sorted((re.escape(w) for w in words), key=len, reverse=True)
    return r"(?<![\w'’])(?:" + "|".join(escaped) + r")(?![\w'’])"


def _word_pattern(source: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w]){source}(?![\w])", re.IGNORECASE)


def _starts(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"^\W*(?:" + "|".join(patterns) + ")", re.IGNORECASE)


def load_lexicon(path: Path | None = None) -> RiskLexicon:
    """The risk lexicon from ``prompts/risk_lexicon.yaml`` (or `path`) with the figurative list."""
    from avt_notes.config import get_settings

    path = path or get_settings().drafting.prompts_dir / RISK_LEXICON_FILE
    figurative = path.parent / FIGURATIVE_FILE
    if not path.exists():
        raise TemplateError(f"risk lexicon not found at {path}")
    if not figurative.exists():
        raise TemplateError(f"figurative-language list not found at {figurative}")
    lexicon = _load(
        path.resolve(), path.stat().st_mtime_ns, figurative.resolve(), figurative.stat().st_mtime_ns
    )
    sounds = path.parent / SOUNDALIKES_FILE
    if not sounds.exists():
        return lexicon
    return replace(lexicon, soundalikes=load_soundalikes(sounds))


@lru_cache(maxsize=8)
def _load(path: Path, _mtime: int, figurative_path: Path, _fig_mtime: int) -> RiskLexicon:
    data = path.read_bytes()
    try:
        raw: Any = yaml.safe_load(data)
        figurative: Any = yaml.safe_load(figurative_path.read_bytes())
        negation = raw["negation"]
        child = raw["child_words"]
        concepts = []
        for key, entry in raw["concepts"].items():
            sources = [p.replace("{child}", child) for p in entry["patterns"]]
            concepts.append(
                Concept(
                    key=key,
                    label=entry["label"],
                    patterns=[
                        (p, _word_pattern(e))
                        for p, e in zip(entry["patterns"], sources, strict=True)
                    ],
                    any_pattern=_word_pattern("(?:" + ")|(?:".join(sources) + ")"),
                )
            )
        answers = raw["answers"]
        pseudo = negation.get("pseudo") or []
        post = negation.get("post_cues") or []
        lexicon = RiskLexicon(
            version=str(raw["version"]),
            sha256=hashlib.sha256(data).hexdigest(),
            path=path,
            concepts=concepts,
            cues=re.compile(_alternation(negation["cues"]), re.IGNORECASE),
            pseudo=re.compile(_alternation(pseudo), re.IGNORECASE) if pseudo else None,
            post_cues=re.compile(_alternation(post), re.IGNORECASE) if post else None,
            clause_breaks=re.compile(negation["clause_breaks"], re.IGNORECASE),
            window=int(negation.get("window", 6)),
            answers=AnswerRules(
                negative=_starts(answers["negative"]),
                qualifiers=re.compile("|".join(answers["qualifiers"]), re.IGNORECASE),
                positive=_starts(answers["positive"]),
                off_topic_min_words=int(answers["off_topic_min_words"]),
                off_topic_max_similarity=float(answers["off_topic_max_similarity"]),
            ),
            figurative=re.compile(
                "|".join(f"(?:{p})" for p in figurative["patterns"]).join(
                    [r"(?<![\w])(?:", r")(?![\w])"]
                ),
                re.IGNORECASE,
            ),
            figurative_version=str(figurative["version"]),
            function_words=frozenset(str(w).lower() for w in raw.get("function_words") or []),
            summary_words=re.compile(_alternation(raw["summary_words"]), re.IGNORECASE)
            if raw.get("summary_words")
            else None,
        )
    except (KeyError, TypeError, AttributeError, ValueError, re.error, yaml.YAMLError) as error:
        raise TemplateError(f"risk lexicon {path} is malformed: {error!r}") from error
    unknown = sorted({c.key for c in concepts} ^ set(CONCEPTS))
    if unknown:
        raise TemplateError(f"risk lexicon {path}: concepts differ from the fixed ids: {unknown}")
    return lexicon


def only_function_words(phrase: str, lexicon: RiskLexicon) -> bool:
    """Whether `phrase` holds no word but function words ("down all"): too little to be risk."""
    words = re.findall(r"[\w'’]+", phrase.lower())
    return all(w in lexicon.function_words for w in words)


def figurative_spans(text: str, lexicon: RiskLexicon) -> list[tuple[int, int]]:
    """Spans of `text` that are figures of speech ("this queue is killing me")."""
    return [(m.start(), m.end()) for m in lexicon.figurative.finditer(text) if m.end() > m.start()]


def without_figures(text: str, lexicon: RiskLexicon) -> str:
    """`text` with its figures of speech cut out, for meaning-based matching."""
    return " ".join(lexicon.figurative.sub(" ", text).split())
