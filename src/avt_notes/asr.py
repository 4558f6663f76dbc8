"""Speech recognition: a small `Transcriber` protocol and its faster-whisper backend.

faster-whisper runs Whisper through CTranslate2 (int8 on CPU), with Silero VAD
to skip silence and word-level timestamps and probabilities, which alignment
and the review view (low-confidence words) need. Weights come from the model
registry (`models.py`), never from a hub.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from avt_notes.audio import SAMPLE_RATE
from avt_notes.config import Settings
from avt_notes.errors import ModelError
from avt_notes.models import resolve
from avt_notes.progress import Progress
from avt_notes.schemas import ModelInfo, Word

logger = logging.getLogger("avt_notes")


class Transcriber(Protocol):
    @property
    def model_info(self) -> ModelInfo: ...

    def transcribe(self, samples: np.ndarray, *, progress: Progress | None = None) -> list[Word]:
        """Words with times (seconds from the start of `samples`) and probabilities."""
        ...


class FasterWhisperTranscriber:
    """Whisper via faster-whisper; `model` is a registry name or a CTranslate2 folder."""

    def __init__(
        self,
        model: str,
        *,
        settings: Settings,
        language: str | None = "en",
    ) -> None:
        from faster_whisper import WhisperModel

        self._name = model
        self._folder = resolve(
            model, "asr", settings.models.model_cache, settings.models.extra_models
        )
        if language not in (None, "en") and model.endswith(".en"):
            raise ModelError(f"ASR model '{model}' is English-only but language is '{language}'")
        try:
            self._model = WhisperModel(
                str(self._folder),
                device="cpu",
                compute_type=settings.models.asr_compute_type,
                cpu_threads=settings.models.cpu_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as error:
            raise ModelError(
                f"cannot load Whisper model '{model}' from {self._folder}: {error}. "
                "It must be a CTranslate2 conversion (model.bin, config.json, tokenizer.json)."
            ) from error
        self._language = language
        self._beam_size = settings.models.asr_beam_size

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
        segments, _info = self._model.transcribe(
            samples,
            language=self._language,
            beam_size=self._beam_size,
            vad_filter=True,
            word_timestamps=True,
            # Each segment decoded on its own: avoids Whisper's repetition loops
            # carrying over a whole session.
            condition_on_previous_text=False,
        )
        words: list[Word] = []
        for segment in segments:  # a lazy generator: decoding happens here
            for word in segment.words or []:
                text = word.word.strip()
                if text:
                    words.append(
                        Word(
                            text=text,
                            start=round(float(word.start), 3),
                            end=round(float(max(word.end, word.start)), 3),
                            probability=round(min(max(float(word.probability), 0.0), 1.0), 4),
                        )
                    )
            if progress is not None and duration > 0:
                progress("transcribing", min(segment.end / duration, 1.0))
        if progress is not None:
            progress("transcribing", 1.0)
        return words
