"""Note-quality metrics: a draft against the clinician's own note.

Thin wrappers over rapidfuzz (kept, fast, already a dependency):

- **character-level normalised Levenshtein distance** (0 = identical, 1 =
  nothing in common): in the PriMock57 human evaluation (Papadopoulos
  Korfiatis et al., ACL 2022) this simple metric tracked clinicians'
  post-editing effort best among the automatic ones. Both texts are
  lower-cased with whitespace collapsed, so layout does not count as editing.
- **ROUGE-L F1** over word tokens (longest common subsequence, as in the
  rouge-score package, without stemming), via ``rapidfuzz.distance.LCSseq``.
- **evidence share**: sentences citing at least one utterance / all sentences.
- **unsupported share**: sentences the grounding check flagged / all sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import LCSseq, Levenshtein

from avt_notes.drafting.schemas import DraftNote

_WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def char_levenshtein(hypothesis: str, reference: str) -> float:
    """Normalised character edit distance between two texts (0..1, lower is better)."""
    return float(Levenshtein.normalized_distance(normalise(hypothesis), normalise(reference)))


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F1 on lower-cased alphanumeric word tokens (0..1, higher is better)."""
    hyp = _WORD.findall(hypothesis.lower())
    ref = _WORD.findall(reference.lower())
    if not hyp or not ref:
        return 0.0
    lcs = LCSseq.similarity(hyp, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(hyp), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def evidence_share(note: DraftNote) -> float | None:
    sentences = note.sentences()
    if not sentences:
        return None
    return sum(bool(s.evidence) for s in sentences) / len(sentences)


def unsupported_share(note: DraftNote) -> float | None:
    sentences = note.sentences()
    if not sentences:
        return None
    return sum(s.status == "unsupported" for s in sentences) / len(sentences)


@dataclass(frozen=True)
class NoteScores:
    char_levenshtein: float
    rouge_l: float
    evidence_share: float | None = None
    unsupported_share: float | None = None
    sentences: int = 0


def score_text(hypothesis: str, reference: str) -> NoteScores:
    """Text-only scores (for baselines that are not drafts)."""
    return NoteScores(char_levenshtein(hypothesis, reference), rouge_l(hypothesis, reference))


def score_note(note: DraftNote, reference: str) -> NoteScores:
    """All four scores for a draft; the draft's text is its sentences without ids or flags."""
    text = note.plain_text()
    return NoteScores(
        char_levenshtein=char_levenshtein(text, reference),
        rouge_l=rouge_l(text, reference),
        evidence_share=evidence_share(note),
        unsupported_share=unsupported_share(note),
        sentences=len(note.sentences()),
    )
