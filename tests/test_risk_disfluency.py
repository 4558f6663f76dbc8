"""Spontaneous speech: hesitations and repeated words do not hide risk language (lexicon 2.23).

How they are read, and that an item quotes the words as said: tests/test_risk_dialect.py.
"""

from __future__ import annotations

import pytest

from avt_notes.risk import detect_in_text, detect_risk

from testdata import make_transcript


@pytest.mark.slow
def test_a_reply_quotes_the_disclosure_it_continues_as_said():
    first = "I've been, um, going at my wrists with my, my nail scissors when it gets bad."
    transcript = make_transcript(
        [
            ("patient", first),
            ("clinician", "How long has that been going on?"),
            ("patient", "I did it in year nine as well, then stopped for ages."),
        ]
    )
    follows = {i.follows for i in detect_risk(transcript) if i.follows}
    assert follows == {first}


@pytest.mark.slow
def test_better_off_without_me_denies_nothing():
    items = detect_in_text("Maybe they are all better without me, God should just take me.")
    assert any(i.category == "passive_death_wish" and i.polarity == "reported" for i in items), (
        items
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "answer", "concept"),
    [
        (
            "Is there anyone you could call if things got bad tonight?",
            "My sister, yeah.",
            "protective_factor",
        ),
        (
            "Have you made any plans, like picking a time or writing a note?",
            "Yeah. Both, really.",
            "plan_preparation",
        ),
    ],
)
def test_screening_questions_in_everyday_shapes_read_their_answer(question, answer, concept):
    items = detect_risk(make_transcript([("clinician", question), ("patient", answer)]))
    assert any(i.category == concept and i.polarity == "reported" for i in items), items


@pytest.mark.slow
@pytest.mark.parametrize(
    ("said", "concept"),
    [
        ("Aye, they'd to pump my stomach at the Royal.", "past_attempt"),
        ("I put a gun in my mouth back in 2015. Couldn't do it.", "past_attempt"),
        ("Me and him was arguing and he put his hand round my neck.", "adult_at_risk"),
        ("She gave me a clout with the frying pan last month.", "adult_at_risk"),
        ("I've been thinking seriously about taking myself out.", "suicidal_ideation"),
        # What figurative list 9 leaves listed: near its figures, said as the thing itself.
        ("I cut my hand on the glass on purpose.", "self_harm"),
        ("He beats me when he's drunk.", "adult_at_risk"),
        ("I binge on vodka most weekends.", "substance_use"),
        ("I binge drink every weekend.", "substance_use"),
        # A reviewer's cases: figures that must not silence a disclosure told with a reason.
        ("I cut my hand on the glass so I could feel something.", "self_harm"),
        ("I burnt my arm on the iron doing it to myself.", "self_harm"),
        ("I burnt my wrist on the iron last night taking the edge off.", "self_harm"),
        ("I binge drink watching box sets most nights.", "substance_use"),
        ("I want to shoot myself in the foot so I don't have to go back.", "method"),
        ("I'm going to do it, tell my mum I'm sorry.", "intent"),
        ("I'm going to do it, I'm finished with all of this.", "intent"),
    ],
)
def test_everyday_words_for_acts_are_listed(said, concept):
    assert concept in {i.category for i in detect_in_text(said) if i.polarity == "reported"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "said",
    [
        "I burnt myself on the oven door getting the roast out, it's blistered.",
        "I'm taking myself out for a walk every morning now.",
    ],
)
def test_accidents_and_outings_raise_nothing(said):
    assert detect_in_text(said) == []


@pytest.mark.slow
def test_a_burn_said_to_be_on_purpose_stays_listed():
    items = detect_in_text("I burnt myself on the oven door on purpose, to feel something.")
    assert "self_harm" in {i.category for i in items}


@pytest.mark.slow
def test_a_hesitation_after_no_does_not_make_a_denial():
    items = detect_in_text("No um, I cut myself most nights.")
    assert ("self_harm", "reported") in {(i.category, i.polarity) for i in items}


@pytest.mark.slow
@pytest.mark.parametrize(
    "said",
    [
        "Is there anyone you could call about your prescription?",
        "Have you made any plans, like setting a date for the wedding?",
        "Dad gave me a slap on the back when I passed.",
        "My son put his arms round my neck and gave me a cuddle.",
        "I take myself out every morning before work.",
        "I burnt my hand on the oven getting the tray out.",
        # Figurative list 9.
        "Burnt myself on the iron Sunday doing his shirts, daft really.",
        "I cut my hand on a tin of tomatoes, the lid, but it's healing.",
        "He beats me at chess every single time.",
        "I'm hooked on this true crime podcast, I binge like five episodes a night.",
        # Lexicon 2.24 and figurative list 9: near misses of the new patterns.
        "It'd be no bad thing if we got a bit of rain for the garden.",
        "I'd be lost without my satnav.",
        "Right, I'm going to do it, I'm quitting vaping before my exams.",
        "I'm gonna shoot myself in the foot if I say yes to one more committee.",
        "She will finish me off before the diabetes does.",
        "I keep getting this rash on my hands.",
        # A reviewer's near misses of lexicon 2.24's first patterns.
        "It'd be no bad thing if I lost a bit of weight.",
        "I'd count it a blessing if the rain held off for the wedding.",
        "I should've bought it in the sale.",
        "I couldn't pull the trigger on selling the house.",
        "My car insurance pays out for the windscreen.",
        "I've got a date in my head for the wedding, end of June.",
        "I've done myself in at the gym this week.",
        "I asked the pharmacist which tablets would do it best for my back.",
        "I put one in her lunchbox every morning.",
        "I dropped the iron onto my foot.",
        "That's what keeps me awake at night.",
        "I have to be here for my appointment at three.",
    ],
)
def test_everyday_talk_near_the_new_patterns_matches_no_pattern(said):
    # Meaning matching may still list one for review; no pattern of lexicon 2.23 fires.
    assert [i.pattern for i in detect_in_text(said) if i.matched_by == "pattern"] == []


@pytest.mark.slow
def test_a_gun_held_by_someone_else_is_no_past_attempt():
    items = detect_in_text("He held a gun to my head and said he'd kill me if I left.")
    assert "past_attempt" not in {i.category for i in items}
    assert "adult_at_risk" in {i.category for i in items}


@pytest.mark.slow
def test_a_burn_told_with_a_reason_stays_self_harm():
    items = detect_in_text("I burnt my wrist on the hob so the pain inside would stop.")
    assert "self_harm" in {i.category for i in items}


@pytest.mark.slow
def test_a_yes_to_a_question_about_danger_to_children_is_no_denial():
    transcript = make_transcript(
        [
            ("clinician", "Is there anyone looking after the kids who you don't trust?"),
            ("patient", "Yes, his brother."),
        ]
    )
    items = detect_risk(transcript)
    assert ("safeguarding_child", "denied") not in {(i.category, i.polarity) for i in items}
