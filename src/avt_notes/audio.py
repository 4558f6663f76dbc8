"""Audio input: decode any session recording to 16 kHz mono float32.

Nothing else in the package reads audio files. PyAV (FFmpeg) decodes every
container a phone or laptop produces (wav, flac, mp3, ogg/opus, webm/opus from
Chrome's MediaRecorder, mp4/m4a/aac from Safari), the same decoder
faster-whisper uses, so there is no second path to disagree with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from avt_notes.errors import (
    AudioError,
    AudioTooLongError,
    CorruptAudioError,
    EmptyAudioError,
    NotAudioError,
)
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


# Leading bytes of the containers we accept: a file that fails to decode but
# starts like audio is corrupt; one that starts like nothing we know is not audio.
AUDIO_MAGIC: tuple[tuple[int, bytes], ...] = (
    (0, b"RIFF"),
    (0, b"RF64"),
    (0, b"fLaC"),
    (0, b"OggS"),
    (0, b"ID3"),
    (0, b"\x1a\x45\xdf\xa3"),  # Matroska / WebM
    (4, b"ftyp"),  # MP4 / M4A / MOV
    (0, b"FORM"),  # AIFF
    (0, b"\xff\xf1"),  # ADTS AAC
    (0, b"\xff\xf9"),
)


def looks_like_audio(head: bytes) -> bool:
    """Whether `head` could be the first bytes of an audio file we decode."""
    if any(head[offset : offset + len(magic)] == magic for offset, magic in AUDIO_MAGIC):
        return True
    # MPEG audio frame sync (mp3 without an ID3 tag): 11 set bits.
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0


def _format_seconds(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}" if hours else f"{minutes}:{secs:04.1f}"


def _wav_header_duration(path: Path) -> float | None:
    """Seconds a RIFF/WAVE header promises (FFmpeg clamps this to the file size, hiding a cut)."""
    with open(path, "rb") as handle:
        riff = handle.read(12)
        if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
            return None
        byte_rate = 0
        while chunk := handle.read(8):
            if len(chunk) < 8:
                return None
            chunk_id, chunk_size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if chunk_id == b"fmt ":
                fmt = handle.read(chunk_size + chunk_size % 2)
                byte_rate = int.from_bytes(fmt[8:12], "little")
            elif chunk_id == b"data":
                # 0 and 0xFFFFFFFF are placeholders written by recorders that stream.
                if byte_rate == 0 or chunk_size in (0, 0xFFFFFFFF):
                    return None
                return chunk_size / byte_rate
            else:
                handle.seek(chunk_size + chunk_size % 2, 1)
    return None


def _header_duration(
    container: av.container.InputContainer, stream: av.AudioStream
) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _open(
    path: Path, name: str, max_seconds: float | None
) -> tuple[av.container.InputContainer, float | None]:
    """The opened container (first audio stream checked) and the duration its header promises.

    Raises an `AudioError` naming the file as `name`, also when the header alone
    says the recording is over `max_seconds`."""
    if not path.is_file():
        raise AudioError(f"{name}: no such file")
    if path.stat().st_size == 0:
        raise EmptyAudioError(f"{name}: the file is empty (0 bytes)")
    with open(path, "rb") as handle:
        head = handle.read(16)
    wav_promise = _wav_header_duration(path)
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        if looks_like_audio(head):
            raise CorruptAudioError(
                f"{name}: looks like audio but cannot be decoded; it may be damaged "
                "or cut short before its index"
            ) from error
        raise NotAudioError(f"{name}: not an audio file (unrecognised format)") from error
    if not container.streams.audio:
        container.close()
        raise NotAudioError(f"{name}: contains no audio stream")
    expected = wav_promise or _header_duration(container, container.streams.audio[0])
    if expected is not None and max_seconds is not None and expected > max_seconds:
        container.close()
        raise AudioTooLongError(
            f"{name}: {_format_seconds(expected)} long, over the limit of "
            f"{_format_seconds(max_seconds)} (setting AVT_MAX_AUDIO_SECONDS)"
        )
    return container, expected


@dataclass(frozen=True)
class DurationCheck:
    """What a streaming decode found: decoded seconds, and where and why it stopped early."""

    seconds: float
    expected: float | None  # what the header promised, when it says
    decode_error: str | None  # the decoder gave up here (damaged or truncated data)
    # First to last frame by timestamps: a damaged stretch the demuxer skipped over leaves
    # a gap between this and `seconds` even when no header gives a duration (MediaRecorder).
    timeline: float | None = None

    @property
    def damaged(self) -> bool:
        shortfall = (self.expected or 0.0) - self.seconds
        gap = (self.timeline or 0.0) - self.seconds
        return (
            self.decode_error is not None
            or shortfall > max(0.5, 0.02 * (self.expected or 0))
            or gap > max(1.0, 0.05 * (self.timeline or 0))
        )

    def warning(self, name: str) -> str | None:
        """A sentence for the clinician when part of the recording could not be decoded."""
        if not self.damaged:
            return None
        whole = max(self.expected or 0.0, self.timeline or 0.0)
        of = f" of {_format_seconds(whole)}" if whole > self.seconds else ""
        return (
            f"Only {_format_seconds(self.seconds)}{of} of {name} could be decoded: part of "
            "the audio is damaged or missing, and what it held is not in the transcript or "
            "the draft. Check the note against your own memory of the session."
        )


def check_duration(
    path: str | Path, max_seconds: float, name: str = "the recording"
) -> DurationCheck:
    """Decode frame by frame, counting samples and keeping none; stop at `max_seconds`.

    Memory stays at one decoded frame whatever the length, so a small file that
    expands to hours (silence compresses to almost nothing) cannot exhaust the
    server; `AudioTooLongError` as soon as the decoded audio passes the limit.
    """
    container, expected = _open(Path(path), name, max_seconds)
    decoded = 0.0
    first: float | None = None
    last = 0.0
    error: str | None = None
    with container:
        stream = container.streams.audio[0]
        try:
            for frame in container.decode(stream):
                seconds = frame.samples / (frame.sample_rate or stream.rate or SAMPLE_RATE)
                decoded += seconds
                if frame.pts is not None and frame.time_base is not None:
                    start = float(frame.pts * frame.time_base)
                    first = start if first is None else min(first, start)
                    last = max(last, start + seconds)
                if decoded > max_seconds:
                    raise AudioTooLongError(
                        f"{name}: longer than the limit of {_format_seconds(max_seconds)} "
                        "(setting AVT_MAX_AUDIO_SECONDS)"
                    )
        except (av.error.FFmpegError, ValueError) as failure:
            error = str(failure)
    if decoded == 0:
        if error is not None or (expected or 0) > 0:
            raise CorruptAudioError(f"{name}: no decodable audio")
        raise EmptyAudioError(f"{name}: holds zero seconds of audio")
    timeline = last - first if first is not None else None
    return DurationCheck(seconds=decoded, expected=expected, decode_error=error, timeline=timeline)


def load_audio(path: str | Path, max_seconds: float | None = None) -> Audio:
    """Decode a recording to 16 kHz mono float32, or raise an `AudioError` saying why not.

    A file cut short (its header promises more than it holds) is decoded as far as
    it goes, with a warning on `Audio.warnings`; only a file with nothing
    decodable is an error.
    """
    path = Path(path)
    container, expected = _open(path, path.name, max_seconds)
    with container:
        stream = container.streams.audio[0]
        channels, decode_error = _decode(container, stream, max_seconds, path.name)
        info = AudioInfo(
            source=path.name,
            container=container.format.name,
            codec=stream.codec_context.name,
            original_sample_rate=stream.rate or 0,
            channels=channels.shape[0],
            duration=channels.shape[1] / SAMPLE_RATE,
            expected_duration=expected,
        )

    if channels.shape[1] == 0:
        if decode_error is not None or (expected or 0) > 0:
            raise CorruptAudioError(
                f"{path.name}: no decodable audio ({decode_error or 'no frames'})"
            )
        raise EmptyAudioError(f"{path.name}: holds zero seconds of audio")

    warnings: list[str] = []
    shortfall = (expected or 0.0) - info.duration
    if decode_error is not None or shortfall > max(0.5, 0.02 * (expected or 0.0)):
        info.truncated = True
        promised = f"the header promised {_format_seconds(expected)}" if expected else "the stream"
        warnings.append(
            f"{path.name}: recording is cut short: {promised} but only "
            f"{_format_seconds(info.duration)} could be decoded; processing what is there"
            + (f" (decoder stopped: {decode_error})" if decode_error else "")
        )

    mono = channels.mean(axis=0, dtype=np.float32) if channels.shape[0] > 1 else channels[0]
    return Audio(
        samples=np.ascontiguousarray(mono),
        info=info,
        channels=channels if channels.shape[0] > 1 else None,
        warnings=warnings,
    )


def _decode(
    container: av.container.InputContainer,
    stream: av.AudioStream,
    max_seconds: float | None,
    name: str,
) -> tuple[np.ndarray, str | None]:
    """All frames as (channels, samples) float32 at 16 kHz, and the error that stopped decoding."""
    layout = "stereo" if (stream.channels or 1) == 2 else "mono"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
    pieces: list[np.ndarray] = []
    decoded = 0
    limit = int(max_seconds * SAMPLE_RATE) if max_seconds is not None else None
    error: str | None = None
    try:
        for frame in container.decode(stream):
            frame.pts = None  # resample by sample count; broken timestamps are common in cut files
            for out in resampler.resample(frame):
                pieces.append(out.to_ndarray())
                decoded += out.samples
            if limit is not None and decoded > limit:
                # The header did not say (or lied); stop before holding hours in memory.
                raise AudioTooLongError(
                    f"{name}: longer than the limit of {_format_seconds(max_seconds or 0)} "
                    "(setting AVT_MAX_AUDIO_SECONDS)"
                )
        for out in resampler.resample(None):
            pieces.append(out.to_ndarray())
    except (av.error.FFmpegError, ValueError) as failure:
        error = str(failure)
    width = 2 if layout == "stereo" else 1
    if not pieces:
        return np.zeros((width, 0), dtype=np.float32), error
    return np.concatenate(pieces, axis=1).astype(np.float32, copy=False), error
