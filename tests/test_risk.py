"""Risk language by concept: patterns, meaning (real all-MiniLM-L6-v2), denials, answers, idioms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avt_notes.risk import CONCEPTS, describe, detect_in_text, detect_risk, load_lexicon
from avt_notes.risk.semantic import default_matcher, parts

from testdata import make_transcript

# Every test here runs the real MiniLM sentence encoder (a model load).
pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "risk"


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


@pytest.fixture(scope="module")
def matcher():
    return default_matcher()


def risk_in(rows, lexicon, matcher):
    """The risk items of a session given as (role, text) rows."""
    return detect_risk(make_transcript(rows), lexicon, matcher)


def concepts(text, lexicon, matcher, polarity="reported"):
    return {i.category for i in detect_in_text(text, lexicon, matcher) if i.polarity == polarity}


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Some days I think about killing myself.", "suicidal_ideation"),
        ("I no longer want to live.", "passive_death_wish"),
        ("I've been hiding my sleeping tablets in a sock drawer.", "plan_preparation"),
        ("I took a whole box of paracetamol in 2021 and woke up in hospital.", "past_attempt"),
        ("I've been cutting myself again.", "self_harm"),
        ("Sometimes I want to hurt him when he shouts.", "harm_to_others"),
        ("My partner hits me when he's drunk.", "adult_at_risk"),
        ("He hits the kids when they cry.", "safeguarding_child"),
        ("I drink a bottle of vodka every night.", "substance_use"),
        ("My nan is the reason I keep going.", "protective_factor"),
    ],
)
def test_patterns_find_each_concept(text, concept, lexicon):
    items = [i for i in detect_in_text(text, lexicon, by_meaning=False) if i.category == concept]
    assert items and items[0].polarity == "reported" and items[0].matched_by == "pattern"
    assert items[0].pattern and items[0].phrase
    assert concept in describe(items[0]) or items[0].category_label in describe(items[0])


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        # As our ASR wrote them; no pattern covers them: only the exemplar bank finds them.
        ("Everyone would be happy if I was gone.", "passive_death_wish"),
        ("I wondered whether crashing the car on the motorway would do it.", "method"),
        ("I can't promise I'll keep myself safe tonight.", "intent"),
        ("I wound my head against the wall when it gets too much.", "self_harm"),
    ],
)
def test_meaning_finds_paraphrases_and_says_why(text, concept, lexicon, matcher):
    by_patterns = {i.category for i in detect_in_text(text, lexicon, by_meaning=False)}
    items = [i for i in detect_in_text(text, lexicon, matcher) if i.category == concept]
    assert concept not in by_patterns
    assert items, f"{concept} not found by meaning in {text!r}"
    item = items[0]
    assert item.matched_by == "meaning" and item.exemplar and item.score >= matcher.threshold
    wording = describe(item, with_reason=True)
    assert item.exemplar in wording and f"{item.score:.2f}" in wording


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        # Between several exemplars of one concept, near none of them (bank 3.3 lists
        # session 14's examples by exemplar or pattern).
        ("If the Lord would just come for me tonight I would go happy.", "passive_death_wish"),
    ],
)
def test_the_concept_model_lists_a_paraphrase_no_exemplar_is_near(text, concept, lexicon, matcher):
    settings = matcher.bank.concept_model
    assert settings is not None
    exemplars_alone = matcher.with_settings(concept_model=None)
    assert concept not in {i.category for i in detect_in_text(text, lexicon, exemplars_alone)}
    items = [i for i in detect_in_text(text, lexicon, matcher) if i.category == concept]
    assert items and items[0].polarity == "reported" and items[0].matched_by == "meaning"
    item = items[0]
    assert settings.floor <= item.score < matcher.threshold
    assert item.model_probability is not None and item.model_probability >= settings.probability
    wording = describe(item, with_reason=True)
    assert item.exemplar in wording and f"concept model {item.model_probability:.2f}" in wording


def test_the_concept_model_weighs_only_the_patients_words(lexicon, matcher):
    """A clinician's question is matched by its exemplars alone, never added by the model."""
    asked = "Do you ever wish the Lord would come and take you?"
    # Weighed, the question would be listed: the model would have added it.
    assert [n.weighed for n in matcher.hits([asked], in_parts=False, weigh=True)[0]]
    items = risk_in([("clinician", asked), ("patient", "I don't know.")], lexicon, matcher)
    assert not [i for i in items if i.model_probability is not None]


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("No thoughts of self-harm.", "self_harm"),
        ("He denies suicidal ideation.", "suicidal_ideation"),
        ("I have never hurt myself.", "self_harm"),
        ("Nobody has ever laid a finger on the children.", None),
        ("I don't drink alcohol.", "substance_use"),
        ("I've never tried to take my own life.", "past_attempt"),
        # Session 9's training set: denials in everyday words.
        ("Nobody is hurting me.", "adult_at_risk"),
        ("No, nobody forces me to do anything.", "adult_at_risk"),
        ("I've never laid a finger on her.", "harm_to_others"),
        ("I've never thought about how I'd do it.", "method"),
        ("I won't do anything silly, I promise.", "intent"),
        (
            "The kids are always looked after, I never leave them on their own.",
            "safeguarding_child",
        ),
        # A denial, then a reassurance that says nothing of risk (written apart, session 10).
        (
            "No, my husband doesn't go through my phone or anything like that. We each see "
            "our own friends whenever we like.",
            "adult_at_risk",
        ),
    ],
)
def test_denials_need_a_negation_and_stay_listed(text, concept, lexicon, matcher):
    items = detect_in_text(text, lexicon, matcher)
    if concept is not None:
        assert any(i.category == concept and i.polarity == "denied" for i in items)
    assert not [i for i in items if i.polarity == "reported"], [describe(i) for i in items]


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to be here anymore.",
        "I don't think I could stop myself if I had the pills in front of me.",
        "It wouldn't matter to anyone if I never woke up.",
        "If things don't get better by the summer I'm going through with it.",
        # Found by meaning, with a "don't" further in: no denial of the whole.
        "I'd be glad to die in my sleep so I don't have to face another day.",
        # "Nobody's" before another clause denies nothing of it.
        "Nobody's going to care if I kill myself.",
        "Nobody's noticed that I cut myself.",
        "My partner forces himself on me when I've said I don't want to.",
        # A restriction is the disclosure, whichever cue starts it.
        "I'm not allowed to see my friends on my own any more.",
        "I'm not allowed to go to the doctor's on my own. He waits outside in the car.",
        # A denial, then a sentence that is itself near risk, or qualified: as said.
        "I've never tried anything. I think about taking the tablets every day though.",
        "No, I'm fine. My husband checks my phone every night and takes my bank card.",
        # The other sentence points back at the risk, or is too short to score (review).
        "No, I've never tried. I think about it every day.",
        "No, I won't do anything. Tablets, probably.",
    ],
)
def test_negation_words_that_deny_nothing_are_reported(text, lexicon, matcher):
    items = detect_in_text(text, lexicon, matcher)
    assert items and all(i.polarity == "reported" for i in items), [describe(i) for i in items]


