"""HTTP byte ranges over a stream of plaintext pieces (the decrypted recording).

A media element seeks with ``Range: bytes=a-b``; without it the review page
could not play a sentence's span of a long recording. One range per request
(what browsers send for media); multi-range requests get the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from avt_notes.errors import InputError

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiableError(InputError):
    http_status = 416


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive byte positions, None for the whole file, or 416."""
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None  # unsupported form (e.g. several ranges): send everything
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # the last N bytes
        length = int(last_text)
        if length == 0:
            raise RangeNotSatisfiableError(f"cannot serve the last 0 bytes of {size}")
        return max(0, size - length), size - 1
    first = int(first_text)
    last = min(int(last_text), size - 1) if last_text else size - 1
    if first >= size or last < first:
        raise RangeNotSatisfiableError(f"range {header} is outside the {size}-byte recording")
    return first, last


def slice_pieces(pieces: Iterable[bytes], first: int, last: int) -> Iterator[bytes]:
    """Bytes first..last (inclusive) of the concatenated pieces; stops reading after last."""
    position = 0
    for piece in pieces:
        end = position + len(piece)
        if end > first:
            yield piece[max(0, first - position) : last + 1 - position]
        position = end
        if position > last:
            return
