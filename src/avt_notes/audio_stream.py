"""Decode a growing recording once: chunk bytes in, 16 kHz mono samples out.

While a session records, its chunks (pieces of one webm/mp4/wav stream) arrive
every few seconds. Decoding the whole received prefix again on every update
costs time that grows with the recording; here one demuxer and one resampler
follow the stream instead, in a thread that blocks until more bytes arrive,
so every byte is decoded once. The resampler is configured as `load_audio`
configures it and is never flushed before the end, so the samples are a prefix
of what decoding the finished file gives.
"""

from __future__ import annotations

import logging
import threading

import av
import numpy as np

from avt_notes.audio import SAMPLE_RATE, Audio
from avt_notes.schemas import AudioInfo

logger = logging.getLogger("avt_notes")


class _GrowingBytes:
    """A read-only, unseekable stream whose `read` waits for bytes until it is closed."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._position = 0
        self._closed = False
        self._changed = threading.Condition()

    def append(self, data: bytes) -> None:
        with self._changed:
            self._data += data
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    @property
    def received(self) -> int:
        return len(self._data)

    def read(self, size: int = -1) -> bytes:
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._position < len(self._data))
            end = len(self._data) if size < 0 else min(len(self._data), self._position + size)
            piece = bytes(self._data[self._position : end])
            self._position = end
            # Bytes already handed to the demuxer are never read again: free them.
            if self._position > 1 << 20:
                del self._data[: self._position]
                self._position = 0
            return piece


class StreamDecoder:
    """Follows one growing audio stream in a background thread."""

    def __init__(self, name: str = "live") -> None:
        self.name = name
        self._bytes = _GrowingBytes()
        self._pieces: list[np.ndarray] = []
        self._decoded = 0
        self._lock = threading.Lock()
        self._progress = threading.Condition(self._lock)
        self.error: str | None = None
        self.finished = False
        self.fed = 0  # bytes given so far
        self.container = ""  # what the stream turned out to be, for `AudioInfo`
        self.codec = ""
        self.original_sample_rate = 0
        self._thread = threading.Thread(target=self._run, name=f"decode-{name}", daemon=True)
        self._thread.start()

    def feed(self, data: bytes) -> None:
        """The next bytes of the stream, in order."""
        self.fed += len(data)
        self._bytes.append(data)

    def close(self, timeout: float | None = None) -> None:
        """No more bytes will come: decode what is left and stop."""
        self._bytes.close()
        self._thread.join(timeout)

    @property
    def decoded_samples(self) -> int:
        with self._lock:
            return self._decoded

    def samples(self) -> np.ndarray:
        """Everything decoded so far (16 kHz mono float32), as one array."""
        with self._lock:
            if len(self._pieces) > 1:
                self._pieces = [np.concatenate(self._pieces)]
            return self._pieces[0] if self._pieces else np.zeros(0, dtype=np.float32)

    def wait_for(self, samples: int, timeout: float) -> bool:
        """Wait until at least `samples` are decoded or the stream ended; True if reached."""
        with self._progress:
            self._progress.wait_for(lambda: self._decoded >= samples or self.finished, timeout)
            return self._decoded >= samples

    def complete_audio(self, name: str, size: int) -> Audio | None:
        """The whole recording, if this stream decoded all `size` bytes of it without error."""
        if not self.finished or self.error is not None or self.fed != size:
            return None
        samples = self.samples()
        if samples.size == 0:
            return None
        info = AudioInfo(
            source=name,
            container=self.container,
            codec=self.codec,
            original_sample_rate=self.original_sample_rate,
            duration=len(samples) / SAMPLE_RATE,
        )
        return Audio(samples=samples, info=info)

    def _append(self, block: np.ndarray) -> None:
        mono = block.mean(axis=0, dtype=np.float32) if block.shape[0] > 1 else block[0]
        with self._progress:
            self._pieces.append(np.ascontiguousarray(mono, dtype=np.float32))
            self._decoded += len(mono)
            self._progress.notify_all()

    def _run(self) -> None:
        try:
            with av.open(self._bytes, mode="r", metadata_errors="ignore") as container:
                stream = container.streams.audio[0]
                self.container = container.format.name
                self.codec = stream.codec_context.name
                self.original_sample_rate = stream.rate or 0
                layout = "stereo" if (stream.channels or 1) == 2 else "mono"
                resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
                for frame in container.decode(stream):
                    frame.pts = None  # as load_audio: resample by sample count
                    for out in resampler.resample(frame):
                        self._append(out.to_ndarray())
                for out in resampler.resample(None):
                    self._append(out.to_ndarray())
        except (av.error.FFmpegError, ValueError, IndexError) as error:
            self.error = str(error) or type(error).__name__
            logger.info("%s: live decoding stopped (%s)", self.name, self.error)
        finally:
            with self._progress:
                self.finished = True
                self._progress.notify_all()
