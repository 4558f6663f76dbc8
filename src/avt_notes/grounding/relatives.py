"""Whose condition: a finding or drug said only of a relative is not the patient's.

A small model summarising a history folds the family history into the patient's:
"The patient has asthma and hypothyroidism" after "I have asthma, and in my family
there's hypothyroidism ... My mother". Each mention in the session gets an owner:
the nearest person named before it in its sentence (a relative from ``relatives:``
in ``prompts/grounding.yaml``, or the patient: "I", "my" in the patient's line,
"you", "your" in the clinician's), or a relative after it ("diabetes runs in the
family"). A bare answer ("Hypothyroidism.") takes the owner last named in the
question before it. A sentence giving the patient an item that the session gave
only to relatives, and never to the patient, is flagged. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from avt_notes.grounding.denials import Lines, lines_of, mentions, read_once
from avt_notes.grounding.lexicon import GroundingLexicon
from avt_notes.schemas import CLINICIAN, PATIENT, Utterance

Owner = Literal["relative", "patient", "unknown"]

# Most words looked back for the owner: in a line, and in a note sentence.
SAID_REACH = 8
WRITTEN_REACH = 12
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_SENTENCE_START = re.compile(r"[.!?]\s")
_SELF = {
    PATIENT: frozenset("i i'm i've i'd i'll me my myself mine".split()),
    CLINICIAN: frozenset("you you're you've you'd your yourself".split()),
    "written": frozenset(
        "patient patient's client client's they they're they've them their themselves".split()
    ),
}
# Only the items said with an owner count: what the session said of whom.
_READ: dict[tuple[int, Lines], tuple[GroundingLexicon, dict[str, tuple[str, bool]]]] = {}


def _owner_before(
    text: str, start: int, selves: frozenset[str], lexicon: GroundingLexicon, reach: int
) -> Owner:
    sentence_start = max((m.end() for m in _SENTENCE_START.finditer(text, 0, start)), default=0)
    before = _WORD.findall(text[sentence_start:start].lower().replace("’", "'"))[-reach:]
    for word in reversed(before):
        if word in lexicon.relatives:
            return "relative"
        if word in selves:
            return "patient"
    return "unknown"


def _owner(
    text: str, start: int, end: int, selves: frozenset[str], lexicon: GroundingLexicon, reach: int
) -> Owner:
    if lexicon.family_after is not None and lexicon.family_after.match(text, end):
        return "relative"
    return _owner_before(text, start, selves, lexicon, reach)


def _last_owner(text: str, selves: frozenset[str], lexicon: GroundingLexicon) -> Owner:
    """The owner a question names last ("Mother has migraine and, what was the other one?")."""
    return _owner_before(text, len(text), selves, lexicon, reach=10_000)


def _read_owners(lines: Lines, lexicon: GroundingLexicon) -> dict[str, tuple[str, bool]]:
    """Item -> (a line saying it of a relative, whether any line says it of the patient)."""
    owners: dict[str, tuple[str, bool]] = {}
    previous = ""
    for line_id, role, text in lines:
        if role not in (PATIENT, CLINICIAN):
            continue
        for mention in mentions(text, lexicon):
            if mention.item.startswith("body "):
                continue
            end = mention.start + len(mention.surface)
            owner = _owner(text, mention.start, end, _SELF[role], lexicon, SAID_REACH)
            if owner == "unknown" and role == PATIENT and previous:
                owner = _last_owner(previous, _SELF[CLINICIAN], lexicon)
            relative_line, of_patient = owners.get(mention.item, ("", False))
            if owner == "relative" and not relative_line:
                relative_line = line_id
            owners[mention.item] = (relative_line, of_patient or owner == "patient")
        previous = text if role == CLINICIAN else ""
    return owners


def given_to_patient(
    sentence: str, utterances: Sequence[Utterance], lexicon: GroundingLexicon
) -> list[tuple[str, str]]:
    """(as written, line saying it of a relative) for each item `sentence` gives the patient
    that the session said only of relatives."""
    if not lexicon.relatives:
        return []
    lines = lines_of(utterances)
    owners = read_once(_READ, lexicon, lines, lambda: _read_owners(lines, lexicon))
    found = []
    for mention in mentions(sentence, lexicon, written=True):
        relative_line, of_patient = owners.get(mention.item, ("", True))
        if not relative_line or of_patient:
            continue
        end = mention.start + len(mention.surface)
        owner = _owner(sentence, mention.start, end, _SELF["written"], lexicon, WRITTEN_REACH)
        if owner != "relative":
            found.append((mention.surface, relative_line))
    return found
