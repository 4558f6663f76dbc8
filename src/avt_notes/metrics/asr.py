"""Word and character error rates with a documented, versioned text normaliser.

WER depends as much on normalisation as on the recogniser, so the normaliser
is part of the metric and carries a version that results record.

Normaliser `avt-en-2` (2 added years and spoken titles), in order:
1. Unicode NFKC, lower case; transcription tags dropped (`<UNIN/>`,
   `<UNSURE>`/`</UNSURE>` markers, keeping the words inside), bracketed
   non-speech (`[laughs]`, `(inaudible)`) dropped.
2. Curly quotes straightened; hyphens, slashes and dashes become spaces;
   "%" becomes " percent"; other punctuation is removed, apostrophes inside
   words are kept (so "don't" stays one word).
3. Numbers written as digits become words: 0-999 with an optional decimal
   part ("12" → "twelve"), and years 1100-2099 as spoken ("1992" →
   "nineteen ninety two", "2005" → "two thousand and five"), so "two weeks"
   and "2 weeks" agree. Common spoken forms are unified: "dr" → "doctor",
   "mr" → "mister", "mrs" → "missus", "okay" → "ok".
4. Fillers and hesitations are removed: um, umm, uh, uhm, er, erm, ah, eh,
   hmm, hm, mm, mhm, mm-hmm, uh-huh.
5. Whitespace collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import jiwer

NORMALISER_VERSION = "avt-en-2"

FILLERS = frozenset("um umm uh uhm er erm ah eh hmm hm mm mhm mmhmm mmhm uhhuh".split())
SPOKEN_FORMS = {"dr": "doctor", "mr": "mister", "mrs": "missus", "okay": "ok"}
_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_TAG = re.compile(r"</?\s*unsure\s*>|<\s*unin\s*/?\s*>", re.IGNORECASE)
_NON_SPEECH = re.compile(r"\[[^\]]*\]|\([^)]*\)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _integer_words(value: int) -> str:
    if value < 20:
        return _ONES[value]
    if value < 100:
        tens, ones = divmod(value, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(value, 100)
    return f"{_ONES[hundreds]} hundred" + (f" and {_integer_words(rest)}" if rest else "")


def _year_words(value: int) -> str:
    high, low = divmod(value, 100)
    if 2000 <= value < 2010:
        return "two thousand" + (f" and {_ONES[low]}" if low else "")
    if low == 0:
        return f"{_integer_words(high)} hundred"
    return f"{_integer_words(high)} " + ("oh " + _ONES[low] if low < 10 else _integer_words(low))


def _number_words(match: re.Match[str]) -> str:
    text = match.group(0)
    whole, _, fraction = text.partition(".")
    if len(whole) == 4 and not fraction and 1100 <= int(whole) < 2100:
        return _year_words(int(whole))
    if len(whole) > 3:  # phone numbers, long figures: leave as digits
        return text
    words = _integer_words(int(whole))
    if fraction:
        words += " point " + " ".join(_ONES[int(d)] for d in fraction)
    return words


def normalise(text: str) -> str:
    """Text normalised for scoring by `NORMALISER_VERSION` (see module docstring)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _TAG.sub(" ", text)
    text = _NON_SPEECH.sub(" ", text)
    text = text.replace("’", "'").replace("‘", "'")
    text = re.sub(r"mm-hmm|uh-huh", " ", text)
    text = re.sub(r"[-‐–—/]", " ", text)
    text = text.replace("%", " percent")
    text = _NUMBER.sub(_number_words, text)
    text = re.sub(r"(?<![a-z0-9])'|'(?![a-z0-9])", " ", text)
    text = re.sub(r"[^\w\s']", " ", text)
    words = (SPOKEN_FORMS.get(word, word) for word in text.split())
    return " ".join(word for word in words if word not in FILLERS)


@dataclass(frozen=True)
class ErrorRates:
    wer: float
    cer: float
    substitutions: int
    deletions: int
    insertions: int
    reference_words: int
    normaliser: str = NORMALISER_VERSION


def error_rates(reference: str, hypothesis: str) -> ErrorRates:
    """WER/CER of `hypothesis` against `reference`, both normalised first.

    An empty reference scores 0 for an empty hypothesis and 1 per inserted word
    otherwise (jiwer refuses an empty reference).
    """
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        inserted = len(hyp.split())
        return ErrorRates(float(inserted), float(len(hyp)), 0, 0, inserted, 0)
    words = jiwer.process_words(ref, hyp or "")
    chars = jiwer.cer(ref, hyp or "")
    return ErrorRates(
        wer=float(words.wer),
        cer=float(chars),  # type: ignore[arg-type]
        substitutions=words.substitutions,
        deletions=words.deletions,
        insertions=words.insertions,
        reference_words=len(ref.split()),
    )


def word_error_rate(reference: str, hypothesis: str) -> float:
    return error_rates(reference, hypothesis).wer