def test_negation_does_not_cross_a_clause(lexicon):
    items = detect_in_text(
        "I never cut myself, but I think about suicide a lot.", lexicon, by_meaning=False
    )
    polarities = {(i.category, i.polarity) for i in items}
    assert ("self_harm", "denied") in polarities
    assert ("suicidal_ideation", "reported") in polarities


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Not good, I've been cutting my legs again.", "self_harm"),
        ("Not really, my husband hits me when he's been drinking.", "adult_at_risk"),
        # "and" before a new subject, no comma.
        ("It's not easy and my husband hits me when he drinks.", "adult_at_risk"),
    ],
)
def test_negation_stops_before_a_new_subject(text, concept, lexicon):
    items = detect_in_text(text, lexicon, by_meaning=False)
    assert (concept, "reported") in {(i.category, i.polarity) for i in items}
    # Within one clause the cue still denies.
    denied = detect_in_text("No, I've never cut my legs.", lexicon, by_meaning=False)
    assert ("self_harm", "denied") in {(i.category, i.polarity) for i in denied}


@pytest.mark.parametrize(
    "text",
    [
        "This queue is killing me.",
        "I'm dying to find out who won.",
        "I could murder a bacon roll.",
        "Over my dead body is he moving in.",
        "We nearly died laughing at the best man.",
        "My sister will kill me if I forget her birthday.",
        "My phone died halfway through the call.",
        "I was bored to death at the meeting.",
        "I'd rather die than go to that party.",
        "I'm cutting down on crisps.",
        "We hit it off straight away.",
        "That lasagne was to die for.",
        # Session 9's training set (benchmarks/risk_data/written/train-s9.jsonl).
        "My daughter says it's social suicide if I drop her at the school gate.",
        "Chocolate is my drug of choice, I'm afraid.",
        "I overdosed on mince pies over Christmas and I'm paying for it now.",
        "I burned my hand on the barbecue, just a small blister, it's fine now.",
        "I've been cutting my own hair since lockdown.",
        "I could have strangled him when he said that.",
        # Session 9's second training set (train2-s9.jsonl).
        "I'm knackered, I feel like I've been hit by a bus.",
        "I nearly killed myself laughing at that clip of the dog on the trampoline.",
        "My husband will hang me out to dry if I forget our anniversary again.",
    ],
)
def test_figures_of_speech_raise_nothing(text, lexicon, matcher):
    assert detect_in_text(text, lexicon, matcher) == []


@pytest.mark.parametrize(
    "text",
    [
        "I went to the shops with my daughter.",
        "Drink plenty of fluids and take paracetamol.",
        "The pain in my joints is worse in the morning.",
        "I cut the grass at the weekend.",
        "We talked about the side effects of the new tablets.",
        "I wrote a letter to the council about the bins.",
        "You also drink sugary and carbonated drinks, something like Coke.",
        "Would you say you've been in good spirits?",
        # Routine talk the everyday-wording patterns must leave alone.
        "She's not eating much because of the flu.",
        "I count them every day to make sure I take the right ones.",
        "Have you got any plans to do anything nice this weekend?",
        "I have to push myself to cope with the workload.",
        "Are you allergic to any drugs?",
        "We put poison in the food for the rats.",
        "The house was freezing so we put the heating on.",
        "Have you got his medication with you?",
        # Scratching an itch; a favour, not harm (PriMock57 lines, in other words).
        "The rash is so itchy I keep scratching myself at night.",
        "She's on the other line, I'll get her to ring you back.",
        # Early waking, as a mental-health review asks about it (safety session mh-01's
        # recognised answer sat at 0.62 from "hoping I won't wake up in the morning").
        "Still waking up at about half four every morning, maybe five hours a night.",
    ],
)
def test_ordinary_talk_gives_nothing(text, lexicon, matcher):
    assert detect_in_text(text, lexicon, matcher) == []


def test_answers_are_reported_in_the_patients_words(lexicon, matcher):
    items = risk_in(
        [
            ("clinician", "Have you had any thoughts of harming yourself?"),
            ("patient", "No, never."),
            ("clinician", "Any thoughts of ending your life?"),
            (
                "patient",
                "I've thought about the tablets in the kitchen, but I haven't done anything.",
            ),
            ("clinician", "And do you drink alcohol?"),
            ("patient", "Not since Christmas."),
            ("clinician", "Any thoughts of suicide lately?"),
            ("patient", "Sorry, can I just check what time the pharmacy shuts today?"),
        ],
        lexicon,
        matcher,
    )
    on_questions = {
        (i.utterance_id, i.polarity, i.answer_utterance_id) for i in items if i.role == "clinician"
    }
    assert ("u0001", "denied", "u0002") in on_questions
    assert ("u0003", "reported", "u0004") in on_questions
    assert ("u0005", "reported", "u0006") in on_questions  # a qualified "not since" is no denial
    assert ("u0007", "asked", None) in on_questions
    answered = next(
        i for i in items if i.answer_utterance_id == "u0004" and i.category == "suicidal_ideation"
    )
    assert "tablets in the kitchen" in answered.answer_text
    assert describe(answered).startswith("Suicidal ideation (mentioned): “I've thought about")


def test_a_meaning_hit_must_be_closer_to_risk_than_to_ordinary_talk(matcher):
    bank = matcher.bank
    assert bank.ordinary
    concepts = {c for per_text in matcher.hits(list(bank.ordinary)) for c in per_text}
    assert concepts == set()
    # Risk exemplars themselves stay hits: the contrast never empties a concept.
    for concept, texts in bank.concepts.items():
        assert any(concept in {n.concept for n in hits} for hits in matcher.hits(texts))


def test_every_concept_has_patterns_and_exemplars(lexicon, matcher):
    assert [c.key for c in lexicon.concepts] == list(CONCEPTS)
    assert all(c.patterns for c in lexicon.concepts)
    assert set(matcher.bank.concepts) == set(CONCEPTS)
    assert lexicon.version and len(lexicon.sha256) == 64 and lexicon.figurative_version


def test_recognised_utterances_from_the_labelled_set(lexicon, matcher):
    """A few utterances as our ASR wrote them (errors included), with their labels."""
    rows = [json.loads(line) for line in (DATA / "sample.jsonl").read_text().splitlines()]
    assert len(rows) >= 10
    for row in rows:
        items = detect_in_text(row["text"], lexicon, matcher)
        if row["concept"] is None:
            assert items == [], (row["text"], [describe(i) for i in items])
        else:
            wanted = "denied" if row["polarity"] == "denied" else "reported"
            assert any(i.category == row["concept"] and i.polarity == wanted for i in items), row


# Regressions seen on real output (benchmarks/results/safety, `make demo`).


@pytest.mark.parametrize(
    "answer",
    [
        "No, nothing like that. I would never do that to my kids.",  # as scripted (mh-01)
        "No, nothing like that, I would never do that to my kids.",  # as recognised
        # Near an exemplar said in the negative ("I couldn't do that to my mum"): safety
        # benchmark risk-05, listed as a protective factor "denied" with bank 3.0.
        "No, I'd never do that to my mum.",
    ],
)
def test_a_protective_statement_said_with_a_negation_is_not_denied(answer, lexicon, matcher):
    items = risk_in(
        [
            ("clinician", "Have you had any thoughts of ending your life or harming yourself?"),
            ("patient", answer),
        ],
        lexicon,
        matcher,
    )
    found = {(i.category, i.polarity) for i in items}
    assert ("protective_factor", "reported") in found
    assert ("protective_factor", "denied") not in found
    assert {("suicidal_ideation", "denied"), ("self_harm", "denied")} <= found
    # A question about thoughts is not a question about past attempts.
    assert not any(i.category == "past_attempt" for i in items)


