"""Read Praat TextGrid transcripts (the format PriMock57 ships its timings in).

A small reader instead of a dependency: PriMock57 uses only interval tiers, its
files mix the long format with CRLF line ends and tab or space indentation,
and we need nothing but (start, end, text) per interval. The reader works on
tokens (quoted strings, numbers, `<exists>` flags) the way Praat itself does,
so the short format parses too.

PriMock57 marks doubtful words `<UNSURE>…</UNSURE>` and unintelligible stretches
`<UNIN/>` (some files say `<INAUDIBLE_SPEECH/>`). `clean_text` keeps the words
inside UNSURE and drops the rest: that is the text a TTS voice can say, and so
the honest reference for a synthetic recording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from avt_notes.errors import InputError

# One Praat token: a quoted string ("" escapes a quote), a number, or a flag.
# Bracketed labels such as `item [1]:` are matched only so their digits are skipped.
_TOKEN = re.compile(
    r'"((?:[^"]|"")*)"'
    r"|(?<![\w\]])([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"|<(exists|absent)>"
    r"|(\[[^\]]*\])"
    r"|(![^\n]*)"
)

_UNSURE = re.compile(r"</?\s*UNSURE\s*>", re.IGNORECASE)
_OTHER_TAG = re.compile(r"<[^<>]*>")  # <UNIN/>, <INAUDIBLE_SPEECH/>, anything else
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_REPEATED_PUNCT = re.compile(r"([,;:])(?:\s*[,;:])+")
_COMMA_BEFORE_STOP = re.compile(r"[,;:]\s*([.!?])")
_LEADING_PUNCT = re.compile(r"^[\s,.;:!?]+")
_TRAILING_COMMA = re.compile(r"[\s,;:]+$")


@dataclass(frozen=True)
class Interval:
    """One interval of a tier; `text` is as transcribed, tags included."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Tier:
    name: str
    intervals: list[Interval]


def clean_text(raw: str) -> str:
    """Words a speaker can be heard to say: UNSURE words kept, UNIN/INAUDIBLE dropped."""
    text = _UNSURE.sub("", raw)
    text = _OTHER_TAG.sub(" ", text)
    text = " ".join(text.split())
    # Removing a tag leaves stray punctuation ("Sorry, , before"); tidy it.
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    text = _COMMA_BEFORE_STOP.sub(r"\1", text)
    text = _LEADING_PUNCT.sub("", text)
    text = _TRAILING_COMMA.sub("", text)
    return text.strip()


def _tokens(text: str) -> list[str | float | bool]:
    out: list[str | float | bool] = []
    for match in _TOKEN.finditer(text):
        string, number, flag, _label, _comment = match.groups()
        if string is not None:
            out.append(string.replace('""', '"'))
        elif number is not None:
            out.append(float(number))
        elif flag is not None:
            out.append(flag == "exists")
    return out


def parse_textgrid(text: str) -> list[Tier]:
    """Parse the text of a TextGrid (long or short format) into its tiers.

    Point tiers (TextTier) are read as zero-length intervals.
    """
    tokens = _tokens(text)
    position = 0

    def take(kind: type) -> str | float | bool:
        nonlocal position
        if position >= len(tokens):
            raise InputError("TextGrid ends early: expected more values")
        value = tokens[position]
        if kind is float and (isinstance(value, bool) or not isinstance(value, float)):
            raise InputError(f"TextGrid value {position}: expected a number, got {value!r}")
        if kind is str and not isinstance(value, str):
            raise InputError(f"TextGrid value {position}: expected a string, got {value!r}")
        position += 1
        return value

    if take(str) != "ooTextFile" or take(str) != "TextGrid":
        raise InputError("not a Praat TextGrid (expected 'ooTextFile' / 'TextGrid' header)")
    take(float)  # xmin
    take(float)  # xmax
    # `<absent>` means no tiers; `<exists>` is followed by the tier count.
    if position < len(tokens) and isinstance(tokens[position], bool) and not take(bool):
        return []
    n_tiers = int(take(float))
    tiers: list[Tier] = []
    for _ in range(n_tiers):
        tier_class = str(take(str))
        name = str(take(str))
        take(float)
        take(float)
        size = int(take(float))
        intervals: list[Interval] = []
        for _ in range(size):
            if tier_class == "IntervalTier":
                start, end = float(take(float)), float(take(float))
            else:
                start = end = float(take(float))
            intervals.append(Interval(start=start, end=end, text=str(take(str))))
        tiers.append(Tier(name=name, intervals=intervals))
    return tiers


def read_textgrid(path: str | Path) -> list[Tier]:
    """Read a TextGrid file (UTF-8, UTF-16 with BOM, or Latin-1)."""
    data = Path(path).read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    try:
        return parse_textgrid(text)
    except InputError as error:
        raise InputError(f"{path}: {error}") from error


def speech_intervals(tier: Tier) -> list[Interval]:
    """Intervals that hold audible words, with their text cleaned, in time order."""
    out = []
    for interval in tier.intervals:
        text = clean_text(interval.text)
        if text and interval.end > interval.start:
            out.append(Interval(start=interval.start, end=interval.end, text=text))
    return sorted(out, key=lambda i: (i.start, i.end))
