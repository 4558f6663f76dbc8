"""Speech recognition: a small `Transcriber` protocol and its faster-whisper backend.

faster-whisper runs Whisper through CTranslate2 (int8 on CPU), with Silero VAD
to skip silence and word-level timestamps and probabilities, which alignment
and the review view (low-confidence words) need. Weights come from the model
registry (`models.py`), never from a hub.
"""

from __future__ import annotations

import logging
import math
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml

from avt_notes.audio import SAMPLE_RATE
from avt_notes.clinical_vocabulary import correct_words, load_lexicon, rules_from
from avt_notes.config import Settings
from avt_notes.errors import ModelError
from avt_notes.hallucination import hallucinated_span
from avt_notes.models import resolve
from avt_notes.progress import Progress
from avt_notes.schemas import ModelInfo, Word

SAMPLING_SEED = 0

logger = logging.getLogger("avt_notes")

VOCABULARY_FILE = "asr_vocabulary.txt"
WINDOW_SECONDS = 30  # Whisper's own window
UNCLEAR = "[unclear]"  # stands for a dropped segment; scoring ignores bracketed text
FRAMES_PER_SECOND = 100  # Whisper's mel frames (10 ms hop)


class Transcriber(Protocol):
    @property
    def model_info(self) -> ModelInfo: ...

    def transcribe(self, samples: np.ndarray, *, progress: Progress | None = None) -> list[Word]:
        """Words with times (seconds from the start of `samples`) and probabilities."""
        ...


def decoding_options(settings: Settings) -> dict[str, Any]:
    """faster-whisper `transcribe` keyword arguments from the settings."""
    d = settings.decoding
    return {
        "beam_size": d.asr_beam_size,
        "patience": d.asr_patience,
        "temperature": list(d.asr_temperatures),
        "compression_ratio_threshold": d.asr_compression_ratio_threshold,
        "log_prob_threshold": d.asr_log_prob_threshold,
        "no_speech_threshold": d.asr_no_speech_threshold,
        # Off by default: a repetition loop in one window would otherwise carry
        # over into the next for the rest of the session.
        "condition_on_previous_text": d.asr_condition_on_previous_text,
        "vad_filter": d.asr_vad_filter,
        "vad_parameters": {
            "min_silence_duration_ms": d.asr_vad_min_silence_ms,
            "speech_pad_ms": d.asr_vad_speech_pad_ms,
        },
        "hotwords": hotwords(settings.drafting.prompts_dir) if d.asr_hotwords else None,
    }


