"""Shared fixtures: paths to real data in ../shared, settings, models loaded once per session."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import av
import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
warnings.filterwarnings("ignore", message=".*torchcodec.*")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL = SHARED / "data" / "real"
PRIMOCK = SHARED / "data" / "primock57"
SAMPLE = ROOT / "sample_audio"

JFK_TEXT = (
    "And so my fellow Americans ask not what your country can do for you, "
    "ask what you can do for your country."
)
STEREO_TEXT = {
    0: "He began a confused complaint against the wizard, who had vanished behind the "
    "curtain on the left.",
    1: "The horizon seems extremely distant.",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak", action="store_true", default=False, help="long kill/restart soak (200 runs)"
    )


@pytest.fixture(scope="session")
def settings():
    from avt_notes.config import Settings

    return Settings()


@pytest.fixture(scope="session")
def transcriber(settings):
    from avt_notes.pipeline import get_transcriber

    return get_transcriber(settings, "base")


@pytest.fixture(scope="session")
def diarizer(settings):
    from avt_notes.pipeline import get_diarizer

    return get_diarizer(settings)


def encode_audio(
    samples: np.ndarray, rate: int, path: Path, fmt: str, codec: str, out_rate: int = 48_000
) -> Path:
    """Write mono float32 `samples` with PyAV (FFmpeg) in a given container and codec."""
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=out_rate, layout="mono")
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name, layout="mono", rate=out_rate
        )
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32)[None, :], format="flt", layout="mono"
        )
        frame.sample_rate = rate
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(chunk):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path
