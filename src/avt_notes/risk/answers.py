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
    asked_about: str = "",
    about_safety: bool = False,
) -> AnswerReading:
    """How `answer` replies to the risk `question` (see the module docstring).

    `asked_about`: the question's risk words ("made any plans"), to tell a denial
    that names them ("No plans. But ...") from a qualified "no". `about_safety`: the
    question names safety, not risk ("Do you feel safe at home?"), so "yes" denies.
    """
    rules = lexicon.answers
    text = answer.strip()
    if not text:
        return "asked"
    if about_safety:
        # "Do you feel safe at home?": only a clear, unqualified yes denies; "No", "Not
        # really", "Mostly" are reported in the patient's words.
        clear_yes = rules.clear_yes.search(text) and not rules.qualifiers.search(text)
        partial = _PARTLY_SAFE.search(text)
        if clear_yes and not partial and not has_risk_language and not lexicon.cues.search(text):
            return "denied"
        return "asked" if text.endswith("?") else "reported"
    if rules.negative.search(text) and not _qualified(text, lexicon, has_risk_language):
        return "denied"
    if has_risk_language and _denies_by_name(text, asked_about, lexicon):
        return "denied"
    if has_risk_language or rules.positive.search(text):
        return "reported"
    if text.endswith("?"):
        return "asked"
    if _POINTS_BACK_START.match(text):
        return "reported"  # "They've been there on and off since the summer"
    long_enough = len(_WORD.findall(text)) >= rules.off_topic_min_words
    unrelated = (
        long_enough
        and similarity is not None
        and similarity(question, text) < rules.off_topic_max_similarity
    )
    if unrelated:
        return "asked"
    return "reported"


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# A "yes" to a safety question that is not a whole yes: "Yeah, mostly", "Yes, for now".
_PARTLY_SAFE = re.compile(
    r"\b(?:mostly|usually|most of|for now|i think|i suppose|i guess|generally|normally|"
    r"when|as long as|if|unless|sometimes|kind of|sort of|probably|rarely|scared|afraid)\b",
    re.IGNORECASE,
)
# A reply opening with a word that points back at the question is about it, however
# little it shares with the question's words.
_POINTS_BACK_START = re.compile(
    r"^\s*(?:they|they[’']ve|they[’']re|it|it[’']s|that|that[’']s|those|these|them)\b",
    re.IGNORECASE,
)


def _qualified(text: str, lexicon: RiskLexicon, has_risk_language: bool) -> bool:
    """Whether a qualifier makes a negative reply something other than a denial: "No, but
    I think about it" is; "No. I'm fed up, but I'd never do that" is not, its "but" going
    on to a refusal of its own, where the reply holds no risk language ("No, but nobody
    would miss me" stays qualified)."""
    for qualifier in lexicon.answers.qualifiers.finditer(text):
        refuses = _REFUSAL.match(text[qualifier.end() :])
        if has_risk_language or refuses is None:
            return True
    return False


# "...but I'd never do that", "...but I wouldn't", "...but I'm not going to".
_REFUSAL = re.compile(
    r"[\s,]*(?:i[’']?d|i would|i[’']?ll|i will|i[’']?m|i am)\s+(?:never|not|n[’']?t)\b"
    r"|[\s,]*i (?:wouldn|won)[’']?t\b",
    re.IGNORECASE,
)


def _denies_by_name(answer: str, asked_about: str, lexicon: RiskLexicon) -> bool:
    """Whether the answer opens with a sentence of its own denying what was asked by name.

    "No plans. But I've been saving up my tablets": the plans are denied, and the
    rest is a disclosure of its own, listed from its own words (the caller only asks
    when it holds risk language). A bare "No. But I think about it" names nothing
    and stays a qualified answer, reported in the patient's words.
    """
    sentences = _SENTENCE_END.split(answer, maxsplit=1)
    if len(sentences) < 2:
        return False
    first = sentences[0]
    rules = lexicon.answers
    negation = rules.negative.search(first)
    if negation is None or rules.qualifiers.search(first):
        return False
    named = _content(first[negation.end() :]) - lexicon.function_words
    return bool(named & _content(asked_about))


def _content(text: str) -> set[str]:
    """Lower-case words of four letters or more, a plural's "s" dropped."""
    return {w.lower().removesuffix("s") for w in _WORD.findall(text) if len(w) >= 4}


# A clinician's short question straight after a disclosure that points back at it ("Is
# that new?", "When did it start?") or is too short to be about anything else ("How
# often?") asks about that disclosure, so the patient's reply continues it ("I did it in
# year nine as well"). Longer lines, and short ones with a topic of their own ("How have
# you been sleeping?"), move on.
FOLLOW_UP_MAX_WORDS = 8
ELLIPTICAL_MAX_WORDS = 3
_POINTS_BACK = re.compile(r"\b(?:that|it|this|those|these|them|then|again)\b", re.IGNORECASE)
# Replies shorter than this ("No.", "Since May.") say little on their own; the
# disclosure they follow is listed already.
FOLLOW_UP_MIN_REPLY_WORDS = 4
_INTERROGATIVE = re.compile(
    r"(?:^|[.!?]\s+)(?:and\s+|so\s+)?(?:is|are|was|were|do|does|did|has|have|had|can|could|"
    r"will|would|how|when|what|where|who|why|which)\b[^.!?]*\??\s*$",
    re.IGNORECASE,
)


def is_follow_up_reply(utterances: list[Utterance], index: int) -> bool:
    """Whether utterance `index` is a patient's reply to a short question about their last line.

    The pattern: patient line, clinician's short question pointing back at it,
    same patient's reply of a few words or more. Whether the first line disclosed
    anything is the caller's business; this only reads the shape of the exchange.
    """
    if index < 2:
        return False
    disclosure, question, reply = utterances[index - 2 : index + 1]
    if reply.role != "patient" or question.role != "clinician":
        return False
    if disclosure.speaker != reply.speaker:
        return False
    asked = question.text.strip()
    if len(_WORD.findall(asked)) > FOLLOW_UP_MAX_WORDS:
        return False
    if not (asked.endswith("?") or _INTERROGATIVE.search(asked)):
        return False
    last = re.split(r"(?<=[.!?])\s+", asked)[-1]  # "Thank you. Is that new?" asks the last
    if len(_WORD.findall(last)) > ELLIPTICAL_MAX_WORDS and not _POINTS_BACK.search(last):
        return False
    return len(_WORD.findall(reply.text)) >= FOLLOW_UP_MIN_REPLY_WORDS
