"""Meaning-based matching: each utterance against a bank of exemplar statements per concept.

Patterns miss paraphrases nobody wrote down ("everyone would manage fine if I
wasn't around"); sentence embeddings find them. The bank is a versioned file
(``prompts/risk/exemplars.yaml``) with its calibrated threshold; an item found
this way shows the nearest exemplar and its cosine score, so a clinician can
see why it was listed. Embeddings ignore negation, so polarity comes from the
rules in `negation`, never from here.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from avt_notes.config import Settings, get_settings
from avt_notes.embeddings import SentenceEncoder, cosine_matrix, load_encoder
from avt_notes.errors import TemplateError
from avt_notes.risk.concept_model import ConceptModel, ConceptModelSettings
from avt_notes.risk.lexicon import CONCEPTS

EXEMPLARS_FILE = "risk/exemplars.yaml"


@dataclass(frozen=True)
class ExemplarBank:
    version: str
    sha256: str
    threshold: float
    # A clinician's question is matched by meaning only this close: routine questions
    # ("have you been taking your medication?") sit near risk exemplars, and the
    # patient's answer is matched on its own words anyway.
    question_threshold: float
    # A denial in an utterance's own words found by meaning alone must be this close:
    # "No, no other medications" sits at 0.67 from "pills that aren't prescribed to me",
    # and a denial said in risk words ("I've never tried to kill myself") is read by the
    # patterns anyway. Answers to risk questions are read by the answer rules.
    denial_threshold: float
    min_words: int
    margin: float
    # A sentence beside a denial says nothing of risk below this score against every
    # concept ("No, he doesn't check up on me. We both go out with our own friends.").
    neutral_floor: float
    # A longer utterance is also matched in parts of at most this many words (its
    # sentences, and overlapping windows of a long sentence): a disclosure in the middle
    # of a long turn is diluted as a whole. 0 matches whole utterances only.
    part_words: int
    # A part is listed only from this score: a short sentence of ordinary talk lands near
    # an exemplar more easily than a whole turn does.
    part_threshold: float
    concepts: dict[str, list[str]]
    # Ordinary statements near risk exemplars: a meaning hit must be closer to its
    # concept than to every one of these (see the YAML).
    ordinary: tuple[str, ...] = ()
    # Denials as patients say them, (concept, statement): an utterance with a negation this
    # close to one is listed as denying that concept, where nothing else lists the concept
    # ("I haven't written any letters or sorted anything like that, no" sits below
    # `denial_threshold` from every disclosure, but near "I haven't written any goodbye
    # notes or anything like that").
    denials: tuple[tuple[str, str], ...] = ()
    denial_match: float = 1.0
    # A patient's utterance a little below the threshold is listed too when a model of
    # the whole bank puts it in that concept (`concept_model`); None: exemplars alone.
    concept_model: ConceptModelSettings | None = None


@dataclass(frozen=True)
class Nearest:
    """The closest exemplar of one concept to one utterance."""

    concept: str
    exemplar: str
    score: float
    # The concept model's probability, when the model (not the exemplar's score alone)
    # listed the utterance.
    weighed: float | None = None


def load_exemplars(path: Path | None = None) -> ExemplarBank:
    path = path or get_settings().drafting.prompts_dir / EXEMPLARS_FILE
    try:
        data = path.read_bytes()
        raw: Any = yaml.safe_load(data)
        concepts = {key: [str(t) for t in texts] for key, texts in raw["concepts"].items()}
        bank = ExemplarBank(
            version=str(raw["version"]),
            sha256=hashlib.sha256(data).hexdigest(),
            threshold=float(raw["threshold"]),
            question_threshold=float(raw.get("question_threshold", raw["threshold"])),
            denial_threshold=float(raw.get("denial_threshold", raw["threshold"])),
            min_words=int(raw.get("min_words", 3)),
            margin=float(raw.get("margin", 1.0)),
            neutral_floor=float(raw.get("neutral_floor", 0.0)),
            part_words=int(raw.get("part_words", 0)),
            part_threshold=float(raw.get("part_threshold", raw["threshold"])),
            concepts=concepts,
            ordinary=tuple(str(t) for t in raw.get("ordinary") or []),
            denials=tuple(
                (str(key), str(text))
                for key, texts in (raw.get("denials") or {}).items()
                for text in texts
            ),
            denial_match=float(raw.get("denial_match", 1.0)),
            concept_model=_concept_model_settings(raw.get("concept_model")),
        )
    except OSError as error:
        raise TemplateError(f"risk exemplar bank not readable at {path}: {error}") from error
    except (KeyError, TypeError, AttributeError, ValueError, yaml.YAMLError) as error:
        raise TemplateError(f"risk exemplar bank {path} is malformed: {error!r}") from error
    unknown = sorted({key for key, _ in bank.denials} - set(CONCEPTS))
    if unknown:
        raise TemplateError(f"risk exemplar bank {path}: denials of unknown concepts: {unknown}")
    if bank.concept_model is not None and not bank.ordinary:
        raise TemplateError(
            f"risk exemplar bank {path}: concept_model needs ordinary statements to contrast"
        )
    missing = sorted(set(CONCEPTS) - set(concepts))
    if missing or any(not texts for texts in concepts.values()):
        raise TemplateError(f"risk exemplar bank {path}: concepts without exemplars: {missing}")
    return bank


def _concept_model_settings(raw: Any) -> ConceptModelSettings | None:
    if raw is None:
        return None
    return ConceptModelSettings(
        strength=float(raw["strength"]),
        probability=float(raw["probability"]),
        floor=float(raw["floor"]),
    )


class SemanticMatcher:
    """Embeds the exemplar bank once; scores utterances against every concept."""

    def __init__(self, encoder: SentenceEncoder, bank: ExemplarBank) -> None:
        self.encoder = encoder
        self.bank = bank
        self._exemplars = [t for texts in bank.concepts.values() for t in texts]
        # Each concept's exemplars are one run of columns: (concept, first, end).
        self._blocks: list[tuple[str, int, int]] = []
        first = 0
        for concept, texts in bank.concepts.items():
            self._blocks.append((concept, first, first + len(texts)))
            first += len(texts)
        self._vectors = encoder.encode(self._exemplars)
        said = [statement for _, statement in bank.denials]
        self._denials = encoder.encode(said) if said else None
        # A whole utterance is compared with whole ordinary statements; a part also with
        # the statements' own parts ("I can't even sleep at night." from a longer one).
        pieces = [p for o in bank.ordinary for p in parts(o, bank.part_words)]
        self._ordinary = encoder.encode(list(bank.ordinary)) if bank.ordinary else None
        self._ordinary_parts = (
            np.vstack([self._ordinary, encoder.encode(pieces)])
            if self._ordinary is not None and pieces
            else self._ordinary
        )
        self._model = self._fitted(bank.concept_model)

    def _fitted(self, settings: ConceptModelSettings | None) -> ConceptModel | None:
        if settings is None or self._ordinary is None:
            return None
        return ConceptModel(
            self._vectors,
            [concept for concept, _, _ in self._blocks],
            [n for n, (_, a, b) in enumerate(self._blocks) for _ in range(a, b)],
            self._ordinary,
            settings,
        )

    def nearest_denial(self, texts: Sequence[str]) -> list[Nearest | None]:
        """For each text, the denial statement it is closest to when at least
        `denial_match` close and closer than every ordinary statement ("No, I haven't
        had any chest pain"); otherwise, or for a text too short, None."""
        result: list[Nearest | None] = [None for _ in texts]
        wanted = [i for i, t in enumerate(texts) if len(t.split()) >= self.bank.min_words]
        if not wanted or self._denials is None:
            return result
        vectors = self.encoder.encode([texts[i] for i in wanted])
        scores = cosine_matrix(vectors, self._denials)
        ordinary = (
            cosine_matrix(vectors, self._ordinary).max(axis=1)
            if self._ordinary is not None
            else np.zeros(len(wanted))
        )
        for row, contrast, index in zip(scores, ordinary, wanted, strict=True):
            column = int(row.argmax())
            if row[column] >= self.bank.denial_match and row[column] > contrast:
                concept, statement = self.bank.denials[column]
                result[index] = Nearest(concept, statement, float(row[column]))
        return result

    def with_threshold(self, threshold: float) -> SemanticMatcher:
        """The same matcher (no re-encoding) with another threshold, for calibration; the
        parts' threshold and the concept model's floor move with it."""
        shift = threshold - self.bank.threshold
        model = self.bank.concept_model
        return self.with_settings(
            threshold=threshold,
            part_threshold=self.bank.part_threshold + shift,
            concept_model=replace(model, floor=model.floor + shift) if model else None,
        )

    def with_settings(self, **changes: Any) -> SemanticMatcher:
        """The same matcher (no re-encoding) with other bank settings (`part_words=0`)."""
        copy = object.__new__(SemanticMatcher)
        copy.__dict__.update(self.__dict__)
        copy.bank = replace(self.bank, **changes)
        model = copy.bank.concept_model
        fitted = self._model.settings.strength if self._model is not None else None
        if model is not None and model.strength != fitted:
            copy._model = copy._fitted(model)  # a new floor or probability needs no new fit
        return copy

    @property
    def threshold(self) -> float:
        return self.bank.threshold

    def nearest(self, texts: Sequence[str]) -> list[list[Nearest]]:
        """For each text, the best exemplar of every concept (texts too short get none)."""
        return self._nearest(texts)[0]

    def _nearest(
        self, texts: Sequence[str], *, as_parts: bool = False, weigh: bool = False
    ) -> tuple[list[list[Nearest]], list[float], list[np.ndarray | None]]:
        """`nearest`, each text's score against its closest ordinary statement (or part of
        one, for `as_parts`) and, to `weigh` them, the concept model's probabilities."""
        wanted = [i for i, t in enumerate(texts) if len(t.split()) >= self.bank.min_words]
        result: list[list[Nearest]] = [[] for _ in texts]
        ordinary = [0.0 for _ in texts]
        weighed: list[np.ndarray | None] = [None for _ in texts]
        if not wanted:
            return result, ordinary, weighed
        vectors = self.encoder.encode([texts[i] for i in wanted])
        if weigh and self._model is not None and self.bank.concept_model is not None:
            for index, row in zip(wanted, self._model.probabilities(vectors), strict=True):
                weighed[index] = row
        scores = cosine_matrix(vectors, self._vectors)
        # The best exemplar of each concept, for every text at once; concepts in order of
        # their best score (a concept's run of columns, not a sort of all of them).
        columns = np.stack([a + scores[:, a:b].argmax(axis=1) for _, a, b in self._blocks], 1)
        for row, best, index in zip(scores, columns, wanted, strict=True):
            found = [
                Nearest(concept, self._exemplars[column], float(row[column]))
                for (concept, _, _), column in zip(self._blocks, best, strict=True)
            ]
            result[index] = sorted(found, key=lambda n: -n.score)
        contrast = self._ordinary_parts if as_parts else self._ordinary
        if contrast is not None:
            closest = cosine_matrix(vectors, contrast).max(axis=1)
            for score, index in zip(closest, wanted, strict=True):
                ordinary[index] = float(score)
        return result, ordinary, weighed

    def hits(
        self, texts: Sequence[str], *, in_parts: bool = True, weigh: bool = False
    ) -> list[list[Nearest]]:
        """For each text, the concepts whose nearest exemplar reaches the threshold,
        in the whole text or (`in_parts`) in one of its parts (`parts`), the best kept.
        To `weigh` (a patient's words): also a concept the bank's concept model gives
        the text, or a part, with its probability, its nearest exemplar within the
        model's floor (`concept_model`).

        Only concepts within `margin` of the text's best concept count: one
        sentence sits close to several concepts' exemplars, and listing every
        runner-up would bury the clinician in near-duplicates. A concept must
        also be closer than the bank's nearest ordinary statement ("I'm on the
        combined pill" is no plan to take all my pills).
        """
        words = self.bank.part_words if in_parts else 0
        split = [(i, piece) for i, text in enumerate(texts) for piece in parts(text, words)]
        owners = [i for i, _ in split]
        pieces = [piece for _, piece in split]
        result = self._hits(texts, self.threshold, weigh=weigh)
        found_in_parts = self._hits(pieces, self.bank.part_threshold, as_parts=True, weigh=weigh)
        for owner, found in zip(owners, found_in_parts, strict=True):
            best = {n.concept: n for n in result[owner]}
            for near in found:
                if near.concept not in best or _shows_better(near, best[near.concept]):
                    best[near.concept] = near
            result[owner] = list(best.values())
        return result

    def _hits(
        self, texts: Sequence[str], threshold: float, *, as_parts: bool = False, weigh: bool = False
    ) -> list[list[Nearest]]:
        if not texts:
            return []
        result = []
        found = self._nearest(texts, as_parts=as_parts, weigh=weigh)
        for per_text, ordinary, weighed in zip(*found, strict=True):
            best = max((n.score for n in per_text), default=0.0)
            floor = max(threshold, best - self.bank.margin)
            closer = [n for n in per_text if n.score > ordinary]
            listed = [n for n in closer if n.score >= floor]
            result.append([*listed, *self._weighed(closer, weighed, listed)])
        return result

    def _weighed(
        self, per_text: list[Nearest], weighed: np.ndarray | None, listed: list[Nearest]
    ) -> list[Nearest]:
        """The concept the model gives the text, when nothing listed it already (`per_text`:
        the concepts closer to the text than every ordinary statement)."""
        settings = self.bank.concept_model
        if weighed is None or settings is None or self._model is None:
            return []
        concept = self._model.concepts[int(weighed.argmax())]
        probability = float(weighed.max())
        near = next((n for n in per_text if n.concept == concept), None)
        if (
            near is None
            or probability < settings.probability
            or near.score < settings.floor
            or any(n.concept == concept for n in listed)
        ):
            return []
        return [replace(near, weighed=round(probability, 3))]

    def similarity(self, a: str, b: str) -> float:
        vectors = self.encoder.encode([a, b])
        return float(vectors[0] @ vectors[1])


def _shows_better(near: Nearest, other: Nearest) -> bool:
    """Whether `near` explains a concept better than `other`: an exemplar close enough on
    its own before one the concept model had to add, then the higher score."""
    if (near.weighed is None) != (other.weighed is None):
        return near.weighed is None
    return near.score > other.score


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(text: str) -> list[str]:
    """The sentences of `text`, as recognition punctuated them."""
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def parts(text: str, words: int) -> list[str]:
    """The sentences of `text`, a sentence longer than `words` as overlapping windows
    of `words` words (half a window apart); none for a text that is one part."""
    if words <= 0:
        return []
    found = []
    for sentence in sentences(text):
        said = sentence.split()
        if len(said) <= words:
            found.append(sentence)
            continue
        step = max(1, words // 2)
        found += [" ".join(said[i : i + words]) for i in range(0, len(said) - step, step)]
    return found if len(found) > 1 else []


def default_matcher(settings: Settings | None = None) -> SemanticMatcher:
    """The configured encoder with the repository's exemplar bank, built once per process."""
    settings = settings or get_settings()
    path = (settings.drafting.prompts_dir / EXEMPLARS_FILE).resolve()
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    models = settings.models
    key = (
        f"{models.embedding_model} {models.embedding_precision} {models.embedding_cache_size}",
        str(models.model_cache),
        str(path),
        mtime,
    )
    with _lock:
        if key not in _matchers:
            _matchers[key] = SemanticMatcher(load_encoder(settings), load_exemplars(path))
        return _matchers[key]


_matchers: dict[tuple[str, str, str, int], SemanticMatcher] = {}
_lock = threading.Lock()