class FasterWhisperTranscriber:
    """Whisper via faster-whisper; `model` is a registry name or a CTranslate2 folder."""

    def __init__(
        self,
        model: str,
        *,
        settings: Settings,
        language: str | None = "en",
    ) -> None:
        self._name = model
        self._folder = resolve(
            model, "asr", settings.models.model_cache, settings.models.extra_models
        )
        if language not in (None, "en") and model.endswith(".en"):
            raise ModelError(f"ASR model '{model}' is English-only but language is '{language}'")
        try:
            self._model = _windowed_model_class()(
                str(self._folder),
                device="cpu",
                compute_type=settings.models.asr_compute_type,
                cpu_threads=settings.models.stage_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as error:
            raise ModelError(
                f"cannot load Whisper model '{model}' from {self._folder}: {error}. "
                "It must be a CTranslate2 conversion (model.bin, config.json, tokenizer.json)."
            ) from error
        self._language = language
        # Public so a benchmark can try a faster-whisper option before it is a setting.
        self.options = decoding_options(settings)
        self._min_window = settings.decoding.asr_min_window_seconds
        self._guard = settings.decoding.asr_drop_hallucinations
        self._vocabulary = (
            (load_lexicon(settings.drafting.prompts_dir), rules_from(settings))
            if settings.decoding.asr_vocabulary_correction
            else None
        )
        self._lock = threading.Lock()

    @staticmethod
    def _without_hallucinations(words: list[Word]) -> list[Word]:
        """Each letter run or loop repetition replaced by one marked [unclear] word."""
        while (replaced := _replace_span(words)) is not None:
            words = replaced
        return words

    @property
    def model_info(self) -> ModelInfo:
        import faster_whisper

        return ModelInfo(
            stage="asr",
            name=f"whisper-{self._name}" if "/" not in self._name else self._name,
            version=f"faster-whisper {faster_whisper.__version__}",
            source=str(self._folder),
        )

    def transcribe(self, samples: np.ndarray, *, progress: Progress | None = None) -> list[Word]:
        duration = len(samples) / SAMPLE_RATE
        words: list[Word] = []
        # The encoder window is set on the model while the lazy generator runs:
        # one transcription at a time per model.
        with self._lock:
            self._model.encoder_frames = (
                window_seconds(duration, self._min_window) * FRAMES_PER_SECOND
            )
            # The temperature fallback samples: a fixed seed per recording makes the same
            # audio give the same transcript (measured: 19.1% vs 23.4% WER run to run).
            import ctranslate2  # loaded with faster-whisper already; kept out of light imports

            ctranslate2.set_random_seed(SAMPLING_SEED)
            segments, _info = self._model.transcribe(
                samples, language=self._language, word_timestamps=True, **self.options
            )
            for segment in segments:  # a lazy generator: decoding happens here
                found = [
                    Word(
                        text=w.word.strip(),
                        start=round(float(w.start), 3),
                        end=round(float(max(w.end, w.start)), 3),
                        probability=round(min(max(float(w.probability), 0.0), 1.0), 4),
                    )
                    for w in segment.words or []
                    if w.word.strip()
                ]
                words.extend(self._without_hallucinations(found) if self._guard else found)
                if progress is not None and duration > 0:
                    progress("transcribing", min(segment.end / duration, 1.0))
        if progress is not None:
            progress("transcribing", 1.0)
        if self._vocabulary is not None:
            words = correct_words(words, *self._vocabulary)
        return words


def _replace_span(words: list[Word]) -> list[Word] | None:
    span = hallucinated_span([w.text for w in words])
    if span is None:
        return None
    start, end = span
    logger.warning(
        "replaced recognised words at %.1f-%.1f s that spell letters or loop (no support "
        "in the audio) by %s: %r",
        words[start].start,
        words[end - 1].end,
        UNCLEAR,
        " ".join(w.text for w in words[start:end])[:80],
    )
    # A visible, marked gap: the reviewer listens to that stretch themselves.
    gap = Word(text=UNCLEAR, start=words[start].start, end=words[end - 1].end, probability=0.0)
    return [*words[:start], gap, *words[end:]]


def window_seconds(duration: float, shortest: int = WINDOW_SECONDS) -> int:
    """The decoding window for a recording of `duration` seconds.

    Whisper encodes every window as 30 s of audio, padding short input with
    silence: on a 3 s clip nine tenths of the encoder's work is padding, the
    fixed cost that made short clips 6x slower per audio second than long
    files. A clip shorter than the window can be encoded in a window just
    longer than itself, but no shorter than `shortest` seconds (CTranslate2
    accepts shorter encoder input). Whisper was trained on 30 s windows: on 500
    real L2 clips a 10 s window changed the words of a third of them, some for
    the better and some for the worse, and WER not beyond noise (0.99x with 30 s,
    [0.96, 1.02]; benchmarks/decoding.py), so the speed is kept.
    """
    return int(min(WINDOW_SECONDS, max(shortest, math.ceil(duration) + 1)))


@lru_cache(maxsize=1)
def _windowed_model_class() -> type[Any]:
    """faster-whisper's model with an encoder that can skip the padding of short clips.

    faster-whisper always pads a window's features to 30 s (3,000 frames)
    before encoding; with `encoder_frames` set, the padding beyond that many
    frames is cut off first. Defined lazily: faster-whisper loads CTranslate2.
    """
    from faster_whisper import WhisperModel

    class WindowedWhisperModel(WhisperModel):  # type: ignore[misc]
        encoder_frames: int | None = None

        def encode(self, features: np.ndarray) -> Any:
            if self.encoder_frames is not None and features.shape[-1] > self.encoder_frames:
                features = features[..., : self.encoder_frames]
            return super().encode(features)

    return WindowedWhisperModel


@lru_cache(maxsize=4)
def hotwords(folder: Path) -> str:
    """Drug names (`folder`/drugs.yaml) and clinical terms (`folder`/asr_vocabulary.txt).

    Passed to Whisper as `hotwords`: a prompt that makes these spellings more
    likely without forcing them. Whisper keeps the end of a long prompt, so the
    clinical terms come last.
    """
    drugs = yaml.safe_load((folder / "drugs.yaml").read_text(encoding="utf-8"))["drugs"]
    terms = [
        line.strip()
        for line in (folder / VOCABULARY_FILE).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return ", ".join([*drugs, *terms])
