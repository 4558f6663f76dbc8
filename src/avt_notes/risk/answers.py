"""Reading the reply to a risk question: denied, reported in the patient's words, or unanswered.

The rule the clinician relies on: a reply is a denial only when it is a clear,
unqualified negation ("No, never."); "Not since I was at school" or "No, but I
think about it" are reported with their own words. "Asked, no clear answer" is
kept for replies that are really about something else (another question, or a
longer reply that shares no meaning with the question and holds no risk language).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from avt_notes.risk.lexicon import RiskLexicon
from avt_notes.schemas import Utterance

AnswerReading = Literal["reported", "denied", "asked"]

_WORD = re.compile(r"[\w'’]+")


def find_answer(utterances: list[Utterance], index: int) -> Utterance | None:
    """The next utterance by another speaker, if it comes within the next two."""
    asker = utterances[index].speaker
    for following in utterances[index + 1 : index + 3]:
        if following.speaker != asker:
            return following
    return None


def read_answer(
    question: str,
    answer: str,
    lexicon: RiskLexicon,
    *,
    has_risk_language: bool,
    similarity: Callable[[str, str], float] | None = None,
) -> AnswerReading:
    """How `answer` replies to the risk `question` (see the module docstring)."""
    rules = lexicon.answers
    text = answer.strip()
    if not text:
        return "asked"
    if rules.negative.search(text) and not rules.qualifiers.search(text):
        return "denied"
    if has_risk_language or rules.positive.search(text):
        return "reported"
    if text.endswith("?"):
        return "asked"
    long_enough = len(_WORD.findall(text)) >= rules.off_topic_min_words
    unrelated = (
        long_enough
        and similarity is not None
        and similarity(question, text) < rules.off_topic_max_similarity
    )
    if unrelated:
        return "asked"
    return "reported"
