"""Readers for the reference files a corpus manifest points at.

Evaluators arrive with references in whatever their transcription tool wrote,
so the benchmark reads the common ones and turns each into a list of
`ReferenceSegment` (speaker and times when the format has them):

- **plain text** (`.txt`, or inline `text:` in the manifest): the words. If
  every non-empty line starts with a speaker label and a colon
  (`clinician: ...`, `patient: ...`, `SPEAKER_01: ...`, `left: ...`; label
  one word, letters/digits/`_`/`-`), each line is that speaker's; otherwise
  the whole text is one unattributed segment.
- **STM** (`.stm`, NIST): `file channel speaker start end [<label>] words`;
  `;;` comments; lines of other files skipped; `ignore_time_segment_in_scoring`
  segments dropped.
- **TextGrid** (`.TextGrid`, Praat): one speaker per tier (tier name), its
  intervals with PriMock57-style tags cleaned.
- **JSON** (`.json`): a list of `{speaker|role, start, end, text}` (what
  `corpus build-primock` writes as `reference_json`), or an object with such a
  list under `utterances` (so a corrected `transcript.json` works too).

UEM files (`file channel start end`) give the scored region for diarisation;
reference notes are `.json` (`{"note": ...}`, PriMock57's shape, or
`{"text": ...}`) or any text file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avt_notes.errors import InputError

_SPEAKER_LINE = re.compile(r"^\s*([A-Za-z][\w-]{0,39})\s*:\s+(.*)$")


@dataclass(frozen=True)
class ReferenceSegment:
    """Reference words, with speaker and times when the format gives them."""

    text: str
    speaker: str | None = None
    start: float | None = None
    end: float | None = None

    @property
    def timed(self) -> bool:
        return self.start is not None and self.end is not None


def parse_plain(text: str) -> list[ReferenceSegment]:
    """Plain text, speaker-prefixed lines recognised (see module docstring)."""
    lines = [line for line in text.splitlines() if line.strip()]
    matches = [_SPEAKER_LINE.match(line) for line in lines]
    if lines and all(matches):
        return [ReferenceSegment(text=m.group(2).strip(), speaker=m.group(1)) for m in matches if m]
    joined = " ".join(line.strip() for line in lines)
    return [ReferenceSegment(text=joined)] if joined else []


def parse_stm(text: str, file_id: str | None = None) -> list[ReferenceSegment]:
    """Segments of `file_id` (or of the only file) from STM text."""
    by_file: dict[str, list[ReferenceSegment]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith(";;"):
            continue
        fields = line.split(maxsplit=5)
        if len(fields) < 5:
            raise InputError(f"STM line {number}: expected 'file channel speaker start end words'")
        try:
            start, end = float(fields[3]), float(fields[4])
        except ValueError:
            raise InputError(f"STM line {number}: start and end must be numbers") from None
        if end < start:
            raise InputError(f"STM line {number}: end {end} before start {start}")
        words = fields[5] if len(fields) > 5 else ""
        if words.startswith("<"):  # optional <label> field
            words = words.partition(">")[2]
        if "ignore_time_segment_in_scoring" in words.lower():
            continue
        by_file.setdefault(fields[0], []).append(
            ReferenceSegment(text=words.strip(), speaker=fields[2], start=start, end=end)
        )
    if file_id is not None and file_id in by_file:
        segments = by_file[file_id]
    elif len(by_file) == 1:
        segments = next(iter(by_file.values()))
    elif not by_file:
        segments = []
    else:
        raise InputError(f"STM holds {len(by_file)} files and none is {file_id!r}")
    return sorted(segments, key=lambda s: (s.start or 0.0, s.end or 0.0))


def parse_json_reference(document: Any) -> list[ReferenceSegment]:
    """Timed segments from a list of utterance objects (or `{"utterances": [...]}`)."""
    if isinstance(document, dict) and isinstance(document.get("utterances"), list):
        document = document["utterances"]
    if not isinstance(document, list):
        raise InputError("expected a list of {speaker|role, start, end, text} objects")
    segments = []
    for index, row in enumerate(document):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise InputError(f"utterance {index}: expected an object with a 'text' string")
        speaker = row.get("role") or row.get("speaker")
        start, end = row.get("start"), row.get("end")
        if (start is None) != (end is None):
            raise InputError(f"utterance {index}: give both start and end, or neither")
        if start is not None:
            if not isinstance(start, int | float) or not isinstance(end, int | float):
                raise InputError(f"utterance {index}: start and end must be numbers")
            if end < start:
                raise InputError(f"utterance {index}: end {end} before start {start}")
        segments.append(
            ReferenceSegment(
                text=row["text"],
                speaker=None if speaker is None else str(speaker),
                start=None if start is None else float(start),
                end=None if end is None else float(end),
            )
        )
    return sorted(segments, key=lambda s: (s.start or 0.0, s.end or 0.0))


def _read_textgrid(path: Path) -> list[ReferenceSegment]:
    from avt_notes.bench.textgrid import read_textgrid, speech_intervals

    segments = [
        ReferenceSegment(text=i.text, speaker=tier.name or None, start=i.start, end=i.end)
        for tier in read_textgrid(path)
        for i in speech_intervals(tier)
    ]
    return sorted(segments, key=lambda s: (s.start or 0.0, s.end or 0.0))


def read_transcript(
    path: Path | None,
    file_id: str | None = None,
    inline: str | None = None,
    fmt: str | None = None,
) -> list[ReferenceSegment]:
    """Reference segments from `path` (format from `fmt` or the extension) or `inline` text."""
    if path is None:
        return parse_plain(inline or "")
    kind = (fmt or path.suffix.lstrip(".")).lower()
    if kind == "textgrid":
        return _read_textgrid(path)
    text = path.read_text(encoding="utf-8-sig")
    if kind == "stm":
        return parse_stm(text, file_id)
    if kind == "json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"not valid JSON: {error}") from None
        return parse_json_reference(document)
    if kind in ("txt", "text", ""):
        return parse_plain(text)
    raise InputError(f"unknown reference format {path.suffix!r} (use .txt, .stm, .TextGrid, .json)")


def read_uem(path: Path, file_id: str | None = None) -> tuple[float, float]:
    """The scored region (start, end) of `file_id` (or of the only file) in a UEM file."""
    regions: dict[str, list[tuple[float, float]]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith((";;", "#")):
            continue
        if len(fields) != 4:
            raise InputError(f"UEM line {number}: expected 'file channel start end'")
        try:
            start, end = float(fields[2]), float(fields[3])
        except ValueError:
            raise InputError(f"UEM line {number}: start and end must be numbers") from None
        if end <= start:
            raise InputError(f"UEM line {number}: end {end} not after start {start}")
        regions.setdefault(fields[0], []).append((start, end))
    if file_id is not None and file_id in regions:
        spans = regions[file_id]
    elif len(regions) == 1:
        spans = next(iter(regions.values()))
    else:
        raise InputError(f"no scored region for {file_id!r} (UEM holds {sorted(regions)})")
    if len(spans) > 1:
        raise InputError(f"{len(spans)} scored regions for {file_id!r}; only one is supported")
    return spans[0]


def read_note(path: Path) -> str:
    """A reference note's text: `.json` with a `note` (or `text`) string, else the file."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() != ".json":
        return text.strip()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON: {error}") from None
    if isinstance(document, str):
        return document.strip()
    for key in ("note", "text"):
        if isinstance(document, dict) and isinstance(document.get(key), str):
            return str(document[key]).strip()
    raise InputError("expected a JSON object with a 'note' or 'text' string")