def test_why_an_item_fired_is_never_empty(lexicon, matcher):
    for item in risk_in(
        [
            ("clinician", "Have you had any thoughts of ending your life or harming yourself?"),
            ("patient", "Sometimes I feel everyone would manage fine without me."),
            ("clinician", "Do you feel safe at home?"),
            ("patient", "Mostly, but he does lose his temper with me."),
        ],
        lexicon,
        matcher,
    ):
        reason = describe(item, with_reason=True).split(" — ")[-1]
        assert "''" not in reason and '""' not in reason and len(reason) > 10, reason


@pytest.mark.parametrize(
    "text",
    [
        # co-codamol as our ASR heard it (pc-06): "down all" is two function words.
        "A bit better. I'm taking cocoa down all 3 ,500 to tablets four times a day.",
        "You've been on cocoa down all 4 -3 weeks now.",
        "I fell down all the stairs at my mum's.",
    ],
)
def test_a_match_of_function_words_alone_raises_nothing(text, lexicon, matcher):
    assert detect_in_text(text, lexicon, matcher) == []


def test_swallowing_all_the_tablets_is_still_a_method(lexicon):
    items = detect_in_text(
        "I thought about swallowing the whole packet of tablets.", lexicon, by_meaning=False
    )
    assert any(i.category == "method" for i in items)


@pytest.mark.parametrize(
    "question",
    [
        "And have you been taking your medication?",  # `make demo`, sample_audio/consultation.wav
        "Have you ever felt you should cut down?",  # the CAGE alcohol question
        # PriMock57 day4_consultation06, 0.65 from "pills that aren't prescribed to me";
        # closer still to the bank's ordinary statements (taken from days 1 and 2 only).
        "And do you take any regular medications?",
    ],
)
def test_routine_questions_are_not_risk_questions(question, lexicon, matcher):
    rows = [("clinician", question), ("patient", "Yes, every morning with breakfast.")]
    assert risk_in(rows, lexicon, matcher) == []


def test_routine_medication_talk_is_no_denial_of_risk(lexicon, matcher):
    # PriMock57 day1_consultation01: a hesitant "Uh, no" is still a clear denial, and a
    # "no other medications" is close in meaning to misused pills (0.67), but no denial
    # of anything a clinician screens for.
    items = risk_in(
        [
            ("clinician", "Apart from the inhalers, do you take any other medications?"),
            ("patient", "Uh, no, no other medications."),
            ("clinician", "Any drug allergies?"),
            ("patient", "Not that I know of."),
            ("clinician", "And do you drink much in the way of alcohol?"),
            ("patient", "Uh, no, I I don't drink alcohol, no."),
        ],
        lexicon,
        matcher,
    )
    assert {(i.utterance_id, i.category, i.polarity) for i in items} == {
        ("u0005", "substance_use", "denied"),
        ("u0006", "substance_use", "denied"),
    }


def test_a_protective_factor_is_the_patients_not_the_clinicians(lexicon, matcher):
    said = "I can call an ambulance, or you can take yourself to the hospital."
    assert risk_in([("clinician", said)], lexicon, matcher) == []
    assert risk_in([("clinician", said), ("patient", "Yes, okay.")], lexicon, matcher) == []
    own = risk_in([("patient", "I can call my sister any time.")], lexicon, matcher)
    assert {i.category for i in own} == {"protective_factor"}


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("I do my arms with a lighter when it gets too much.", "self_harm"),
        ("I go at myself to feel something.", "self_harm"),
        ("I pick at my skin until it's sore and bleeding.", "self_harm"),
        ("I've thought about putting poison in his food.", "harm_to_others"),
        ("I've been buying coke off a lad at work.", "substance_use"),
        ("I do a bit of coke at the weekend.", "substance_use"),
        ("Honestly I'd be glad if something happened to me.", "passive_death_wish"),
        ("I didn't know where he went at night.", "safeguarding_child"),
        ("A grown man, who keeps messaging my 13-year-old son online.", "safeguarding_child"),
        ("I've still got my late husband's insulin in the fridge.", "method"),
        ("I counted the tablets again last night.", "method"),
        ("My dad's stopped washing and his flat is filthy.", "adult_at_risk"),
        # No itch named before the scratching: the itch figure does not apply.
        ("I scratch myself when I'm upset, it's not itchy.", "self_harm"),
        ("I'll get him back for what he did to my sister.", "harm_to_others"),
        # A habit is no accident, though it names what it is done on.
        ("I burn my arms on the hob when it gets too much.", "self_harm"),
        ("I don't drink at all these days.", "substance_use"),
        ("I leave the kids on their own at night when I go to work.", "safeguarding_child"),
        ("He forces me to hand over my wages.", "adult_at_risk"),
        # Figures of speech never silence these (session 9's review).
        ("I cut my arm on a razor blade.", "self_harm"),
        ("I burnt my arm on the cooker on purpose.", "self_harm"),
        ("I burned my hand on the oven again, on purpose this time.", "self_harm"),
        ("He hit me with a stick.", "adult_at_risk"),
        ("My husband hit our son with a bat.", "safeguarding_child"),
        ("I overdosed on caffeine pills last week.", "method"),
        ("Just shoot me now, I want it over.", "method"),
        # Lexicon 2.24, from blind-s20's misses (read once it stopped being blind).
        ("I think it'd be no bad thing if my heart just gave out.", "passive_death_wish"),
        ("If I went to sleep and that was it, I'd count it a mercy.", "passive_death_wish"),
        ("I should've copped it out there with the lads.", "passive_death_wish"),
        ("Some nights I press a lit cigarette into the back of my hand.", "self_harm"),
        ("Barrel right in me mouth, and I couldn't pull the trigger.", "past_attempt"),
        ("Soon as they move me off this wing I'm doing myself in.", "intent"),
        ("I know which drugs would do it.", "method"),
        ("I've got a date in my head. End of the month.", "plan_preparation"),
        ("That's the last time I'll see them like that.", "plan_preparation"),
        ("I'll go up there and put one in him.", "harm_to_others"),
        ("I've been getting into scraps. Three this month.", "harm_to_others"),
        ("That's what stops me every time.", "protective_factor"),
        ("I'd be lost without them, honestly.", "protective_factor"),
        # Lexicon 2.25: the general kinds of wording blind-s21 to s23 missed, said afresh.
        ("I wouldn't be sorry if I didn't wake up tomorrow.", "passive_death_wish"),
        ("If the car went over on me one night, I wouldn't be sorry.", "passive_death_wish"),
        (
            "I catch myself thinking how easy it'd be to just step off the platform.",
            "suicidal_ideation",
        ),
        ("I catch myself thinking how easy it'd be to just step off the platform.", "method"),
        ("On the motorway I get this urge to just turn the wheel into the barrier.", "method"),
        ("I stood on the roof and thought, one step and it's all over.", "suicidal_ideation"),
        ("I've been counting them, wondering whether it would be enough.", "method"),
        ("I'm just waiting till after the wedding so I don't ruin it for her.", "plan_preparation"),
        ("I went to the bridge and checked what time nobody's about.", "plan_preparation"),
        ("I've decided I'm going to join my late husband.", "intent"),
        (
            "Years ago I went up on the bridge to jump but a stranger talked me down.",
            "past_attempt",
        ),
        ("I skip my insulin on purpose because I feel like I deserve it.", "self_harm"),
        ("I hold my hand on the hob on purpose sometimes.", "self_harm"),
        ("I've thought about using the crowbar on him.", "harm_to_others"),
        ("I keep picturing hitting him with the pan.", "harm_to_others"),
        ("He said I'll get a new phone as long as I keep it between us.", "safeguarding_child"),
        ("Her little boy hadn't been fed since yesterday.", "safeguarding_child"),
        ("Mum's purse keeps coming up short since the new carer started.", "adult_at_risk"),
        ("The carer grabbed her wrist so hard it left marks.", "adult_at_risk"),
        ("He took my car keys for a week because I came home late.", "adult_at_risk"),
        ("He's back on the pipe again.", "substance_use"),
        ("If I don't ring my brother by nine he comes round.", "protective_factor"),
        ("I need to be here for my girls, whatever happens.", "protective_factor"),
        ("My dog has kept me from doing anything stupid.", "protective_factor"),
        # Lexicon 2.26: the general kinds of wording blind-s24 and s25 missed, said afresh.
        ("It'd be no great loss if my heart packed in tomorrow.", "passive_death_wish"),
        ("Some nights I just want to put myself out of it.", "suicidal_ideation"),
        ("I looked at the bleach and thought, I drink this and it's all over.", "method"),
        ("There's a beam in the garage and I've wondered if it'd take my weight.", "method"),
        ("Just a flick of the wheel on the bypass, that's all it would take.", "method"),
        ("I looked up how many for my weight.", "method"),
        ("I've got a box of old codeine, that'd be plenty.", "method"),
        ("I've been putting my tablets aside for a while now.", "plan_preparation"),
        ("I've been getting them from different chemists so nobody notices.", "plan_preparation"),
        ("I wrote him a letter and told him not to open it till after.", "plan_preparation"),
        ("I've sorted the house papers so she has no trouble when I'm gone.", "plan_preparation"),
        ("I shan't be bothering you much longer, doctor.", "intent"),
        ("Had one leg over the railing before my mate pulled me back.", "past_attempt"),
        ("I drove to the cliffs meaning to jump.", "past_attempt"),
        ("I stub cigarettes out on my arm when it gets bad.", "self_harm"),
        ("I keep picturing taking a hammer to him.", "harm_to_others"),
        ("I gave some lad a right kicking outside the pub.", "harm_to_others"),
        ("There's a man always hanging round the school gates.", "safeguarding_child"),
        ("She had bruises on the backs of her legs like fingers.", "safeguarding_child"),
        ("He flinched when I went to hug him.", "safeguarding_child"),
        ("She hasn't seen a penny of the money from the house.", "adult_at_risk"),
        ("He's left sitting in a wet pad all day at the home.", "adult_at_risk"),
        ("He gives me the silent treatment for days.", "adult_at_risk"),
        ("He's back on the script but topping up on the side.", "substance_use"),
        ("Dad gets really agitated if it runs out.", "substance_use"),
        ("My lad's counting on me.", "protective_factor"),
        ("I've got a safety card with who to ring if it gets bad.", "protective_factor"),
    ],
)
def test_everyday_wording_is_read(text, concept, lexicon):
    assert concept in {i.category for i in detect_in_text(text, lexicon, by_meaning=False)}


