"""Processing while recording: most of the work is done before the clinician presses stop.

As audio arrives, `LiveSession.update` is called with everything decoded so
far (16 kHz mono samples, decoded once by `audio_stream.StreamDecoder`) and
does two kinds of work that whole-file processing would do anyway:

- ASR in windows cut at pauses. Silero VAD (the one faster-whisper ships)
  finds speech in the pending audio; once at least `window_seconds` are
  pending, the audio up to the last pause before the newest `tail_seconds` is
  transcribed and committed. Cutting inside silence means no word is split.
- Diarisation up to clustering. pyannote's pipeline cuts the file into fixed
  chunks (10 s every 1 s, starting at 0) and runs segmentation and speaker
  embeddings per chunk independently; only clustering and reconstruction need
  the whole file. Chunks that lie entirely inside the received audio are
  therefore computed now, on the same grid, and their results are exactly what
  whole-file processing would compute.

With a `LiveDrafting`, `draft_if_due` also drafts each window of committed
transcript (see `live_drafting.py`) from a provisional transcript: pyannote's
clustering over the chunks so far, then word attribution.

`finish` runs what remains: the last ASR window, the last chunks, then
pyannote's own clustering and reconstruction over all chunks (handed to the
pipeline through its documented reuse cache, `training_cache/*`), then word
attribution. The result matches processing the whole file at once, except
that ASR windows are cut at pauses chosen here rather than by faster-whisper.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from avt_notes.asr import Transcriber
from avt_notes.audio import SAMPLE_RATE, Audio
from avt_notes.diarization import DiarizationResult, PyannoteDiarizer
from avt_notes.pipeline import SpeakerOptions, attribute_words, side_by_side
from avt_notes.progress import TRANSCRIBING_AND_DIARISING, Progress, joint_progress, no_progress
from avt_notes.schemas import StageTiming, Transcript, Word

if TYPE_CHECKING:
    from avt_notes.audio_stream import StreamDecoder
    from avt_notes.live_drafting import LiveDrafting

logger = logging.getLogger("avt_notes")


def speech_spans(samples: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) sample indices of speech, by the Silero VAD faster-whisper uses."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=300))
    return [(int(s["start"]), int(s["end"])) for s in spans]


def pause_cut(samples: np.ndarray, *, earliest: int, latest: int) -> int | None:
    """A sample index inside the last pause between `earliest` and `latest`, or None."""
    spans = speech_spans(samples[:latest])
    if not spans:
        return latest if latest >= earliest else None  # silence throughout: cut anywhere
    candidates = [(a_end + b_start) // 2 for (_, a_end), (b_start, _) in pairwise(spans)]
    candidates.append((spans[-1][1] + latest) // 2 if spans[-1][1] < latest - 1600 else -1)
    candidates = [c for c in candidates if earliest <= c <= latest]
    return max(candidates) if candidates else None


class LiveTranscriber:
    """Commits ASR words window by window as audio grows."""

    def __init__(
        self,
        transcriber: Transcriber,
        *,
        window_seconds: float = 30.0,
        tail_seconds: float = 2.0,
    ) -> None:
        self.transcriber = transcriber
        self.window = int(window_seconds * SAMPLE_RATE)
        self.tail = int(tail_seconds * SAMPLE_RATE)
        self.committed = 0  # samples already transcribed
        self.words: list[Word] = []
        self.seconds = 0.0

    def update(self, samples: np.ndarray, *, final: bool = False) -> int:
        """Transcribe every window that is ready; returns how many were done."""
        done = 0
        while True:
            pending = len(samples) - self.committed
            if final:
                cut = len(samples) if pending > 0 else None
            elif pending < self.window + self.tail:
                cut = None
            else:
                region = samples[self.committed :]
                local = pause_cut(region, earliest=self.window // 2, latest=pending - self.tail)
                if local is None and pending >= 3 * self.window:
                    local = pending - self.tail  # a long monologue with no pause: cut anyway
                cut = None if local is None else self.committed + local
            if cut is None or cut <= self.committed:
                return done
            self._transcribe(samples[self.committed : cut], self.committed / SAMPLE_RATE)
            self.committed = cut
            done += 1
            if final:
                return done

    def _transcribe(self, window: np.ndarray, offset: float) -> None:
        started = time.perf_counter()
        for word in self.transcriber.transcribe(window):
            self.words.append(
                word.model_copy(
                    update={
                        "start": round(word.start + offset, 3),
                        "end": round(word.end + offset, 3),
                    }
                )
            )
        self.seconds += time.perf_counter() - started


class LiveDiarization:
    """Segmentation and embeddings of pyannote's fixed chunks, computed as audio arrives."""

    def __init__(self, diarizer: PyannoteDiarizer) -> None:
        self.diarizer = diarizer
        self.pipeline: Any = diarizer.pipeline
        spec = self.pipeline._segmentation  # the chunking pyannote itself applies
        self.chunk = spec.model.audio.get_num_samples(spec.duration)
        self.step = round(spec.step * SAMPLE_RATE)
        self.segmentations: list[np.ndarray] = []  # per chunk: (frames, local speakers)
        self.embeddings: list[np.ndarray] = []  # per chunk: (local speakers, dimension)
        self.frames: Any = None  # the frame grid of one chunk (pyannote SlidingWindow)
        self.seconds = 0.0

    @property
    def complete_chunks(self) -> int:
        return len(self.segmentations)

    def update(self, samples: np.ndarray, *, final: bool = False) -> None:
        """Compute every chunk lying fully inside `samples` (and the padded last one if final)."""
        started = time.perf_counter()
        first = len(self.segmentations)
        region = samples[first * self.step :]
        if len(region) == 0:
            return
        if not final:
            ready = 0 if len(samples) < self.chunk else (len(samples) - self.chunk) // self.step + 1
            if ready <= first:
                return
            region = samples[first * self.step : (ready - 1) * self.step + self.chunk]
        file = self._file(region)
        output = self.pipeline.get_segmentations(file)
        data = output.data
        if not final:
            data = data[: ready - first]  # drop the zero-padded tail chunk: not final yet
        self.frames = output.sliding_window
        self.segmentations.extend(list(data))
        new = self._binarized(np.stack(list(data)), first)
        vectors = self.pipeline.get_embeddings(
            self._file(samples),
            new,
            exclude_overlap=self.pipeline.embedding_exclude_overlap,
        )
        self.embeddings.extend(list(vectors))
        self.seconds += time.perf_counter() - started

    def _file(self, samples: np.ndarray) -> dict[str, Any]:
        waveform = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))[None]
        return {"waveform": waveform, "sample_rate": SAMPLE_RATE, "uri": "live"}

    def _binarized(self, data: np.ndarray, first_chunk: int) -> Any:
        from pyannote.audio.utils.signal import binarize
        from pyannote.core import SlidingWindow, SlidingWindowFeature

        window = SlidingWindow(
            start=first_chunk * self.step / SAMPLE_RATE,
            duration=self.chunk / SAMPLE_RATE,
            step=self.step / SAMPLE_RATE,
        )
        features = SlidingWindowFeature(data, window)
        threshold = getattr(self.pipeline.segmentation, "threshold", None)
        if threshold is None:  # powerset models output binary activations already
            return features
        return binarize(features, onset=threshold, initial_state=False)

    def cache(self) -> dict[str, Any]:
        """Results in the form pyannote's pipeline reuses (`training_cache/*` keys)."""
        from pyannote.core import SlidingWindow, SlidingWindowFeature

        window = SlidingWindow(
            start=0.0, duration=self.chunk / SAMPLE_RATE, step=self.step / SAMPLE_RATE
        )
        return {
            "training_cache/segmentation": SlidingWindowFeature(
                np.stack(self.segmentations), window
            ),
            "training_cache/embeddings": {"embeddings": np.stack(self.embeddings)},
        }


