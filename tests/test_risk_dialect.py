"""Dialect, informal spellings and hesitations are read in standard English before matching."""

from __future__ import annotations

import pytest

from avt_notes.risk import detect_in_text, detect_risk
from avt_notes.risk.dialect import standard_reading
from avt_notes.risk.lexicon import load_lexicon

from testdata import make_transcript

UNCHANGED = None  # the reading is the text as said


@pytest.mark.parametrize(
    ("said", "read", "named"),
    [
        ("Ah tried tae jump aff the bridge.", "I tried to jump off the bridge.", True),
        ("Mi use a razor pon mi thighs.", "I use a razor on my thighs.", True),
        ("Mi baby faada beat mi up.", "My child's father beat me up.", True),
        ("He's always knockin' them about.", "He's always knocking them about.", True),
        ("Mi gwine kill miself.", "I going kill myself.", True),
        # Ordinary words are left alone: no "I" in an interjection, no "with" in wi-fi, no
        # dropped g in a possessive or a noun, and "wean" is weaning, not a child.
        ("Ah, I see. The wi-fi is down again.", "Ah, I see. The wi-fi is down again.", False),
        ("My cousin's tried it twice.", "My cousin's tried it twice.", False),
        ("The GP wants to wean me off the diazepam.", UNCHANGED, False),
        # Hesitations and repeated words of spontaneous speech are read out quietly: never
        # named in the review list.
        (
            "I've been saving up the, er, the sleeping ones.",
            "I've been saving up the sleeping ones.",
            False,
        ),
        ("Um, I, I want to, you know, end it.", "I want to, end it.", False),
        ("and, like, what hurts the least", "and, what hurts the least", False),
        # "like" and "you know" as words of the sentence stay: only fillers set off by commas go.
        ("I feel like dying every day, you know what I mean.", UNCHANGED, False),
        # A hesitation's punctuation stays, so a "No" before it does not reach what follows;
        # "'er" (her), "ER", "Uh-huh" are words.
        ("No um, I cut myself most nights.", "No, I cut myself most nights.", False),
        ("I wanted to kill 'er.", UNCHANGED, False),
        ("Uh-huh. Mm-hmm. The ER was busy.", UNCHANGED, False),
    ],
)
def test_dialect_and_hesitations_are_read_in_standard_english(said, read, named):
    reading = standard_reading(said, load_lexicon().dialect)
    assert reading.text == (said if read is UNCHANGED else read)
    # A dialect word read is named in the list ("tae → to"); a hesitation never is.
    assert bool(reading.read) == named


@pytest.mark.slow
@pytest.mark.parametrize(
    ("said", "concept", "heard"),
    [
        (
            "Ah tried tae jump aff the Kingston Bridge a few year back. The polis talked me doon.",
            "past_attempt",
            "tae → to",
        ),
        (
            "I've been, um, I've been saving up the, er, the sleeping tablets in my drawer.",
            "plan_preparation",
            "",
        ),
    ],
)
def test_a_disclosure_read_in_standard_english_is_listed_as_said(said, concept, heard):
    item = {i.category: i for i in detect_in_text(said)}[concept]
    assert item.polarity == "reported"
    # The list quotes what was said and names a dialect word read, never the reading as said.
    assert item.text == said
    assert item.phrase in said
    assert heard in item.heard if heard else item.heard == ""


@pytest.mark.slow
def test_a_denial_in_dialect_is_a_denial():
    items = detect_in_text("Naw, ah've never tried tae kill masel. Never.")
    assert items and all(i.polarity == "denied" for i in items)
    assert "past_attempt" in {i.category for i in items}


@pytest.mark.slow
def test_a_follow_up_reply_listed_for_another_concept_still_continues_the_disclosure():
    # Safety session risk-03: the reply to "How long has that been going on?" sits near a
    # past attempt's exemplar, and still continues the self-harm it answers.
    transcript = make_transcript(
        [
            ("patient", "I've been going at my wrists with my nail scissors when it gets bad."),
            ("clinician", "How long has that been going on?"),
            ("patient", "I did it in year nine as well, then stopped for ages."),
        ]
    )
    reply = [i for i in detect_risk(transcript) if i.utterance_id == "u0003"]
    listed = {(i.category, i.matched_by) for i in reply}
    assert ("past_attempt", "meaning") in listed  # the other concept the reply is near
    assert ("self_harm", "context") in listed
    # A protective answer is read on its own terms, not as more of the disclosure.
    transcript = make_transcript(
        [
            ("patient", "I've been cutting my arms most nights."),
            ("clinician", "What stops you?"),
            ("patient", "My kids, they keep me going."),
        ]
    )
    reply = [i for i in detect_risk(transcript) if i.utterance_id == "u0003"]
    assert {i.category for i in reply} == {"protective_factor"}


@pytest.mark.slow
def test_a_pattern_in_dialect_quotes_the_words_said_not_the_reading():
    said = "Mi gwine kill miself, mi tired."
    items = [i for i in detect_in_text(said) if i.category == "suicidal_ideation"]
    assert items and items[0].phrase == said and "miself → myself" in items[0].heard
