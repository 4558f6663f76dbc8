"""Risk-language detector: reported, denied, asked and unrelated utterances, by category."""

from __future__ import annotations

import pytest

from avt_notes.risk import detect_in_text, detect_risk, load_lexicon

from testdata import make_transcript


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


@pytest.mark.parametrize(
    ("text", "category", "phrase"),
    [
        ("Some days I think about killing myself.", "suicide", "killing myself"),
        ("I don't want to be here anymore.", "suicide", "don't want to be here"),
        ("I no longer want to live.", "suicide", "no longer want to live"),
        ("I've been cutting myself again.", "self_harm", "cutting myself"),
        ("Sometimes I want to hurt him when he shouts.", "harm_to_others", "hurt him"),
        ("My partner hits me when he's drunk.", "safeguarding_adults", "partner hits me"),
        ("He hits the kids when they cry.", "safeguarding_children", "hits the kids"),
        ("Social services came round last week.", "safeguarding_children", "Social services"),
        ("I drink a bottle of vodka every night.", "substance_misuse", "bottle of vodka"),
        ("I smoke cannabis most days.", "substance_misuse", "cannabis"),
    ],
)
def test_reported_risk_language(text, category, phrase, lexicon):
    items = [i for i in detect_in_text(text, lexicon) if i.category == category]
    assert len(items) == 1
    assert items[0].polarity == "reported"
    assert phrase.lower() in items[0].phrase.lower()
    assert items[0].utterance_id == "u0001"


@pytest.mark.parametrize(
    ("text", "category", "cue"),
    [
        ("No thoughts of self-harm.", "self_harm", "No"),
        ("He denies suicidal ideation.", "suicide", "denies"),
        ("I have never hurt myself.", "self_harm", "never"),
        ("I have not had any thoughts of ending my life.", "suicide", "not"),
        ("Suicidal thoughts: denied.", "suicide", "denied"),
        ("I don't drink alcohol.", "substance_misuse", "don't"),
    ],
)
def test_negated_risk_language_is_listed_as_denied(text, category, cue, lexicon):
    items = [i for i in detect_in_text(text, lexicon) if i.category == category]
    assert len(items) == 1
    assert items[0].polarity == "denied"
    assert items[0].cue.lower() == cue.lower()


def test_negation_does_not_cross_a_clause(lexicon):
    items = detect_in_text("I never cut myself, but I think about suicide a lot.", lexicon)
    by_category = {i.category: i.polarity for i in items}
    assert by_category == {"self_harm": "denied", "suicide": "reported"}


@pytest.mark.parametrize(
    "text",
    [
        "I went to the shops with my daughter.",
        "Drink plenty of fluids and take paracetamol.",
        "The pain in my joints is worse in the morning.",
        "I cut the grass at the weekend.",
        "We talked about the side effects of the new tablets.",
    ],
)
def test_unrelated_utterances_give_nothing(text, lexicon):
    assert detect_in_text(text, lexicon) == []


def test_questions_take_the_answer_polarity(lexicon):
    transcript = make_transcript(
        [
            ("clinician", "Have you had any thoughts of harming yourself?"),
            ("patient", "No, never."),
            ("clinician", "And do you drink alcohol?"),
            ("patient", "Yeah, most nights."),
            ("clinician", "Any thoughts of suicide?"),
            ("patient", "Well, it is hard to say."),
        ]
    )
    items = detect_risk(transcript, lexicon)
    summary = [(i.utterance_id, i.category, i.polarity, i.answer_utterance_id) for i in items]
    assert summary == [
        ("u0001", "self_harm", "denied", "u0002"),
        ("u0003", "substance_misuse", "reported", "u0004"),
        ("u0005", "suicide", "asked", None),
    ]
    assert items[0].start == 0.0 and items[0].role == "clinician"


def test_lexicon_is_versioned(lexicon):
    assert lexicon.version and len(lexicon.sha256) == 64
    assert {c.key for c in lexicon.categories} == {
        "suicide",
        "self_harm",
        "harm_to_others",
        "safeguarding_children",
        "safeguarding_adults",
        "substance_misuse",
    }
