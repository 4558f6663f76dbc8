"""Note metrics: edit distance, ROUGE-L, evidence and unsupported shares."""

from __future__ import annotations

import pytest

from avt_notes.drafting.schemas import DraftNote, DraftSentence, NoteSection
from avt_notes.metrics.notes import (
    char_levenshtein,
    evidence_share,
    rouge_l,
    score_note,
    score_text,
    unsupported_share,
)

from testdata import make_draft


def test_char_levenshtein():
    assert char_levenshtein("Cough for 2 weeks.", "cough  for 2 weeks.") == 0.0
    assert char_levenshtein("", "anything") == 1.0
    assert char_levenshtein("abcd", "abce") == pytest.approx(0.25)


def test_rouge_l():
    assert rouge_l("the cat sat on the mat", "the cat sat on the mat") == 1.0
    assert rouge_l("", "the cat") == 0.0
    # LCS "the cat the mat" = 4; P = 4/6, R = 4/5
    hyp, ref = "the cat was on the mat", "the cat sat the mat"
    assert rouge_l(hyp, ref) == pytest.approx(2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5))


def note(*sentences: DraftSentence) -> DraftNote:
    return make_draft([NoteSection(name="A", sentences=list(sentences))])


def test_shares_and_scores():
    draft = note(
        DraftSentence(text="Cough.", evidence=["u0001"], status="supported"),
        DraftSentence(text="Fever.", evidence=["u0002"], status="unsupported", reasons=["x"]),
        DraftSentence(text="Rash.", evidence=[], status="unsupported", reasons=["y"]),
        DraftSentence(text="Sleep.", evidence=["u0003"], status="supported"),
    )
    assert evidence_share(draft) == 0.75
    assert unsupported_share(draft) == 0.5
    assert evidence_share(note()) is None and unsupported_share(note()) is None
    scores = score_note(draft, "Cough. Fever. Rash. Sleep.")
    assert scores.char_levenshtein == 0.0 and scores.rouge_l == 1.0 and scores.sentences == 4
    assert score_text("", "Cough.").char_levenshtein == 1.0
