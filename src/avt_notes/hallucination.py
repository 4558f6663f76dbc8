"""Recognise Whisper's two failure shapes on hard speech: spelled letters and loops.

On accented or unclear speech Whisper sometimes gives up on words and spells
letters ("C -S -O -T -F -O -M") or repeats one phrase until the window ends.
Both are text with no support in the audio, so the recogniser replaces such a
segment by one "[unclear]" word with probability 0: a marked gap the clinician
listens to is safer than invented words. These checks are pure functions over
the segment's word strings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A run of this many single letters (optionally hyphen/period-joined) is spelling.
LETTER_RUN = 3
# A phrase of 2-6 words said this many times in a row is a loop; a single word
# needs more ("no, no, no" is speech).
REPEATS = 3
WORD_REPEATS = 5
_LETTER = re.compile(r"^[-.]?[A-Za-z][-.,]?$")
# Single-letter words that are real words in running English.
_WORD_LETTERS = frozenset({"a", "i", "o"})


def _is_letter(token: str) -> bool:
    """A lone letter; "a", "I" and "O" only when spelled ("-O", "A.")."""
    if not _LETTER.match(token):
        return False
    return token.strip(",").lower() not in _WORD_LETTERS


def spelled_letter_run(words: Sequence[str], run: int = LETTER_RUN) -> bool:
    """True when `run` or more consecutive tokens are lone letters ("C -S -O")."""
    count = 0
    for word in words:
        count = count + 1 if _is_letter(word.strip()) else 0
        if count >= run:
            return True
    return False


def repeated_phrase(words: Sequence[str], longest: int = 6) -> bool:
    """True when a phrase of 2..`longest` words occurs REPEATS times back to back,
    or one word `WORD_REPEATS` times."""
    tokens = [re.sub(r"[^\w']", "", w.lower()) for w in words]
    tokens = [t for t in tokens if t]
    for size in range(1, longest + 1):
        repeats = WORD_REPEATS if size == 1 else REPEATS
        for start in range(len(tokens) - size * repeats + 1):
            phrase = tokens[start : start + size]
            if all(
                tokens[start + k * size : start + (k + 1) * size] == phrase
                for k in range(1, repeats)
            ):
                return True
    return False


def looks_hallucinated(words: Sequence[str]) -> bool:
    """Either failure shape (spelled letters or a loop)."""
    return spelled_letter_run(words) or repeated_phrase(words)