class LiveSession:
    """ASR and diarisation that keep up with a recording, finished at stop."""

    def __init__(
        self,
        transcriber: Transcriber,
        diarizer: PyannoteDiarizer,
        *,
        window_seconds: float = 30.0,
        drafting: LiveDrafting | None = None,
        stream: StreamDecoder | None = None,
        read_ahead_seconds: float = 0.0,
    ) -> None:
        self.asr = LiveTranscriber(transcriber, window_seconds=window_seconds)
        self.diarization = LiveDiarization(diarizer)
        self.drafting = drafting
        self.read_ahead_seconds = read_ahead_seconds
        self.read_ahead_at = 0.0  # committed seconds when the drafter last read ahead
        self.read_ahead_seconds_spent = 0.0
        self.stream = stream
        self.diarizer = diarizer
        self.transcriber = transcriber
        self.received_seconds = 0.0
        # Held by whoever updates or finishes: updates and the final pass never interleave.
        self.lock = threading.Lock()

    def update(self, samples: np.ndarray) -> None:
        """Do all the work the audio received so far allows."""
        self.received_seconds = len(samples) / SAMPLE_RATE
        side_by_side(lambda: self.asr.update(samples), lambda: self.diarization.update(samples))

    def final_audio(self, path: Path) -> Audio | None:
        """The recording at `path` as the live stream decoded it, if it decoded all of it."""
        if self.stream is None:
            return None
        return self.stream.complete_audio(path.name, path.stat().st_size)

    def provisional_transcript(self, samples: np.ndarray) -> Transcript | None:
        """A transcript of the audio so far: the chunks computed, clustered now; None if none."""
        chunks = self.diarization.complete_chunks
        if chunks == 0:
            return None
        # Exactly the computed chunks: pyannote adds no padded last chunk to this length.
        length = (chunks - 1) * self.diarization.step + self.diarization.chunk
        audio = Audio.from_array(samples[:length], source="live")
        result = self.diarizer.diarize(audio, precomputed=self.diarization.cache())
        horizon = length / SAMPLE_RATE
        words = [w for w in self.asr.words if w.end <= horizon]
        utterances, table = attribute_words(words, result)
        return Transcript(
            audio=audio.info,
            language="en",
            utterances=utterances,
            speakers=table,
            turns=result.turns,
            models=[self.transcriber.model_info, self.diarizer.model_info],
        )

    def draft_if_due(
        self, samples: np.ndarray, should_stop: Callable[[], bool] | None = None
    ) -> bool:
        """Draft the next window of transcript if ASR has committed enough; True if drafted.

        `should_stop`: whether the recording has stopped, asked while a window is drafted
        (`LiveDrafting.draft_window`).

        Otherwise, every `read_ahead_seconds` of new transcript, have the drafter read the
        next window's lines so far (`LiveDrafting.read_ahead`): drafting it then, when due
        or at stop, reads only the lines after them.
        """
        committed = self.asr.committed / SAMPLE_RATE
        if self.drafting is None:
            return False
        due = self.drafting.due(committed)
        ahead = (
            not due
            and self.read_ahead_seconds > 0
            and committed - self.read_ahead_at >= self.read_ahead_seconds
        )
        if not (due or ahead) or (should_stop is not None and should_stop()):
            return False  # stopped: clustering and drafting now would only delay the stop
        started = time.perf_counter()
        provisional = self.provisional_transcript(samples)
        if provisional is None or len(provisional.utterances) < 2:
            return False
        # The newest utterance may continue past what ASR or diarisation have seen.
        upto = min(committed, provisional.utterances[-2].end)
        self.read_ahead_at = committed
        if due:
            return self.drafting.draft_window(provisional, upto, should_stop)
        self.drafting.read_ahead(provisional, upto)
        self.read_ahead_seconds_spent += time.perf_counter() - started  # clustering too
        return False

    def finish(
        self,
        audio: Audio,
        *,
        speakers: SpeakerOptions | None = None,
        enrolment: np.ndarray | None = None,
        language: str = "en",
        progress: Progress = no_progress,
    ) -> Transcript:
        """The transcript of the whole recording, doing only what is left."""
        samples = audio.samples
        speakers = speakers or SpeakerOptions()
        timings = [
            StageTiming(stage="live_asr", seconds=round(self.asr.seconds, 3)),
            StageTiming(stage="live_diarization", seconds=round(self.diarization.seconds, 3)),
            StageTiming(stage="live_read_ahead", seconds=round(self.read_ahead_seconds_spent, 3)),
        ]
        asr_progress, diarization_progress = joint_progress(progress, TRANSCRIBING_AND_DIARISING, 2)

        def recognise() -> float:
            started = time.perf_counter()
            self.asr.update(samples, final=True)
            asr_progress("transcribing", 1.0)
            return time.perf_counter() - started

        def diarise() -> tuple[DiarizationResult, float]:
            started = time.perf_counter()
            self.diarization.update(samples, final=True)
            result = self.diarizer.diarize(
                audio,
                num_speakers=speakers.num_speakers,
                min_speakers=speakers.min_speakers,
                max_speakers=speakers.max_speakers,
                progress=diarization_progress,
                precomputed=self.diarization.cache(),
            )
            return result, time.perf_counter() - started

        progress(TRANSCRIBING_AND_DIARISING, 0.0)
        asr_seconds, (result, diarization_seconds) = side_by_side(recognise, diarise)
        timings += [
            StageTiming(stage="asr", seconds=round(asr_seconds, 3)),
            StageTiming(stage="diarization", seconds=round(diarization_seconds, 3)),
        ]
        started = time.perf_counter()
        utterances, table = attribute_words(self.asr.words, result, enrolment)
        timings.append(
            StageTiming(stage="alignment", seconds=round(time.perf_counter() - started, 3))
        )
        return Transcript(
            audio=audio.info,
            language=language,
            utterances=utterances,
            speakers=table,
            turns=result.turns,
            models=[self.transcriber.model_info, self.diarizer.model_info],
            timings=timings,
            warnings=list(audio.warnings),
        )
