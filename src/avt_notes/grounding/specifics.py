"""The concrete facts a text states: numbers with units, drugs, dates, names, people, findings.

Pure functions over text and the lexicon; `facts` gives comparable keys
("number 15", "drug sertraline") that coverage and redundancy compare.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from avt_notes.grounding.lexicon import GroundingLexicon
from avt_notes.grounding.words import (
    DATE_WORDS,
    MONTHS,
    MULTIPLIERS,
    NUMBER_WORDS,
    ORDINAL_WORDS,
    TIMES_WORDS,
    WEEKDAYS,
    tokens,
)

_CAPITALISED = re.compile(r"(?<![\w'’-])([A-Z][a-z]+(?:['’-][A-Za-z]+)*|[A-Z]{2,}s?)(?![\w'’-])")


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str | None
    text: str


def quantities(text: str, lexicon: GroundingLexicon, *, cited: bool = False) -> list[Quantity]:
    """Numbers (digits or words) with the unit that follows them, if any.

    In cited text, ordinal words and 'a'/'an' before a unit ("a week") count too.
    """
    words = tokens(text)
    out: list[Quantity] = []
    i = 0
    while i < len(words):
        word = words[i]
        value: float | None = None
        start = i
        if re.fullmatch(r"\d+(?:[.,]\d+)*", word):
            value = _parse_digits(word)
            i += 1
        elif word in NUMBER_WORDS or (word in MULTIPLIERS and cited):
            total, current = 0.0, 0.0
            while i < len(words) and (
                words[i] in NUMBER_WORDS or words[i] in MULTIPLIERS or words[i] == "and"
            ):
                if words[i] == "and":
                    if i + 1 < len(words) and words[i + 1] in NUMBER_WORDS and (current or total):
                        i += 1
                        continue
                    break
                if words[i] in MULTIPLIERS:
                    current = max(current, 1.0) * MULTIPLIERS[words[i]]
                    if MULTIPLIERS[words[i]] >= 1000:
                        total, current = total + current, 0.0
                else:
                    number = NUMBER_WORDS[words[i]]
                    # "twenty five" and "hundred and five" combine; "six seven" does not.
                    if current and not (
                        (number < 10 and current % 10 == 0 and current % 100 >= 20)
                        or (number < 100 and current % 100 == 0)
                    ):
                        break
                    current += number
                i += 1
            value = total + current
        elif word in TIMES_WORDS:
            out.append(Quantity(TIMES_WORDS[word], "time", word))
            i += 1
            continue
        elif cited and word in ORDINAL_WORDS:
            value = ORDINAL_WORDS[word]
            i += 1
        elif word in {"a", "an"} and i + 1 < len(words) and words[i + 1] in lexicon.units:
            i += 1
            if not cited:
                continue  # "a day" in a sentence is a frequency, not a claimed number
            value = 1.0
        else:
            i += 1
            continue
        unit = None
        if i < len(words) and words[i] in lexicon.units:
            unit = lexicon.units[words[i]]
            i += 1
        elif i + 1 < len(words) and words[i] in {"st", "nd", "rd", "th"}:
            i += 1
        if word == "one" and i - start == 1 and not cited:
            continue  # "no one", "the one": a pronoun, not a count
        out.append(Quantity(value, unit, " ".join(words[start:i])))
    return out


def _parse_digits(word: str) -> float:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", word):
        return float(word.replace(",", ""))
    return float(word.replace(",", "."))


def number_values(text: str, lexicon: GroundingLexicon) -> set[float]:
    return {q.value for q in quantities(text, lexicon, cited=True)}


def drug_names(text: str, lexicon: GroundingLexicon) -> list[tuple[str, str]]:
    """(as written, generic name) for each drug named in `text`."""
    return [
        (m.group(0), lexicon.drugs[m.group(0).lower()]) for m in lexicon.drug_pattern.finditer(text)
    ]


def names(text: str, lexicon: GroundingLexicon) -> list[str]:
    """Capitalised words that look like names of people or places, and acronyms."""
    out = []
    for match in _CAPITALISED.finditer(text):
        word = match.group(1)
        before = text[: match.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:;\n\"'(-—•*"
        lowered = word.lower().replace("’", "'")
        if lowered in lexicon.not_names or lowered in MONTHS or lowered in WEEKDAYS:
            continue
        if lowered in lexicon.drugs or (sentence_start and not word.isupper()):
            continue
        out.append(word)
    return out


def has_negation(text: str, lexicon: GroundingLexicon) -> str:
    """The first negation cue in `text`, or ''."""
    lowered = text.lower().replace("’", "'")
    for word in tokens(lowered):
        if word in lexicon.negation_cues or word.endswith("n't"):
            return word
    for cue in lexicon.negation_cues:
        if " " in cue and cue in lowered:
            return cue
    return ""


def _groups_in(text: str, pattern: re.Pattern[str] | None, groups: Mapping[str, str]) -> set[str]:
    if pattern is None:
        return set()
    return {groups[m.group(0).lower()] for m in pattern.finditer(text)}


def time_words_in(text: str, lexicon: GroundingLexicon) -> set[str]:
    """Time word groups said in `text` ("today", "next week")."""
    return _groups_in(text, lexicon.time_pattern, lexicon.time_words)


def people_in(text: str, lexicon: GroundingLexicon) -> set[str]:
    """Third parties named in `text` (sister, partner, GP), by group."""
    return _groups_in(text, lexicon.people_pattern, lexicon.people)


def findings_in(text: str, lexicon: GroundingLexicon) -> set[str]:
    """Symptoms and findings named in `text`, by group."""
    return {lexicon.findings[m.group(0).lower()] for m in lexicon.finding_pattern.finditer(text)}


def facts(
    text: str, lexicon: GroundingLexicon, actions: Mapping[str, Sequence[str]] | None = None
) -> set[str]:
    """The concrete facts `text` states, as comparable keys ("number 15", "drug sertraline").

    Numbers, drugs, days and months, time words, third parties, names, findings,
    and, if given, actions (name -> spellings: "refer" -> referral, referred).
    """
    lowered = text.lower()
    found = {f"number {q.value:g}" for q in quantities(text, lexicon)}
    found |= {f"drug {generic}" for _, generic in drug_names(text, lexicon)}
    found |= {f"day {singular_day(w)}" for w in tokens(text) if singular_day(w) in DATE_WORDS}
    found |= {f"time {group}" for group in time_words_in(text, lexicon)}
    found |= {f"person {group}" for group in people_in(text, lexicon)}
    found |= {f"name {name.lower()}" for name in names(text, lexicon)}
    found |= {f"finding {group}" for group in findings_in(text, lexicon)}
    found |= {
        f"action {action}"
        for action, spellings in (actions or {}).items()
        if any(phrase_said(spelling, lowered) for spelling in [action, *spellings])
    }
    return found


def singular_day(word: str) -> str:
    """ "saturdays" -> "saturday" (days and months only)."""
    return word[:-1] if word.endswith("s") and word[:-1] in DATE_WORDS else word


def phrase_said(phrase: str, lowered: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase.lower())}(?![\w-])", lowered) is not None
