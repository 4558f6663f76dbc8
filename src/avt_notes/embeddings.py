"""Sentence embeddings: one small interface for meaning-based matching.

Evidence linking (does this note sentence rest on that utterance?) and risk
detection (is this utterance a paraphrase of a disclosure we screen for?) both
compare short texts by meaning. Both go through `SentenceEncoder`, so a test can
use the real all-MiniLM-L6-v2 carried by PyPI and a deployment a bigger model
folder, without either caller knowing which.

Embeddings miss negation ("denies any cough" vs "I've had a cough" score 0.55),
so callers pair them with rules; nothing here decides support or risk.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from avt_notes.config import Settings
from avt_notes.embedding_cache import CachedEncoder
from avt_notes.errors import ModelNotFoundError
from avt_notes.models import resolve


class SentenceEncoder(Protocol):
    """Maps texts to unit-length vectors; cosine similarity is their dot product."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Array of shape (len(texts), dim), rows L2-normalised, float32."""
        ...


Precision = Literal["auto", "float32", "bfloat16"]


def native_bfloat16() -> bool:
    """Whether this CPU has bfloat16 instructions (emulated, bfloat16 is slower than float32)."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return False
    flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    return bool({"avx512_bf16", "amx_bf16"} & set(flags.split()))


class SentenceTransformerEncoder:
    """A sentence-transformers model folder (default: all-MiniLM-L6-v2 from PyPI).

    `precision` "bfloat16" runs the matrix products in bfloat16 (layer norms and
    softmax stay float32): about 40% less CPU, cosines within a few thousandths.
    "auto" is bfloat16 where the CPU has it natively, else float32. (int8 dynamic
    quantisation was faster still but moved risk decisions; see README.)
    """

    def __init__(
        self,
        folder: Path,
        *,
        name: str,
        threads: int = 2,
        batch_size: int = 64,
        precision: Precision = "float32",
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except (OSError, ValueError) as error:
            raise ModelNotFoundError(
                f"cannot load sentence-embedding model from {folder}: {error}"
            ) from error
        if precision == "auto":
            precision = "bfloat16" if native_bfloat16() else "float32"
        self.precision: Precision = precision
        self.name = name
        self._batch_size = batch_size
        # The tokenizer is not safe for concurrent calls from several threads.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock, self._arithmetic():
            vectors = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    @contextlib.contextmanager
    def _arithmetic(self) -> Iterator[None]:
        if self.precision != "bfloat16":
            yield
            return
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16):
            yield

    @property
    def dimension(self) -> int:
        # Renamed in sentence-transformers 6; the old name warns.
        model = self._model
        size = getattr(model, "get_embedding_dimension", model.get_sentence_embedding_dimension)()
        return int(size) if size else 384


def load_encoder(settings: Settings, model: str | None = None) -> SentenceEncoder:
    """The configured encoder, loaded once per process (loading takes about a second).

    Cached by text unless `embedding_cache_size` is 0: the callers share one instance.
    """
    name = model or settings.models.embedding_model
    folder = resolve(name, "embedding", settings.models.model_cache, settings.models.extra_models)
    models = settings.models
    return _cached(
        str(folder),
        name,
        models.stage_threads,
        models.embedding_precision,
        models.embedding_cache_size,
    )


@lru_cache(maxsize=4)
def _cached(
    folder: str, name: str, threads: int, precision: Precision, cache_size: int
) -> SentenceEncoder:
    encoder = SentenceTransformerEncoder(
        Path(folder), name=name, threads=threads, precision=precision
    )
    return CachedEncoder(encoder, cache_size) if cache_size else encoder


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarities of unit vectors: rows of `a` against rows of `b`."""
    if a.size == 0 or b.size == 0:
        return np.zeros((a.shape[0], b.shape[0]), dtype=np.float32)
    return np.asarray(a @ b.T, dtype=np.float32)
