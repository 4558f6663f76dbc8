"""A line copied word for word in the first person becomes a quote of its speaker.

A small model sometimes copies a patient's line into the note as it was said: "I've
got her morphine still in the cupboard". In a note, that "I" reads as the clinician's.
When the sentence is, word for word, part of a line it cites, saying who said it is
faithful and loses nothing: 'The patient said "I've got her morphine still in the
cupboard."'. Anything reworded stays as written, for the person check to flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from avt_notes.drafting.schemas import DraftSentence
from avt_notes.schemas import CLINICIAN, PATIENT, Utterance

_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|myself)\b")
_WORD = re.compile(r"[a-z0-9']+")
MIN_WORDS = 3


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def _contains(line: list[str], part: list[str]) -> bool:
    width = len(part)
    return any(line[i : i + width] == part for i in range(len(line) - width + 1))


def quoted_if_copied(sentence: DraftSentence, utterances: Mapping[str, Utterance]) -> str:
    """The sentence's text, or 'The patient said "..."' when it copies a cited line's words
    in the first person."""
    text = sentence.text.strip()
    if text.startswith(('"', "“")):
        return sentence.text
    words = _words(text)
    if len(words) < MIN_WORDS or not _FIRST_PERSON.search(" ".join(words)):
        return sentence.text
    speakers = {
        utterance.role
        for utterance in (utterances.get(i) for i in sentence.evidence)
        if utterance is not None and _contains(_words(utterance.text), words)
    }
    # Both said it ("When you say 'I can't cope'..." / "I can't cope"): whose it is, unsaid.
    if len(speakers) == 1 and (speaker := speakers.pop()) in (PATIENT, CLINICIAN):
        return f"The {speaker} said “{text}”"
    return sentence.text
