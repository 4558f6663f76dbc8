"""Risk language for clinician review: a transparent lexicon-and-rules detector.

Why rules and not a model: a clinician must be able to see exactly why an
utterance was listed (the category, the phrase, the pattern), the lexicon is a
versioned data file (``prompts/risk_lexicon.yaml``) a service can audit and
extend, and the same transcript always gives the same list.

What it does: every utterance is matched against each category's patterns
(suicide, self-harm, harm to others, safeguarding of children or adults,
substance misuse). Each match becomes a `RiskItem` with a polarity:

- ``reported``: said without negation ("I've thought about ending it").
- ``denied``: negated in the same clause ("no thoughts of self-harm",
  "denies suicidal ideation", "suicidal thoughts - denied"), or a question
  answered with a negation by the other speaker ("Any thoughts of harming
  yourself?" / "No, never.").
- ``asked``: a question with no clear answer in the next utterance.

Denials are kept, marked as denials, because a clinician records them ("denies
suicidal ideation" is part of the note) and because a wrong negation reading
must stay visible rather than vanish. Phrases that contain a negation but are
not denials ("I don't want to be here anymore", "no longer want to live") are
listed as pseudo-negations in the lexicon.

This module never grades, scores or assesses risk: it only points at the
places in the session a clinician should read.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel

from avt_notes.errors import TemplateError
from avt_notes.schemas import Transcript, Utterance

RISK_LEXICON_FILE = "risk_lexicon.yaml"
REVIEW_NOTICE = (
    "Risk language found in the transcript, for the clinician to review. "
    "This is not a risk assessment."
)

Polarity = Literal["reported", "denied", "asked"]


class RiskItem(BaseModel):
    """One place in the session where risk language occurs."""

    utterance_id: str
    start: float
    end: float
    speaker: str
    role: str
    category: str
    category_label: str
    phrase: str
    pattern: str
    polarity: Polarity
    cue: str = ""
    answer_utterance_id: str | None = None
    text: str


POLARITY_WORDS: dict[str, str] = {
    "reported": "mentioned",
    "denied": "denied",
    "asked": "asked, no clear answer",
}


def describe(item: RiskItem) -> str:
    """How a risk item reads wherever it is shown (note, review, Markdown): one place.

    Category, polarity and the words said, e.g. ``Suicide (denied): “No, never.”``;
    a description, never a grade.
    """
    label = item.category_label or "Risk language"
    quote = " ".join((item.text or item.phrase).split())
    return f"{label} ({POLARITY_WORDS.get(item.polarity, item.polarity)}): “{quote}”"


@dataclass(frozen=True)
class _Category:
    key: str
    label: str
    patterns: list[tuple[str, re.Pattern[str]]]


@dataclass(frozen=True)
class RiskLexicon:
    version: str
    sha256: str
    path: Path
    categories: list[_Category]
    cues: re.Pattern[str]
    pseudo: re.Pattern[str] | None
    post_cues: re.Pattern[str] | None
    clause_breaks: re.Pattern[str]
    window: int
    negative_answer: re.Pattern[str]
    positive_answer: re.Pattern[str]


def _alternation(words: list[str]) -> str:
    escaped = sorted((re.escape(w) for w in words), key=len, reverse=True)
    return r"(?<![\w'’])(?:" + "|".join(escaped) + r")(?![\w'’])"


def load_lexicon(path: Path | None = None) -> RiskLexicon:
    """The risk lexicon from ``prompts/risk_lexicon.yaml`` (or `path`)."""
    if path is None:
        from avt_notes.config import get_settings

        path = get_settings().drafting.prompts_dir / RISK_LEXICON_FILE
    stat = path.stat() if path.exists() else None
    if stat is None:
        raise TemplateError(f"risk lexicon not found at {path}")
    return _load(path.resolve(), stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _load(path: Path, _mtime: int) -> RiskLexicon:
    data = path.read_bytes()
    try:
        raw: Any = yaml.safe_load(data)
        negation = raw["negation"]
        categories = [
            _Category(
                key=key,
                label=entry["label"],
                patterns=[
                    (p, re.compile(rf"(?<![\w]){p}(?![\w])", re.IGNORECASE))
                    for p in entry["patterns"]
                ],
            )
            for key, entry in raw["categories"].items()
        ]
        pseudo = negation.get("pseudo") or []
        post = negation.get("post_cues") or []
        return RiskLexicon(
            version=str(raw["version"]),
            sha256=hashlib.sha256(data).hexdigest(),
            path=path,
            categories=categories,
            cues=re.compile(_alternation(negation["cues"]), re.IGNORECASE),
            pseudo=re.compile(_alternation(pseudo), re.IGNORECASE) if pseudo else None,
            post_cues=re.compile(_alternation(post), re.IGNORECASE) if post else None,
            clause_breaks=re.compile(negation["clause_breaks"], re.IGNORECASE),
            window=int(negation.get("window", 6)),
            negative_answer=re.compile(
                r"^\W*(?:" + "|".join(raw["answers"]["negative"]) + ")", re.IGNORECASE
            ),
            positive_answer=re.compile(
                r"^\W*(?:" + "|".join(raw["answers"]["positive"]) + ")", re.IGNORECASE
            ),
        )
    except (KeyError, TypeError, AttributeError, re.error, yaml.YAMLError) as error:
        raise TemplateError(f"risk lexicon {path} is malformed: {error!r}") from error


def _clause_start(text: str, position: int, lexicon: RiskLexicon) -> int:
    start = 0
    for match in lexicon.clause_breaks.finditer(text, 0, position):
        start = match.end()
    return start


def _clause_end(text: str, position: int, lexicon: RiskLexicon) -> int:
    match = lexicon.clause_breaks.search(text, position)
    return match.start() if match else len(text)


def negation_before(text: str, start: int, end: int, lexicon: RiskLexicon) -> str:
    """The negation cue governing the span [start, end) of `text`, or ''."""
    clause_start = _clause_start(text, start, lexicon)
    window_text = text[clause_start:start]
    pseudo_spans = []
    if lexicon.pseudo is not None:
        # A pseudo-negation may run into the match itself ("don't want to live").
        pseudo_spans = [
            (m.start(), m.end())
            for m in lexicon.pseudo.finditer(text, clause_start, _clause_end(text, end, lexicon))
        ]
    for cue in reversed(list(lexicon.cues.finditer(window_text))):
        absolute = clause_start + cue.start()
        if any(a <= absolute < b for a, b in pseudo_spans):
            continue
        words_between = len(re.findall(r"[\w'’]+", text[clause_start + cue.end() : start]))
        if words_between < lexicon.window:
            return cue.group(0)
    if lexicon.post_cues is not None:
        tail = text[end : _clause_end(text, end, lexicon)]
        post = lexicon.post_cues.search(tail)
        if post:
            return post.group(0)
    return ""


def _is_question(text: str, end: int) -> bool:
    """Whether the sentence holding position `end` ends with a question mark."""
    match = re.search(r"[.!?]", text[end:])
    return bool(match and match.group(0) == "?")


def _answer(
    utterances: list[Utterance], index: int, lexicon: RiskLexicon
) -> tuple[Polarity, Utterance | None]:
    asker = utterances[index].speaker
    for following in utterances[index + 1 : index + 3]:
        if following.speaker == asker:
            continue
        if lexicon.negative_answer.search(following.text):
            return "denied", following
        if lexicon.positive_answer.search(following.text):
            return "reported", following
        return "asked", None
    return "asked", None


def _category_matches(text: str, category: _Category) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, pattern) matches, longer matches winning overlaps."""
    found = [
        (m.start(), m.end(), source)
        for source, pattern in category.patterns
        for m in pattern.finditer(text)
        if m.end() > m.start()
    ]
    found.sort(key=lambda f: (f[0] - f[1], f[0]))
    kept: list[tuple[int, int, str]] = []
    for start, end, source in found:
        if all(end <= a or start >= b for a, b, _ in kept):
            kept.append((start, end, source))
    return sorted(kept)