def test_the_plan_question_after_a_disclosure_is_read_with_its_answer(lexicon, matcher):
    items = risk_in(
        [
            ("patient", "Some days I wish I could go to sleep and not wake up."),
            ("clinician", "Have you made any plans to act on that?"),
            ("patient", "No, none."),
        ],
        lexicon,
        matcher,
    )
    assert ("plan_preparation", "denied", "u0003") in {
        (i.category, i.polarity, i.answer_utterance_id) for i in items
    }


def _question_reading(question, answer, lexicon, matcher):
    """How the risk question at u0001 is listed when `answer` replies to it."""
    rows = [("clinician", question), ("patient", answer)]
    return {i.polarity for i in risk_in(rows, lexicon, matcher) if i.utterance_id == "u0001"}


SUICIDE_QUESTION = ("clinician", "Any thoughts of suicide at all?")


@pytest.mark.parametrize(
    ("rows", "reading"),
    [
        # "just" as "merely" keeps an answer's denial; as "only" it qualifies it.
        ([SUICIDE_QUESTION, ("patient", "No. I was just being dramatic.")], {"denied"}),
        ([SUICIDE_QUESTION, ("patient", "No, I'm just tired of work.")], {"denied"}),
        ([SUICIDE_QUESTION, ("patient", "No, just the odd night when it's bad.")], {"reported"}),
        ([SUICIDE_QUESTION, ("patient", "No. Just sometimes.")], {"reported"}),
        # "Once" qualifies an answer; "not once" does not.
        ([SUICIDE_QUESTION, ("patient", "Only once, last year.")], {"reported"}),
        ([SUICIDE_QUESTION, ("patient", "No, never. Not once.")], {"denied"}),
        # A patient's own denial with an exception straight after it is reported as said.
        # Safety session pc-03: drafted as "The patient denied substance use".
        ([("patient", "Fine, I don't use any drugs, just the wine.")], {"reported"}),
        ([("patient", "I don't drink alcohol apart from at Christmas.")], {"reported"}),
        ([("patient", "I don't drink alcohol, except at weekends.")], {"reported"}),
        # No exception of the concept, or not straight after the denial: still denials.
        ([("patient", "I don't use any drugs.")], {"denied"}),
        ([("patient", "I've never self-harmed, I just feel low.")], {"denied"}),
        ([("patient", "I'm not suicidal, just a bit low.")], {"denied"}),
        (
            [("patient", "I've never self-harmed, but my friend did and it was just a nightmare.")],
            {"denied"},
        ),
    ],
)
def test_a_qualified_no_is_reported_as_said_and_a_plain_one_stays_a_denial(
    rows, reading, lexicon, matcher
):
    """How the first line is listed: a question read by its answer, or a patient's words."""
    items = risk_in(rows, lexicon, matcher)
    assert {i.polarity for i in items if i.utterance_id == "u0001"} == reading


