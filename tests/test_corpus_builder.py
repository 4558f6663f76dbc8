"""PriMock57 → synthetic recordings: TextGrid parsing, TTS voices, honest layout, manifest."""

from __future__ import annotations

import hashlib
import json
import shutil
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from avt_notes.bench.primock import (
    Consultation,
    SourceUtterance,
    Timeline,
    list_consultations,
    load_consultation,
    render_consultation,
)
from avt_notes.bench.primock_corpus import assign_voice_pairs, build_corpus
from avt_notes.bench.textgrid import clean_text, parse_textgrid, read_textgrid, speech_intervals
from avt_notes.bench.tts import VOICES, get_voice, synthesize
from avt_notes.errors import ConfigError
from avt_notes.rttm import read_rttm
from avt_notes.schemas import CLINICIAN, PATIENT

from testdata import PRIMOCK, SAMPLE

needs_tts = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("flite")),
    reason="apt-get install espeak-ng flite",
)
RATE = 16_000


# --- TextGrid -----------------------------------------------------------------


def test_reads_real_textgrids_in_both_layouts() -> None:
    # consultation01 is indented with spaces, the others with tabs; both CRLF.
    for name, tier_name, size in [
        ("day1_consultation01_doctor", "Doctor", 97),
        ("day1_consultation02_doctor", "Speaker", 131),
    ]:
        (tier,) = read_textgrid(PRIMOCK / "transcripts" / f"{name}.TextGrid")
        assert tier.name == tier_name
        assert len(tier.intervals) == size
        assert tier.intervals[0].start == 0
        assert all(a.end <= b.start + 1e-9 for a, b in pairwise(tier.intervals))
    (tier,) = read_textgrid(PRIMOCK / "transcripts" / "day1_consultation01_doctor.TextGrid")
    second = tier.intervals[1]
    assert second.start == pytest.approx(2.5334561157322537)
    assert second.end == pytest.approx(12.499861706065632)
    assert "<UNSURE>Hello how</UNSURE>" in second.text
    speech = speech_intervals(tier)
    assert speech[0].text.startswith("Hello? Hi. Um, should we start?")
    assert "Hello how um." in speech[0].text
    assert all(i.text and "<" not in i.text for i in speech)


def test_short_format_and_quotes() -> None:
    short = (
        'File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n3\n<exists>\n1\n'
        '"IntervalTier"\n"Doctor"\n0\n3\n2\n0\n1.5\n"He said ""hi"" [twice]"\n1.5\n3\n""\n'
    )
    (tier,) = parse_textgrid(short)
    assert tier.intervals[0].text == 'He said "hi" [twice]'
    assert [i.text for i in speech_intervals(tier)] == ['He said "hi" [twice]']


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<UNIN/>", ""),
        ("<INAUDIBLE_SPEECH/>", ""),
        ("<UNIN/> Okay.", "Okay."),
        ("<UNSURE>Uh</UNSURE>, my name's Vincent.", "Uh, my name's Vincent."),
        ("Sorry, <INAUDIBLE_SPEECH/>, before we start.", "Sorry, before we start."),
        ("Sorry to hear that <UNIN/>.", "Sorry to hear that."),
        ("joint pain, <INAUDIBLE_SPEECH/>?", "joint pain?"),
        ("I <UNIN/> like some <UNIN/>, sorry?", "I like some, sorry?"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


# --- TTS ----------------------------------------------------------------------


@needs_tts
def test_every_voice_speaks_and_sounds_different() -> None:
    digests = {}
    for voice in VOICES.values():
        samples = synthesize("Any chest pain?", voice)
        assert samples.dtype == np.float32 and samples.ndim == 1
        assert 0.3 < len(samples) / RATE < 4.0
        assert 0.05 < np.abs(samples).max() <= 1.0
        digests[voice.id] = hashlib.sha1(samples.tobytes()).hexdigest()
    # A variant that espeak-ng ignores (e.g. "en-gb+f3") would duplicate its base voice.
    assert len(set(digests.values())) == len(digests)


def test_unknown_voice_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="flite-slt"):
        get_voice("nope")


# --- layout -------------------------------------------------------------------


def _utt(role: str, start: float, end: float) -> SourceUtterance:
    return SourceUtterance(role=role, start=start, end=end, text="x")


def test_timeline_keeps_original_times_when_speech_fits() -> None:
    timeline = Timeline(sample_rate=100, min_pause=0.1)
    assert timeline.place(_utt(CLINICIAN, 1.0, 3.0), 150) == (100, 250)
    # A back-channel that overlapped in the source stays overlapped.
    assert timeline.place(_utt(PATIENT, 2.0, 2.4), 30) == (200, 230)
    assert timeline.place(_utt(PATIENT, 3.5, 5.0), 100) == (350, 450)


