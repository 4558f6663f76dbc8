"""The real models on real audio: accuracy bounds from the issue, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pyannote.metrics.diarization import DiarizationErrorRate

from avt_notes.audio import Audio, load_audio
from avt_notes.live import LiveSession
from avt_notes.metrics.asr import word_error_rate
from avt_notes.metrics.diarization import diarization_scores
from avt_notes.pipeline import SpeakerOptions, transcribe_audio, transcribe_channels
from avt_notes.rttm import read_rttm, to_annotation

from testdata import JFK_TEXT, REAL, SAMPLE, STEREO_TEXT, checkout_env

pytestmark = pytest.mark.slow


def words_of(transcript) -> str:
    return " ".join(u.text for u in transcript.utterances)


def test_jfk_wer(transcriber) -> None:
    audio = load_audio(REAL / "jfk.flac")
    words = transcriber.transcribe(audio.samples)
    wer = word_error_rate(JFK_TEXT, " ".join(w.text for w in words))
    print(f"jfk WER {wer:.3f}")
    assert wer <= 0.10
    assert all(0.0 <= w.probability <= 1.0 and w.start <= w.end for w in words)
    assert words[0].start < 1.0 and words[-1].end > 8.0


@pytest.mark.parametrize("channel", [0, 1])
def test_stereo_channel_wer(transcriber, channel: int) -> None:
    audio = load_audio(REAL / "stereo_diarization.wav")
    assert audio.channels is not None
    words = transcriber.transcribe(audio.channels[channel])
    wer = word_error_rate(STEREO_TEXT[channel], " ".join(w.text for w in words))
    print(f"stereo channel {channel} WER {wer:.3f}")
    assert wer <= 0.15


def test_stereo_channels_as_speakers_keeps_overlapping_speech(transcriber) -> None:
    """Both speakers talk at once; one speaker per channel keeps both in full."""
    transcript = transcribe_channels(load_audio(REAL / "stereo_diarization.wav"), transcriber)
    by_speaker = {
        s.label: " ".join(u.text for u in transcript.utterances if u.speaker == s.label)
        for s in transcript.speakers
    }
    assert set(by_speaker) == {"CHANNEL_1", "CHANNEL_2"}
    assert word_error_rate(STEREO_TEXT[0], by_speaker["CHANNEL_1"]) <= 0.15
    assert word_error_rate(STEREO_TEXT[1], by_speaker["CHANNEL_2"]) <= 0.15
    assert {s.role_source for s in transcript.speakers} == {"channel"}
    assert [u.id for u in transcript.utterances] == ["u0001", "u0002"]


@pytest.fixture(scope="module")
def sample_transcript(transcriber, diarizer):
    return transcribe_audio(load_audio(SAMPLE / "consultation.wav"), transcriber, diarizer)


def test_sample_consultation_accuracy(sample_transcript) -> None:
    reference_turns = read_rttm(SAMPLE / "consultation.rttm")
    reference = json.loads((SAMPLE / "consultation.reference.json").read_text())
    reference_text = " ".join(u["text"] for u in reference)

    wer = word_error_rate(reference_text, words_of(sample_transcript))
    scores = diarization_scores(reference_turns, sample_transcript.turns, collar=0.25)
    print(f"sample WER {wer:.3f} DER {scores.der:.3f} JER {scores.jer:.3f}")
    assert len(sample_transcript.speakers) == 2
    assert scores.der <= 0.15
    assert wer <= 0.20


def test_sample_consultation_roles(sample_transcript) -> None:
    """Each diarised speaker's role equals the reference role it maps onto."""
    reference = to_annotation(read_rttm(SAMPLE / "consultation.rttm"))
    hypothesis = to_annotation(sample_transcript.turns)
    mapping = DiarizationErrorRate().optimal_mapping(reference, hypothesis)
    roles = {s.label: s.role for s in sample_transcript.speakers}
    assert {roles[label]: mapping[label] for label in mapping} == {
        "clinician": "clinician",
        "patient": "patient",
    }


