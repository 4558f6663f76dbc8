"""Grounding check: is each draft sentence backed by the utterances it cites?

Why deterministic and not a second model: a small drafting model invents
things (drugs, doses, dates, names), and a checker that can itself invent is no
check. These rules are plain, explainable and repeatable, and each flag carries
a reason a clinician can verify by reading the cited lines.

A sentence is **unsupported** (and stays in the draft, flagged) when:

1. it cites no utterance (or only ids that do not exist, which are dropped);
2. a piece of *specific content* in it is not found in its cited utterances:
   - numbers, in digits or words ("two" = 2, "twice" = 2 times), with their
     unit when they have one: a dose (50 mg) or a duration (3 days) must
     appear with the same value, and not only with a different unit;
   - dates: month and weekday names, numeric dates (day, month, year);
   - drug names from ``prompts/drugs.yaml`` (generic and brand names count
     as the same drug; small spelling slips from ASR are tolerated);
   - capitalised names of people and places (not sentence-initial words or
     the note vocabulary listed in ``prompts/grounding.yaml``), and acronyms
     (also accepted when the cited words spell them out);
   - symptoms and findings from ``prompts/grounding.yaml`` (a small model
     adds plausible symptoms nobody mentioned);
   - negation: a negative sentence ("denies chest pain") needs a negation
     ("no", "not", "never", "n't", ...) in its cited utterances;
3. most of its content words (share above ``max_novel_share``) appear nowhere
   in its cited utterances (the model's free invention);
4. it talks about the drafting instructions ("in the third person") instead
   of the session;
5. it matches a template rule (e.g. risk grading in a Risk section).

Word matching tolerates inflection and small spelling differences (rapidfuzz
ratio). Limits, on purpose: it cannot tell that a sentence turns a question
("any blood in your stool?") into a finding, nor catch an affirmative sentence
whose cited lines deny it; unsupported means "not shown by its evidence", and
supported means only that no rule fired.

Sentences the model wrote without ids get evidence by lexical overlap
(`assign_evidence`): the few utterances covering most of the sentence's
content words, if they cover enough; otherwise none.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from avt_notes.errors import TemplateError
from avt_notes.schemas import Utterance

GROUNDING_FILE = "grounding.yaml"
DRUGS_FILE = "drugs.yaml"

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()  # noqa: E501
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_ONES)} | {
    w: 20 + 10 * i for i, w in enumerate(_TENS)
}
MULTIPLIERS = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
TIMES_WORDS = {"once": 1, "twice": 2, "thrice": 3}
_ORD = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split()  # noqa: E501
ORDINAL_WORDS: dict[str, int] = {w: i + 1 for i, w in enumerate(_ORD)} | {"thirtieth": 30}
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november december"
        .split()
    )
} | {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
     "oct": 10, "nov": 11, "dec": 12}  # fmt: skip
WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_DATE_WORDS = set(MONTHS) | WEEKDAYS
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves um uh er erm yeah yes
    okay ok oh well like really quite just sort kind bit lot lots get got go going gone thing
    things say says said tell told think know patient patients client clinician doctor reports
    reported report states stated describes described mentions mentioned explains explained
    notes noted experiencing experienced feels also currently has had says which""".split()
)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?|%|[,.;:!?]", re.UNICODE)
_CAPITALISED = re.compile(r"(?<![\w'’-])([A-Z][a-z]+(?:['’-][A-Za-z]+)*|[A-Z]{2,}s?)(?![\w'’-])")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?\b")


@dataclass(frozen=True)
class GroundingLexicon:
    version: str
    negation_cues: frozenset[str]
    not_names: frozenset[str]
    units: dict[str, str]  # spelling -> canonical
    drugs: dict[str, str]  # spelling -> generic name
    drug_pattern: re.Pattern[str]
    findings: dict[str, str]  # spelling -> finding
    finding_pattern: re.Pattern[str]
    instruction_echo: tuple[str, ...]
    word_similarity: float
    min_coverage: float
    max_utterances: int
    max_novel_share: float
    min_content_words_for_novelty: int
    note_register: frozenset[str] = frozenset()
    time_words: dict[str, str] = field(default_factory=dict)  # spelling -> time word group
    time_pattern: re.Pattern[str] | None = None
    people: dict[str, str] = field(default_factory=dict)  # spelling -> person group
    people_pattern: re.Pattern[str] | None = None
    speaker_subjects: dict[str, str] = field(default_factory=dict)  # "the patient" -> role


@dataclass
class GroundingResult:
    status: str  # "supported" | "unsupported"
    evidence: list[str]
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str | None
    text: str