# Lexicon 2.24: screening questions in everyday shapes, read with their answers.
@pytest.mark.parametrize(
    ("question", "answer", "concept", "polarity"),
    [
        (
            "Have you made any plans, picked a time, anything like that?",
            "No, nothing like that.",
            "plan_preparation",
            "denied",
        ),
        (
            "And have you thought about a way you'd do it?",
            "No. It's never got that far.",
            "method",
            "denied",
        ),
        (
            "Is there anything that stops you acting on those thoughts?",
            "The kids. Just the kids, really.",
            "protective_factor",
            "reported",
        ),
        (
            "When you're at work, is there always an adult with the kids?",
            "Yeah, always, my mam has them.",
            "safeguarding_child",
            "denied",
        ),
        (
            "When you're at work, is there always an adult with the kids?",
            "Not always, sometimes they're on their own.",
            "safeguarding_child",
            "reported",
        ),
        # Any "but" qualifies: "Nah. I've had days, but no." is said, not denied.
        (
            "Have you felt everyone would be better off without you?",
            "Nah. I've had days, but no.",
            "passive_death_wish",
            "reported",
        ),
        (
            "When you get those thoughts, what stops you acting on them?",
            "My kids, really.",
            "protective_factor",
            "reported",
        ),
    ],
)
def test_everyday_screening_questions_are_read_with_their_answers(
    question, answer, concept, polarity, lexicon, matcher
):
    items = risk_in([("clinician", question), ("patient", answer)], lexicon, matcher)
    readings = {(i.category, i.polarity) for i in items if i.utterance_id == "u0001"}
    assert (concept, polarity) in readings, readings
    # "What stops you acting on them" asks what protects: no intent is read into it.
    assert "intent" not in {c for c, _ in readings}


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        # Safety session pc-05: said of the patient's 87-year-old mother.
        ("I'll raise a safeguarding concern about the cold house.", "adult_at_risk"),
        ("Is a social worker involved with your mum?", "adult_at_risk"),
        ("I'll raise a safeguarding concern about your 87-year-old mother.", "adult_at_risk"),
        ("I need to share this with children's social care.", "safeguarding_child"),
        ("Social services were involved with my boys last year.", "safeguarding_child"),
        ("There's a safeguarding concern about the baby.", "safeguarding_child"),
    ],
)
def test_safeguarding_words_are_a_childs_only_where_a_child_is_named(text, concept, lexicon):
    items = risk_in([("clinician", text)], lexicon, None)
    assert {i.category for i in items} == {concept}


def test_a_denial_that_names_what_was_asked_stands_beside_the_next_disclosure(lexicon, matcher):
    question = "Have you made any plans to act on that?"
    items = risk_in(
        [("clinician", question), ("patient", "No plans. But I've been saving up my tablets.")],
        lexicon,
        matcher,
    )
    listed = {(i.utterance_id, i.category, i.polarity) for i in items}
    assert ("u0001", "plan_preparation", "denied") in listed
    assert ("u0002", "plan_preparation", "reported") in listed
    # A bare "No" names nothing: the "but" qualifies it, reported in the patient's words.
    assert _question_reading(
        question, "No. But I think about it most nights.", lexicon, matcher
    ) == {"reported"}


@pytest.mark.parametrize(
    "question",
    [
        "Have you thought about acting on that?",
        "Are you planning to do anything in the next few days?",
        "Do you think you would ever act on it?",
        "How close have you come to doing it.",
    ],
)
def test_an_everyday_question_after_a_disclosure_asks_about_intent(question, lexicon, matcher):
    rows = [
        ("clinician", "How have things been since the funeral?"),
        ("patient", "Most nights I wish I could just not wake up."),
        ("clinician", question),
        ("patient", "I'd wait until after my daughter's wedding."),
    ]
    assert ("intent", "reported", "u0004") in {
        (i.category, i.polarity, i.answer_utterance_id) for i in risk_in(rows, lexicon, matcher)
    }


@pytest.mark.parametrize(
    "rows",
    [
        # The same words with no disclosure before them, or after an alcohol history.
        [("clinician", "Are you planning to do anything nice this weekend?"), ("patient", "Yes.")],
        [
            ("patient", "I drink about four pints on a Friday."),
            ("clinician", "Are you planning to do anything about the drinking?"),
            ("patient", "I'd like to cut down."),
        ],
        [
            ("patient", "I sometimes wish I wasn't here."),
            ("clinician", "Thank you for telling me."),
            ("patient", "My sister says I should come."),
            ("clinician", "How is work?"),
            ("patient", "Busy, but fine."),
            ("clinician", "Are you going to do anything for your birthday?"),
            ("patient", "Just a meal."),
        ],
    ],
)
def test_everyday_questions_far_from_a_disclosure_are_ordinary(rows, lexicon, matcher):
    assert "intent" not in {i.category for i in risk_in(rows, lexicon, matcher)}


def test_a_reply_is_a_denial_after_a_hesitation_not_an_exclamation(lexicon, matcher):
    def reading(answer):
        rows = [("clinician", "Do you ever feel you'd be better off dead?"), ("patient", answer)]
        return {i.polarity for i in risk_in(rows, lexicon, matcher) if i.utterance_id == "u0001"}

    assert reading("Um, no, never.") == {"denied"}
    assert reading("Oh no, all the time.") == {"reported"}


def test_a_reason_clause_keeps_a_whole_answer_a_denial(lexicon):
    from avt_notes.risk.negation import whole_utterance_negation

    assert whole_utterance_negation("No, I wouldn't, because my mum went through it.", lexicon)
    assert whole_utterance_negation(
        "No, I would never do anything like that because I have my children.", lexicon
    )


def test_a_time_clause_with_its_own_subject_ends_a_negation(lexicon):
    items = detect_in_text(
        "I wasn't coping, not since I took an overdose in March.", lexicon, by_meaning=False
    )
    assert ("past_attempt", "reported") in {(i.category, i.polarity) for i in items}


def test_the_model_second_opinion_adds_and_never_removes(lexicon, matcher):
    from avt_notes.config import get_settings
    from avt_notes.risk.second_opinion import (
        SECOND_OPINION_FILE,
        load_second_opinion_prompt,
        second_opinion,
    )

    prompt = load_second_opinion_prompt(get_settings().drafting.prompts_dir / SECOND_OPINION_FILE)
    transcript = make_transcript(
        [
            ("clinician", "Have you had any thoughts of ending your life?"),
            ("patient", "Some evenings I think my kids would be better off without me."),
            ("clinician", "How have you been sleeping?"),
            ("patient", "I don't really see the point in much these days."),
        ]
    )
    items = detect_risk(transcript, lexicon, matcher)
    asked: list[str] = []

    class Model:  # a scripted reply; the real drafting model is measured in benchmarks/risk.py
        def __init__(self, reply):
            self.reply = reply

        def complete(self, messages, *, max_new_tokens, stop=()):
            asked.append(messages[-1]["content"])
            return self.reply

    # A reply that names nothing, or tries to take an item back, changes nothing.
    for reply in ("none", "not suicidal_ideation, remove passive_death_wish"):
        kept = second_opinion(transcript, items, Model(reply), matcher, prompt, lexicon)
        assert all(item in kept for item in items)
    # Only utterances nothing listed are asked about.
    assert asked and not any("better off without me" in a.split("said:")[-1] for a in asked)
    added = second_opinion(transcript, items, Model("method"), matcher, prompt, lexicon)
    new = [i for i in added if i not in items]
    assert new and all(i.matched_by == "model" and i.category == "method" for i in new)
    assert all("— model second opinion" in describe(i, with_reason=True) for i in new)


def test_a_question_that_lost_its_mark_is_read_with_its_answer():
    from avt_notes.risk import detect_risk

    from testdata import make_transcript

    # As recognised: "And any thoughts of ending your life?" came out without its "?".
    rows = [("clinician", "And any thoughts of ending your life."), ("patient", "No, never.")]
    items = detect_risk(make_transcript(rows), by_meaning=False)
    assert [(i.category, i.polarity, i.answer_utterance_id) for i in items] == [
        ("suicidal_ideation", "denied", "u0002")
    ]
    # A clinician's statement that nobody answers "yes" or "no" stays what it was.
    said = [("clinician", "We talked about ending your life last time."), ("patient", "Right.")]
    assert all(
        i.answer_utterance_id is None for i in detect_risk(make_transcript(said), by_meaning=False)
    )


