"""Whose condition: a finding or drug said only of a relative is not the patient's.

A small model summarising a history folds the family history into the patient's:
"The patient has asthma and hypothyroidism" after "I have asthma, and in my family
there's hypothyroidism ... My mother". Each mention in the session gets an owner:
the nearest person named before it in its sentence (a relative from ``relatives:``
in ``prompts/grounding.yaml``; the patient's "I"/"my" in the patient's line, "you"/
"your" in the clinician's; "he"/"she" for someone unnamed), or a relative after it
("diabetes runs in the family"). A bare answer ("Hypothyroidism.") takes the owner
the question before it named last. A sentence giving the patient an item that the
session gave to relatives and never possibly to the patient is flagged. Any doubt
counts for the patient: an owner nobody named, "I do too", another speaker's line,
or a question the patient answered "yes". Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from avt_notes.grounding.denials import Lines, lines_of, mentions, read_once
from avt_notes.grounding.lexicon import GroundingLexicon
from avt_notes.schemas import CLINICIAN, PATIENT, Utterance

Owner = Literal["relative", "patient", "someone", "unknown"]

# Most words looked back for the owner: in a line, and in a note sentence.
SAID_REACH = 8
WRITTEN_REACH = 12
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_SENTENCE = re.compile(r"[^.!?]*(?:[.!?]+|$)")
_QUESTION = re.compile(r"[^.!?]*\?")
_YES = re.compile(r"^\W*(?:(?:uh|um|er|erm|mm)\W+)*(?:yes|yeah|yep|yup|i do|i have)\b", re.I)
_SELF = {
    PATIENT: frozenset("i i'm i've i'd i'll me my myself mine".split()),
    CLINICIAN: frozenset("you you're you've you'd your yourself".split()),
    "written": frozenset(
        "patient patient's client client's they they're they've them their themselves".split()
    ),
}
# Someone the words do not name: not the patient, not a known relative either.
_THIRD = frozenset("he he's she she's his her him".split())
# "My mum has it, and I do too": the patient shares it.
_SHARED = re.compile(
    r"\b(?:i|i've|i'm|me)\b[^.!?]*\b(?:too|also|as well)\b|\bso (?:do|have|am) i\b", re.I
)
# "Hypothyroidism (mother)", "dementia in her mother": a relative right after the item.
_RELATIVE_AFTER = re.compile(
    r"\W*(?:\(|\b(?:in|of|for)\s+)(?:(?:the\s+)?patient's\s+|her\s+|his\s+|their\s+|my\s+)?"
    r"(?P<who>[a-z']+)",
    re.IGNORECASE,
)
_READ: dict[tuple[int, Lines], tuple[GroundingLexicon, dict[str, tuple[str, bool]]]] = {}


def _relative(word: str, lexicon: GroundingLexicon) -> bool:
    """A relative named, possessive or not ("nan's", "parents'")."""
    bare = word.removesuffix("'s").rstrip("'")
    return word in lexicon.relatives or bare in lexicon.relatives


def _owner_before(
    text: str, start: int, selves: frozenset[str], lexicon: GroundingLexicon, reach: int
) -> Owner:
    sentence_start = max((m.end() for m in re.finditer(r"[.!?]\s", text[:start])), default=0)
    before = _WORD.findall(text[sentence_start:start].lower().replace("’", "'"))[-reach:]
    for word in reversed(before):
        if _relative(word, lexicon):
            return "relative"
        if word in selves:
            return "patient"
        if word in _THIRD:
            return "someone"
    return "unknown"


def _owner(
    text: str, start: int, end: int, selves: frozenset[str], lexicon: GroundingLexicon, reach: int
) -> Owner:
    """The patient named before the item wins ("I've got diabetes, it runs in the family"
    is the patient's too); then a relative after it; then whoever is named before it."""
    before = _owner_before(text, start, selves, lexicon, reach)
    if before == "patient":
        return before
    if lexicon.family_after is not None and lexicon.family_after.match(text, end):
        return "relative"
    after = _RELATIVE_AFTER.match(text, end)
    if after and _relative(after.group("who").lower(), lexicon):
        return "relative"
    return before


def _sentence_of(text: str, position: int) -> str:
    for match in _SENTENCE.finditer(text):
        if match.start() <= position < max(match.end(), match.start() + 1):
            return match.group(0)
    return text


def _read_owners(lines: Lines, lexicon: GroundingLexicon) -> dict[str, tuple[str, bool]]:
    """Item -> (a line saying it of a relative, whether any line may say it of the patient)."""
    owners: dict[str, tuple[str, bool]] = {}
    for index, (line_id, role, text) in enumerate(lines):
        asked = {m.span() for m in _QUESTION.finditer(text)}
        reply = lines[index + 1] if index + 1 < len(lines) else None
        affirmed = reply is not None and reply[1] == PATIENT and bool(_YES.match(reply[2]))
        before = lines[index - 1] if index > 0 else None
        asker = before[2] if before is not None and before[1] == CLINICIAN else ""
        for mention in mentions(text, lexicon):
            if mention.item.startswith("body "):
                continue
            end = mention.start + len(mention.surface)
            relative_line, of_patient = owners.get(mention.item, ("", False))
            if role not in (PATIENT, CLINICIAN):
                owners[mention.item] = (relative_line, True)  # another speaker: may be theirs
                continue
            owner = _owner(text, mention.start, end, _SELF[role], lexicon, SAID_REACH)
            in_question = any(a <= mention.start < b for a, b in asked)
            if owner == "unknown" and role == PATIENT and asker:
                owner = _owner_before(asker, len(asker), _SELF[CLINICIAN], lexicon, 10_000)
            if owner == "relative":
                relative_line = relative_line or line_id
                sentence = _sentence_of(text, mention.start)
                shared = role == PATIENT and bool(_SHARED.search(sentence))
                owners[mention.item] = (relative_line, of_patient or shared)
                continue
            # A question or a denial is no statement that the patient has it, unless the
            # patient answers "yes"; anything else unsure may be the patient's.
            mine = owner in ("patient", "unknown") and not mention.negated
            if in_question:
                mine = owner in ("patient", "unknown") and affirmed
            owners[mention.item] = (relative_line, of_patient or mine)
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
        if not relative_line or of_patient or mention.negated:
            continue
        end = mention.start + len(mention.surface)
        owner = _owner(sentence, mention.start, end, _SELF["written"], lexicon, WRITTEN_REACH)
        if owner in ("patient", "unknown"):
            found.append((mention.surface, relative_line))
    return found
