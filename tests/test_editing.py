"""Edit metrics against hand-computed cases: unchanged, one word, a section removed, rewritten."""

from __future__ import annotations

import pytest

from avt_notes.editing import note_edit, text_edit


def test_unchanged_text_including_layout_only_changes() -> None:
    edit = text_edit("Fever for a week.  Drinking less.", "Fever for a week.\nDrinking less. ")
    assert edit.unchanged
    assert edit.char_distance == 0 and edit.normalised_edit_distance == 0.0
    assert edit.word_distance == edit.words_inserted == edit.words_deleted == 0
    assert edit.draft_chars == edit.signed_chars == 32
    assert edit.draft_words == edit.signed_words == 6


def test_one_word_changed() -> None:
    # "left" -> "right": no letters in common before the final "t": 3 substitutions + 1 insertion.
    edit = text_edit("Pain in the left knee.", "Pain in the right knee.")
    assert not edit.unchanged
    assert edit.char_distance == 4
    assert edit.normalised_edit_distance == pytest.approx(4 / 23)  # divided by the longer text
    assert (edit.draft_words, edit.signed_words) == (5, 5)
    assert edit.word_distance == 1
    assert (edit.words_inserted, edit.words_deleted, edit.words_substituted) == (0, 0, 1)


def test_case_and_punctuation_count_as_edits() -> None:
    edit = text_edit("no rash", "No rash.")
    assert edit.char_distance == 2
    assert edit.words_substituted == 2  # "no"→"No", "rash"→"rash."


def test_section_removed() -> None:
    draft = [("Subjective", "Fever for a week."), ("Plan", "Review in two weeks.")]
    signed = [("Subjective", "Fever for a week."), ("Plan", "")]
    metrics = note_edit(draft, signed)
    # Note: "Fever for a week." (17) + " " + "Review in two weeks." (20) → the first 17.
    assert metrics.note.draft_chars == 38 and metrics.note.signed_chars == 17
    assert metrics.note.char_distance == 21
    assert metrics.note.normalised_edit_distance == pytest.approx(21 / 38)
    assert metrics.note.words_deleted == 4 and metrics.note.word_distance == 4
    by_name = {s.name: s for s in metrics.sections}
    assert by_name["Subjective"].unchanged
    plan = by_name["Plan"]
    assert plan.char_distance == 20 and plan.normalised_edit_distance == 1.0
    assert (plan.words_deleted, plan.words_inserted, plan.words_substituted) == (4, 0, 0)
    # A section missing from the signed note altogether is the same as an empty one.
    assert note_edit(draft, signed[:1]) == metrics


def test_everything_rewritten() -> None:
    edit = text_edit("Fever.", "Cough!")  # no character in common
    assert edit.char_distance == 6 and edit.normalised_edit_distance == 1.0
    assert edit.words_substituted == 1
    # Spaces line up: a→x, b→y, c→z, then " w" inserted (2 characters, 1 word).
    edit = text_edit("a b c", "x y z w")
    assert edit.char_distance == 5
    assert edit.normalised_edit_distance == pytest.approx(5 / 7)
    assert (edit.words_substituted, edit.words_inserted, edit.words_deleted) == (3, 1, 0)
    assert edit.word_distance == 4


def test_added_section_and_sentence_order() -> None:
    metrics = note_edit([("A", "one two")], [("A", "one two three"), ("B", "four")])
    assert [s.name for s in metrics.sections] == ["A", "B"]
    assert metrics.sections[0].words_inserted == 1
    assert metrics.sections[1].draft_chars == 0 and metrics.sections[1].words_inserted == 1
    assert metrics.note.words_inserted == 2  # "one two" → "one two three four"
    assert metrics.note.char_distance == len(" three four")


def test_both_empty() -> None:
    edit = text_edit("", "  ")
    assert edit.unchanged and edit.normalised_edit_distance == 0.0 and edit.draft_words == 0
