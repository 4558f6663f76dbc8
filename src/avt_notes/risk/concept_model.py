"""A linear model of the risk concepts, fitted on the exemplar bank's own vectors.

Nearest-exemplar matching lists an utterance only when one exemplar is close;
a paraphrase halfway between several exemplars of the same concept ("Mi write a
likkle letter fi mi pickney dem, fi when mi gone") can sit below the threshold
from each. A multinomial logistic regression over every exemplar of every concept
and every ordinary statement weighs the whole bank at once. It only rescues: an
utterance whose nearest exemplar of a concept is within `floor` of listing, and
which the model puts in that concept with at least `probability`, is listed too
(`SemanticMatcher.hits`). Nothing it says removes a hit.

Fitted when the bank is loaded (well under a second on 2 cores), so the bank file
stays the one source: no weights to ship or to drift from the exemplars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ConceptModelSettings:
    # Inverse regularisation strength (scikit-learn's C): higher fits the bank closer.
    strength: float
    # The model must give the concept at least this probability...
    probability: float
    # ...and the concept's nearest exemplar must score at least this (cosine).
    floor: float


class ConceptModel:
    """P(concept | utterance vector) for every concept, and for "ordinary" talk."""

    def __init__(
        self,
        vectors: np.ndarray,
        concepts: Sequence[str],
        labels: Sequence[int],
        ordinary: np.ndarray,
        settings: ConceptModelSettings,
    ) -> None:
        # Lazy: scikit-learn only when a bank asks for the model.
        from sklearn.linear_model import LogisticRegression

        self.concepts = list(concepts)
        self.settings = settings
        x = np.vstack([vectors, ordinary])
        # Ordinary talk is one more class, after the concepts: without it the model would
        # have to put any sentence in some concept (`load_exemplars` requires it).
        y = np.array([*labels, *([len(self.concepts)] * len(ordinary))])
        # Balanced: a concept with 120 exemplars weighs as much as one with 300, and the
        # 1,100 ordinary statements as much as one concept.
        self._model = LogisticRegression(
            C=settings.strength, max_iter=3000, class_weight="balanced"
        )
        self._model.fit(x, y)
        self._columns = {int(c): i for i, c in enumerate(self._model.classes_)}

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Rows of per-concept probabilities (concept order; the ordinary class dropped)."""
        found = self._model.predict_proba(vectors)
        out = np.zeros((len(vectors), len(self.concepts)))
        for concept in range(len(self.concepts)):
            if concept in self._columns:
                out[:, concept] = found[:, self._columns[concept]]
        return out
