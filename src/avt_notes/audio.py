"""Audio input: decode any session recording to 16 kHz mono float32.

Nothing else in the package reads audio files. PyAV (FFmpeg) decodes every
container a phone or laptop produces (wav, flac, mp3, ogg/opus, webm/opus from
Chrome's MediaRecorder, mp4/m4a/aac from Safari), the same decoder
faster-whisper uses, so there is no second path to disagree with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from avt_notes.schemas import AudioInfo

SAMPLE_RATE = 16_000


@dataclass
class Audio:
    """Decoded audio ready for the models."""

    samples: np.ndarray  # float32, mono, SAMPLE_RATE
    info: AudioInfo
    # (channels, samples) float32 at SAMPLE_RATE when the source had >1 channel,
    # so a recording with one speaker per channel stays usable.
    channels: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @classmethod
    def from_array(cls, samples: np.ndarray, source: str = "array") -> Audio:
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        info = AudioInfo(
            source=source, original_sample_rate=SAMPLE_RATE, duration=len(samples) / SAMPLE_RATE
        )
        return cls(samples=samples, info=info)
