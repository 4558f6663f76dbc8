"""What the session denied: findings, drugs and body parts said only with a "no".

A small model summarising a history strings findings together and pulls in one
the patient denied: "tightness in their chest and throat" after "Not throat",
"paracetamol and ibuprofen" after "Any ibuprofen at all?" / "No". The cited lines
may not hold the denial, so the whole session is read: an item is denied when it
is said only under a negation in its clause ("No chest pain"), or asked about and
answered with a bare "No", and never said to be present, by the patient or in
the clinician's own statements (safety-netting, "if you get chest pain", is
neither). Pure functions over utterances.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from avt_notes.grounding.lexicon import GroundingLexicon
from avt_notes.grounding.specifics import findings_in
from avt_notes.grounding.words import tokens
from avt_notes.schemas import CLINICIAN, PATIENT, Utterance

# A negation reaches this many words forward within its clause ("not necessarily
# sort of in my neck").
NEGATION_REACH = 6
WRITTEN_REACH = 12
_CLAUSE = re.compile(r"[,.;:!?]|\bbut\b|\bthough\b|\balthough\b", re.IGNORECASE)
_HESITATION = r"^\W*(?:(?:uh|um|er|erm|hmm|mm|oh)\W+)*"
_NO_WORD = (
    r"(?:no|nope|nah|never|none|nothing|not really|not at all|actually not|really not|"
    r"nothing like that|nothing of (?:the|that) sort|none at all|not once)"
)
# A reply whose first sentence is only a "no" ("Uh, no.", "No, nothing.", "No, actually
# not."): "No, it's still there" or "No, only when I walk" answer something else.
_BARE_NO = re.compile(
    _HESITATION + _NO_WORD + r"(?:[\s,.!]+" + _NO_WORD + r")*[\s,.!]*$", re.IGNORECASE
)
# A question whether something is there at all ("Any ibuprofen?", "Do you get chest
# pain?"), not about what it is like ("Has the ibuprofen helped?", "Does the pain go
# anywhere?", "... when you are resting?").
_WHETHER = re.compile(
    r"\b(?:any|anything|ever|do you (?:have|get|take|smoke|drink)|is there|"
    r"have you (?:had|got|taken|noticed|been|tried)|"
    r"are you (?:still )?(?:taking|getting|having|on)|did you (?:have|get|take|notice|try))\b",
    re.IGNORECASE,
)
_WHAT_LIKE = re.compile(
    r"\b(?:help\w*|go(?:es)? anywhere|spread\w*|radiat\w*|worse|better|gone|when|where|"
    r"why|what|how|which|since|still|brought|caus\w*|while)\b",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_FILLER = re.compile(r"^\W*(?:(?:uh|um|er|erm|hmm|mm|oh)\W*)*$", re.IGNORECASE)
_YES = re.compile(_HESITATION + r"(?:yes|yeah|yep|yup)\b", re.IGNORECASE)
# "blood tests", "a chest x-ray": what is tested, not a finding.
_TESTED = re.compile(
    r"\s*(?:tests?|pressure|sugars?|counts?|results?|x-?rays?|scans?)\b", re.IGNORECASE
)
# Words that may stand between a negation and the body part it is about.
_BETWEEN = frozenset(
    "in on at around my the a any of really necessarily sort kind like just so much".split()
)
# Words that may stand between a negation and the finding or drug it denies ("no chest
# pain", "I haven't had any nausea", "not taking any ibuprofen"); other words mean the
# negation is about something else ("Nothing seems to help the headache").
_BEFORE_ITEM = _BETWEEN | frozenset(
    "had have has got get getting having taken taking take noticed experienced been felt "
    "feel feeling with or and an real signs symptom symptoms other more".split()
)
# What follows a "never had X" that makes it a first time, not a denial.
_NOT_YET = re.compile(r"[^,.;!?]*\b(?:before|until|till|since|except)\b", re.IGNORECASE)
# A written sentence's list ("no spots, fever or sweating") runs over commas; so does
# advice to leave something be ("avoid smoking and alcohol").
_WRITTEN_CLAUSE = re.compile(r"[.;:!?]|\bbut\b|\bthough\b|\balthough\b", re.IGNORECASE)
_LEAVE_BE = re.compile(
    r"\b(?:avoid\w*|stop\w*|reduc\w*|cut\w* down|limit\w*|refrain\w*|without|instead of)\b",
    re.IGNORECASE,
)
_QUESTION_PART = re.compile(r"[^.!?]*\?")
_CONDITIONAL = re.compile(
    r"[^.!?]*\b(?:if|unless|in case|should you)\b[^.!?]*[.!?]?", re.IGNORECASE
)


@dataclass(frozen=True)
class Mention:
    item: str  # "finding chest pain", "drug ibuprofen", "body throat"
    surface: str  # as written
    negated: bool
    start: int = 0  # where in the text


def mentions(text: str, lexicon: GroundingLexicon, *, written: bool = False) -> list[Mention]:
    """The findings, drugs and body parts `text` names, each with whether its clause negates it.

    In what was said, a body part is negated only as what the negation is about ("Not
    throat", "not in my neck"), not as where a negated finding is ("no pain in my
    chest"). A `written` sentence is read leniently the other way: its lists run on
    ("does not have any fevers, vomiting, or diarrhoea"). Both leave a doubt unflagged.
    """
    clause = _WRITTEN_CLAUSE if written else _CLAUSE
    reach = WRITTEN_REACH if written else NEGATION_REACH
    found: list[Mention] = []
    spans: list[tuple[int, int]] = []
    for kind, pattern, groups in (
        ("finding", lexicon.finding_pattern, lexicon.findings),
        ("drug", lexicon.drug_pattern, lexicon.drugs),
        ("body", lexicon.body_part_pattern, lexicon.body_parts),
    ):
        if pattern is None:
            continue
        for match in pattern.finditer(text):
            if _TESTED.match(text, match.end()):
                continue
            if kind == "body" and any(a < match.end() and match.start() < b for a, b in spans):
                continue  # "chest" inside "chest pain": the finding speaks for it
            spans.append((match.start(), match.end()))
            item = f"{kind} {groups[match.group(0).lower()]}"
            between = None if written else (_BETWEEN if kind == "body" else _BEFORE_ITEM)
            negated = _negated(text, match.start(), lexicon, clause, reach, between)
            if negated and not written and _NOT_YET.match(text, match.end()):
                negated = False  # "never had chest pain before this week"
            found.append(Mention(item, match.group(0), negated, match.start()))
    return found


def _negated(
    text: str,
    start: int,
    lexicon: GroundingLexicon,
    clause: re.Pattern[str],
    reach: int,
    between: frozenset[str] | None,
) -> bool:
    clause_start = 0
    for boundary in clause.finditer(text, 0, start):
        clause_start = boundary.end()
    said = tokens(text[clause_start:start].lower().replace("’", "'"))
    before = [w for w in said if w[:1].isalnum()][-reach:]
    for index in range(len(before) - 1, -1, -1):
        word = before[index]
        if word in lexicon.negation_cues or word.endswith("n't"):
            return between is None or all(w in between for w in before[index + 1 :])
    return False


def _asked(text: str) -> str:
    """The question sentences of a line ("So no fever. Any ibuprofen at all?" -> the last)."""
    return " ".join(m.group(0) for m in _QUESTION_PART.finditer(text))


Lines = tuple[tuple[str, str, str], ...]  # (id, role, text) in time order
_T = TypeVar("_T")
# Every sentence of a draft reads the same session: the last sessions' readings are kept.
_READ: dict[tuple[int, Lines], tuple[GroundingLexicon, dict[str, str]]] = {}
_LOCK = threading.Lock()
_READ_KEEP = 8


_FINDINGS: dict[tuple[int, Lines], tuple[GroundingLexicon, frozenset[str]]] = {}


def read_once(
    cache: dict[tuple[int, Lines], tuple[GroundingLexicon, _T]],
    lexicon: GroundingLexicon,
    lines: Lines,
    read: Callable[[], _T],
) -> _T:
    """`read()` for this lexicon and session, made once. The lexicon is kept with the
    reading and compared by identity: an id alone may be reused after it is freed."""
    key = (id(lexicon), lines)
    with _LOCK:
        kept = cache.get(key)
        if kept is not None and kept[0] is lexicon:
            return kept[1]
    value = read()
    with _LOCK:
        while len(cache) >= _READ_KEEP:
            cache.pop(next(iter(cache)))
        cache[key] = (lexicon, value)
    return value


def _denied_in(lines: Lines, lexicon: GroundingLexicon) -> dict[str, str]:
    return read_once(_READ, lexicon, lines, lambda: _read_denials(lines, lexicon))


def lines_of(utterances: Iterable[Utterance]) -> Lines:
    ordered = sorted(utterances, key=lambda u: (u.start, u.id))
    return tuple((u.id, u.role, u.text) for u in ordered)


def patients_findings(utterances: Iterable[Utterance], lexicon: GroundingLexicon) -> frozenset[str]:
    """The findings the patient named anywhere in the session (negated or not)."""
    lines = lines_of(utterances)

    def read() -> frozenset[str]:
        return frozenset(
            finding
            for _, role, text in lines
            if role == PATIENT
            for finding in findings_in(text, lexicon)
        )

    return read_once(_FINDINGS, lexicon, lines, read)


def _read_denials(lines: Lines, lexicon: GroundingLexicon) -> dict[str, str]:
    denied: dict[str, str] = {}
    present: set[str] = set()
    for index, (line_id, role, text) in enumerate(lines):
        asked = _asked(text)
        stated = _QUESTION_PART.sub(" ", text)
        if role == CLINICIAN:
            # Safety-netting is no finding: "if you get any chest pain, go to A and E".
            stated = _CONDITIONAL.sub(" ", stated)
        if role in (PATIENT, CLINICIAN):
            for mention in mentions(stated, lexicon):
                if mention.negated:
                    denied.setdefault(mention.item, line_id)
                else:
                    present.add(mention.item)
        if role != CLINICIAN or not asked:
            continue
        reply = _reply(lines, index)
        if reply is None:
            continue
        whether = _WHETHER.search(asked) is not None and _WHAT_LIKE.search(asked) is None
        for mention in mentions(asked, lexicon):
            if mention.negated:
                continue
            if _YES.match(reply[2]):
                present.add(mention.item)
            elif whether and _BARE_NO.match(_SENTENCES.split(reply[2], maxsplit=1)[0]):
                denied.setdefault(mention.item, reply[0])
    return {item: line_id for item, line_id in denied.items() if item not in present}


def _reply(lines: Lines, index: int) -> tuple[str, str, str] | None:
    """The patient's next line that says something ("Uh." is passed over), if next."""
    for line in lines[index + 1 : index + 3]:
        if line[1] != PATIENT:
            return None
        if not _FILLER.match(line[2]):
            return line
    return None


def denied_items(utterances: Iterable[Utterance], lexicon: GroundingLexicon) -> dict[str, str]:
    """Item -> the line denying it, for items the session denies and never says are present."""
    return _denied_in(lines_of(utterances), lexicon)


def asserted_denied(
    sentence: str, utterances: Sequence[Utterance], lexicon: GroundingLexicon
) -> list[tuple[str, str]]:
    """(as written, denying line) for each item the sentence states that the session denied."""
    denied = denied_items(utterances, lexicon)
    written = _CONDITIONAL.sub(" ", _QUESTION_PART.sub(" ", sentence))
    found = []
    for m in mentions(written, lexicon, written=True):
        if m.negated or m.item not in denied:
            continue
        clause_start = max(
            (b.end() for b in _WRITTEN_CLAUSE.finditer(written, 0, m.start)), default=0
        )
        if _LEAVE_BE.search(written, clause_start, m.start):
            continue
        found.append((m.surface, denied[m.item]))
    return found
