"""The risk lexicon and the figurative-language list, loaded from ``prompts/``.

Both are versioned data files a service can audit and extend
(``prompts/risk_lexicon.yaml``, ``prompts/risk/figurative.yaml``); a draft
records the lexicon's version and sha256. Concept ids are fixed (`CONCEPTS`):
the lexicon must define exactly those, so a session file, a benchmark label and
a detected item always speak the same language.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from avt_notes.errors import TemplateError
from avt_notes.risk.dialect import NO_DIALECT, Dialect, load_dialect
from avt_notes.risk.sounds import NO_SOUNDALIKES, SoundAlikes, load_soundalikes

RISK_LEXICON_FILE = "risk_lexicon.yaml"
FIGURATIVE_FILE = "risk/figurative.yaml"
SOUNDALIKES_FILE = "risk/soundalikes.yaml"
DIALECT_FILE = "risk/dialect.yaml"

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
# Concepts that speak for safety rather than risk: a follow-up on one is ordinary talk.
PROTECTIVE_CONCEPTS = frozenset({"protective_factor"})


# Per pattern, groups of lower-case strings: a match holds one string of each group.
Needs = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Concept:
    key: str
    label: str
    patterns: list[tuple[str, re.Pattern[str]]]
    # All patterns in one: for text the `PatternGate` cannot read (beyond ASCII).
    any_pattern: re.Pattern[str]
    # `literal_needs` of each pattern, in order.
    needs: tuple[Needs, ...] = ()
    # Patterns that count only where the line names a child, or only where it names none
    # (source -> (child words, whether one must be named)): "safeguarding" alone.
    conditions: dict[str, tuple[re.Pattern[str], bool]] = field(default_factory=dict)
    # Patterns naming safety, not risk ("feel safe at home"): said plainly they deny the
    # concept, negated ("I don't always feel safe") they disclose it (`inverted: true`).
    inverted: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PatternGate:
    """Which concept patterns can match a text, told by one scan for the text they need.

    `any_pattern` tries every branch of every pattern at every position of the text,
    concept by concept. Here one trie-shaped regex finds, at each position of the
    lower-cased text, the longest string some pattern needs (`literal_needs`); the
    needed strings that match there are its prefixes, so `bits` gives them too. A
    pattern missing any of its needed groups cannot match and is not searched.
    """

    finder: re.Pattern[str]
    bits: dict[str, int]  # a string found -> the groups satisfied by it or its prefixes
    masks: dict[str, tuple[int, ...]]  # concept key -> per pattern, the groups it needs
    # concept key -> one needed group of each pattern; none found, no pattern can match.
    # None where a pattern needs nothing.
    anchors: dict[str, int | None]

    def found(self, lowered: str) -> int:
        """The groups satisfied in `lowered` (a lower-cased ASCII text), as bits."""
        satisfied = 0
        for string in set(self.finder.findall(lowered)):
            satisfied |= self.bits[string]
        return satisfied


@dataclass(frozen=True)
class AnswerRules:
    negative: re.Pattern[str]
    qualifiers: re.Pattern[str]
    positive: re.Pattern[str]
    off_topic_min_words: int
    off_topic_max_similarity: float
    # A clear "yes" to a question about safety ("Do you feel safe at home?"): a denial.
    clear_yes: re.Pattern[str] = re.compile("(?!)")


@dataclass(frozen=True)
class FollowUpQuestions:
    """Questions in everyday words that ask about risk only straight after a disclosure."""

    concept: str
    within: int  # utterances since the disclosure or its answer
    after: frozenset[str]  # the disclosures that give these words their meaning
    patterns: list[tuple[str, re.Pattern[str]]]


NO_FOLLOW_UP_QUESTIONS = FollowUpQuestions("", 0, frozenset(), [])


@dataclass(frozen=True)
class SomeoneElse:
    """How risk words said of another person ("my father committed suicide") are told."""

    concepts: frozenset[str]
    people: re.Pattern[str] | None
    first_person: re.Pattern[str] | None


NO_SOMEONE_ELSE = SomeoneElse(frozenset(), None, None)


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
    # Clause breaks plus boundaries that only end a negation's reach (see the YAML).
    scope_breaks: re.Pattern[str]
    window: int
    answers: AnswerRules
    figurative: re.Pattern[str]
    figurative_version: str
    soundalikes: SoundAlikes = NO_SOUNDALIKES
    dialect: Dialect = NO_DIALECT
    function_words: frozenset[str] = frozenset()
    summary_words: re.Pattern[str] | None = None
    # After a denial, an exception ("apart from") that makes it no denial of the concept, and
    # a narrowing ("just the wine") that does so when what follows is of the same concept.
    exceptions: re.Pattern[str] | None = None
    narrowing: re.Pattern[str] | None = None
    follow_up_questions: FollowUpQuestions = NO_FOLLOW_UP_QUESTIONS
    someone_else: SomeoneElse = NO_SOMEONE_ELSE

    # None: every concept is searched with `any_pattern` (see `patterns_for`).
    gate: PatternGate | None = None

    def patterns_for(
        self, text: str, concepts: list[Concept] | None = None
    ) -> dict[str, list[tuple[str, re.Pattern[str]]]]:
        """Per concept key, the patterns that can match `text`; the others cannot."""
        concepts = self.concepts if concepts is None else concepts
        if self.gate is None or not text.isascii():
            # Off ASCII, str.lower and IGNORECASE may fold case differently ("İ").
            return {c.key: c.patterns if c.any_pattern.search(text) else [] for c in concepts}
        gate = self.gate
        found = gate.found(text.lower())
        possible: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for c in concepts:
            anchors = gate.anchors[c.key]
            if anchors is not None and not found & anchors:
                possible[c.key] = []
                continue
            masks = gate.masks[c.key]
            possible[c.key] = [
                pattern
                for pattern, mask in zip(c.patterns, masks, strict=True)
                if found & mask == mask
            ]
        return possible

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


def _starts(patterns: list[str], hesitations: list[str]) -> re.Pattern[str]:
    """A reply starting with one of `patterns`, after any hesitations ("Uh, no, I don't")."""
    hesitating = "|".join(hesitations) or "(?!)"
    return re.compile(
        rf"^\W*(?:(?:{hesitating})\b\W*)*(?:" + "|".join(patterns) + ")", re.IGNORECASE
    )


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
    if sounds.exists():
        lexicon = replace(lexicon, soundalikes=load_soundalikes(sounds))
    dialect = path.parent / DIALECT_FILE
    if dialect.exists():
        lexicon = replace(lexicon, dialect=load_dialect(dialect))
    return lexicon


def _child_condition(entry: Mapping[str, Any]) -> bool:
    """Whether a `{pattern: ..., with: child}` entry has a condition; only children name one."""
    named = [entry[k] for k in ("with", "without") if k in entry]
    unknown = set(entry) - {"pattern", "with", "without", "inverted"}
    if unknown:
        raise KeyError(f"a pattern entry has unknown keys {sorted(unknown)}: {dict(entry)}")
    if any(value != "child" for value in named):
        raise KeyError(f"a pattern condition names only 'child': {dict(entry)}")
    return bool(named)


@lru_cache(maxsize=8)
def _load(path: Path, _mtime: int, figurative_path: Path, _fig_mtime: int) -> RiskLexicon:
    data = path.read_bytes()
    try:
        raw: Any = yaml.safe_load(data)
        figurative: Any = yaml.safe_load(figurative_path.read_bytes())
        negation = raw["negation"]
        child = raw["child_words"]
        concepts = []
        child_pattern = _word_pattern(child)
        for key, entry in raw["concepts"].items():
            written = [p if isinstance(p, str) else p["pattern"] for p in entry["patterns"]]
            sources = [p.replace("{child}", child) for p in written]
            conditions = {
                p["pattern"]: (child_pattern, "with" in p)
                for p in entry["patterns"]
                if not isinstance(p, str) and _child_condition(p)
            }
            concepts.append(
                Concept(
                    key=key,
                    label=entry["label"],
                    patterns=[(p, _word_pattern(e)) for p, e in zip(written, sources, strict=True)],
                    any_pattern=_word_pattern("(?:" + ")|(?:".join(sources) + ")"),
                    needs=tuple(literal_needs(_word_pattern(e)) for e in sources),
                    conditions=conditions,
                    inverted=frozenset(
                        p["pattern"]
                        for p in entry["patterns"]
                        if not isinstance(p, str) and p.get("inverted")
                    ),
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
            scope_breaks=re.compile(
                "|".join(
                    f"(?:{p})"
                    for p in (
                        negation["clause_breaks"],
                        negation.get("scope_breaks"),
                        negation.get("exceptions"),  # "not drugs, just the wine": wine is said
                        negation.get("narrowing"),
                    )
                    if p
                ),
                re.IGNORECASE,
            ),
            window=int(negation.get("window", 6)),
            exceptions=(
                re.compile(negation["exceptions"], re.IGNORECASE)
                if negation.get("exceptions")
                else None
            ),
            narrowing=(
                re.compile(negation["narrowing"], re.IGNORECASE)
                if negation.get("narrowing")
                else None
            ),
            answers=AnswerRules(
                negative=_starts(answers["negative"], answers.get("hesitations", [])),
                qualifiers=re.compile("|".join(answers["qualifiers"]), re.IGNORECASE),
                positive=_starts(answers["positive"], answers.get("hesitations", [])),
                off_topic_min_words=int(answers["off_topic_min_words"]),
                off_topic_max_similarity=float(answers["off_topic_max_similarity"]),
                clear_yes=_starts(
                    answers.get("clear_yes") or ["(?!)"], answers.get("hesitations", [])
                ),
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
            gate=pattern_gate(concepts),
            follow_up_questions=_follow_up_questions(raw.get("follow_up_questions")),
            someone_else=_someone_else(raw.get("someone_else")),
        )
    except (KeyError, TypeError, AttributeError, ValueError, re.error, yaml.YAMLError) as error:
        raise TemplateError(f"risk lexicon {path} is malformed: {error!r}") from error
    unknown = sorted({c.key for c in concepts} ^ set(CONCEPTS))
    if unknown:
        raise TemplateError(f"risk lexicon {path}: concepts differ from the fixed ids: {unknown}")
    follow_ups = lexicon.follow_up_questions
    named = {follow_ups.concept} | follow_ups.after | lexicon.someone_else.concepts
    strangers = sorted(named - {"", *CONCEPTS})
    if strangers:
        raise TemplateError(
            f"risk lexicon {path}: unknown follow_up_questions concepts {strangers}"
        )
    return lexicon


def _someone_else(raw: Any) -> SomeoneElse:
    if not raw:
        return NO_SOMEONE_ELSE
    return SomeoneElse(
        concepts=frozenset(str(c) for c in raw["concepts"]),
        people=re.compile(str(raw["people"]), re.IGNORECASE),
        first_person=re.compile(str(raw["first_person"]), re.IGNORECASE),
    )


def _follow_up_questions(raw: Any) -> FollowUpQuestions:
    if not raw:
        return NO_FOLLOW_UP_QUESTIONS
    return FollowUpQuestions(
        concept=str(raw["concept"]),
        within=int(raw["within"]),
        after=frozenset(str(c) for c in raw["after"]),
        patterns=[(str(p), _word_pattern(str(p))) for p in raw["patterns"]],
    )


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


# The regex parser behind `re.compile`: its trees tell which literal text a match must hold.
# Private, so any surprise (another Python, an unknown node) means "nothing known".
try:
    _parser: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - only on a Python without re._parser
    _parser = None

# Cross products of alternatives grow fast; beyond this many strings a group is left out.
_MAX_STRINGS = 64


def literal_needs(pattern: re.Pattern[str]) -> Needs:
    """Groups of lower-case strings such that every match of `pattern` holds one of each group.

    Read from the regex's parse tree: a literal run, or a choice of literal runs
    ("(hit|hits) me" gives "hit me", "hits me"), is needed where it is not optional;
    an alternation needs one group of each branch. A group left out only weakens the
    test, never drops a match; () means any text may match.
    """
    if _parser is None:
        return ()
    try:
        groups = _sequence_needs(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # an unfamiliar tree on another Python: no shortcut, same results
        return ()
    # A string holding another of its group adds nothing ("hits" once "hit" is there);
    # the most telling group first, so most patterns fail on their first test.
    minimal = {tuple(sorted(w for w in g if not any(o != w and o in w for o in g))) for g in groups}
    return tuple(sorted(minimal, key=lambda g: (-min(map(len, g)), len(g), g)))


def pattern_gate(concepts: list[Concept]) -> PatternGate:
    """The `PatternGate` for the concepts' patterns (from their `needs`)."""
    group_bit: dict[tuple[str, ...], int] = {}
    string_bits: dict[str, int] = {}
    masks: dict[str, tuple[int, ...]] = {}
    anchors: dict[str, int | None] = {}
    for concept in concepts:
        pattern_masks = []
        anchor: int | None = 0
        for needs in concept.needs or [() for _ in concept.patterns]:
            mask = 0
            for group in needs:
                bit = group_bit.setdefault(group, 1 << len(group_bit))
                for string in group:
                    string_bits[string] = string_bits.get(string, 0) | bit
                mask |= bit
            pattern_masks.append(mask)
            # The first group is the most telling (`literal_needs`).
            first = group_bit[needs[0]] if needs else None
            anchor = None if anchor is None or first is None else anchor | first
        masks[concept.key] = tuple(pattern_masks)
        anchors[concept.key] = anchor
    # A string found also satisfies the groups of every needed string it starts with.
    bits = {string: _prefix_bits(string, string_bits) for string in string_bits}
    trie: dict[str, Any] = {}
    for string in string_bits:
        node = trie
        for char in string:
            node = node.setdefault(char, {})
        node[""] = {}
    # Matches nothing when no pattern needs any text: every mask is then 0.
    finder = re.compile(f"(?=({_trie_regex(trie)}))" if trie else "(?!)")
    return PatternGate(finder=finder, bits=bits, masks=masks, anchors=anchors)