def detect_risk(transcript: Transcript, lexicon: RiskLexicon | None = None) -> list[RiskItem]:
    """Risk-language items in time order: one per (utterance, category, polarity)."""
    lexicon = lexicon or load_lexicon()
    utterances = transcript.utterances
    items: list[RiskItem] = []
    for index, utterance in enumerate(utterances):
        text = utterance.text
        for category in lexicon.categories:
            groups: dict[tuple[Polarity, str | None], list[tuple[str, str, str]]] = {}
            for start, end, source in _category_matches(text, category):
                cue = negation_before(text, start, end, lexicon)
                polarity: Polarity = "denied" if cue else "reported"
                answer: Utterance | None = None
                if not cue and _is_question(text, end):
                    polarity, answer = _answer(utterances, index, lexicon)
                key = (polarity, answer.id if answer else None)
                groups.setdefault(key, []).append((text[start:end], source, cue))
            for (polarity, answer_id), matches in groups.items():
                items.append(
                    RiskItem(
                        utterance_id=utterance.id,
                        start=utterance.start,
                        end=utterance.end,
                        speaker=utterance.speaker,
                        role=utterance.role,
                        category=category.key,
                        category_label=category.label,
                        phrase="; ".join(m[0] for m in matches),
                        pattern=" | ".join(dict.fromkeys(m[1] for m in matches)),
                        polarity=polarity,
                        cue=next((m[2] for m in matches if m[2]), ""),
                        answer_utterance_id=answer_id,
                        text=text,
                    )
                )
    return items


def detect_in_text(text: str, lexicon: RiskLexicon | None = None) -> list[RiskItem]:
    """Risk items in a single piece of text (a one-utterance transcript); handy for tests."""
    from avt_notes.schemas import AudioInfo

    transcript = Transcript(
        audio=AudioInfo(source="text", duration=0.0, expected_duration=None),
        language="en",
        utterances=[
            Utterance(
                id="u0001",
                start=0.0,
                end=0.0,
                speaker="S",
                role="patient",
                text=text,
                confidence=1.0,
            )
        ],
        speakers=[],
    )
    return detect_risk(transcript, lexicon)
