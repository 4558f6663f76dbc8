"""Encode each distinct text once: a bounded cache in front of a `SentenceEncoder`.

One note encodes the same utterances several times: risk detection, then
evidence linking of each drafted window, then risk detection again on the
whole transcript when a live session stops. Embeddings depend on the text
alone, so they are kept, keyed by the text's SHA-256 (the cache holds no
transcript text), and the oldest are dropped beyond `size`.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # embeddings imports this module to build its cached encoder
    from avt_notes.embeddings import SentenceEncoder


class CachedEncoder:
    """A `SentenceEncoder` that encodes only texts it has not seen (recently)."""

    def __init__(self, encoder: SentenceEncoder, size: int) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.size = size
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.asked = 0  # texts asked for, and of them encoded: the cache's effect, for benchmarks
        self.encoded = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self.encoder.encode(texts)
        keys = [hashlib.sha256(t.encode("utf-8")).digest() for t in texts]
        with self._lock:
            known = {k: self._vectors[k] for k in keys if k in self._vectors}
            for key in known:
                self._vectors.move_to_end(key)
        # Distinct unknown texts, in order, each once.
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in known}
        if missing:
            fresh = self.encoder.encode(list(missing.values()))
            known.update(zip(missing, fresh, strict=True))
            with self._lock:
                for key, vector in zip(missing, fresh, strict=True):
                    # A copy, so a dropped row does not keep its whole batch alive.
                    self._vectors[key] = vector.copy()
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        with self._lock:
            self.asked += len(texts)
            self.encoded += len(missing)
        return np.stack([known[k] for k in keys]).astype(np.float32, copy=False)

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()
