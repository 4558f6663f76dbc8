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
        # The reviewer's disclosures that figurative list 10's first forms silenced.
        ("I'm going to kill myself, joking aside, I mean it.", "suicidal_ideation"),
        ("One more of those nights and I'll end it.", "suicidal_ideation"),
        ("If he's late home drunk again I'll kill him, I've hidden a knife.", "harm_to_others"),
        (
            "I could have strangled him, honestly, I had my hands round his throat.",
            "harm_to_others",
        ),
        ("Just shoot me now, I mean it, I've got nothing left to live for.", "method"),
        (
            "I've made my will and written letters to everyone, and sorted power of attorney.",
            "plan_preparation",
        ),
        ("I have the odd glass of wine with my tea, well, a bottle most nights.", "substance_use"),
        ("Shoot me now, I've got the gun here.", "method"),
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
        # Lexicon 2.25 and figurative list 10: near misses of the new patterns.
        "I wouldn't be sorry if the rain stopped for a week.",
        "How easy it would be to just walk into town from here.",
        "One step at a time and it'll be over before you know it.",
        "I'm just waiting till after Christmas so I don't spoil the surprise for the kids.",
        "We checked what time the tide comes in before the walk.",
        "I'm going to join my sister in Spain for a fortnight.",
        "I'm ending it with him tonight, I've had enough of his lies.",
        "I skipped breakfast on purpose because I had a fasting blood test.",
        "I've got a hammer handy for the fence posts.",
        "I threw a ball at my son's head by accident in the garden.",
        "She makes him pay for the parking.",
        "We keep it between us who's getting what for Christmas.",
        "My purse went missing on the bus, I reported it.",
        "He likes to know what time I'll be home for tea.",
        "I stopped seeing my friends as much when the baby came.",
        "If I don't ring the surgery by nine I won't get an appointment.",
        "I need to be here for nine tomorrow for the bloods.",
        "I thought about going over the notes again before the exam.",
        "I wonder whether it would be enough for the deposit.",
        "I went for him with a hug when he came home.",
        "I got some new fishing gear for my birthday.",
        "I can turn to check my blind spot now.",
        "I wrote my will when I turned seventy, the solicitor insisted.",
        "We have a glass of wine with dinner, that's about it.",
        "I'm doing a course on suicide prevention at work.",
        "Shoot me now, the wife's booked a caravan with her mother.",
        "I could strangle my brother, he ate all the biscuits.",
        "If he's late picking me up again I'll kill him.",
        "I want to strangle him when he takes my charger.",
        "One more of these meetings and I'll throw myself out the window.",
        "I'd sooner shoot myself than go to another of those dinners.",
        "I take my life in my hands crossing that road.",
        "My manager will hang me if I'm late again.",
        # The reviewer's ordinary lines for lexicon 2.25's first forms.
        "I wouldn't be sorry if I never see my ex again.",
        "If the job took me to London I wouldn't be upset, to be honest.",
        "If the pain didn't come back after the injection that would be a blessing.",
        "My hands ache when I turn the wheel into a parking space.",
        "The surgeon said it's just one cut and then it's all done.",
        "I've been thinking of going off the pill.",
        "I was thinking of going over the bridge to Cardiff to see my mum.",
        "I'll be finished with everything at work by June when I retire.",
        "My car failed its MOT on the exhaust and a brake hose.",
        "I always check where the deep water starts when I take the kids swimming.",
        "If the scan's clear, then that's it, I'm going to Spain for a month.",
        "I'm ready to join my friends at the choir again.",
        "I make sure I don't come home late after my shifts.",
        "The salesman talked me down to a cheaper phone.",
        "The teacher kept me in at lunch to punish me.",
        "I hit my head on the radiator when I fell in the bathroom.",
        "I thought about using the cream on my daughter's eczema.",
        "My toddler threw his beaker at my husband's head.",
        "Fireworks make her scared so we stay in on bonfire night.",
        "I pictured myself hitting my target weight by summer.",
        "I go for my walk with the dog every morning.",
        "I'm tempted to go for someone younger this time.",
        "She made me promise to keep it a secret, it's a surprise party.",
        "My daughter's symptoms haven't changed at all.",
        "The nursery takes half of what I earn.",
        "My wallet keeps going missing, I put it down and forget where.",
        "We left Dad sitting in his own chair by the window.",
        "My mum made me go with a friend to the appointment.",
        "My wife likes to know where I am because of my seizures.",
        "I stopped seeing my friends because of the lockdown.",
        "I knocked my knee on the gear stick getting out.",
        "If I don't pick up, just call back later.",
        "I have to be here for physio, and then I'm off home.",
        "I'm still waiting for somebody to come back to me about the referral.",
        # Lexicon 2.26 and figurative list 11: near misses of the new patterns.
        "It'd be no great loss if the old shed fell down.",
        "I'd take it tomorrow if they offered me the job.",
        "The shelf in the garage wouldn't take my weight, it bent.",
        "I get my prescriptions from different pharmacies depending on where I'm working.",
        "Don't open it till after your birthday!",
        "We've set a date for the wedding.",
        "I won't be bothering you much longer, I'm moving to Leeds next month.",
        "I'll go when the kids are asleep, the shop's open late.",
        "I was waiting by the school gates for my daughter.",
        "She gives the kids money for the tuck shop.",
        "They keep food from him before the operation, nil by mouth.",
        "I haven't seen a penny of my tax rebate.",
        "He's on the script from the pain clinic.",
        "My family would miss me if I moved abroad.",
        "I don't cut my own hair anymore.",
        "Shoot me, not another questionnaire!",
        "I'll murder our Darren if he's late picking me up again.",
        "If I change the title again she will kill me.",
        "If Newcastle lose again I'm jumping off the Tyne Bridge.",
        "I'd rather throw myself off a cliff than do another Zoom quiz.",
        "I've been cutting myself some slack this week.",
        "I could've drunk the kettle dry.",
        "We had a lesson about drugs and alcohol at school.",
        "My partner checks my readings on his phone, I asked him to.",
        "I've been giving away my stuff because we're downsizing.",
        "She had a fall and cut her arm on the table.",
        "I made my will last year. I'm eighty, it's just sensible.",
        "I cut myself with the bread knife doing the dinner.",
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