def test_a_patients_words_with_a_question_mark_are_reported_not_asked():
    from avt_notes.risk import detect_risk

    from testdata import make_transcript

    # Recognition writes a rising voice as "?": the clinician's next line is no answer,
    # and "No, I understand" must not turn the disclosure into a denial.
    rows = [
        ("clinician", "How have you been?"),
        ("patient", "Sometimes I think about hurting him?"),
        ("clinician", "No, I understand. Tell me more."),
    ]
    items = detect_risk(make_transcript(rows), by_meaning=False)
    assert [(i.category, i.polarity, i.utterance_id) for i in items] == [
        ("harm_to_others", "reported", "u0002")
    ]
    # The clinician's own question is still read with the patient's answer.
    asked = [("clinician", "Any thoughts of hurting anyone?"), ("patient", "No, never.")]
    items = detect_risk(make_transcript(asked), by_meaning=False)
    assert [(i.category, i.polarity) for i in items] == [("harm_to_others", "denied")]


def test_a_reply_to_a_follow_up_continues_the_disclosure():
    from avt_notes.risk import detect_risk

    from testdata import make_transcript

    # Written for this test (not a benchmark session): the reply names no risk itself.
    rows = [
        ("clinician", "How have things been?"),
        ("patient", "I've been burning my arm with a lighter when I'm stressed."),
        ("clinician", "How long has that been happening?"),
        ("patient", "On and off since I started my new job."),
        ("clinician", "When is your next shift?"),
        ("patient", "Tomorrow morning at seven, I think."),
    ]
    items = detect_risk(make_transcript(rows), by_meaning=False)
    follow_up = [i for i in items if i.matched_by == "context"]
    assert [(i.utterance_id, i.category, i.polarity) for i in follow_up] == [
        ("u0004", "self_harm", "reported")
    ]  # the reply two questions on is not carried along
    assert "burning my arm" in follow_up[0].follows
    assert "reply to a follow-up question on “I've been burning" in describe(
        follow_up[0], with_reason=True
    )


@pytest.mark.parametrize(
    "rows",
    [
        # A long clinician line moves on to something else.
        [
            ("patient", "I've been burning my arm with a lighter when I'm stressed."),
            ("clinician", "Thank you for telling me that. Before we go on, how is your sleep?"),
            ("patient", "Not bad, maybe six hours most nights."),
        ],
        # A follow-up on what keeps someone safe is ordinary talk.
        [
            ("patient", "My sister has moved in with me for a while, which helps."),
            ("clinician", "How is your sleep?"),
            ("patient", "Still waking at four most mornings."),
        ],
        # A bare reply says nothing on its own.
        [
            ("patient", "I've been burning my arm with a lighter when I'm stressed."),
            ("clinician", "Is that new?"),
            ("patient", "No."),
        ],
    ],
)
def test_no_follow_up_is_read_where_the_talk_moves_on(rows):
    from avt_notes.risk import detect_risk

    from testdata import make_transcript

    items = detect_risk(make_transcript(rows), by_meaning=False)
    assert not [i for i in items if i.matched_by == "context"]


def test_a_short_question_with_a_topic_of_its_own_is_no_follow_up():
    from avt_notes.risk import detect_risk

    from testdata import make_transcript

    rows = [
        ("patient", "I've been burning my arm with a lighter when I'm stressed."),
        ("clinician", "How have you been sleeping?"),
        ("patient", "Badly, I wake up at four most nights."),
        ("clinician", "How often?"),  # too short to be about anything but the last line
        ("patient", "Maybe three or four nights a week."),
    ]
    items = detect_risk(make_transcript(rows), by_meaning=False)
    assert not [i for i in items if i.matched_by == "context"]


@pytest.mark.parametrize(
    "text",
    [
        "I wasn't in intensive care after I took too many tablets in March.",
        "I didn't end up in A&E after I took too many pills.",
    ],
)
def test_a_denied_longer_match_does_not_hide_a_disclosure_it_overlaps(text, lexicon):
    items = detect_in_text(text, lexicon, by_meaning=False)
    assert ("past_attempt", "reported") in {(i.category, i.polarity) for i in items}
    # Said with no clause of its own, the denial stands.
    denied = detect_in_text("I never took too many tablets.", lexicon, by_meaning=False)
    assert {(i.category, i.polarity) for i in denied} == {("past_attempt", "denied")}


@pytest.mark.parametrize(
    ("text", "person"),
    [
        # PriMock57 day4_consultation08: a family history, listed as the patient's own before.
        (
            "Um, but the suspicion, that it may have uh, had an impact on me, but my father "
            "has commited suicide, um, about fifteen years ago.",
            "my father",
        ),
        ("My brother tried to kill himself last year.", "my brother"),
        ("My friend cuts herself.", "my friend"),
        # The patient's own risk beside another person stays the patient's ("").
        ("My mum found me after I took an overdose.", ""),
        ("I took an overdose after my dad died.", ""),
        ("My sister self-harms and so do I.", ""),
    ],
)
def test_risk_is_listed_as_said_of_whom_it_is_about(text, person, lexicon, matcher):
    items = detect_in_text(text, lexicon, matcher)
    assert items and all(i.about == person for i in items)
    said_of = [f"said of {person}" in describe(i) for i in items]
    assert all(said_of) if person else not any(said_of)


def test_a_question_about_a_relative_is_about_the_relative(lexicon, matcher):
    rows = [
        ("clinician", "Did your father ever try to kill himself?"),
        ("patient", "Yes, when I was twelve."),
    ]
    asked = [i for i in risk_in(rows, lexicon, matcher) if i.utterance_id == "u0001"]
    assert asked and all(i.about == "your father" for i in asked)
    own = [("clinician", "Have you ever tried to kill yourself?"), ("patient", "Yes, once.")]
    assert all(i.about == "" for i in risk_in(own, lexicon, matcher))


def test_a_question_asks_about_its_most_specific_concept(lexicon, matcher):
    rows = [("clinician", "Have you ever tried to end your life?"), ("patient", "Never.")]
    asked = {(i.category, i.polarity) for i in risk_in(rows, lexicon, matcher)}
    # "end your life" is part of the attempt question, not a question about thoughts.
    assert asked == {("past_attempt", "denied")}
    both = [
        ("clinician", "Have you had any thoughts of ending your life or harming yourself?"),
        ("patient", "No."),
    ]
    assert {i.category for i in risk_in(both, lexicon, matcher)} == {
        "suicidal_ideation",
        "self_harm",
    }


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        (
            "Work's been mad, the car failed its MOT, my landlord wants the flat back by March "
            "and the kids have been off school with chickenpox, so honestly some nights I lie "
            "there and think everyone would get on better if I just wasn't around any more, and "
            "then I get up and do the school run like normal.",
            "passive_death_wish",
        ),
        (
            "We went to my sister's on Sunday and it was all fine, the kids played in the "
            "garden, we had a roast, and on the drive home I kept thinking about just steering "
            "into the path of a lorry on the dual carriageway and getting it over with, then we "
            "got home and I put the telly on.",
            "method",
        ),
        (
            "I've been doing the garden a lot, it keeps me busy, and I've started sorting the "
            "loft out, and I've written letters to each of the kids saying goodbye and put them "
            "in the drawer with the will, and the allotment's coming on nicely this year.",
            "plan_preparation",
        ),
    ],
)
def test_a_disclosure_in_the_middle_of_a_long_turn_is_found(text, concept, lexicon, matcher):
    # As a whole each turn is nearer ordinary talk than any exemplar (none listed with
    # part_words 0); its parts are not.
    whole = matcher.with_settings(part_words=0)
    assert not [i for i in detect_in_text(text, lexicon, whole) if i.category == concept]
    items = detect_in_text(text, lexicon, matcher)
    assert any(i.category == concept and i.polarity == "reported" for i in items), [
        describe(i) for i in items
    ]