def test_timeline_shifts_when_speech_runs_long() -> None:
    timeline = Timeline(sample_rate=100, min_pause=0.1)
    assert timeline.place(_utt(CLINICIAN, 0.0, 1.0), 300) == (0, 300)  # 2 s too long
    # The reply came after the clinician finished: it waits for the placed end.
    assert timeline.place(_utt(PATIENT, 1.2, 2.0), 50) == (310, 360)
    # Later speech keeps the accumulated shift (1.9 s), preserving the original gap.
    assert timeline.place(_utt(CLINICIAN, 4.0, 5.0), 50) == (590, 640)


def test_timeline_compresses_long_silence() -> None:
    timeline = Timeline(sample_rate=100, min_pause=0.1, max_gap=1.0)
    assert timeline.place(_utt(CLINICIAN, 5.0, 6.0), 100) == (100, 200)  # lead-in cut to 1 s
    assert timeline.place(_utt(PATIENT, 30.0, 31.0), 100) == (300, 400)
    assert timeline.place(_utt(PATIENT, 31.2, 32.0), 50) == (420, 470)
    with pytest.raises(ConfigError):
        Timeline(min_pause=0.5, max_gap=0.1)


# --- voice assignment -----------------------------------------------------------


def test_voice_pairs_are_deterministic_and_stratified() -> None:
    pool = list(VOICES)
    groups = sorted({v.accent for v in VOICES.values()})
    n = len(groups) ** 2
    pairs = assign_voice_pairs(n, pool, seed=3)
    assert pairs == assign_voice_pairs(n, pool, seed=3)
    assert all(p[CLINICIAN].id != p[PATIENT].id for p in pairs)
    combos = {(p[CLINICIAN].accent, p[PATIENT].accent) for p in pairs}
    assert len(combos) == n  # every (clinician, patient) accent pair exactly once
    first_block = pairs[: len(groups)]
    assert {p[CLINICIAN].accent for p in first_block} == set(groups)
    assert {p[PATIENT].accent for p in first_block} == set(groups)


def test_voice_plan_per_role_and_single_voice_groups() -> None:
    plan = {CLINICIAN: ["espeak-en-gb"], PATIENT: ["espeak-en-gb", "flite-slt"]}
    pairs = assign_voice_pairs(4, plan, seed=0)
    assert all(p[CLINICIAN].id == "espeak-en-gb" for p in pairs)
    assert all(p[PATIENT].id == "flite-slt" for p in pairs)
    with pytest.raises(ConfigError):
        assign_voice_pairs(1, ["flite-slt"])


# --- rendering and the corpus -------------------------------------------------------


@needs_tts
def test_noise_is_added_at_the_requested_snr() -> None:
    consultation = Consultation(
        id="toy",
        utterances=[
            SourceUtterance(CLINICIAN, 0.5, 2.0, "How long have you had the cough?"),
            SourceUtterance(PATIENT, 3.0, 4.0, "About two weeks."),
        ],
        note={},
    )
    voices = {CLINICIAN: "espeak-en-gb", PATIENT: "flite-slt"}
    clean = render_consultation(consultation, voices)
    noisy = render_consultation(consultation, voices, snr_db=10.0, seed=1)
    assert len(clean.samples) == len(noisy.samples)
    speech = np.zeros(len(clean.samples), dtype=bool)
    for u in clean.utterances:
        speech[round(u.start * RATE) : round(u.end * RATE)] = True
    assert np.abs(clean.samples[~speech]).max() < 1e-6  # silence outside the turns
    signal = np.mean(noisy.samples[speech] ** 2)
    noise = np.mean(noisy.samples[~speech] ** 2)
    assert 10 * np.log10(signal / noise) == pytest.approx(10 * np.log10(10**1.0 + 1), abs=0.5)


