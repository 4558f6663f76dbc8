"""Sound-alike risk keywords: reading "stockpiling my bills" as "stockpiling my pills".

Speech recognition swaps voiced and voiceless consonants and vowels ("pills" as
"bills", "slit" as "slid", "picking" as "peeking"). A word is read as a risk
keyword (``prompts/risk/soundalikes.yaml``) when both have the same sound key:
the consonant skeleton with b/p, d/t, g/k, v/f, z/s merged and vowels dropped.
Only the lexicon's patterns see the corrected text, and a match must keep a
word heard as it is: the correction adds context to a pattern, never a hit on
its own. Pure functions; the keyword list is loaded once per file version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from avt_notes.risk.word_list import load_word_list

_WORD = re.compile(r"[A-Za-z]+")
# Spellings of one sound first, then voiced consonants to their voiceless pairs.
_SPELLINGS = (
    ("ph", "f"),
    ("ck", "k"),
    ("qu", "kw"),
    ("x", "ks"),
    ("ce", "se"),
    ("ci", "si"),
    ("cy", "sy"),
    ("c", "k"),
)
_VOICING = str.maketrans("bdgvzq", "ptkfsk")


# Every word of every utterance is keyed, and talk repeats its words.
@lru_cache(maxsize=16384)
def sound_key(word: str) -> str:
    """The sound skeleton of `word`: consonants with voicing merged, each vowel run as "a".

    "bills" and "pills" share "pal"+"s"; "please" ("plas") and "police" ("palas") do not.
    """
    text = word.lower()
    if len(text) > 2 and text.endswith("e") and text[-2] not in "aeiouy":
        text = text[:-1]  # a silent final e
    for spelling, sound in _SPELLINGS:
        text = text.replace(spelling, sound)
    text = text.translate(_VOICING)
    # h and w are heard only at the start of a word ("harming", but "knight" ~ "nite").
    text = text[0] + "".join(c for c in text[1:] if c not in "hw") if text else text
    key = re.sub(r"[aeiouy]+", "a", text)
    return re.sub(r"([^a])\1+", r"\1", key)


def _consonants(key: str) -> int:
    return sum(c != "a" for c in key)


@dataclass(frozen=True)
class SoundAlikes:
    version: str
    by_key: dict[str, str]  # sound key -> keyword
    keywords: frozenset[str]
    never_read: frozenset[str] = frozenset()  # everyday words far more often said than misheard

    def keyword_for(self, word: str) -> str | None:
        """The risk keyword `word` sounds like, unless it is a keyword itself or an
        everyday word never read as one ("getting" is not "cutting")."""
        if word.lower() in self.keywords or word.lower() in self.never_read:
            return None
        return self.by_key.get(sound_key(word))


NO_SOUNDALIKES = SoundAlikes(version="", by_key={}, keywords=frozenset())


@dataclass(frozen=True)
class Heard:
    """A text with sound-alike words read as keywords; `swaps` are (start, end, heard, read)."""

    text: str
    swaps: tuple[tuple[int, int, str, str], ...]


def read_soundalikes(text: str, soundalikes: SoundAlikes) -> Heard:
    """`text` with each sound-alike word replaced by its keyword; spans refer to the new text."""
    parts: list[str] = []
    swaps: list[tuple[int, int, str, str]] = []
    position = 0
    length = 0
    for match in _WORD.finditer(text):
        keyword = soundalikes.keyword_for(match.group(0))
        if keyword is None:
            continue
        before = text[position : match.start()]
        parts.append(before)
        length += len(before)
        swaps.append((length, length + len(keyword), match.group(0), keyword))
        parts.append(keyword)
        length += len(keyword)
        position = match.end()
    parts.append(text[position:])
    return Heard("".join(parts), tuple(swaps))


def load_soundalikes(path: Path) -> SoundAlikes:
    """The keyword list at `path` (``prompts/risk/soundalikes.yaml``)."""
    return load_word_list(path, "sound-alike list", _soundalikes)


def _soundalikes(raw: Any) -> SoundAlikes:
    shortest = int(raw["min_key"])
    keywords = [str(k).lower() for k in raw["keywords"]]
    by_key: dict[str, str] = {}
    for keyword in keywords:
        key = sound_key(keyword)
        if _consonants(key) >= shortest:
            by_key.setdefault(key, keyword)
    return SoundAlikes(
        version=str(raw["version"]),
        by_key=by_key,
        keywords=frozenset(keywords),
        never_read=frozenset(str(w).lower() for w in raw.get("never_read") or []),
    )
