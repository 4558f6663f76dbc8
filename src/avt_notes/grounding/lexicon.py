"""The grounding lexicon: ``prompts/grounding.yaml`` and ``prompts/drugs.yaml``, loaded once.

Data, not code: units, drug spellings, findings, people, time words, negation cues, the
word lists that tell who did what, and the thresholds the checks use. Loaded by file and
modification time, so an edit is seen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from avt_notes.errors import TemplateError
from avt_notes.grounding.words import stem

GROUNDING_FILE = "grounding.yaml"


DRUGS_FILE = "drugs.yaml"


@dataclass(frozen=True)
class ActorRules:
    """How the who-did-what check finds the doer of a word (``actors:`` in grounding.yaml).

    Word lists, lower case; the defaults (window 0) turn the check off.
    """

    window: int = 0  # most words between a doer and its word
    patient_pattern: re.Pattern[str] | None = None  # "the patient" in a note sentence
    speaking_pattern: re.Pattern[str] | None = None  # "I", "me": the speaker of a line
    clinician_pattern: re.Pattern[str] | None = None  # "the clinician" in a note sentence
    addressed_pattern: re.Pattern[str] | None = None  # "you" in the clinician's line
    object_links: frozenset[str] = frozenset()  # "for" in "a home visit for her"
    clinician_may_be: frozenset[str] = frozenset()  # person groups the clinician may be ("gp")
    compared_too: dict[str, str] = field(default_factory=dict)  # "went" -> "go": doer matters
    mutual: frozenset[str] = frozenset()  # "see", "meet": receivers not compared
    subject_pronouns: frozenset[str] = frozenset()
    object_pronouns: frozenset[str] = frozenset()
    determiners: frozenset[str] = frozenset()
    coordinators: frozenset[str] = frozenset()
    clause_breaks: frozenset[str] = frozenset()
    passive: frozenset[str] = frozenset()
    agent: frozenset[str] = frozenset()
    shared: frozenset[str] = frozenset()  # "too", "as well"
    together: frozenset[str] = frozenset()  # "with"


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
    actors: ActorRules = field(default_factory=ActorRules)
    # Words that make a finding a drug reaction (allergy), not a current finding.
    allergy_pattern: re.Pattern[str] | None = None
    # Answers that hedge ("not that I know of"): no ground for a flat denial.
    hedge_pattern: re.Pattern[str] | None = None
    hedged_wording: re.Pattern[str] | None = None  # a sentence keeping the hedge
    # Words that carry a negation in other words ("unable to sleep" for "I can't sleep").
    negative_wording: frozenset[str] = frozenset()
    # "The clinician advises ...": needs a clinician line that says something, not only asks.
    advice_subjects: tuple[str, ...] = ()
    number_bounds: dict[str, str] = field(default_factory=dict)  # "over" -> "more than"
    question_openers: frozenset[str] = frozenset()  # "are", "do", "how": a question starts so
    question_fillers: frozenset[str] = frozenset()  # "um", "OK": passed over before it
    advice_questions: tuple[str, ...] = ()  # "why don't you": advice asked as a question
    # The identity check that opens a consultation ("confirm your full name and date of
    # birth"): its numbers and dates are no clinical fact.
    identity_check: tuple[str, ...] = ()
    # A reply that confirms what the clinician just said ("Yeah", "That's right").
    affirmations: tuple[str, ...] = ()
    judgements: dict[str, str] = field(default_factory=dict)  # "unremarkable" -> "normal"
    body_parts: dict[str, str] = field(default_factory=dict)  # "tummy" -> "abdomen"
    body_part_pattern: re.Pattern[str] | None = None
    judgement_pattern: re.Pattern[str] | None = None
    # Whose condition (`relatives`): words naming a relative, and what after an item
    # makes it a relative's ("diabetes runs in the family").
    relatives: frozenset[str] = frozenset()
    family_after: re.Pattern[str] | None = None
    # Something said to have stopped ("stopped smoking") needs its lines to say it stopped.
    stopped_wording: re.Pattern[str] | None = None
    stopped_uses: re.Pattern[str] | None = None  # what a stop is checked for (a use, a habit)
    stopping_said: re.Pattern[str] | None = None
    # A clinician's action stated as done ("has been referred") needs lines that say it was.
    done_wording: re.Pattern[str] | None = None
    planned_said: re.Pattern[str] | None = None
    done_said: re.Pattern[str] | None = None


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
        judgements = _groups(rules.get("judgements") or {})
        body_parts = _groups(rules.get("body_parts") or {})
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
            actors=_actor_rules(rules.get("actors") or {}),
            allergy_pattern=_alternation(
                {str(w).lower(): "allergy" for w in rules.get("allergy_words") or []}
            ),
            stopped_wording=_alternation(
                {str(w).lower(): "stopped" for w in rules.get("stopped_wording") or []}
            ),
            stopped_uses=_alternation(
                {str(w).lower(): "use" for w in rules.get("stopped_uses") or []}
            ),
            stopping_said=_alternation(
                {str(w).lower(): "stopping" for w in rules.get("stopping_said") or []}
            ),
            done_wording=_alternation(
                {str(w).lower(): "done" for w in rules.get("done_wording") or []}
            ),
            planned_said=_alternation(
                {str(w).lower(): "planned" for w in rules.get("planned_said") or []}
            ),
            done_said=_alternation({str(w).lower(): "done" for w in rules.get("done_said") or []}),
            hedge_pattern=_alternation(
                {str(w).lower(): "hedge" for w in rules.get("hedges") or []}
            ),
            hedged_wording=_alternation(
                {str(w).lower(): "hedged" for w in rules.get("hedged_wording") or []}
            ),
            negative_wording=frozenset(
                stem(str(w).lower()) for w in rules.get("negative_wording") or []
            ),
            advice_subjects=tuple(str(w).lower() for w in rules.get("advice_subjects") or []),
            number_bounds=_groups(rules.get("number_bounds") or {}),
            question_openers=frozenset(str(w) for w in rules.get("question_openers") or []),
            question_fillers=frozenset(str(w) for w in rules.get("question_fillers") or []),
            advice_questions=tuple(str(w).lower() for w in rules.get("advice_questions") or []),
            identity_check=tuple(str(w).lower() for w in rules.get("identity_check") or []),
            affirmations=tuple(str(w).lower() for w in rules.get("affirmations") or []),
            judgements=judgements,
            judgement_pattern=_alternation(judgements),
            body_parts=body_parts,
            body_part_pattern=_alternation(body_parts),
            relatives=frozenset(str(w).lower() for w in rules.get("relatives") or []),
            family_after=(
                re.compile(str(rules["family_after"]), re.IGNORECASE)
                if rules.get("family_after")
                else None
            ),
        )
    except (KeyError, TypeError, AttributeError, re.error, yaml.YAMLError) as error:
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


def _actor_rules(raw: Mapping[str, Any]) -> ActorRules:
    """The ``actors:`` block; missing lists are empty, a missing window turns the check off."""

    def words(key: str) -> frozenset[str]:
        return frozenset(str(w).lower() for w in raw.get(key) or [])

    def pattern(key: str) -> re.Pattern[str] | None:
        return _alternation({w: w for w in words(key)})

    return ActorRules(
        window=int(raw.get("window") or 0),
        patient_pattern=pattern("patient"),
        speaking_pattern=pattern("speaking"),
        clinician_pattern=pattern("clinician"),
        addressed_pattern=pattern("addressed"),
        object_links=words("object_links"),
        clinician_may_be=words("clinician_may_be"),
        compared_too=_groups(raw.get("compared_too") or {}),
        mutual=words("mutual"),
        subject_pronouns=words("subject_pronouns"),
        object_pronouns=words("object_pronouns"),
        determiners=words("determiners"),
        coordinators=words("coordinators"),
        clause_breaks=words("clause_breaks"),
        passive=words("passive"),
        agent=words("agent"),
        shared=words("shared"),
        together=words("together"),
    )


def _alternation(spellings: Mapping[str, str]) -> re.Pattern[str] | None:
    if not spellings:
        return None
    words = "|".join(sorted((re.escape(w) for w in spellings), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{words})(?![\w-])", re.IGNORECASE)