def test_enrolment_assigns_clinician_by_voice(transcriber, diarizer, sample_transcript) -> None:
    """A voice sample cut from the clinician's own turns makes them clinician via enrolment."""
    audio = load_audio(SAMPLE / "consultation.wav")
    clinician_turns = [
        t for t in read_rttm(SAMPLE / "consultation.rttm") if t.speaker == "clinician"
    ]
    longest = max(clinician_turns, key=lambda t: t.end - t.start)
    sample = audio.samples[int(longest.start * 16000) : int(longest.end * 16000)]
    transcript = transcribe_audio(audio, transcriber, diarizer, enrolment=diarizer.embed(sample))
    by_role = {s.role: s for s in transcript.speakers}
    assert by_role["clinician"].role_source == "enrolment"
    assert by_role["clinician"].enrolment_similarity > by_role["patient"].enrolment_similarity
    heuristic = {s.label: s.role for s in sample_transcript.speakers}
    assert {s.label: s.role for s in transcript.speakers} == heuristic


@pytest.mark.parametrize("name", ["ami_dev00.wav", "ami_dev01.wav"])
def test_ami_end_to_end(transcriber, diarizer, name: str) -> None:
    audio: Audio = load_audio(REAL / name)
    transcript = transcribe_audio(audio, transcriber, diarizer, speakers=SpeakerOptions())
    uem_fields = (REAL / "ami_dev.uem").read_text().split("\n")
    uem = next(
        (float(f.split()[2]), float(f.split()[3]))
        for f in uem_fields
        if f.strip() and f.split()[0] == Path(name).stem
    )
    reference = read_rttm(REAL / "ami_dev.rttm", Path(name).stem)
    scores = diarization_scores(reference, transcript.turns, collar=0.25, uem=uem)
    print(
        f"{name}: DER {scores.der:.3f} (miss {scores.missed:.1f}s, fa {scores.false_alarm:.1f}s, "
        f"confusion {scores.confusion:.1f}s of {scores.total:.1f}s); "
        f"speakers ref {scores.reference_speakers} hyp {scores.hypothesis_speakers}"
    )
    assert transcript.utterances and transcript.speakers
    assert 0.0 <= scores.der < 1.0


def test_cli_transcribe_writes_three_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "avt_notes",
            "transcribe",
            str(REAL / "jfk.flac"),
            "--out",
            str(out),
            "--asr-model",
            "tiny.en",
            "--speakers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=checkout_env(),
    )
    assert result.returncode == 0, result.stderr
    transcript = json.loads((out / "transcript.json").read_text())
    assert transcript["models"][0]["name"] == "whisper-tiny.en"
    assert {s["role"] for s in transcript["speakers"]} == {"clinician"}
    lines = (out / "transcript.txt").read_text().splitlines()
    assert lines and all(line.startswith("[00:00:") and "] CLINICIAN: " in line for line in lines)
    rttm = (out / "diarization.rttm").read_text().splitlines()
    assert rttm and all(line.split()[:3] == ["SPEAKER", "jfk", "1"] for line in rttm)


def test_live_processing_matches_whole_file(transcriber, diarizer, sample_transcript) -> None:
    """Fed 5 s at a time like an upload, then finished: as good as the whole file at once."""
    audio = load_audio(SAMPLE / "consultation.wav")
    live = LiveSession(transcriber, diarizer)
    for end in range(5 * 16000, len(audio.samples), 5 * 16000):
        live.update(audio.samples[:end])
    # Most of the work was done before "stop".
    assert live.asr.committed / 16000 > audio.duration - 60
    assert live.diarization.complete_chunks > audio.duration - 20
    transcript = live.finish(audio)

    reference_turns = read_rttm(SAMPLE / "consultation.rttm")
    reference = json.loads((SAMPLE / "consultation.reference.json").read_text())
    reference_text = " ".join(u["text"] for u in reference)
    live_wer = word_error_rate(reference_text, words_of(transcript))
    whole_wer = word_error_rate(reference_text, words_of(sample_transcript))
    live_der = diarization_scores(reference_turns, transcript.turns).der
    whole_der = diarization_scores(reference_turns, sample_transcript.turns).der
    print(
        f"live WER {live_wer:.3f} DER {live_der:.3f}; whole WER {whole_wer:.3f} DER {whole_der:.3f}"
    )
    assert live_wer <= whole_wer + 0.01
    assert abs(live_der - whole_der) <= 0.01
    assert [u.id for u in transcript.utterances] == [
        f"u{n:04d}" for n in range(1, len(transcript.utterances) + 1)
    ]
    assert {s.role for s in transcript.speakers} == {"clinician", "patient"}
    assert {t.stage for t in transcript.timings} >= {"live_asr", "live_diarization", "asr"}