def test_parts_are_sentences_and_windows_of_long_sentences():
    assert parts("One short sentence here.", 20) == []
    assert parts("I'm fine. I sleep badly. Work is busy.", 20) == [
        "I'm fine.",
        "I sleep badly.",
        "Work is busy.",
    ]
    long = " ".join(f"w{n}" for n in range(30))
    windows = parts(long, 20)
    assert windows[0].split() == [f"w{n}" for n in range(20)]
    assert windows[1].split()[0] == "w10" and windows[-1].split()[-1] == "w29"
    assert parts("I'm fine. I sleep badly.", 0) == []


def test_a_denial_near_one_of_the_banks_denials_is_listed_as_a_denial(lexicon, matcher):
    rows = [
        ("clinician", "How have things been?"),
        ("patient", "No, I haven't been stocking up on pills."),
    ]
    (item,) = [i for i in risk_in(rows, lexicon, matcher) if i.category == "plan_preparation"]
    assert (item.category, item.polarity, item.matched_by) == (
        "plan_preparation",
        "denied",
        "meaning",
    )
    assert item.exemplar in {statement for _, statement in matcher.bank.denials}
    assert item.score >= matcher.bank.denial_match


@pytest.mark.parametrize(
    "text",
    [
        "No, nothing like that.",  # names nothing: only the question would say what about
        "No, the rash hasn't spread to my arms.",
        "No, I haven't had any chest pain since the weekend.",
        "I don't take anything apart from the inhaler.",
    ],
)
def test_a_negative_answer_that_names_no_risk_is_no_denial(text, lexicon, matcher):
    assert (
        risk_in([("clinician", "How have things been?"), ("patient", text)], lexicon, matcher) == []
    )


def test_a_disclosure_holding_a_negation_stays_a_disclosure(lexicon, matcher):
    text = "I can't stop thinking that they'd be better off without me."
    items = risk_in([("clinician", "How have things been?"), ("patient", text)], lexicon, matcher)
    assert {(i.category, i.polarity) for i in items} == {("passive_death_wish", "reported")}


def test_every_denial_in_the_bank_names_what_it_denies(lexicon, matcher):
    from avt_notes.risk.detect import DENIAL_NAMING_WORDS, naming_words

    assert matcher.bank.denials and 0 < matcher.bank.denial_match <= 1
    assert {concept for concept, _ in matcher.bank.denials} == set(CONCEPTS)
    for _, statement in matcher.bank.denials:
        assert len(naming_words(statement, lexicon)) >= DENIAL_NAMING_WORDS, statement


@pytest.mark.parametrize(
    "text",
    [
        # Another concept disclosed in the same words: no denial is added beside it.
        "I can't stop thinking about taking all my tablets.",
        # A protective factor said in the negative is the factor, never its denial.
        "No, I'd never leave my kids, I couldn't do that to them.",
    ],
)
def test_no_denial_by_meaning_beside_a_disclosure_or_a_protective_factor(text, lexicon, matcher):
    items = detect_in_text(text, lexicon, matcher)
    assert all(i.polarity != "denied" for i in items), [describe(i) for i in items]


def test_a_negative_reply_to_a_follow_up_still_continues_the_disclosure(lexicon, matcher):
    rows = [
        ("clinician", "How have you been?"),
        ("patient", "I've been taking more of my tablets than I should, to feel nothing."),
        ("clinician", "How many?"),
        ("patient", "Not loads, I don't take the whole box or anything like that."),
    ]
    items = risk_in(rows, lexicon, matcher)
    assert any(i.utterance_id == "u0004" and i.polarity == "reported" for i in items), [
        describe(i) for i in items
    ]


@pytest.mark.parametrize(
    ("rows", "polarity"),
    [
        ([("patient", "I'm not safe at home.")], "reported"),
        ([("patient", "I don't feel safe when he's been drinking.")], "reported"),
        ([("patient", "I'm not sure I feel safe with him.")], "reported"),
        ([("patient", "I feel safe with my husband, he's lovely.")], "denied"),
        ([("clinician", "Do you feel safe at home?"), ("patient", "No, not really.")], "reported"),
        ([("clinician", "Do you feel safe at home?"), ("patient", "Mostly, yeah.")], "reported"),
        ([("clinician", "Do you feel safe at home?"), ("patient", "Yes, totally.")], "denied"),
    ],
)
def test_safety_named_is_read_the_other_way_round(rows, polarity, lexicon, matcher):
    # "Safe" names the absence of the risk: negated, it discloses; said plainly, it denies.
    items = [i for i in risk_in(rows, lexicon, matcher) if i.category == "adult_at_risk"]
    assert items and {i.polarity for i in items} == {polarity}, [describe(i) for i in items]


@pytest.mark.parametrize(
    ("rows", "polarity"),
    [
        ([("patient", "The kids are safe with their dad.")], "denied"),
        ([("patient", "I don't think the kids are safe with him.")], "reported"),
        ([("clinician", "Are the children safe at home?"), ("patient", "Not really.")], "reported"),
    ],
)
def test_a_childs_safety_named_is_read_the_other_way_round(rows, polarity, lexicon, matcher):
    items = [i for i in risk_in(rows, lexicon, matcher) if i.category == "safeguarding_child"]
    assert items and {i.polarity for i in items} == {polarity}, [describe(i) for i in items]


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        # A verb's negation denies a match that carries a negation of its own...
        ("I don't lie there hoping I won't wake up, nothing like that.", "passive_death_wish"),
        # ...a negation reaches the last item of a list joined by "or"...
        ("I haven't made any plans or written any goodbye letters.", "plan_preparation"),
        # ...words between a child and "on their own" are never a negation...
        ("The children are never left on their own, my mum has them.", "safeguarding_child"),
        # ...and a question the patient repeats is answered in the same turn.
        ("Thoughts about taking my own life? No, I don't get those at all.", "suicidal_ideation"),
        # "No one's hurting me" denies (lexicon 2.25).
        ("No one's hurting me at home.", "adult_at_risk"),
        # Lexicon 2.26: "I don't cut", "no plan", "no weapons", a hand never raised.
        ("I don't cut, nothing like that.", "self_harm"),
        ("No plan. No date. I'm just sad.", "plan_preparation"),
        ("No weapons, nothing like that.", "harm_to_others"),
        ("He's never raised a hand to me.", "adult_at_risk"),
        ("I've never raised a hand to anyone.", "harm_to_others"),
    ],
)
def test_denials_in_more_shapes(text, concept, lexicon, matcher):
    items = [i for i in detect_in_text(text, lexicon, matcher) if i.category == concept]
    assert items and all(i.polarity == "denied" for i in items), [describe(i) for i in items]


@pytest.mark.parametrize(
    "text",
    [
        "No I don't want to live any more.",  # "No" is emphasis, not a denial
        "Thoughts about ending it? Yeah, most nights.",
        "Sometimes I think about hurting him?",  # a rising voice, no answer after it
        "I don't know anyone who could help, or anyone I could tell that I cut myself.",
    ],
)
def test_disclosures_beside_those_denial_shapes_stay_reported(text, lexicon, matcher):
    items = detect_in_text(text, lexicon, matcher)
    assert items and all(i.polarity == "reported" for i in items), [describe(i) for i in items]


