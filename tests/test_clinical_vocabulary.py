"""Clinical-vocabulary correction on words our recogniser really produced.

The fixture is Whisper base's output on the 17 scripted safety sessions
(tests/data/vocabulary, see its README): drug names it garbled, names, idioms
and thousands of ordinary words.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avt_notes.clinical_vocabulary import (
    build_lexicon,
    correct_words,
    load_lexicon,
    propose,
    rules_from,
)
from avt_notes.config import Settings
from avt_notes.formats import shown_text, transcript_text
from avt_notes.schemas import Transcript, Word

from testdata import utterance_of

DATA = Path(__file__).parent / "data" / "vocabulary"
SETTINGS = Settings()
LEXICON = load_lexicon(SETTINGS.drafting.prompts_dir)
RULES = rules_from(SETTINGS)


def session_words() -> dict[str, list[list[Word]]]:
    raw = json.loads((DATA / "safety_words.json").read_text(encoding="utf-8"))
    return {
        session: [
            [Word(text=t, start=s, end=e, probability=p) for t, s, e, p in utterance]
            for utterance in utterances
        ]
        for session, utterances in raw.items()
    }


def words_of(text: str, probability: float = 0.3) -> list[Word]:
    return [
        Word(text=t, start=float(i), end=i + 0.5, probability=probability)
        for i, t in enumerate(text.split())
    ]


def test_misheard_drug_names_in_real_output_are_put_back_with_what_was_heard() -> None:
    sessions = session_words()
    found = {}
    for session, utterances in sessions.items():
        for words in utterances:
            for word in correct_words(words, LEXICON, RULES):
                if word.heard is not None:
                    found[word.heard] = (session, word.text)
    assert found["Vinicillin"] == ("pc-01-uti-trimethoprim", "Penicillin")
    assert found["trimeth operin"] == ("pc-01-uti-trimethoprim", "trimethoprim")
    assert found["Arribiprazole"] == ("mh-05-cannabis-voices", "Aripiprazole")


def test_no_other_word_of_the_real_sessions_is_touched() -> None:
    """Everything else (names such as Kalim or Lindquist, idioms, numbers) stays as heard."""
    allowed = {"Vinicillin", "trimeth operin", "Arribiprazole", "approxon", "safe guarding"}
    for utterances in session_words().values():
        for words in utterances:
            for c in propose(words, LEXICON, RULES):
                assert c.heard in allowed, (c.heard, c.term.text)


def test_the_corrected_word_keeps_times_lowest_probability_and_punctuation() -> None:
    words = [
        Word(text="I'll", start=0.0, end=0.2, probability=0.9),
        Word(text="prescribe", start=0.2, end=0.6, probability=0.95),
        Word(text="trimeth", start=0.6, end=0.9, probability=0.25),
        Word(text="operin,", start=0.9, end=1.3, probability=0.7),
        Word(text="200", start=1.3, end=1.6, probability=0.9),
    ]
    out = correct_words(words, LEXICON, RULES)
    assert [w.text for w in out] == ["I'll", "prescribe", "trimethoprim,", "200"]
    corrected = out[2]
    assert corrected.heard == "trimeth operin,"
    assert (corrected.start, corrected.end, corrected.probability) == (0.6, 1.3, 0.25)
    assert all(w.heard is None for w in out if w is not corrected)


@pytest.mark.parametrize(
    "text",
    [
        "I take sertraline 50 milligrams and co-codamol when needed",
        "Naproxen, Penicillin? Trimethoprim. mirtazapine",
        "she said certainly not and the cocoa was down all day",  # common words, low probability
        "my friend Priya and her flatmate went to the depot",
        "it couldn't be helped, we're not sure",
    ],
)
def test_common_words_and_correct_drug_names_are_untouched(text: str) -> None:
    words = words_of(text, probability=0.2)
    assert correct_words(words, LEXICON, RULES) == words


def test_a_near_tie_between_two_drugs_is_left_alone() -> None:
    lexicon = build_lexicon({"citalopram": [], "escitalopram": []}, [], [])
    words = words_of("scitalopram")
    assert propose(words, lexicon, RULES) == []  # could be either: a medication error risk


def test_word_fragments_are_not_corrected_on_their_own() -> None:
    # Whisper writes "-trites" for the end of a word it split ("eye -trites" = nitrites).
    assert correct_words(words_of("shows eye -trites. today"), LEXICON, RULES)[2].heard is None


def test_old_transcripts_load_and_corrected_ones_round_trip() -> None:
    old = Transcript.model_validate_json(
        (DATA / "pc-01-uti-trimethoprim.transcript.json").read_text(encoding="utf-8")
    )
    assert all(w.heard is None for u in old.utterances for w in u.words)
    corrected_words = correct_words(old.utterances[5].words, LEXICON, RULES)
    utterance = old.utterances[5].model_copy(
        update={"words": corrected_words, "text": " ".join(w.text for w in corrected_words)}
    )
    new = old.model_copy(update={"utterances": [*old.utterances[:5], utterance]})
    again = Transcript.model_validate_json(new.model_dump_json())
    assert again == new
    assert shown_text(again.utterances[5]).startswith("Penicillin (heard: Vinicillin) gives")
    assert "Penicillin (heard: Vinicillin)" in transcript_text(again)


def test_shown_text_is_the_plain_text_when_nothing_was_corrected() -> None:
    utterance = utterance_of(words_of("Hello there."), "patient", "A")
    assert shown_text(utterance) == "Hello there."


def test_the_review_transcript_says_what_was_heard() -> None:
    from avt_notes.web.review_view import _transcript

    old = Transcript.model_validate_json(
        (DATA / "pc-01-uti-trimethoprim.transcript.json").read_text(encoding="utf-8")
    )
    words = correct_words(old.utterances[5].words, LEXICON, RULES)
    fixed = old.model_copy(
        update={"utterances": [old.utterances[5].model_copy(update={"words": words})]}
    )
    view = _transcript(fixed)
    assert view is not None
    assert view["utterances"][0]["heard"] == {"0": "Vinicillin"}
    assert view["utterances"][0]["words"][0][0] == "Penicillin"


def test_a_term_recognised_in_pieces_is_joined_and_never_flagged() -> None:
    words = words_of("I have a safe guarding concern and she takes co codamol daily.", 0.9)
    fixed = correct_words(words, LEXICON, RULES)
    assert [w.text for w in fixed][3:] == [
        "safeguarding",
        "concern",
        "and",
        "she",
        "takes",
        "co-codamol",
        "daily.",
    ]
    assert [w.heard for w in fixed if w.heard] == ["safe guarding", "co codamol"]
    # Same letters: the drug check has nothing to ask the clinician about.
    from avt_notes.grounding import check_sentence, load_grounding_lexicon

    said = utterance_of(fixed, "patient")
    # Said of "she", not the patient: the sentence names no doer (who-did-what has its own test).
    result = check_sentence(
        "Co-codamol is taken daily.",
        ["u0001"],
        {"u0001": said},
        lexicon=load_grounding_lexicon(),
    )
    assert result.status == "supported", result.reasons