def load_grounding_lexicon(directory: Path | None = None) -> GroundingLexicon:
    """The grounding rules and drug names from the prompts folder."""
    if directory is None:
        from avt_notes.config import get_settings

        directory = get_settings().drafting.prompts_dir
    paths = (directory / GROUNDING_FILE, directory / DRUGS_FILE)
    for path in paths:
        if not path.is_file():
            raise TemplateError(f"grounding data file not found: {path}")
    return _load(paths[0].resolve(), paths[1].resolve(), *(p.stat().st_mtime_ns for p in paths))


@lru_cache(maxsize=8)
def _load(rules_path: Path, drugs_path: Path, _m1: int, _m2: int) -> GroundingLexicon:
    try:
        rules: Any = yaml.safe_load(rules_path.read_bytes())
        drugs_raw: Any = yaml.safe_load(drugs_path.read_bytes())
        units = {
            str(spelling).lower(): canonical
            for canonical, spellings in rules["units"].items()
            for spelling in [canonical, *spellings]
        }
        drugs: dict[str, str] = {}
        # Medicines (drugs.yaml) and substances used without a prescription (grounding.yaml):
        # one named in a sentence must be named in its evidence.
        for generic, brands in [
            *drugs_raw["drugs"].items(),
            *(rules.get("substances") or {}).items(),
        ]:
            for spelling in [generic, *(brands or [])]:
                drugs[str(spelling).lower()] = str(generic).lower()
        alternation = "|".join(sorted((re.escape(d) for d in drugs), key=len, reverse=True))
        findings = {
            str(spelling).lower(): str(name).lower()
            for name, spellings in rules["findings"].items()
            for spelling in [name, *(spellings or [])]
        }
        finding_alternation = "|".join(
            sorted((re.escape(f) for f in findings), key=len, reverse=True)
        )
        evidence = rules["lexical_evidence"]
        time_words = _groups(rules.get("time_words") or {})
        people = _groups(rules.get("people") or {})
        subjects = {
            str(phrase).lower(): str(role)
            for role, phrases in (rules.get("speaker_subjects") or {}).items()
            for phrase in phrases
        }
        version = f"grounding {rules['version']}, drugs {drugs_raw['version']}"
        return GroundingLexicon(
            version=version,
            negation_cues=frozenset(str(c).lower() for c in rules["negation_cues"]),
            not_names=frozenset(str(n).lower() for n in rules["not_names"]),
            units=units,
            drugs=drugs,
            drug_pattern=re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", re.IGNORECASE),
            findings=findings,
            finding_pattern=re.compile(
                rf"(?<![\w-])(?:{finding_alternation})(?![\w-])", re.IGNORECASE
            ),
            instruction_echo=tuple(str(e).lower() for e in rules.get("instruction_echo") or []),
            word_similarity=float(evidence["word_similarity"]),
            min_coverage=float(evidence["min_coverage"]),
            max_utterances=int(evidence["max_utterances"]),
            max_novel_share=float(rules["max_novel_share"]),
            min_content_words_for_novelty=int(rules["min_content_words_for_novelty"]),
            note_register=frozenset(stem(str(w).lower()) for w in rules.get("note_register") or []),
            time_words=time_words,
            time_pattern=_alternation(time_words),
            people=people,
            people_pattern=_alternation(people),
            speaker_subjects=subjects,
        )
    except (KeyError, TypeError, AttributeError, yaml.YAMLError) as error:
        raise TemplateError(
            f"grounding data in {rules_path.parent} is malformed: {error!r}"
        ) from error


def _groups(raw: Mapping[str, Any]) -> dict[str, str]:
    """{group: [spellings]} from YAML -> {spelling: group}, the group name included."""
    return {
        str(spelling).lower(): str(group).lower()
        for group, spellings in raw.items()
        for spelling in [group, *(spellings or [])]
    }


def _alternation(spellings: Mapping[str, str]) -> re.Pattern[str] | None:
    if not spellings:
        return None
    words = "|".join(sorted((re.escape(w) for w in spellings), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{words})(?![\w-])", re.IGNORECASE)


def lexicon_sha256(directory: Path | None = None) -> str:
    from avt_notes.config import get_settings

    folder = directory or get_settings().drafting.prompts_dir
    digest = hashlib.sha256()
    for name in (GROUNDING_FILE, DRUGS_FILE):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


# --- words -----------------------------------------------------------------------


def tokens(text: str) -> list[str]:
    """Lower-case word, number and % tokens; '50mg' -> '50', 'mg'; hyphens split."""
    text = re.sub(r"(\d)([^\W\d_])", r"\1 \2", text.replace("-", " "))
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]


def stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    """Stems of the words that carry meaning (no stopwords, no numbers)."""
    out = []
    for token in tokens(text):
        if token.isalpha() and len(token) > 2 and token not in STOPWORDS:
            out.append(stem(token))
    return out


def word_in(word: str, vocabulary: set[str], similarity: float) -> bool:
    if word in vocabulary:
        return True
    if len(word) >= 4 and any(
        len(other) >= 4 and (other.startswith(word) or word.startswith(other))
        for other in vocabulary
    ):
        return True  # inflections the crude stemmer misses: "tak(es)" / "take"
    if len(word) < 5:
        return False
    return (
        process.extractOne(word, vocabulary, scorer=fuzz.ratio, score_cutoff=similarity) is not None
    )


# --- specific content ------------------------------------------------------------


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


def _number_values(text: str, lexicon: GroundingLexicon) -> set[float]:
    return {q.value for q in quantities(text, lexicon, cited=True)}


def _check_quantities(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    reasons = []
    available = quantities(cited, lexicon, cited=True)
    # Numeric dates are checked as dates, not as three numbers.
    for quantity in quantities(_NUMERIC_DATE.sub(" ", sentence), lexicon):
        same_value = [q for q in available if q.value == quantity.value]
        if not same_value:
            reasons.append(f'number "{quantity.text}" is not in the cited utterances')
        elif quantity.unit and not any(q.unit in (quantity.unit, None) for q in same_value):
            said = ", ".join(sorted({q.text for q in same_value}))
            reasons.append(f'"{quantity.text}" is not in the cited utterances (they say "{said}")')
    return reasons


def _check_dates(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    reasons = []
    cited_words = set(tokens(cited))
    cited_months = {MONTHS[w] for w in cited_words if w in MONTHS and w != "may"}
    if "may" in cited_words:
        cited_months.add(5)
    cited_months |= {int(m.group(2)) for m in _NUMERIC_DATE.finditer(cited)}
    numbers = _number_values(cited, lexicon)
    sentence_words = tokens(sentence)
    for index, word in enumerate(sentence_words):
        if word in WEEKDAYS and word not in cited_words:
            reasons.append(f'day "{word.capitalize()}" is not in the cited utterances')
        is_month = word in MONTHS and (word != "may" or _near_number(sentence_words, index))
        if is_month and MONTHS[word] not in cited_months:
            reasons.append(f'month "{word.capitalize()}" is not in the cited utterances')
    for match in _NUMERIC_DATE.finditer(sentence):
        day, month, year = (int(g) if g else None for g in match.groups())
        ok = day in numbers and (month in numbers or month in cited_months)
        if year is not None:
            ok = ok and (year in numbers or (year % 100) in numbers)
        if not ok:
            reasons.append(f'date "{match.group(0)}" is not in the cited utterances')
    return reasons


def _near_number(words: Sequence[str], index: int) -> bool:
    neighbours = [*words[max(0, index - 2) : index], *words[index + 1 : index + 3]]
    return any(w.isdigit() or w in ORDINAL_WORDS for w in neighbours)


def drug_names(text: str, lexicon: GroundingLexicon) -> list[tuple[str, str]]:
    """(as written, generic name) for each drug named in `text`."""
    return [
        (m.group(0), lexicon.drugs[m.group(0).lower()]) for m in lexicon.drug_pattern.finditer(text)
    ]


def _check_drugs(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    reasons = []
    cited_generics = {generic for _, generic in drug_names(cited, lexicon)}
    cited_words = set(tokens(cited))
    for written, generic in drug_names(sentence, lexicon):
        if generic in cited_generics or word_in(written.lower(), cited_words, 88):
            continue
        reasons.append(f'drug "{written}" is not in the cited utterances')
    return reasons


def _check_findings(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    cited_findings = findings_in(cited, lexicon)
    reasons = []
    for match in lexicon.finding_pattern.finditer(sentence):
        finding = lexicon.findings[match.group(0).lower()]
        if finding not in cited_findings:
            reasons.append(f'"{match.group(0)}" ({finding}) is not in the cited utterances')
    return list(dict.fromkeys(reasons))


def _check_echo(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    for phrase in lexicon.instruction_echo:
        # Whole words only: "scribe" is an echo, "describe" is not.
        pattern = re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", re.IGNORECASE)
        if pattern.search(sentence) and not pattern.search(cited):
            return [f'talks about the drafting instructions ("{phrase}"), not the session']
    return []


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


def _check_names(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    reasons = []
    cited_words = set(tokens(cited))
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", cited)).lower()
    for name in names(sentence, lexicon):
        lowered = name.lower()
        if word_in(lowered, cited_words, 85):
            continue
        if name.isupper() and lowered.rstrip("s") in initials:
            continue
        reasons.append(f'name "{name}" is not in the cited utterances')
    return reasons


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


def _check_negation(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    cue = has_negation(sentence, lexicon)
    if cue and not has_negation(cited, lexicon):
        return [f'negation ("{cue}") is not in the cited utterances']
    return []


def _risk_words_said(sentence: str, cited: str) -> set[str]:
    """Words of the sentence that name a risk concept its cited lines also name.

    "Denies thoughts of suicide" for "Any thoughts of ending your life? No": the
    risk lexicon knows both say suicidal ideation, though they share few words.
    """
    from avt_notes.risk import detect_in_text, load_lexicon

    risk_lexicon = load_lexicon()
    said = {item.category for item in detect_in_text(cited, risk_lexicon, by_meaning=False)}
    return {
        word
        for item in detect_in_text(sentence, risk_lexicon, by_meaning=False)
        if item.category in said
        for word in content_words(item.phrase)
    }


def _check_novelty(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    # Drugs, dates and numbers have their own checks (synonym- and format-aware); risk
    # concepts named on both sides are the same thing in other words.
    checked = (
        _risk_words_said(sentence, cited)
        | {stem(w) for w in _DATE_WORDS}
        | {
            stem(w)
            for spelling in (d for d, _ in drug_names(sentence, lexicon))
            for w in tokens(spelling)
        }
    )
    checked |= lexicon.note_register
    words = [w for w in dict.fromkeys(content_words(sentence)) if w not in checked]
    if len(words) < lexicon.min_content_words_for_novelty:
        return []
    vocabulary = set(content_words(cited))
    novel = [w for w in words if not word_in(w, vocabulary, lexicon.word_similarity)]
    if len(novel) / len(words) > lexicon.max_novel_share:
        return [f"most of its words ({len(novel)} of {len(words)}) are not in the cited utterances"]
    return []


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
    found |= {f"day {_singular_day(w)}" for w in tokens(text) if _singular_day(w) in _DATE_WORDS}
    found |= {f"time {group}" for group in time_words_in(text, lexicon)}
    found |= {f"person {group}" for group in people_in(text, lexicon)}
    found |= {f"name {name.lower()}" for name in names(text, lexicon)}
    found |= {f"finding {group}" for group in findings_in(text, lexicon)}
    found |= {
        f"action {action}"
        for action, spellings in (actions or {}).items()
        if any(_said(spelling, lowered) for spelling in [action, *spellings])
    }
    return found


def _singular_day(word: str) -> str:
    """ "saturdays" -> "saturday" (days and months only)."""
    return word[:-1] if word.endswith("s") and word[:-1] in _DATE_WORDS else word


def _said(phrase: str, lowered: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase.lower())}(?![\w-])", lowered) is not None


def _check_time_words(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    """ "today", "tomorrow", "next week": a time said in a sentence must be said in its evidence."""
    said = time_words_in(cited, lexicon)
    written = time_words_in(sentence, lexicon)
    return [f'time "{word}" is not in the cited utterances' for word in sorted(written - said)]


def _check_people(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    """A third party named in a sentence (sister, partner, GP) must be named in the evidence."""
    said = people_in(cited, lexicon)
    written = people_in(sentence, lexicon)
    return [
        f'"{person}" is not mentioned in the cited utterances' for person in sorted(written - said)
    ]


_FIRST_PERSON = re.compile(
    r"(?<![\w'’])(?:I|I'm|I'll|I've|I'd|me|my|we|we'll|us|our|you|your|you'll|you're)(?![\w'’])",
    re.IGNORECASE,
)
# Quoted words are the speaker's own: in quotes, or after "said:" / "reports:".
_QUOTED = re.compile(
    r"[\"“][^\"”]*[\"”]|\b(?:said|says|reported|reports|stated|states|explained)\s*:.*$",
    re.IGNORECASE,
)


def _check_subject(
    sentence: str, cited: Sequence[Utterance], lexicon: GroundingLexicon
) -> list[str]:
    """Who-said-what: "The patient reports ..." needs a patient line among the evidence.

    Also flags first- and second-person wording outside quotes ("I'll see you"):
    a note is written in the third person, and an "I" or "you" hides who is meant.
    """
    reasons = []
    unquoted = _QUOTED.sub(" ", sentence)
    if _FIRST_PERSON.search(unquoted):
        reasons.append("written in the first or second person: say who said or did it")
    lowered = sentence.lower().lstrip()
    for phrase, role in lexicon.speaker_subjects.items():
        if lowered.startswith(phrase + " "):
            if cited and not any(u.role == role for u in cited):
                speakers = ", ".join(sorted({u.role for u in cited}))
                reasons.append(
                    f"says the {role} said or did this; the evidence is from: {speakers}"
                )
            break
    return reasons


# --- public checks -----------------------------------------------------------------


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalpha())


def _check_corrected(
    sentence: str, cited: Sequence[Utterance], lexicon: GroundingLexicon
) -> list[str]:
    """A drug name that recognition misheard and the vocabulary put back is the clinician's
    call: it might be the sibling drug ("omeprazole" for esomeprazole). Say so, every time."""
    written = {generic for _, generic in drug_names(sentence, lexicon)}
    words = set(tokens(sentence))
    reasons = []
    for utterance in cited:
        for word in utterance.words:
            if word.heard is None or _letters(word.heard) == _letters(word.text):
                continue  # only joined ("co codamol"): same letters, nothing to check
            term = " ".join(tokens(word.text))
            named = {generic for _, generic in drug_names(word.text, lexicon)}
            if (named & written) or (term and term in words):
                reasons.append(
                    f'"{term}" was heard as "{word.heard}" and corrected from the drug list: '
                    "check it against the recording"
                )
    return list(dict.fromkeys(reasons))


def check_sentence(
    text: str,
    evidence: Iterable[str],
    utterances: Mapping[str, Utterance],
    *,
    rules: Sequence[tuple[str, str]] = (),
    lexicon: GroundingLexicon | None = None,
) -> GroundingResult:
    """Verdict for one sentence against the utterances it cites.

    `utterances` maps id -> utterance for the whole transcript; `rules` are
    (regex, reason) pairs from the template section.
    """
    lexicon = lexicon or load_grounding_lexicon()
    cited_ids = list(dict.fromkeys(evidence))
    valid = [i for i in cited_ids if i in utterances]
    reasons: list[str] = []
    if not valid:
        unknown = [i for i in cited_ids if i not in utterances]
        reasons.append(
            f"cites only ids not in the transcript ({', '.join(unknown)})"
            if unknown
            else "cites no utterance"
        )
    else:
        cited = "\n".join(utterances[i].text for i in valid)
        for check in (
            _check_quantities,
            _check_dates,
            _check_drugs,
            _check_findings,
            _check_names,
            _check_negation,
            _check_novelty,
            _check_echo,
            _check_time_words,
            _check_people,
        ):
            reasons += check(text, cited, lexicon)
        reasons += _check_subject(text, [utterances[i] for i in valid], lexicon)
        reasons += _check_corrected(text, [utterances[i] for i in valid], lexicon)
    for pattern, reason in rules:
        if re.search(pattern, text, re.IGNORECASE):
            reasons.append(reason)
    ordered = sorted(valid, key=lambda i: (utterances[i].start, i))
    return GroundingResult("unsupported" if reasons else "supported", ordered, reasons)


def assign_evidence(
    text: str, utterances: Sequence[Utterance], lexicon: GroundingLexicon | None = None
) -> list[str]:
    """Utterances that best cover the sentence's words, or [] if none covers enough."""
    lexicon = lexicon or load_grounding_lexicon()
    wanted = set(content_words(text)) | {str(q.value) for q in quantities(text, lexicon)}
    if not wanted:
        return []
    covers: list[tuple[Utterance, set[str]]] = []
    for utterance in utterances:
        vocabulary = set(content_words(utterance.text))
        vocabulary |= {str(v) for v in _number_values(utterance.text, lexicon)}
        covered = {w for w in wanted if word_in(w, vocabulary, lexicon.word_similarity)}
        if covered:
            covers.append((utterance, covered))
    chosen: list[Utterance] = []
    covered_all: set[str] = set()
    for _ in range(lexicon.max_utterances):
        best = max(covers, key=lambda c: (len(c[1] - covered_all), -c[0].start), default=None)
        if best is None or not best[1] - covered_all:
            break
        chosen.append(best[0])
        covered_all |= best[1]
    if len(covered_all) / len(wanted) < lexicon.min_coverage:
        return []
    return [u.id for u in sorted(chosen, key=lambda u: u.start)]