@pytest.mark.parametrize(
    ("question", "answer", "concept", "polarity"),
    [
        # Asked in the second person, matched as patients say it in the first.
        (
            "Does your husband ever stop you seeing your friends?",
            "Most weeks.",
            "adult_at_risk",
            "reported",
        ),
        (
            "Has anyone ever hurt your daughter?",
            "Her dad did. She had bruises.",
            "safeguarding_child",
            "reported",
        ),
        (
            "Is there anything in the house you could use to hurt yourself?",
            "The shotgun.",
            "method",
            "reported",
        ),
        (
            "What stops you from acting on those thoughts?",
            "My grandson.",
            "protective_factor",
            "reported",
        ),
        (
            "Have you been keeping any of your tablets back?",
            "Two boxes.",
            "plan_preparation",
            "reported",
        ),
        # A reply pointing back at the question is about it.
        (
            "Have you had any thoughts of ending your life?",
            "They come and go, mostly at night.",
            "suicidal_ideation",
            "reported",
        ),
        # A "but" that goes on to another denial keeps it a denial.
        (
            "Do you ever think about ending your life?",
            "No. Life's hard, but I'd never do that.",
            "suicidal_ideation",
            "denied",
        ),
        (
            "Have you had any thoughts of ending your life?",
            "God, no. Nothing like that.",
            "suicidal_ideation",
            "denied",
        ),
        ("Do you drink alcohol at all?", "Not a drop, never liked it.", "substance_use", "denied"),
    ],
)
def test_more_questions_are_read_with_their_answers(
    question, answer, concept, polarity, lexicon, matcher
):
    rows = [("clinician", question), ("patient", answer)]
    items = [i for i in risk_in(rows, lexicon, matcher) if i.category == concept]
    assert any(i.polarity == polarity and i.answer_text == answer for i in items), [
        describe(i) for i in risk_in(rows, lexicon, matcher)
    ]


def test_a_qualified_no_stays_reported(lexicon, matcher):
    rows = [
        ("clinician", "Do you ever think about ending your life?"),
        ("patient", "No, but sometimes I wish I wouldn't wake up."),
    ]
    items = risk_in(rows, lexicon, matcher)
    assert not any(i.polarity == "denied" and i.category == "suicidal_ideation" for i in items)


# What a patient says, the concept and how it must be read; a clinician's question first
# where there is one ("Q|A").
NOT_DENIALS = [
    # A negation of telling or knowing is not a denial of what follows its own subject.
    ("I didn't tell my wife I don't want to be here.", "passive_death_wish", "reported"),
    ("I don't know I just don't want to be here anymore.", "passive_death_wish", "reported"),
    # An "or" that starts a clause of its own is no list under the negation.
    ("I don't wear short sleeves or they'd see where I cut myself.", "self_harm", "reported"),
    ("I don't want the kids to find out or see me cutting myself.", "self_harm", "reported"),
    # A "but" going on to risk words qualifies the "no".
    (
        "Have you had any thoughts of suicide?|No, but nobody would miss me if I was gone.",
        "suicidal_ideation",
        "reported",
    ),
    ("Do I want to kill myself? Nobody would care if I did.", "suicidal_ideation", "reported"),
    # Safety asked in the negative, or a partial yes, or safety qualified.
    ("Are there times when you don't feel safe?|Yes.", "adult_at_risk", "reported"),
    ("Do you feel safe at home?|Yeah, mostly.", "adult_at_risk", "reported"),
    ("Do you feel safe at home?|Very rarely.", "adult_at_risk", "reported"),
    ("Do I feel safe at home? No, not really.", "adult_at_risk", "reported"),
    ("I feel safe at home, but not when he's been drinking.", "adult_at_risk", "reported"),
    ("I used to feel safe with him.", "adult_at_risk", "reported"),
    ("My ex stops me seeing the kids.", "adult_at_risk", "reported"),
    ("My husband never stops me seeing my friends.", "adult_at_risk", "denied"),
]


@pytest.mark.parametrize(("said", "concept", "polarity"), NOT_DENIALS)
def test_disclosures_the_new_denial_rules_must_not_take(said, concept, polarity, lexicon, matcher):
    *question, answer = said.split("|")
    rows = [("clinician", q) for q in question] + [("patient", answer)]
    items = [i for i in risk_in(rows, lexicon, matcher) if i.category == concept]
    assert items and {i.polarity for i in items} == {polarity}, [describe(i) for i in items]


@pytest.mark.parametrize(
    "rows",
    [
        [("patient", "I keep my tablets by the bed so I remember them.")],
        [("patient", "We're making preparations for when the baby comes.")],
        [("clinician", "What stops you from going to the gym?"), ("patient", "Time, mostly.")],
        [("clinician", "These tablets should stop you from getting the headaches.")],
    ],
)
def test_the_new_question_patterns_raise_nothing_on_ordinary_lines(rows, lexicon, matcher):
    assert risk_in(rows, lexicon, matcher) == []


def test_a_concept_model_needs_ordinary_statements(tmp_path):
    """Without an ordinary class the model would put every sentence in some concept."""
    import yaml

    from avt_notes.errors import TemplateError
    from avt_notes.risk.semantic import EXEMPLARS_FILE, load_exemplars

    raw = yaml.safe_load((Path(__file__).parents[1] / "prompts" / EXEMPLARS_FILE).read_text())
    assert raw["concept_model"] and raw["ordinary"]
    raw["ordinary"] = []
    path = tmp_path / "exemplars.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(TemplateError, match="concept_model needs ordinary statements"):
        load_exemplars(path)


def test_matcher_copies_keep_the_concept_model_in_step(matcher):
    from dataclasses import replace

    settings = matcher.bank.concept_model
    moved = matcher.with_threshold(matcher.threshold + 0.05)
    assert moved.bank.concept_model.floor == pytest.approx(settings.floor + 0.05)
    assert moved._model is matcher._model  # a new floor needs no new fit
    looser = matcher.with_settings(concept_model=replace(settings, strength=settings.strength / 2))
    assert looser._model is not matcher._model
    assert looser._model.settings.strength == settings.strength / 2


@pytest.mark.parametrize(
    ("text", "polarity"),
    [
        # Listed as present, "nothing keeping me going" would say the opposite.
        ("There's nothing keeping me going, not the kids, not anything.", "denied"),
        ("I can't think of anything that keeps me going, to be honest.", "denied"),
        ("I have no reason to live.", "denied"),
        ("I don't have anything to live for at the moment.", "denied"),
        ("Nothing keeping me here now my wife's gone.", "denied"),
        # Said present, with a "no" that answers something else.
        ("No, my kids keep me going.", "reported"),
        ("I've got my kids, they keep me going.", "reported"),
        ("My dog keeping me going, honestly.", "reported"),
        ("I've got something to live for now, my grandson.", "reported"),
    ],
)
def test_a_protective_factor_said_to_be_missing_is_denied_never_present(
    text, polarity, lexicon, matcher
):
    factors = [
        i for i in detect_in_text(text, lexicon, matcher) if i.category == "protective_factor"
    ]
    assert factors and {i.polarity for i in factors} == {polarity}
