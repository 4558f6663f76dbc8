"""RTTM read/write and the pyannote Annotation bridge."""

from __future__ import annotations

from pathlib import Path

import pytest

from avt_notes.errors import InputError
from avt_notes.rttm import (
    format_rttm,
    from_annotation,
    parse_rttm,
    parse_rttm_files,
    read_rttm,
    to_annotation,
    write_rttm,
)
from avt_notes.schemas import SpeakerTurn

TURNS = [
    SpeakerTurn(speaker="clinician", start=0.5, end=3.25),
    SpeakerTurn(speaker="patient", start=3.0, end=7.125),  # overlaps the clinician
    SpeakerTurn(speaker="clinician", start=7.5, end=9.0),
]


def test_round_trip(tmp_path: Path) -> None:
    path = write_rttm(reversed(TURNS), tmp_path / "consult.rttm")
    lines = path.read_text().splitlines()
    assert lines[0] == "SPEAKER consult 1 0.500 2.750 <NA> <NA> clinician <NA> <NA>"
    assert len(lines) == 3
    back = read_rttm(path)
    assert [t.speaker for t in back] == [t.speaker for t in TURNS]
    for got, want in zip(back, TURNS, strict=True):
        assert got.start == pytest.approx(want.start, abs=1e-6)
        assert got.end == pytest.approx(want.end, abs=1e-6)


def test_rounds_to_milliseconds() -> None:
    text = format_rttm([SpeakerTurn(speaker="a", start=1.23456, end=2.0)], "f")
    assert " 1.235 0.765 " in text


def test_several_files_and_comments() -> None:
    text = (
        "# a comment\n"
        "SPEAKER a 1 0.0 1.0 <NA> <NA> s1 <NA> <NA>\n"
        "\n"
        "SPKR-INFO b 1 <NA> <NA> <NA> unknown s2 <NA> <NA>\n"
        "SPEAKER b 1 2.0 0.5 <NA> <NA> s2 <NA> <NA>\n"
    )
    files = parse_rttm_files(text)
    assert sorted(files) == ["a", "b"]
    assert parse_rttm(text, "b") == [SpeakerTurn(speaker="s2", start=2.0, end=2.5)]
    assert parse_rttm(text, "missing") == []
    with pytest.raises(InputError, match="2 files"):
        parse_rttm(text)


def test_bad_lines_fail_clearly() -> None:
    with pytest.raises(InputError, match="line 1"):
        parse_rttm("SPEAKER a 1 zero 1.0 <NA> <NA> s1 <NA> <NA>\n")
    with pytest.raises(InputError, match="line 1"):
        parse_rttm("SPEAKER a 1 0.0\n")
    with pytest.raises(InputError, match="speaker label"):
        format_rttm([SpeakerTurn(speaker="dr smith", start=0, end=1)], "a")
    with pytest.raises(InputError, match="file id"):
        format_rttm(TURNS, "two words")


def test_annotation_bridge() -> None:
    annotation = to_annotation([*TURNS, SpeakerTurn(speaker="x", start=5, end=5)], uri="c")
    assert annotation.uri == "c"
    assert sorted(annotation.labels()) == ["clinician", "patient"]  # empty turn dropped
    assert annotation.label_duration("clinician") == pytest.approx(2.75 + 1.5)
    assert from_annotation(annotation) == TURNS
