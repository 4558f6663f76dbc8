"""Corpus manifests: every reference format, relative paths, and one clear error per problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from avt_notes.bench.manifest import load_manifest
from avt_notes.errors import InputError

from testdata import JFK_TEXT, PRIMOCK, REAL

ROOT = Path(__file__).resolve().parents[1]
REAL_MANIFEST = ROOT / "benchmarks" / "corpora" / "real.json"

TEXTGRID = """File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = 3
tiers? <exists>
size = 1
item []:
    item [1]:
        class = "IntervalTier"
        name = "clinician"
        xmin = 0
        xmax = 3
        intervals: size = 2
        intervals [1]:
            xmin = 0
            xmax = 1.5
            text = "hello <UNSURE>there</UNSURE>"
        intervals [2]:
            xmin = 1.5
            xmax = 3
            text = ""
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A corpus folder with audio (real clips) and one reference file of each kind."""
    (tmp_path / "audio").mkdir()
    shutil.copy(REAL / "jfk.flac", tmp_path / "audio" / "jfk.flac")
    shutil.copy(REAL / "ami_dev00.wav", tmp_path / "audio" / "ami_dev00.wav")
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "jfk.txt").write_text(JFK_TEXT + "\n")
    (refs / "jfk.stm").write_text(f"jfk 1 jfk 0.0 11.0 {JFK_TEXT}\n")
    (refs / "jfk.TextGrid").write_text(TEXTGRID)
    (refs / "jfk.json").write_text(
        json.dumps([{"role": "clinician", "start": 0.0, "end": 11.0, "text": JFK_TEXT}])
    )
    (refs / "note.json").write_text(json.dumps({"note": "Pt well.", "highlights": []}))
    shutil.copy(REAL / "ami_dev.rttm", refs / "ami.rttm")
    shutil.copy(REAL / "ami_dev.uem", refs / "ami.uem")
    return tmp_path


def _write(folder: Path, document: object, name: str = "manifest.json") -> Path:
    path = folder / name
    if name.endswith((".yaml", ".yml")):
        path.write_text(yaml.safe_dump(document))
    else:
        path.write_text(json.dumps(document))
    return path


def test_every_reference_format_loads(corpus: Path) -> None:
    recordings = [
        {"id": f"jfk-{kind}", "audio": "audio/jfk.flac", "reference_text": f"refs/jfk.{kind}"}
        for kind in ("txt", "stm", "TextGrid", "json")
    ]
    recordings.append({"id": "jfk-inline", "audio": "audio/jfk.flac", "text": JFK_TEXT})
    recordings.append(
        {
            "id": "ami",
            "audio": "audio/ami_dev00.wav",
            "reference_rttm": "refs/ami.rttm",
            "reference_uem": "refs/ami.uem",
            "reference_note": "refs/note.json",
            "num_speakers": 2,
            "metadata": {"device": "far-field", "speakers": {"MEE009": {"accent": "irish"}}},
        }
    )
    manifest = load_manifest(_write(corpus, {"name": "t", "recordings": recordings}, "m.yaml"))
    items = {item.id: item for item in manifest.items}
    assert items["jfk-txt"].reference is not None
    assert items["jfk-txt"].reference[0].text == JFK_TEXT
    assert items["jfk-inline"].reference == items["jfk-txt"].reference
    stm = items["jfk-stm"].reference
    assert stm is not None and (stm[0].speaker, stm[0].start, stm[0].end) == ("jfk", 0.0, 11.0)
    grid = items["jfk-TextGrid"].reference
    assert grid is not None and [(s.speaker, s.text) for s in grid] == [
        ("clinician", "hello there")
    ]
    timed = items["jfk-json"].reference
    assert timed is not None and timed[0].timed and timed[0].speaker == "clinician"
    ami = items["ami"]
    assert ami.audio == (corpus / "audio" / "ami_dev00.wav").resolve()
    assert ami.turns is not None and len(ami.turns) == 9  # only file id ami_dev00 (audio stem)
    assert ami.uem == (0.0, 30.0) and ami.note == "Pt well." and ami.num_speakers == 2
    assert ami.accent_group("MEE009") == "irish" and ami.accent_group("MEE012") == "unknown"
    assert ami.speaker_metadata("MEE009") == {"device": "far-field", "accent": "irish"}


def test_every_problem_is_listed_once(corpus: Path) -> None:
    (corpus / "refs" / "bad.rttm").write_text(
        "SPEAKER ami_dev00 1 zero 1.0 <NA> <NA> A <NA> <NA>\n"
    )
    recordings = [
        {"id": "ok", "audio": "audio/jfk.flac", "text": "fine"},
        {"id": "ok", "audio": "audio/jfk.flac"},  # duplicate id
        {"id": "gone", "audio": "audio/missing.wav"},
        {"id": "typo", "audio": "audio/jfk.flac", "refernce_rttm": "refs/ami.rttm"},
        {"id": "both", "audio": "audio/jfk.flac", "text": "a", "reference_text": "refs/jfk.txt"},
        {"id": "rttm", "audio": "audio/ami_dev00.wav", "reference_rttm": "refs/bad.rttm"},
        {"id": "uem", "audio": "audio/jfk.flac", "reference_uem": "refs/ami.uem"},
        {"id": "fmt", "audio": "audio/jfk.flac", "reference_text": "refs/ami.uem"},
    ]
    # The schema is checked first (unknown field) ...
    with pytest.raises(InputError) as schema_error:
        load_manifest(_write(corpus, {"recordings": recordings}))
    message = str(schema_error.value)
    assert "1 problem:" in message
    assert "recordings[3] (id typo).refernce_rttm: unknown field" in message
    # ... then, with the schema right, every file problem at once.
    del recordings[3]
    with pytest.raises(InputError) as file_errors:
        load_manifest(_write(corpus, {"recordings": recordings}))
    lines = str(file_errors.value).splitlines()
    assert lines[0].endswith("has 6 problems:")
    problems = "\n".join(lines[1:])
    assert "recording ok: id used more than once" in problems
    assert "recording gone: audio 'audio/missing.wav' not found" in problems
    assert "recording both: give text or reference_text, not both" in problems
    assert (
        "recording rttm: reference_rttm: RTTM line 1: start and duration must be numbers"
        in problems
    )
    assert "recording uem: reference_uem needs a reference_rttm" in problems
    assert "recording fmt: reference_text: unknown reference format '.uem'" in problems


def test_schema_errors_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="recordings: required field missing"):
        load_manifest(_write(tmp_path, {"name": "x"}))
    with pytest.raises(InputError) as error:
        load_manifest(_write(tmp_path, {"recordings": [{"id": "has space", "num_speakers": 0}]}))
    message = str(error.value)
    assert "3 problems" in message
    assert "recordings[0] (id has space).id: String should match pattern" in message
    assert "recordings[0] (id has space).audio: required field missing" in message
    assert "recordings[0] (id has space).num_speakers: Input should be greater than" in message
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(InputError, match="is not valid JSON"):
        load_manifest(tmp_path / "broken.json")
    with pytest.raises(InputError, match="cannot read manifest"):
        load_manifest(tmp_path / "absent.json")


def test_shipped_real_manifest() -> None:
    manifest = load_manifest(REAL_MANIFEST)
    items = {item.id: item for item in manifest.items}
    assert set(items) == {"jfk", "stereo_diarization", "ami_dev00", "ami_dev01"}
    assert items["jfk"].accent_group() == "american"
    stereo = items["stereo_diarization"].reference
    assert stereo is not None and [s.speaker for s in stereo] == ["left", "right"]
    assert items["ami_dev01"].turns is not None and items["ami_dev01"].uem == (0.0, 30.0)


def test_accepts_what_build_primock_writes(tmp_path: Path) -> None:
    from avt_notes.bench.primock_corpus import build_corpus

    path = build_corpus(
        PRIMOCK,
        tmp_path,
        consultations=["day1_consultation01"],
        voices=["espeak-en-gb-scotland", "flite-slt"],
        crop=12.0,
        max_gap=1.0,
    )
    item = load_manifest(path).items[0]
    assert item.reference is not None and all(s.timed for s in item.reference)
    assert {s.speaker for s in item.reference} <= {"clinician", "patient"}
    assert item.turns is not None and {t.speaker for t in item.turns} <= {"clinician", "patient"}
    assert item.note and "diarrhea" in item.note
    groups = {item.accent_group("clinician"), item.accent_group("patient")}
    assert groups == {"scottish", "american"}
    assert item.speaker_metadata("patient")["noise"] is None