def test_every_consultation_has_both_speakers_and_a_note() -> None:
    ids = list_consultations(PRIMOCK)
    assert ids == ["day1_consultation01", "day1_consultation02", "day2_consultation08"]
    consultation = load_consultation(PRIMOCK, "day2_consultation08")
    assert consultation.utterances[0].role == CLINICIAN
    assert {u.role for u in consultation.utterances} == {CLINICIAN, PATIENT}
    assert consultation.note["presenting_complaint"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (shutil.which("espeak-ng") and shutil.which("flite")):
        pytest.skip("apt-get install espeak-ng flite")
    out = tmp_path_factory.mktemp("corpus")
    return build_corpus(
        PRIMOCK,
        out,
        consultations=["day1_consultation01"],
        size=2,  # the same consultation twice, with other voices
        voices=["espeak-en-gb", "flite-slt", "flite-awb"],
        seed=0,
        max_gap=2.0,
        crop=30.0,
    )


def test_manifest_points_at_existing_files(corpus: Path) -> None:
    manifest = json.loads(corpus.read_text())
    recordings = manifest["recordings"]
    assert [r["id"] for r in recordings] == ["day1_consultation01", "day1_consultation01_r2"]
    assert "CC BY 4.0" in manifest["source"]
    for entry in recordings:
        for key in ("audio", "reference_text", "reference_json", "reference_rttm"):
            assert (corpus.parent / entry[key]).is_file(), key
        note = json.loads((corpus.parent / entry["reference_note"]).read_text())
        assert note["presenting_complaint"].startswith("I've been having really bad diarrhea")
        meta = entry["metadata"]
        assert meta["clinician"]["voice"] != meta["patient"]["voice"]
        assert meta["clinician"]["accent_group"] and meta["patient"]["gender"]
        assert meta["noise"] is None
    pairs = {
        (r["metadata"]["clinician"]["voice"], r["metadata"]["patient"]["voice"]) for r in recordings
    }
    assert len(pairs) == 2


def test_layout_is_honest(corpus: Path) -> None:
    for entry in json.loads(corpus.read_text())["recordings"]:
        samples, rate = sf.read(corpus.parent / entry["audio"], dtype="float32")
        assert rate == RATE and samples.ndim == 1
        duration = len(samples) / rate
        assert duration == pytest.approx(entry["duration"], abs=1e-3)
        assert 20.0 < duration <= 30.0  # cropped

        turns = read_rttm(corpus.parent / entry["reference_rttm"])
        rows = json.loads((corpus.parent / entry["reference_json"]).read_text())
        assert len(turns) == len(rows) >= 3
        assert {t.speaker for t in turns} == {CLINICIAN, PATIENT}
        assert turns[0].speaker == CLINICIAN
        for turn, row in zip(turns, rows, strict=True):
            assert (turn.speaker, turn.start, turn.end) == pytest.approx(
                (row["role"], row["start"], row["end"]), abs=1.5e-3
            )
            assert 0.0 <= turn.start < turn.end <= duration + 1e-3
            # Speech starts and ends at the span's edges; the audio is silent outside spans.
            inside = samples[round(turn.start * rate) : round(turn.end * rate)]
            assert np.abs(inside[:80]).max() > 1e-3 and np.abs(inside[-80:]).max() > 1e-3
        speech = np.zeros(len(samples), dtype=bool)
        for turn in turns:
            speech[max(0, round(turn.start * rate) - 16) : round(turn.end * rate) + 16] = (
                True  # ms rounding
            )
        assert np.abs(samples[~speech]).max() < 1e-3

        for role in (CLINICIAN, PATIENT):
            mine = [t for t in turns if t.speaker == role]
            assert all(a.end <= b.start for a, b in pairwise(mine)), f"{role} overlaps"

        text_lines = (corpus.parent / entry["reference_text"]).read_text().splitlines()
        assert text_lines == [f"{row['role']}: {row['text']}" for row in rows]


# --- the shipped sample and the CLI ---------------------------------------------


def test_shipped_sample_is_consistent() -> None:
    wav = SAMPLE / "consultation.wav"
    if not wav.exists():
        pytest.skip("sample_audio/consultation.wav not built")
    info = sf.info(wav)
    assert (info.samplerate, info.channels, info.subtype) == (RATE, 1, "PCM_16")
    assert 90.0 <= info.duration <= 180.0
    assert wav.stat().st_size < 6 * 1024 * 1024
    turns = read_rttm(SAMPLE / "consultation.rttm", "consultation")
    rows = json.loads((SAMPLE / "consultation.reference.json").read_text())
    lines = (SAMPLE / "consultation.reference.txt").read_text().splitlines()
    assert len(turns) == len(rows) == len(lines)
    assert turns[0].speaker == CLINICIAN
    assert {t.speaker for t in turns} == {CLINICIAN, PATIENT}
    assert all(t.end <= info.duration + 1e-3 for t in turns)
    assert [r["role"] for r in rows] == [t.speaker for t in turns]
    note = json.loads((SAMPLE / "consultation.note.json").read_text())
    assert note["note"] and note["presenting_complaint"]
    assert "CC BY 4.0" in (SAMPLE / "README.md").read_text()


@needs_tts
def test_cli_sample_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import avt_notes.cli.corpus  # noqa: F401  (registers the commands)
    from avt_notes.cli.app import app

    args = ["corpus", "sample", "--out", str(tmp_path), "--crop", "20", "--source", str(PRIMOCK)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sf.info(tmp_path / "consultation.wav").duration <= 20.0
    assert read_rttm(tmp_path / "consultation.rttm")[0].speaker == CLINICIAN
    assert not (tmp_path / "manifest.json").exists()
