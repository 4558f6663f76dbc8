"""Paths to real test data and small helpers shared by test modules.

A plain module (not conftest) so test files can import it by a unique name:
tests/ and tests/web/ each have a conftest, and `import conftest` finds one.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

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
