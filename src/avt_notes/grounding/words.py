"""Words as the grounding rules compare them: tokens, stems, content words, number words.

A crude stemmer and a fuzzy match (rapidfuzz ratio) tolerate inflection and the small
spelling slips of recognition ("tak(es)" / "take").
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

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


DATE_WORDS = set(MONTHS) | WEEKDAYS


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
