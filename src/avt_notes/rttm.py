"""RTTM: the plain-text speaker-turn format every diarisation tool reads and writes.

Reference turns for the benchmark are stored as RTTM so they can be scored by
any tool (pyannote.metrics, dscore, md-eval), and the pipeline's own turns can
be dumped the same way. One line per turn:

    SPEAKER <file-id> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>

Fields are whitespace separated, so a speaker label may not contain spaces.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from avt_notes.errors import InputError
from avt_notes.schemas import SpeakerTurn

if TYPE_CHECKING:
    from pyannote.core import Annotation


def format_rttm(turns: Iterable[SpeakerTurn], file_id: str) -> str:
    """RTTM text for `turns` (in time order), millisecond precision."""
    if not file_id or any(c.isspace() for c in file_id):
        raise InputError(f"RTTM file id must be non-empty without spaces: {file_id!r}")
    lines = []
    for turn in sorted(turns, key=lambda t: (t.start, t.end, t.speaker)):
        if not turn.speaker or any(c.isspace() for c in turn.speaker):
            raise InputError(
                f"RTTM speaker label must be non-empty without spaces: {turn.speaker!r}"
            )
        span = f"{turn.start:.3f} {max(0.0, turn.end - turn.start):.3f}"
        lines.append(f"SPEAKER {file_id} 1 {span} <NA> <NA> {turn.speaker} <NA> <NA>")
    return "".join(line + "\n" for line in lines)


def write_rttm(turns: Iterable[SpeakerTurn], path: str | Path, file_id: str | None = None) -> Path:
    """Write `turns` to `path`; the file id defaults to the file's stem."""
    path = Path(path)
    path.write_text(format_rttm(turns, file_id or path.stem), encoding="utf-8")
    return path


def parse_rttm_files(text: str) -> dict[str, list[SpeakerTurn]]:
    """Turns per file id from RTTM text. Non-SPEAKER lines and comments are skipped."""
    out: dict[str, list[SpeakerTurn]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#") or fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise InputError(f"RTTM line {number}: expected at least 8 fields, got {len(fields)}")
        try:
            start, duration = float(fields[3]), float(fields[4])
        except ValueError as error:
            raise InputError(f"RTTM line {number}: start and duration must be numbers") from error
        if duration < 0:
            raise InputError(f"RTTM line {number}: negative duration {duration}")
        turn = SpeakerTurn(speaker=fields[7], start=start, end=start + duration)
        out.setdefault(fields[1], []).append(turn)
    for turns in out.values():
        turns.sort(key=lambda t: (t.start, t.end, t.speaker))
    return out


def parse_rttm(text: str, file_id: str | None = None) -> list[SpeakerTurn]:
    """Turns from RTTM text, for `file_id` (required when the text holds several files)."""
    files = parse_rttm_files(text)
    if file_id is not None:
        return files.get(file_id, [])
    if len(files) > 1:
        raise InputError(f"RTTM holds {len(files)} files ({', '.join(sorted(files))}); pick one")
    return next(iter(files.values()), [])


def read_rttm(path: str | Path, file_id: str | None = None) -> list[SpeakerTurn]:
    """Turns from an RTTM file (see `parse_rttm`)."""
    return parse_rttm(Path(path).read_text(encoding="utf-8"), file_id)


def to_annotation(turns: Iterable[SpeakerTurn], uri: str | None = None) -> Annotation:
    """A pyannote `Annotation` (what pyannote.metrics scores) from turns.

    Zero-length turns are dropped: pyannote treats empty segments as absent.
    """
    from pyannote.core import Annotation, Segment  # heavy import, only when needed

    annotation = Annotation(uri=uri)
    for index, turn in enumerate(turns):
        if turn.end > turn.start:
            annotation[Segment(turn.start, turn.end), index] = turn.speaker
    return annotation


def from_annotation(annotation: Annotation) -> list[SpeakerTurn]:
    """Turns from a pyannote `Annotation`, in time order."""
    turns = [
        SpeakerTurn(speaker=str(label), start=float(segment.start), end=float(segment.end))
        for segment, _track, label in annotation.itertracks(yield_label=True)
    ]
    return sorted(turns, key=lambda t: (t.start, t.end, t.speaker))
