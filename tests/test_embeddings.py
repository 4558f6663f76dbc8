"""The sentence encoder's precision and text cache, with the real all-MiniLM-L6-v2."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from avt_notes.embedding_cache import CachedEncoder
from avt_notes.embeddings import SentenceTransformerEncoder, load_encoder
from avt_notes.models import resolve
from avt_notes.risk.semantic import SemanticMatcher, default_matcher, load_exemplars

# Every test here runs the real MiniLM sentence encoder (a model load).
pytestmark = pytest.mark.slow

# What patients and clinicians said in the scripted sessions, risk and ordinary.
SENTENCES = [
    "Sometimes I think everyone would be better off without me.",
    "I've got her morphine still in the cupboard. I've counted it more than once.",
    "I've been saving up my sertraline tablets in a drawer.",
    "I cut my arms with a razor when it gets too much.",
    "My partner checks my phone and won't let me see my friends.",
    "I've been drinking about a bottle of wine every night.",
    "My brother moved in with me on Saturday, which has helped.",
    "I take sertraline fifty milligrams every morning.",
    "The cough has been going on for about three weeks.",
]


@pytest.fixture(scope="module")
def folder(settings):
    models = settings.models
    return resolve(models.embedding_model, "embedding", models.model_cache, models.extra_models)


@pytest.fixture(scope="module")
def exact(folder):
    return SentenceTransformerEncoder(folder, name="minilm-l6", precision="float32")


class Counting:
    """The real encoder, recording which texts reach it."""

    def __init__(self, encoder: SentenceTransformerEncoder) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.seen += texts
        return self.encoder.encode(texts)


def test_bfloat16_keeps_the_nearest_concept_and_the_scores_within_a_hundredth(folder, exact):
    bank = load_exemplars()
    fast = SentenceTransformerEncoder(folder, name="minilm-l6", precision="bfloat16")
    assert fast.precision == "bfloat16"
    pairs = zip(
        SemanticMatcher(exact, bank).nearest(SENTENCES),
        SemanticMatcher(fast, bank).nearest(SENTENCES),
        strict=True,
    )
    for sentence, (want, got) in zip(SENTENCES, pairs, strict=True):
        best = max(want, key=lambda n: n.score)
        assert max(got, key=lambda n: n.score).concept == best.concept, sentence
        scores = {n.concept: n.score for n in got}
        for near in want:
            assert scores[near.concept] == pytest.approx(near.score, abs=0.01), sentence


def test_auto_precision_is_a_concrete_one(folder):
    encoder = SentenceTransformerEncoder(folder, name="minilm-l6", precision="auto")
    assert encoder.precision in ("float32", "bfloat16")


def test_the_cache_encodes_each_distinct_text_once_and_returns_the_encoders_vectors(exact):
    counting = Counting(exact)
    cache = CachedEncoder(counting, size=100)
    texts = [SENTENCES[0], SENTENCES[1], SENTENCES[0]]
    vectors = cache.encode(texts)
    assert counting.seen == SENTENCES[:2]
    assert vectors.dtype == np.float32 and vectors.shape == (3, 384)
    assert np.array_equal(vectors[0], vectors[2])
    # Another batch pads differently, so equal to rounding only.
    assert np.allclose(vectors, exact.encode(texts), atol=1e-5)
    again = cache.encode([SENTENCES[1], SENTENCES[2]])
    assert counting.seen == SENTENCES[:3]
    assert np.array_equal(again[0], vectors[1])
    assert (cache.asked, cache.encoded) == (5, 3)
    assert cache.encode([]).shape == (0, 384)


def test_the_cache_forgets_the_oldest_text_beyond_its_size(exact):
    counting = Counting(exact)
    cache = CachedEncoder(counting, size=2)
    for sentence in SENTENCES[:3]:
        cache.encode([sentence])
    cache.encode([SENTENCES[2], SENTENCES[0]])
    assert counting.seen == [*SENTENCES[:3], SENTENCES[0]]


def test_risk_detection_and_evidence_linking_share_one_cached_encoder(settings):
    encoder = load_encoder(settings)
    assert isinstance(encoder, CachedEncoder)
    assert default_matcher(settings).encoder is encoder
    bare = load_encoder(settings.updated(models={"embedding_cache_size": 0}))
    assert isinstance(bare, SentenceTransformerEncoder)
