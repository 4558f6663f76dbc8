"""A clinician's question in the patient's words: the second person read as the first.

Clinicians ask in the second person what patients say in the first ("Does your
partner ever stop you seeing friends?" / "He stops me seeing my friends"), and the
lexicon's patterns are written as patients speak. A clinician's line is read
again with "you" as "I" or "me", "your" as "my", "yourself" as "myself"; each
character of the new text keeps the span of the text it came from, so a match
found in it points at the clinician's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SECOND_PERSON = re.compile(
    r"(?<![\w'’])(yourself|yours|your|you[’']re|you[’']ve|you[’']d|you[’']ll|you)(?![\w'’])",
    re.IGNORECASE,
)
_FIRST_PERSON = {
    "yourself": "myself",
    "yours": "mine",
    "your": "my",
    "you're": "I'm",
    "you've": "I've",
    "you'd": "I'd",
    "you'll": "I'll",
}
# "you" is the subject ("I") before a verb of these kinds or after a word that asks or
# joins ("Have you ever tried", "anything you could use"); the object ("me") otherwise
# ("Does he hurt you?", "stop you seeing").
_SUBJECT_AFTER = re.compile(
    r"^\s*(?:could|can|would|will|should|might|may|must|have|had|are|were|was|do|did|ever|"
    r"feel|felt|think|thought|want|wanted|need|needed|get|got|go|keep|kept|know|use|used|"
    r"still|sometimes|often|really|also|never|been|tried|plan|planned|mean|say|said|hear|"
    r"see|drink|take|took|smoke|wish|hope|worry|hurt|harm|cut|like)\b",
    re.IGNORECASE,
)
_SUBJECT_BEFORE = re.compile(
    r"(?:^|[.!?,;:]\s*|\b(?:do|did|does|have|has|had|are|were|would|could|can|will|if|that|"
    r"when|whether|and|or|so|as|because|since|where|what|how|why)\s+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reread:
    """`text` in the first person, and where each of its characters came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that `text[start:end]` was read from."""
        return self.starts[start], self.ends[end - 1]


def in_first_person(text: str) -> Reread | None:
    """`text` with its second person read as the first, or None when it has none."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last = 0
    for match in _SECOND_PERSON.finditer(text):
        pieces.append(text[last : match.start()])
        starts.extend(range(last, match.start()))
        ends.extend(range(last + 1, match.start() + 1))
        word = match.group(0).lower().replace("’", "'")
        if word == "you":
            subject = _SUBJECT_BEFORE.search(text[: match.start()]) or _SUBJECT_AFTER.match(
                text[match.end() :]
            )
            read = "I" if subject else "me"
        else:
            read = _FIRST_PERSON[word]
        pieces.append(read)
        starts.extend([match.start()] * len(read))
        ends.extend([match.end()] * len(read))
        last = match.end()
    if not pieces:
        return None
    pieces.append(text[last:])
    starts.extend(range(last, len(text)))
    ends.extend(range(last + 1, len(text) + 1))
    return Reread("".join(pieces), tuple(starts), tuple(ends))