def _prefix_bits(string: str, string_bits: dict[str, int]) -> int:
    found = 0
    for end in range(1, len(string) + 1):
        found |= string_bits.get(string[:end], 0)
    return found


def _trie_regex(node: dict[str, Any]) -> str:
    """A regex for the trie's strings that takes the longest one matching (greedy, then shorter)."""
    branches = [
        re.escape(char) + _trie_regex(child) for char, child in sorted(node.items()) if char
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


def _exact(op: Any, av: Any) -> set[str] | None:
    """Every string (lower case) the node matches, when it matches only a few, else None."""
    name = str(op)
    if name == "LITERAL":
        # A non-ASCII literal may fold to ASCII under IGNORECASE (K, the Kelvin sign).
        return {chr(av).lower()} if av < 128 else None
    if name == "SUBPATTERN" and not av[1] and not av[2]:  # a group that sets no flags
        return _exact_sequence(av[3])
    if name == "BRANCH":
        strings: set[str] = set()
        for branch in av[1]:
            found = _exact_sequence(branch)
            if found is None:
                return None
            strings |= found
        return strings if len(strings) <= _MAX_STRINGS else None
    if name in ("MAX_REPEAT", "MIN_REPEAT") and av[0] == 0 and av[1] == 1:  # "x?"
        found = _exact_sequence(av[2])
        return None if found is None else found | {""}
    return None


def _exact_sequence(nodes: Any) -> set[str] | None:
    strings = {""}
    for op, av in nodes:
        found = _exact(op, av)
        if found is None:
            return None
        strings = {a + b for a in strings for b in found}
        if len(strings) > _MAX_STRINGS:
            return None
    return strings


def _sequence_needs(nodes: Any) -> list[frozenset[str]]:
    groups: list[frozenset[str]] = []
    run = {""}  # the strings the current stretch of exact nodes can spell

    def close_run() -> None:
        nonlocal run
        if "" not in run:  # a stretch that may be empty needs nothing
            groups.append(frozenset(run))
        run = {""}

    for op, av in nodes:
        found = _exact(op, av)
        if found is not None:
            longer = {a + b for a in run for b in found}
            if len(longer) <= _MAX_STRINGS:
                run = longer
            else:
                close_run()
                run = found
            continue
        close_run()
        name = str(op)
        if name == "SUBPATTERN" and not av[1] and not av[2]:
            groups += _sequence_needs(av[3])
        elif name == "ATOMIC_GROUP":
            groups += _sequence_needs(av)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            groups += _sequence_needs(av[2])
        elif name == "BRANCH":
            # One group per branch, joined: the match takes one of the branches.
            joined: set[str] = set()
            for branch in av[1]:
                needs = _sequence_needs(branch)
                if not needs:
                    break
                joined |= max(needs, key=lambda g: (min(map(len, g)), -len(g)))
            else:
                groups.append(frozenset(joined))
        # Anything else (classes, \w, anchors, lookarounds) needs no literal text.
    close_run()
    return groups
