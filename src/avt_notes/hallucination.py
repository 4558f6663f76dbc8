"""Recognise Whisper's two failure shapes on hard speech: spelled letters and loops.

On accented or unclear speech Whisper sometimes gives up on words and spells
letters ("C -S -O -T -F -O -M") or repeats one phrase until the window ends.
Both are text with no support in the audio, so the recogniser replaces the
letter run, or a loop's repetitions after its first occurrence, by one
"[unclear]" word with probability 0: a marked gap the clinician listens to is
safer than invented words, and the real words around it are kept. These
checks are pure functions over the segment's word strings.
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


Span = tuple[int, int]  # [start, end) indices into the word list


def letter_run_span(words: Sequence[str], run: int = LETTER_RUN) -> Span | None:
    """The first stretch of `run` or more lone letters ("C -S -O"), whole."""
    start = None
    for index, word in enumerate([*words, ""]):
        if _is_letter(word.strip()):
            start = index if start is None else start
            continue
        if start is not None and index - start >= run:
            return start, index
        start = None
    return None


def loop_span(words: Sequence[str], longest: int = 6) -> Span | None:
    """The repetitions after the first occurrence of a looping phrase.

    A phrase of 2..`longest` words said REPEATS times back to back, or one
    word WORD_REPEATS times, is a loop; its first occurrence is kept.
    """
    kept = [(i, re.sub(r"[^\w']", "", w.lower())) for i, w in enumerate(words)]
    kept = [(i, t) for i, t in kept if t]
    tokens = [t for _, t in kept]
    for size in range(1, longest + 1):
        repeats = WORD_REPEATS if size == 1 else REPEATS
        for start in range(len(tokens) - size * repeats + 1):
            phrase = tokens[start : start + size]
            count = 1
            while tokens[start + count * size : start + (count + 1) * size] == phrase:
                count += 1
            if count >= repeats:
                end = start + count * size
                return kept[start + size][0], kept[end - 1][0] + 1
    return None


def hallucinated_span(words: Sequence[str]) -> Span | None:
    """Where either failure shape (spelled letters or a loop) is, if anywhere."""
    return letter_run_span(words) or loop_span(words)


def spelled_letter_run(words: Sequence[str]) -> bool:
    """True when the words hold a run of lone letters."""
    return letter_run_span(words) is not None


def repeated_phrase(words: Sequence[str]) -> bool:
    """True when the words loop on one phrase."""
    return loop_span(words) is not None


def looks_hallucinated(words: Sequence[str]) -> bool:
    """Either failure shape (spelled letters or a loop)."""
    return hallucinated_span(words) is not None
