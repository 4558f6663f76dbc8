"""Audio input: every accepted format decodes to 16 kHz mono float32; bad input fails clearly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from avt_notes.audio import SAMPLE_RATE, load_audio
from avt_notes.errors import (
    AudioError,
    AudioTooLongError,
    CorruptAudioError,
    EmptyAudioError,
    NotAudioError,
)

from testdata import REAL, checkout_env, encode_audio

JFK_SECONDS = 11.0


@pytest.fixture(scope="module")
def jfk_mono() -> tuple[np.ndarray, int]:
    samples, rate = sf.read(REAL / "jfk.flac", dtype="float32")
    return samples.mean(axis=1), rate


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_wav_sample_formats(tmp_path: Path, jfk_mono, subtype: str) -> None:
    samples, rate = jfk_mono
    path = tmp_path / f"jfk_{subtype}.wav"
    sf.write(path, samples, rate, subtype=subtype)
    audio = load_audio(path)
    assert audio.samples.dtype == np.float32
    assert audio.samples.ndim == 1
    assert audio.duration == pytest.approx(JFK_SECONDS, abs=0.01)
    assert 0.05 < float(np.abs(audio.samples).max()) <= 1.0
    assert not audio.warnings


@pytest.mark.parametrize(
    ("name", "fmt", "codec"),
    [
        ("jfk.mp3", "mp3", "libmp3lame"),
        ("jfk.ogg", "ogg", "libopus"),
        ("jfk.webm", "webm", "libopus"),  # what Chrome's MediaRecorder makes
        ("jfk.m4a", "mp4", "aac"),  # what Safari's MediaRecorder makes
        ("jfk.mp4", "mp4", "aac"),
        ("jfk.aac", "adts", "aac"),
    ],
)
def test_compressed_formats(tmp_path: Path, jfk_mono, name: str, fmt: str, codec: str) -> None:
    samples, rate = jfk_mono
    path = encode_audio(samples, rate, tmp_path / name, fmt, codec)
    audio = load_audio(path)
    assert audio.duration == pytest.approx(JFK_SECONDS, abs=0.1)
    # The decoded speech has the loudness of the original, not silence or noise.
    reference_rms = float(np.sqrt(np.mean(samples**2)))
    assert float(np.sqrt(np.mean(audio.samples**2))) == pytest.approx(reference_rms, rel=0.2)


def test_stereo_keeps_channels() -> None:
    audio = load_audio(REAL / "stereo_diarization.wav")
    assert audio.channels is not None and audio.channels.shape == (2, len(audio.samples))
    assert audio.info.channels == 2
    # One speaker per channel: the channels differ, so the mix is not a copy of either.
    assert not np.allclose(audio.channels[0], audio.channels[1])


def test_float32_wav_at_16k() -> None:
    audio = load_audio(REAL / "ami_dev00.wav")
    assert audio.info.codec == "pcm_f32le"
    assert audio.duration == pytest.approx(30.0, abs=0.01)
    assert len(audio.samples) == round(audio.duration * SAMPLE_RATE)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(EmptyAudioError, match="empty"):
        load_audio(path)


def test_zero_length_audio(tmp_path: Path) -> None:
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), SAMPLE_RATE)
    with pytest.raises(EmptyAudioError, match="zero seconds"):
        load_audio(path)


def test_text_with_audio_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("this is a letter, not a recording\n" * 20)
    with pytest.raises(NotAudioError, match="not an audio file"):
        load_audio(path)


def test_random_bytes_with_audio_name(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    with pytest.raises(AudioError):
        load_audio(path)


def test_corrupt_audio(tmp_path: Path, jfk_mono) -> None:
    samples, rate = jfk_mono
    good = encode_audio(samples, rate, tmp_path / "good.m4a", "mp4", "aac")
    data = bytearray(good.read_bytes())
    # Keep the 'ftyp' box so it still looks like MP4, wreck everything after it.
    data[32:] = bytes(len(data) - 32)
    bad = tmp_path / "bad.m4a"
    bad.write_bytes(bytes(data))
    with pytest.raises(CorruptAudioError, match="cannot be decoded"):
        load_audio(bad)


def test_too_long_from_header_before_decoding(tmp_path: Path) -> None:
    """A header promising 5 h is refused at once, even though the file holds 1 s."""
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(SAMPLE_RATE, dtype=np.int16), SAMPLE_RATE, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    promised = 5 * 3600 * SAMPLE_RATE * 2
    data[40:44] = promised.to_bytes(4, "little")  # the data chunk size of a plain 44-byte header
    path.write_bytes(bytes(data))
    with pytest.raises(AudioTooLongError, match="over the limit"):
        load_audio(path, max_seconds=4 * 3600)


def test_too_long_real_file() -> None:
    with pytest.raises(AudioTooLongError):
        load_audio(REAL / "jfk.flac", max_seconds=5)


def test_truncated_wav_is_processed_with_warning(tmp_path: Path, jfk_mono) -> None:
    samples, rate = jfk_mono
    full = tmp_path / "full.wav"
    sf.write(full, samples, rate, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full.read_bytes()[: 44 + rate * 2 * 4])  # header + 4 s of 16-bit mono
    audio = load_audio(cut)
    assert audio.duration == pytest.approx(4.0, abs=0.05)
    assert audio.info.truncated
    assert audio.info.expected_duration == pytest.approx(JFK_SECONDS, abs=0.01)
    assert any("0:11.0" in w and "0:04.0" in w for w in audio.warnings), audio.warnings


def test_truncated_webm_is_processed_with_warning(tmp_path: Path, jfk_mono) -> None:
    samples, rate = jfk_mono
    full = encode_audio(samples, rate, tmp_path / "full.webm", "webm", "libopus")
    cut = tmp_path / "cut.webm"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    audio = load_audio(cut)
    assert 2.0 < audio.duration < 9.0
    assert audio.info.truncated and "cut short" in audio.warnings[0]


def test_truncated_to_nothing_is_an_error(tmp_path: Path, jfk_mono) -> None:
    samples, rate = jfk_mono
    full = tmp_path / "full.wav"
    sf.write(full, samples, rate, subtype="PCM_16")
    cut = tmp_path / "header_only.wav"
    cut.write_bytes(full.read_bytes()[:44])
    with pytest.raises(CorruptAudioError):
        load_audio(cut)


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"", "empty.wav"), (b"hello, not audio" * 10, "letter.m4a")],
)
def test_cli_bad_input_one_line_no_traceback(tmp_path: Path, content: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "avt_notes", "transcribe", str(path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
        env=checkout_env(),
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and name in errors[0]
    assert not (tmp_path / "o" / "transcript.json").exists()
