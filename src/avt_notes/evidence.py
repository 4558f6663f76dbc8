"""Evidence linking: which utterances support each draft sentence, verified, not trusted.

A model's own citations are often off by a line or two, and a weak model cites
nothing at all. Every sentence is therefore (re)linked here against the
transcript window it was drafted from:

- each utterance is scored by meaning (cosine of all-MiniLM-L6-v2 embeddings
  via `avt_notes.embeddings`) and by words (share of the sentence's content
  words and numbers it contains, `avt_notes.grounding`'s matching); an answer
  is also scored together with the question before it ("Any thoughts of
  harming yourself?" / "No, never"), because the pair is what supports a denial;
- a cited utterance is kept when its score reaches `CITATION_KEEP`; if none
  is kept, the sentence is relinked to the best-scoring utterance (or pair)
  plus up to two utterances that add words the first one lacks;
- if nothing reaches `LINK_MIN`, a sentence whose concrete facts (a day, a
  dose, a name: `grounding.facts`) are all said in one utterance is linked to it
  ("The next appointment is on Friday" / "...and I'll see you on Friday": few
  shared words, but the one fact that matters);
- otherwise the sentence gets no evidence, and the grounding check flags it
  ("cites no utterance").

Embeddings miss negation and swapped numbers, so this only chooses evidence;
the deterministic rules in `avt_notes.grounding` then judge it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from avt_notes.embeddings import SentenceEncoder, cosine_matrix
from avt_notes.grounding import (
    GroundingLexicon,
    content_words,
    facts,
    quantities,
    word_in,
)
from avt_notes.schemas import Utterance

_REPLY = re.compile(r"^\s*(no|nope|never|not really|yes|yeah|yep)\b", re.IGNORECASE)
SEMANTIC_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.4
# A model's citation is kept at this combined score (meaning and words).
CITATION_KEEP = 0.35
# Below this no utterance supports the sentence: it is left without evidence.
LINK_MIN = 0.32
# A sentence is linked by its facts alone only to an utterance scoring at least this.
ANCHOR_MIN = 0.15
# A further utterance joins the evidence if it adds missing words (a number, a day) and
# scores this much overall.
EXTRA_MIN = 0.2
MAX_LINKED = 3


@dataclass
class Link:
    ids: list[str]
    method: str  # "cited" (model's ids confirmed), "semantic" (relinked) or "none"
    score: float
    dropped_citations: list[str]


def _wanted(text: str, lexicon: GroundingLexicon) -> set[str]:
    return set(content_words(text)) | {str(q.value) for q in quantities(text, lexicon)}


def _vocabulary(text: str, lexicon: GroundingLexicon) -> set[str]:
    return set(content_words(text)) | {str(q.value) for q in quantities(text, lexicon, cited=True)}


def _covered(wanted: set[str], vocabulary: set[str], lexicon: GroundingLexicon) -> set[str]:
    return {w for w in wanted if word_in(w, vocabulary, lexicon.word_similarity)}


class EvidenceLinker:
    """Scores sentences against one transcript window; embeds the window once."""

    def __init__(
        self,
        utterances: Sequence[Utterance],
        encoder: SentenceEncoder | None,
        lexicon: GroundingLexicon,
    ) -> None:
        self.utterances = list(utterances)
        self.encoder = encoder
        self.lexicon = lexicon
        self.index = {u.id: i for i, u in enumerate(self.utterances)}
        self.vocabularies = [_vocabulary(u.text, lexicon) for u in self.utterances]
        self.facts = [facts(u.text, lexicon) for u in self.utterances]
        # The question an answer replies to: the previous line, by another speaker, asking.
        self.question_of: list[int | None] = []
        for i, utterance in enumerate(self.utterances):
            previous = self.utterances[i - 1] if i else None
            # Recognition often drops the "?": a reply that starts "No," or "Yes," answers too.
            asked = (
                previous is not None
                and previous.speaker != utterance.speaker
                and ("?" in previous.text or _REPLY.match(utterance.text) is not None)
            )
            self.question_of.append(i - 1 if asked else None)
        self._single: np.ndarray | None = None
        self._paired: np.ndarray | None = None
        if encoder is not None and self.utterances:
            self._single = encoder.encode([u.text for u in self.utterances])
            self._paired = encoder.encode(
                [
                    f"{self.utterances[q].text} {u.text}" if q is not None else u.text
                    for u, q in zip(self.utterances, self.question_of, strict=True)
                ]
            )

    def scores(self, sentence: str) -> tuple[np.ndarray, np.ndarray]:
        """(combined score per utterance, whether its question pair scored higher)."""
        n = len(self.utterances)
        wanted = _wanted(sentence, self.lexicon)
        lexical = np.zeros(n, dtype=np.float32)
        if wanted:
            for i, vocabulary in enumerate(self.vocabularies):
                lexical[i] = len(_covered(wanted, vocabulary, self.lexicon)) / len(wanted)
        paired_better = np.zeros(n, dtype=bool)
        if self.encoder is None or self._single is None or self._paired is None:
            return lexical, paired_better
        vector = self.encoder.encode([sentence])
        single = cosine_matrix(vector, self._single)[0]
        paired = cosine_matrix(vector, self._paired)[0]
        paired_better = paired > single + 0.02
        semantic = np.maximum(single, paired)
        # With the pair, the question's words count too.
        for i, q in enumerate(self.question_of):
            if q is not None and paired_better[i] and wanted:
                joint = self.vocabularies[i] | self.vocabularies[q]
                lexical[i] = max(
                    lexical[i], len(_covered(wanted, joint, self.lexicon)) / len(wanted)
                )
        return SEMANTIC_WEIGHT * semantic + LEXICAL_WEIGHT * lexical, paired_better

    def _with_question(self, i: int, paired_better: np.ndarray) -> list[int]:
        """An answer with the question it answers; a question with its answer.

        A question alone is never evidence of a fact ("Any thoughts of ending
        your life?" supports neither a disclosure nor a denial).
        """
        q = self.question_of[i]
        if q is not None and paired_better[i]:
            return [q, i]
        answered = i + 1 < len(self.utterances) and self.question_of[i + 1] == i
        return [i, i + 1] if answered else [i]

    def link(self, sentence: str, cited: Sequence[str] = ()) -> Link:
        """The utterances supporting `sentence`; `cited` are the model's ids, checked first."""
        if not self.utterances:
            return Link([], "none", 0.0, list(cited))
        combined, paired_better = self.scores(sentence)
        cited_known = [c for c in dict.fromkeys(cited) if c in self.index]
        kept = [c for c in cited_known if combined[self.index[c]] >= CITATION_KEEP]
        dropped = [c for c in dict.fromkeys(cited) if c not in kept]
        if kept:
            chosen = sorted(
                {j for c in kept for j in self._with_question(self.index[c], paired_better)}
            )
            best = max(float(combined[self.index[c]]) for c in kept)
            chosen = self._extend(sentence, chosen, combined)
            return Link([self.utterances[j].id for j in chosen], "cited", best, dropped)
        best_index = int(np.argmax(combined))
        best = float(combined[best_index])
        if best < LINK_MIN:
            anchor = self._anchor(sentence, combined)
            if anchor is None:
                return Link([], "none", best, dropped)
            best_index, best = anchor, float(combined[anchor])
        chosen = self._extend(sentence, self._with_question(best_index, paired_better), combined)
        return Link([self.utterances[j].id for j in chosen], "semantic", best, dropped)

    def alternatives(self, sentence: str, count: int = 4) -> list[list[str]]:
        """Other evidence for `sentence`, best first: each of the `count` best utterances
        scoring at least `EXTRA_MIN`, with its question or answer and the lines it needs."""
        if not self.utterances:
            return []
        combined, paired_better = self.scores(sentence)
        out: list[list[str]] = []
        for j in np.argsort(-combined)[:count]:
            if combined[j] < EXTRA_MIN:
                break
            chosen = self._extend(sentence, self._with_question(int(j), paired_better), combined)
            ids = [self.utterances[i].id for i in chosen]
            if ids not in out:
                out.append(ids)
        return out

    def _anchor(self, sentence: str, combined: np.ndarray) -> int | None:
        """The best-scoring utterance that says every concrete fact of the sentence, if any."""
        wanted = facts(sentence, self.lexicon)
        if not wanted:
            return None
        holding = [
            i for i, said in enumerate(self.facts) if wanted <= said and combined[i] >= ANCHOR_MIN
        ]
        return max(holding, key=lambda i: combined[i]) if holding else None

    def _extend(self, sentence: str, chosen: list[int], combined: np.ndarray) -> list[int]:
        """Add utterances that cover words (numbers, names) the evidence still lacks."""
        wanted = _wanted(sentence, self.lexicon)
        have: set[str] = set()
        for j in chosen:
            have |= self.vocabularies[j]
        missing = wanted - _covered(wanted, have, self.lexicon)
        order = np.argsort(-combined)
        for j in order:
            if not missing or len(chosen) >= MAX_LINKED:
                break
            j = int(j)
            if j in chosen or combined[j] < EXTRA_MIN:
                continue
            adds = _covered(missing, self.vocabularies[j], self.lexicon)
            if adds:
                chosen.append(j)
                missing -= adds
        return sorted(chosen)
