"""Grounding check: fabricated specifics are flagged with reasons; faithful sentences are not."""

from __future__ import annotations

import pytest

from avt_notes.drafting import draft_note, load_template
from avt_notes.grounding import (
    MISSTATES,
    assign_evidence,
    check_sentence,
    has_negation,
    load_grounding_lexicon,
    quantities,
)
from avt_notes.grounding.specifics import attributions

from testdata import CONSULTATION, ScriptedDrafter, make_transcript


@pytest.fixture(scope="module")
def lexicon():
    return load_grounding_lexicon()


@pytest.fixture(scope="module")
def utterances():
    transcript = make_transcript(
        [
            *CONSULTATION,
            ("patient", "My sister Maria drove me here from Leeds on Monday."),
            ("clinician", "Your next review is on 14/05/2025."),
        ]
    )
    return {u.id: u for u in transcript.utterances}


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_planted_fabrications_are_exactly_the_flagged_sentences():
    transcript = make_transcript(CONSULTATION)
    reply = "\n".join(
        [
            "The patient has had a cough for 2 weeks that disturbs their sleep. [u0002]",
            "The patient was started on sertraline for the cough. [u0002]",
            "The patient takes ibuprofen 800 mg when it hurts. [u0005]",
            "The patient reports no fever. [u0003, u0004]",
            "The cough began on 03/02/2024. [u0002]",
            "The clinician thinks it is a viral chest infection. [u0006]",
            "The patient should come back in a week if the cough is not better. [u0007]",
        ]
    )
    note = draft_note(
        transcript, load_template("soap"), ScriptedDrafter(lambda m: reply), strategy="compose"
    )
    sentences = note.section("Subjective").sentences
    flagged = {s.text: s.reasons for s in sentences if s.status == "unsupported"}
    assert set(flagged) == {
        "The patient was started on sertraline for the cough.",
        "The patient takes ibuprofen 800 mg when it hurts.",
        "The cough began on 03/02/2024.",
    }
    assert any(
        "sertraline" in r for r in flagged["The patient was started on sertraline for the cough."]
    )
    assert any(
        '"800 mg"' in r for r in flagged["The patient takes ibuprofen 800 mg when it hurts."]
    )
    assert any("03/02/2024" in r for r in flagged["The cough began on 03/02/2024."])
    # Flagged sentences stay in the draft, in place.
    assert len(sentences) == 7


@pytest.mark.parametrize(
    ("sentence", "evidence"),
    [
        ("The cough has lasted two weeks.", ["u0002"]),
        ("Coughing for 2 weeks, worse at night.", ["u0002"]),
        ("Denies fever.", ["u0003", "u0004"]),
        ("Takes Nurofen 200 mg as needed.", ["u0005"]),  # brand of ibuprofen
        ("Maria brought the patient from Leeds on Monday.", ["u0008"]),
        ("Review booked for 14 May 2025.", ["u0009"]),
        ("Will return in one week if not improving.", ["u0007"]),
    ],
)
def test_faithful_paraphrases_are_supported(sentence, evidence, utterances, lexicon):
    result = check_sentence(sentence, evidence, utterances, lexicon=lexicon)
    assert result.status == "supported", result.reasons


@pytest.mark.parametrize(
    ("sentence", "evidence", "reason"),
    [
        ("The cough has lasted three weeks.", ["u0002"], '"three weeks"'),
        ("The patient takes fluoxetine.", ["u0005"], 'drug "fluoxetine"'),
        ("Takes ibuprofen 200 mg four times a day.", ["u0005"], 'number "four times"'),
        ("The patient was driven by John from Leeds.", ["u0008"], 'name "John"'),
        ("Drove here from York.", ["u0008"], 'name "York"'),
        ("Arrived on Tuesday.", ["u0008"], 'day "Tuesday"'),
        ("Review booked for 15/05/2025.", ["u0009"], "date"),
        ("Review in June.", ["u0009"], 'month "June"'),
        ("The patient has not been sleeping.", ["u0002"], "negation"),
        ("The patient also has a headache.", ["u0002"], '"headache"'),
        ("Something about the weather.", [], "cites no utterance"),
        ("A cough.", ["u0404"], "not in the transcript"),
        ("The patient is written in the third person.", ["u0002"], "instructions"),
    ],
)
def test_unsupported_content_is_flagged_with_a_reason(
    sentence, evidence, reason, utterances, lexicon
):
    result = check_sentence(sentence, evidence, utterances, lexicon=lexicon)
    assert result.status == "unsupported"
    assert any(reason in r for r in result.reasons), result.reasons


def test_template_rules_flag_risk_grading(utterances, lexicon):
    template = load_template("mental-health-progress")
    rules = [(r.pattern, r.reason) for r in template.section("Risk").flag]
    result = check_sentence(
        "The patient denies fever so risk is low risk.",
        ["u0004"],
        utterances,
        rules=rules,
        lexicon=lexicon,
    )
    assert result.status == "unsupported"
    assert any("risk assessment" in r for r in result.reasons)


def test_numbers_in_words_and_digits_normalise(lexicon):
    values = [
        (q.value, q.unit) for q in quantities("twenty-five mg twice daily for 3 days", lexicon)
    ]
    assert values == [(25.0, "mg"), (2, "time"), (3.0, "day")]
    assert [q.value for q in quantities("one hundred and twenty", lexicon)] == [120.0]
    assert quantities("no one else is unwell", lexicon) == []


def test_negation_cues(lexicon):
    assert has_negation("She denies chest pain", lexicon) == "denies"
    assert has_negation("I haven't slept", lexicon) == "haven't"
    assert has_negation("The cough is better", lexicon) == ""


@pytest.fixture(scope="module")
def advice():
    transcript = make_transcript(
        [
            ("patient", "I drink a bottle of wine every night. I can't sleep without it."),
            ("clinician", "Please don't stop suddenly on your own, we'll cut down together."),
            ("patient", "No I take the sertraline every morning."),
            ("clinician", "You don't smoke?"),
            ("patient", "A few a day."),
            ("clinician", "Call us if you get a fever."),
            ("patient", "No fever so far."),
            ("patient", "No thoughts of suicide, no."),
            ("clinician", "Don't worry about that."),
            ("patient", "I'm worried about my son."),
            ("patient", "I've never been so tired."),
            ("patient", "I don't feel suicidal."),
        ]
    )
    return {u.id: u for u in transcript.utterances}


@pytest.mark.parametrize(
    ("sentence", "evidence", "said"),
    [
        ("The clinician advised the patient to stop drinking.", ["u0002"], "don't stop"),
        ("The clinician advised stopping suddenly.", ["u0002"], "don't stop"),
        ("The patient sleeps with wine.", ["u0001"], "can't sleep"),
        ("The patient feels suicidal.", ["u0012"], "don't feel suicidal"),  # over "feel"
    ],
)
def test_a_word_said_only_negated_is_flagged_when_the_sentence_drops_the_negation(
    advice, lexicon, sentence, evidence, said
):
    result = check_sentence(sentence, evidence, advice, lexicon=lexicon)
    assert f'{MISSTATES}the cited lines say "{said}"; the sentence drops the negation' in (
        result.reasons
    )


@pytest.mark.parametrize(
    ("sentence", "evidence"),
    [
        ("The clinician advised the patient not to stop suddenly.", ["u0002"]),
        ("The patient has difficulty sleeping without alcohol.", ["u0001"]),  # in other words
        ("The patient takes sertraline every morning.", ["u0003"]),  # "No" answers, then a fact
        ("The patient smokes a few a day.", ["u0004", "u0005"]),  # a question's words
        ("The clinician advised the patient to call if fever develops.", ["u0006", "u0007"]),
        ("The patient said “I can't sleep without it.”", ["u0001"]),  # quoted
        ("Suicidal thoughts were denied.", ["u0008"]),  # negated after the word
        ("The patient reports sleep problems.", ["u0001"]),
        ("The patient expressed worry about her son.", ["u0009", "u0010"]),  # said plainly too
        ("The patient feels very tired.", ["u0011"]),  # "never been so": a degree
    ],
)
def test_a_negation_kept_or_never_said_is_no_reversal(advice, lexicon, sentence, evidence):
    reasons = check_sentence(sentence, evidence, advice, lexicon=lexicon).reasons
    assert not any("drops the negation" in reason for reason in reasons), reasons


def test_lexical_evidence_assignment(utterances, lexicon):
    ordered = list(utterances.values())
    assert assign_evidence("Cough for two weeks keeping them up at night", ordered, lexicon) == [
        "u0002"
    ]
    assert assign_evidence("The weather has been lovely", ordered, lexicon) == []


def test_a_drug_name_the_vocabulary_put_back_is_always_flagged_for_a_check():
    from avt_notes.schemas import Utterance, Word

    words = [
        Word(text="Take", start=0.0, end=0.3, probability=0.9),
        Word(text="trimethoprim", start=0.3, end=1.0, probability=0.41, heard="trimeth operin"),
        Word(text="twice", start=1.0, end=1.3, probability=0.9),
        Word(text="a", start=1.3, end=1.4, probability=0.9),
        Word(text="day.", start=1.4, end=1.6, probability=0.9),
    ]
    text = "Take trimethoprim twice a day."
    said = Utterance(
        id="u0001", start=0.0, end=1.6, speaker="S1", role="clinician", text=text,
        confidence=0.7, words=words,
    )  # fmt: skip
    by_id = {"u0001": said}
    flagged = check_sentence("Trimethoprim twice a day was prescribed.", ["u0001"], by_id)
    assert flagged.status == "unsupported"
    assert flagged.reasons == [
        '"trimethoprim" was heard as "trimeth operin" and corrected from the drug list: '
        "check it against the recording"
    ]
    assert check_sentence("To be taken twice a day.", ["u0001"], by_id).status == "supported"


def test_a_risk_concept_in_other_words_is_not_new_content():
    transcript = make_transcript(
        [
            ("clinician", "Have you had any thoughts of ending your life or harming yourself?"),
            ("patient", "No, nothing like that."),
        ]
    )
    by_id = {u.id: u for u in transcript.utterances}
    said = check_sentence("They deny thoughts of suicide or self-harm.", ["u0001", "u0002"], by_id)
    assert said.status == "supported", said.reasons
    # A concept the lines do not name still counts as new.
    other = check_sentence("They deny any drug use or drinking.", ["u0001", "u0002"], by_id)
    assert other.status == "unsupported"


# --- who did what ------------------------------------------------------------------------
RISK_03_LINE = (
    "Mum's boyfriend gets really angry and my little brother hides under his bed when they fight."
)


def checked(rows, sentence: str, cite_last: bool = False):
    """`sentence` checked against a transcript of (role, text) `rows`, citing every line
    (or only the last: checks that read the whole session must find the rest)."""
    by_id = {u.id: u for u in make_transcript(rows).utterances}
    cited = list(by_id)[-1:] if cite_last else list(by_id)
    return check_sentence(sentence, cited, by_id)


def said_by(role: str, text: str, sentence: str):
    """`sentence` checked against one line `text` said by `role`."""
    return checked([(role, text)], sentence)


# A reason the table below expects kept in the body (flagged as unclear), not set aside.
UNCLEAR = "unclear: "


def actor_reasons(result) -> list[str]:
    return [r for r in result.reasons if "the cited words say the" in r]


@pytest.mark.parametrize(
    ("said", "sentence", "reason"),
    [
        # risk-03: every word is in the line, but it was the brother who hid.
        (
            RISK_03_LINE,
            "The patient reports that their mother's boyfriend becomes angry and hides under "
            "his bed when they fight.",
            'says the partner "hides"; the cited words say the brother did',
        ),
        (
            RISK_03_LINE,
            "Their mum's boyfriend gets really angry and hides under the bed.",
            'says the partner "hides"; the cited words say the brother did',
        ),
        (
            "My dad hit my mum.",
            "The patient's mother hit the father.",
            'says the mother "hit"; the cited words say the father did',
        ),
        (
            "My brother hides under his bed.",
            "The patient hides under the bed.",
            'says the patient "hides" (also "bed"); the cited words say the brother did',
        ),
        (
            "My mum looks after me.",
            "The patient looks after their mother.",
            'says the patient "looks"; the cited words say the mother did',
        ),
        (
            "I was shouted at by my dad.",
            "The patient shouted at their father.",
            'says the patient "shouted"; the cited words say the father did',
        ),
        # mh-06: the patient stopped the children's visits to their father.
        (
            "I understand. I've stopped the weekend visits for now.",
            "The patient's ex-husband has stopped visiting them for now.",
            'says the former partner "stopped" (also "visiting", "now"); the cited words say '
            "the patient did",
        ),
        # A note's "he" or "she" is never the patient: unclear, flagged but kept in the body,
        # since it may be a pronoun slip on a right fact (risk-04's second case).
        (
            "He keeps my bank card and I have to ask him for money for the shopping.",
            "He keeps their bank card and asks for money for shopping.",
            UNCLEAR + 'says "he" or "she" for "asks", where the cited words say the patient did',
        ),
        (
            "I can't put the grandchildren through another funeral.",
            "He can't put the grandchildren through another funeral.",
            UNCLEAR + 'says "he" or "she" for "put"',
        ),
        # In a line of a two-person session a "she" or "he" is most often a third person:
        # pc-05's falls were the mother's, mh-06's shouting the ex-partner's.
        # Unclear, not a misstatement: a clinician summing up may say "she" of the patient.
        (
            "She falls a lot and she forgets to eat.",
            "The patient falls a lot and forgets to eat.",
            UNCLEAR + 'says the patient "falls" (also "forgets"), where the cited words say '
            '"he" or "she" did',
        ),
        (
            "He shouts at the kids when they stay with him.",
            "The patient shouts at the children.",
            UNCLEAR + 'says the patient "shouts", where the cited words say "he" or "she" did',
        ),
        # The lines' "them" is other people; a note's "them" reads as the patient (mh-06:
        # the ex shouts at the children).
        (
            "My neighbour has them. My ex shouts at them when they stay with him.",
            "The patient's ex-husband shouts at them when they stay with him.",
            UNCLEAR + 'says "shouts at them" where the cited words say "shouts at them" of '
            "other people",
        ),
    ],
)
def test_a_word_given_to_the_wrong_person_is_flagged(said, sentence, reason):
    result = said_by("patient", said, sentence)
    assert result.status == "unsupported"
    # A misstatement, which the draft leaves out of the note body; an unclear "he" stays in.
    if reason.startswith(UNCLEAR):
        expected = reason.removeprefix(UNCLEAR)
        assert not any(r.startswith(MISSTATES) for r in result.reasons), result.reasons
    else:
        expected = MISSTATES + reason
    assert any(r.startswith(expected) for r in result.reasons), result.reasons


@pytest.mark.parametrize(
    ("said", "sentence"),
    [
        (
            "My sister drives me to my appointments.",
            "The patient's sister drives them to appointments.",
        ),
        # "Mum and her boyfriend": both argue, either may be named.
        ("Mum and her boyfriend argue a lot.", "The patient's mother argues with her boyfriend."),
        (
            "My brother moved in with me after he lost his job.",
            "The patient's brother moved in after losing his job.",
        ),
        ("I hit my brother.", "The patient hit their brother."),
        ("I share a room with my brother.", "The patient's brother shares a room with them."),
        ("My brother and I share a room.", "The patient shares a room with their brother."),
        ("Me and my mum argue all the time.", "The patient argues with their mother all the time."),
        # A passive: "by" names the doer; without it, the subject may be who it was done to.
        ("I was shouted at by my mum.", "The patient's mother shouted at them."),
        # A sentence naming the group has its own "them"; the patient's own "me" is "them".
        (
            "The kids say my ex shouts at them when they stay with him.",
            "The kids say the patient's ex shouts at them when they stay with him.",
        ),
        ("My dad shouts at me.", "The patient's father shouts at them."),
        ("My GP referred me here.", "The patient was referred by their GP."),
        ("My dad hits my mum.", "The patient's mum is hit by their dad."),
        # An object named before the word: whose doing it is, the words do not tell.
        ("Mum drove me home.", "Their mother drove the patient home."),
        # "too": the sister is not the only one.
        ("My sister uses the blue inhaler too.", "The patient uses the blue inhaler."),
        # Quoted words are the patient's own.
        (RISK_03_LINE, f"The patient said “{RISK_03_LINE}”"),
        # No people at all.
        ("The cough keeps me up at night.", "The cough keeps them up at night."),
        (
            "I've had a bad cough for two weeks and it keeps me up at night.",
            "The patient has had a cough for two weeks that keeps them up at night.",
        ),
    ],
)
def test_the_same_doer_in_other_words_is_supported(said, sentence):
    result = said_by("patient", said, sentence)
    assert result.status == "supported", result.reasons


def test_i_is_the_patient_only_in_a_patients_line():
    said = "I'll call your mum tomorrow."
    sentence = "The patient will call their mother tomorrow."
    assert actor_reasons(said_by("clinician", said, sentence)) == []
    assert actor_reasons(said_by("patient", "My mum will call tomorrow.", sentence)) == [
        MISSTATES + 'says the patient "call"; the cited words say the mother did'
    ]


# Whom a word is done to or for: the speaker's "me" is theirs, the clinician's "her" is
# someone else. All from safety-benchmark drafts, and one PriMock57 draft.
@pytest.mark.parametrize(
    ("role", "said", "sentence", "reason"),
    [
        (
            "clinician",
            "The morning shakes worry me.",
            "The morning shakes worry them.",
            'says "worry them"; the cited words, said by the clinician, say "worry me"',
        ),
        (
            "clinician",
            "I'll arrange a home visit for her this Friday and ask the falls team to assess her.",
            "The clinician will arrange a home visit for the patient this Friday.",
            'says "visit for the patient"; the cited words, said by the clinician, say '
            '"visit for her"',
        ),
        (
            "patient",
            "She just kept sneezing next to me, all the time.",
            "The patient started sneezing next to their colleague.",
            'says "next to their colleague"; the cited words, said by the patient, say '
            '"next to me"',
        ),
        (
            "patient",
            "My daughter in Bristol says I can go to her whenever I want.",
            "The patient reports that her daughter in Bristol can go to her whenever she wants.",
            'says the daughter "go"; the cited words say the patient did',
        ),
    ],
)
def test_a_word_done_to_the_wrong_person_is_flagged(role, said, sentence, reason):
    result = said_by(role, said, sentence)
    assert MISSTATES + reason in result.reasons, result.reasons


@pytest.mark.parametrize(
    ("rows", "sentence"),
    [
        (
            [("clinician", "The morning shakes worry me.")],
            "The morning shakes worry the clinician.",
        ),
        (
            [("clinician", "I'll refer you to the memory clinic.")],
            "The clinician will refer the patient to the memory clinic.",
        ),
        (
            [("clinician", "Call me if it gets worse.")],
            "The patient should call the clinician if it gets worse.",
        ),
        (
            [("patient", "My sister drives me to my appointments.")],
            "The patient's sister drives them to appointments.",
        ),
        ([("patient", "My GP referred me here.")], "The patient was referred by the clinician."),
        # "me" as "my": the mother is the one worried about.
        ([("patient", "I'm worried about me mum.")], "The patient is worried about their mum."),
        # Seeing is done together: "see them" says the same meeting as "see me".
        (
            [("clinician", "Come back and see me if it gets worse.")],
            "The patient should come back and see them if it gets worse.",
        ),
        # "with": living with the patient, and living with their partner, are both true.
        (
            [("clinician", "Who lives at home with you?"), ("patient", "Just me and my partner.")],
            "The patient lives at home with their partner.",
        ),
        # A third speaker: the clinician's "her" may be the patient, spoken of to a parent.
        (
            [
                ("clinician", "I'll arrange a home visit for her on Friday."),
                ("other-1", "Thank you."),
            ],
            "The clinician will arrange a home visit for the patient on Friday.",
        ),
        # The patient's "she" is the one the note names; "he" did it and so did the patient.
        ([("patient", "She falls a lot, my mum.")], "The patient's mother falls a lot."),
        ([("patient", "He shouts and I shout back.")], "The patient shouts back."),
        # With a third speaker, the clinician's "she" may be the patient, spoken of to a parent.
        (
            [("clinician", "Has she been eating?"), ("other-1", "Not much.")],
            "The patient has been eating less.",
        ),
    ],
)
def test_the_same_person_in_other_words_is_supported(rows, sentence):
    by_id = {u.id: u for u in make_transcript(rows).utterances}
    ids = [i for i, u in by_id.items() if u.role != "other-1"]
    result = check_sentence(sentence, ids, by_id)
    assert not [r for r in result.reasons if "the cited words" in r], result.reasons


def test_a_pronoun_for_the_patient_is_flagged_as_unclear_not_as_a_misstatement():
    result = said_by(
        "patient",
        "Last week he shoved me against the fridge when I said no.",
        "The patient reported that last week he shoved him against the fridge when he said no.",
    )
    assert result.status == "unsupported"
    assert result.reasons == [
        'says "shoved him" where the patient said "shoved me": it is unclear who is meant; '
        'a note says "the patient"'
    ]


def test_who_did_each_word(lexicon):
    def doers(text: str, role: str | None = "patient") -> dict[str, list[str]]:
        return {a.word: sorted(a.doers) for a in attributions(text, lexicon, speaker_role=role)}

    assert doers(RISK_03_LINE) == {
        "angry": [],  # "gets (really) angry": said of him, not done by him
        "hides": ["brother"],
        "bed": ["brother"],
        "fight": [],  # "they"
    }
    assert doers("Mum and her boyfriend argue a lot")["argue"] == ["mother", "partner"]
    assert doers("She and her boyfriend argue a lot")["argue"] == []
    assert doers("Dad hit Mum and my brother with a belt")["belt"] == []  # objects
    assert doers("The patient hides", role=None)["hides"] == ["patient"]
    assert doers("I hide")["hide"] == ["patient"]
    assert doers("I hide", role="clinician")["hide"] == []


ALLERGY = [
    ("clinician", "Are you allergic to any antibiotics?"),
    ("patient", "Penicillin gives me a rash."),
    ("patient", "I've had a rash on my arms since Tuesday."),
]


@pytest.mark.parametrize(
    ("sentence", "evidence", "flagged"),
    [
        # safety session pc-01: an allergy history drafted as a current finding
        ("The rash from the antibiotic is also present.", ["u0001", "u0002"], True),
        ("The patient has a rash.", ["u0002"], False),  # no allergy talk cited
        ("The patient has a rash.", ["u0001", "u0002"], True),
        (
            "The patient is allergic to penicillin, which gives them a rash.",
            ["u0001", "u0002"],
            False,
        ),
        ("Penicillin gives the patient a rash.", ["u0001", "u0002"], False),
        # a rash of its own, beside the allergy talk
        ("The patient has had a rash on their arms since Tuesday.", ["u0001", "u0003"], False),
    ],
)
def test_an_allergy_is_not_stated_as_a_current_finding(sentence, evidence, flagged, lexicon):
    utterances = {u.id: u for u in make_transcript(ALLERGY).utterances}
    result = check_sentence(sentence, evidence, utterances, lexicon=lexicon)
    said = any("reaction to a drug" in reason for reason in result.reasons)
    assert said == flagged, result.reasons


def test_a_negative_claim_its_evidence_does_not_make_is_a_misstatement(lexicon):
    rows = [
        ("clinician", "Are you still taking the mirtazapine?"),
        ("patient", "Yes, 15 milligrams at night."),
    ]
    utterances = {u.id: u for u in make_transcript(rows).utterances}
    result = check_sentence("They do not take the mirtazapine.", ["u0001", "u0002"], utterances)
    assert MISSTATES + 'negation ("not") is not in the cited utterances' in result.reasons
    said = check_sentence("They take 15 milligrams at night.", ["u0002"], utterances)
    assert said.status == "supported", said.reasons


def test_they_is_the_patient_and_needs_a_patient_line(lexicon):
    rows = [
        ("clinician", "We'll keep the aripiprazole at 10 milligrams."),
        ("patient", "I've been taking the aripiprazole every morning."),
    ]
    utterances = {u.id: u for u in make_transcript(rows).utterances}
    wrong = check_sentence(
        "They mention keeping the aripiprazole at 10 milligrams.", ["u0001"], utterances
    )
    assert any("says the patient said or did this" in r for r in wrong.reasons)
    right = check_sentence(
        "They mention taking the aripiprazole every morning.", ["u0002"], utterances
    )
    assert not any("says the patient" in r for r in right.reasons)


@pytest.mark.parametrize(
    ("said", "sentence", "flagged"),
    [
        # Safety session pc-02: "four or five times a day".
        (
            "I've needed the blue one four or five times a day since the weekend.",
            "They have needed their blue inhaler over five times a day since the weekend.",
            True,
        ),
        ("I smoke about twenty a day.", "The patient smokes up to 20 cigarettes a day.", True),
        # The same bound, in other words.
        (
            "More than five times a day.",
            "The patient uses the inhaler over five times a day.",
            False,
        ),
        ("I smoke up to twenty a day.", "The patient smokes up to 20 cigarettes a day.", False),
        ("I sleep about five hours.", "The patient sleeps about five hours.", False),
        # "over" a duration is "during"; the longest bound is the one written.
        ("I've been low for two weeks.", "The patient has felt low over two weeks.", False),
        ("Up to five units a week.", "The patient drinks no more than five units a week.", False),
        ("About five units a week.", "The patient drinks no more than five units a week.", True),
        # A deadline reverses "if it lasts more than three weeks" (PriMock57, in other words).
        (
            "If it changes or lasts more than three weeks, get in touch.",
            "The patient should get in touch within three weeks if it changes.",
            True,
        ),
        (
            "The results should be back in the next two days.",
            "The results are expected within two days.",
            False,
        ),
        # Safety-netting said with "in" (review): the same deadline.
        (
            "If it's not better in 48 hours, come back and see us.",
            "The patient should return if not improved within 48 hours.",
            False,
        ),
    ],
)
def test_a_bound_on_a_number_must_be_said_with_it(said, sentence, flagged):
    reasons = said_by("patient", said, sentence).reasons
    bounds = [r for r in reasons if "they give the number without it" in r]
    assert bool(bounds) == flagged, reasons


@pytest.mark.parametrize(
    ("rows", "sentence", "reason"),
    [
        # Safety session pc-01: the clinician said "call us the same day".
        (
            [("clinician", "If you get a temperature or back pain, call us the same day.")],
            "If the patient gets a temperature, they should call the clinic immediately.",
            'time "immediately" is not in the cited utterances',
        ),
        # pc-03: the clinician's "Please don't stop suddenly" given to the patient.
        (
            [("clinician", "Please don't stop suddenly on your own.")],
            "The patient advises not to stop suddenly on their own.",
            "says the patient said or did this; the evidence is from: clinician",
        ),
        # A worry given to the patient that only the clinician voiced.
        (
            [("clinician", "I'm worried this could be an allergic reaction to the nuts.")],
            "The patient is worried about an allergic reaction to the nuts.",
            "says the patient said or did this; the evidence is from: clinician",
        ),
        (
            [("clinician", "We could try a lower dose of the sertraline.")],
            "They would like to try a lower dose of the sertraline.",
            "says the patient said or did this; the evidence is from: clinician",
        ),
        # mh-02: advice invented from a question.
        (
            [
                ("clinician", "OK. Are you safe to go home today?"),
                ("patient", "I think so. He's away working in Leeds until Friday."),
            ],
            "The clinician advises the patient to wait until Friday before leaving.",
            "says the clinician advised this; the clinician's cited lines only ask",
        ),
        # Said, in other words: nothing to flag.
        (
            [("clinician", "If it gets worse, come back straight away.")],
            "The patient should come back immediately if it gets worse.",
            None,
        ),
        (
            [("clinician", "Go to hospital as soon as possible in that case.")],
            "The clinician advised the patient to go to hospital immediately in that case.",
            None,
        ),
        (
            [
                ("clinician", "Is there anything worrying you about it?"),
                ("patient", "I'm worried it might be an allergic reaction to the nuts."),
            ],
            "The patient is worried about an allergic reaction to the nuts.",
            None,
        ),
        # Advice with a rising voice is still advice (PriMock57 day4_consultation06).
        (
            [("clinician", "I would recommend, if you take some medications, maybe ibuprofen?")],
            "The clinician recommends taking ibuprofen.",
            None,
        ),
    ],
)
def test_urgency_and_advice_must_be_said_by_whom_the_sentence_says(rows, sentence, reason):
    result = checked(rows, sentence)
    if reason is None:
        assert result.status == "supported", result.reasons
    else:
        assert reason in result.reasons, result.reasons


@pytest.mark.parametrize(
    ("sentence", "flagged"),
    [
        ("The patient denies anyone taking her money.", True),
        ("The patient is not aware of anyone taking her money.", False),
        ("The patient's brother does her shopping on Saturdays.", False),
    ],
)
def test_a_flat_denial_from_a_hedged_answer_is_flagged(sentence, flagged, lexicon):
    rows = [
        ("clinician", "Is anyone taking her money or stopping her getting help?"),
        ("patient", "Not that I know of, my brother does her shopping on Saturdays."),
    ]
    utterances = {u.id: u for u in make_transcript(rows).utterances}
    result = check_sentence(sentence, ["u0001", "u0002"], utterances, lexicon=lexicon)
    assert any("the cited answer hedges" in r for r in result.reasons) == flagged, result.reasons


def test_a_finding_said_across_a_question_and_its_answer_is_said():
    """mh-04: "How has your mood been?" / "Low, ..." supports "low mood"."""
    rows = [
        ("clinician", "How has your mood been since we last spoke?"),
        ("patient", "Low, some days I wish I could just go to sleep."),
    ]
    result = checked(rows, "The patient reports low mood.")
    assert result.status == "supported", result.reasons
    by_id = {u.id: u for u in make_transcript(rows).utterances}
    other = check_sentence("The patient reports low mood.", ["u0001"], by_id)
    assert '"low mood" (low mood) is not in the cited utterances' in other.reasons
    # Words scattered over one line are no finding ("My chest is fine" has no chest pain).
    knee = said_by(
        "patient", "Pain in my knee. My chest is fine.", "The patient reports chest pain."
    )
    assert knee.status == "unsupported"


@pytest.mark.parametrize(
    ("rows", "sentence", "flagged"),
    [
        # mh-03: the clinician's plan, stated as what the patient does.
        (
            [
                ("patient", "The breathing exercises help, only one panic attack this week."),
                ("clinician", "Keep practising them every evening and we'll meet in two weeks."),
            ],
            "The patient reports practising breathing exercises every evening.",
            "every evening",
        ),
        # The clinician's dose is the plan, not the patient's report.
        (
            [
                ("patient", "I still hear them sometimes."),
                ("clinician", "We'll keep the aripiprazole at 10 milligrams."),
            ],
            "They mention taking aripiprazole 10 milligrams.",
            "10",
        ),
        # Asked and answered: the patient's.
        (
            [
                ("clinician", "Do you wake up every night?"),
                ("patient", "Most nights, around four."),
            ],
            "The patient reports waking every night.",
            None,
        ),
        # Said by the clinician and confirmed in the reply: the patient's.
        (
            [
                ("clinician", "So you've been taking two tablets a day."),
                ("patient", "Yeah, that's right."),
            ],
            "The patient reports taking two tablets a day.",
            None,
        ),
        # The clinician's impression is no report of the patient's (PriMock57 day3 08).
        (
            [
                ("patient", "Coughing, runny nose, muscles aching, for a few days now."),
                ("clinician", "So it looks like it's just a viral infection."),
            ],
            "The patient reports a mild viral infection with a cough.",
            "infection",
        ),
        # Asked without a question mark: "Tell me about ..." (safety session pc-04).
        (
            [
                ("clinician", "Tell me about the chest pain."),
                ("patient", "It's a tightness when I walk up the hill to work."),
            ],
            "The patient reports chest pain when walking up the hill to work.",
            None,
        ),
        # Agreeing to a plan takes its time from the plan.
        (
            [
                ("clinician", "Could you practise them every evening?"),
                ("patient", "Okay, I'll try."),
            ],
            "The patient agreed to practise the exercises every evening.",
            None,
        ),
    ],
)
def test_a_time_number_or_finding_the_patient_reports_must_be_theirs(rows, sentence, flagged):
    reasons = checked(rows, sentence).reasons
    theirs = [r for r in reasons if "which only the clinician said" in r]
    if flagged is None:
        assert not theirs, reasons
    else:
        assert theirs == [
            f'gives the patient "{flagged}", which only the clinician said (not as a question '
            "the patient answered)"
        ], reasons


@pytest.mark.parametrize(
    ("rows", "sentence", "unsaid"),
    [
        # pc-02: the patient uses the reliever four or five times a day, not "as prescribed".
        (
            [("patient", "I've needed the blue one four or five times a day since the weekend.")],
            "The patient uses the blue inhaler as prescribed.",
            "as prescribed",
        ),
        (
            [("clinician", "Your blood pressure today is 150 over 95.")],
            "The patient's blood pressure is within normal limits.",
            "normal",
        ),
        # Asked and answered, or said in other words: nothing to flag.
        (
            [("clinician", "Are you passing urine normally?"), ("patient", "Yes.")],
            "The patient is passing urine normally.",
            None,
        ),
        (
            [("clinician", "Your chest sounds clear, nothing abnormal there.")],
            "The chest examination is unremarkable.",
            None,
        ),
    ],
)
def test_a_verdict_must_be_said(rows, sentence, unsaid):
    reasons = checked(rows, sentence).reasons
    verdicts = [r for r in reasons if r.endswith("is not said in the cited utterances")]
    assert verdicts == ([f'"{unsaid}" is not said in the cited utterances'] if unsaid else [])


DENIED = "was denied in the session"


@pytest.mark.parametrize(
    ("rows", "sentence", "denied"),
    [
        # PriMock57 day3_consultation06: "Not throat", and the model's list adds it back.
        (
            [("clinician", "Any tightness in your chest or throat?"),
             ("patient", "Chest, a bit. Not throat.")],
            "They have a bit of tightness in their chest and throat.", "throat",
        ),
        (
            [("clinician", "Any tightness in your chest or throat?"),
             ("patient", "Chest, a bit. Not throat.")],
            "They have a bit of tightness in their chest.", None,
        ),
        # Asked and answered "No", after a filler (day3_consultation08 and 03).
        (
            [("clinician", "Have you taken anything? Any ibuprofen at all?"), ("patient", "No."),
             ("patient", "Just paracetamol.")],
            "They have taken painkillers like paracetamol and ibuprofen.", "ibuprofen",
        ),
        (
            [("clinician", "Any blood in the poo?"), ("patient", "Uh."),
             ("patient", "No, nothing like that.")],
            "Bowel movements are regular, with occasional blood in the stool.", "blood",
        ),
        # Safety-netting is no finding: chest pain stays denied.
        (
            [("patient", "No chest pain, just the palpitations."),
             ("clinician", "If you get any chest pain, go to A and E.")],
            "The patient is experiencing palpitations and chest pain.", "chest pain",
        ),
        # Denied in the sentence too, or advised against, or said somewhere: nothing to flag.
        (
            [("patient", "No fever, no vomiting and no diarrhoea.")],
            "The patient does not have any fevers, vomiting, or diarrhoea.", None,
        ),
        (
            [("clinician", "Do you drink alcohol?"), ("patient", "No."),
             ("clinician", "Rest and drink plenty of fluids.")],
            "The clinician advised rest and plenty of fluids and to avoid alcohol.", None,
        ),
        (
            [("clinician", "Any vomiting?"), ("patient", "No."),
             ("patient", "Well, I was sick once last night actually.")],
            "The patient vomited once last night.", None,
        ),
        # "No pain in my chest" denies the pain, not the chest.
        (
            [("patient", "No pain in my chest, but it feels congested.")],
            "The patient reports congestion in the chest.", None,
        ),
    ],
)  # fmt: skip
def test_what_the_session_denied_is_not_stated_as_present(rows, sentence, denied):
    reasons = checked(rows, sentence, cite_last=True).reasons
    flagged = [r for r in reasons if DENIED in r]
    if denied is None:
        assert not flagged, reasons
    else:
        assert len(flagged) == 1 and flagged[0].startswith(f'"{denied}"'), reasons


@pytest.mark.parametrize(
    ("rows", "sentence"),
    [
        # A "No" about what a finding is like denies nothing of the finding.
        ([("clinician", "Does the chest pain go anywhere else?"), ("patient", "No.")],
         "The patient reports chest pain that does not spread."),
        ([("clinician", "Has the ibuprofen helped at all?"), ("patient", "No.")],
         "The patient has taken ibuprofen without much help."),
        ([("clinician", "Do you get the chest pain when you are resting?"),
          ("patient", "No, only when I walk.")],
         "The patient reports chest pain on walking."),
        # A negation about something else in the clause.
        ([("patient", "Nothing seems to help the headache.")],
         "The patient reports a headache."),
        ([("patient", "I can't sleep because of the cough.")],
         "The patient reports a cough that keeps them awake."),
        ([("patient", "I have never had chest pain before this week.")],
         "The patient reports chest pain that started this week."),
    ],
)  # fmt: skip
def test_a_no_about_something_else_denies_nothing(rows, sentence):
    reasons = checked(rows, sentence).reasons
    assert not [r for r in reasons if DENIED in r], reasons


def test_the_session_reading_is_not_taken_from_another_lexicon():
    """A reading is kept with the lexicon it was made with, not by its id alone."""
    from dataclasses import replace

    from avt_notes.grounding.denials import denied_items

    rows = [("clinician", "Any ibuprofen at all?"), ("patient", "No.")]
    utterances = make_transcript(rows).utterances
    assert "drug ibuprofen" in denied_items(utterances, load_grounding_lexicon())
    without_drugs = replace(load_grounding_lexicon(), drug_pattern=None)
    assert "drug ibuprofen" not in denied_items(utterances, without_drugs)


def relative_reasons(rows, sentence: str) -> list[str]:
    """The reasons `sentence` is flagged for giving the patient a relative's condition."""
    return [r for r in checked(rows, sentence).reasons if "of a relative" in r]


# A family history folded into the patient's own (PriMock57 day3_consultation07, in other
# words): the condition was said of the mother only.
FAMILY_ROWS = [
    ("clinician", "Other than the eczema, do you have any other medical conditions?"),
    ("patient", "I have asthma, and, uh, in my family there's hypothyroidism. My mum has it."),
    ("clinician", "Your mum has migraines, and what was the other one?"),
    ("patient", "Epilepsy."),
    ("clinician", "Do you take anything for the asthma?"),
    ("patient", "Just the blue inhaler. Dad takes metformin but I don't."),
]


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("The patient has asthma and hypothyroidism.", '"hypothyroidism" (u0002)'),
        ("Hypothyroidism is present.", '"Hypothyroidism" (u0002)'),
        # A bare answer belongs to whom the question named last.
        ("The patient reports epilepsy.", '"epilepsy" (u0004)'),
        ("The patient takes metformin.", '"metformin" (u0006)'),
        # Said of the family, in the sentence too: nothing to flag.
        ("The patient has a family history of hypothyroidism.", None),
        ("The patient's mother has hypothyroidism and epilepsy.", None),
        ("Hypothyroidism runs in the patient's family.", None),
        ("The patient has asthma.", None),
    ],
)
def test_a_condition_said_only_of_a_relative_is_not_the_patients(sentence, reason):
    reasons = relative_reasons(FAMILY_ROWS, sentence)
    if reason is None:
        assert not reasons, reasons
    else:
        said, line = reason.rsplit(" ", 1)
        assert reasons == [
            f"{said} was said of a relative in the session {line}, never of the patient"
        ], reasons


@pytest.mark.parametrize(
    ("rows", "sentence", "flagged"),
    [
        # A question and a denial are no statement that the patient has it.
        (
            [
                ("clinician", "Do you have any thyroid problems?"),
                ("patient", "No, but my mother has hypothyroidism."),
            ],
            "The patient has hypothyroidism.",
            True,
        ),
        # The patient shares it, said before the relative or after.
        (
            [("patient", "My mum has hypothyroidism, and I do too.")],
            "The patient has hypothyroidism.",
            False,
        ),
        (
            [("patient", "I've got diabetes, it runs in the family.")],
            "The patient has diabetes.",
            False,
        ),
        # An owner nobody named may be the patient.
        (
            [
                ("clinician", "Any medical problems?"),
                ("patient", "Asthma and hypothyroidism."),
                ("patient", "Mum has hypothyroidism as well."),
            ],
            "The patient has hypothyroidism.",
            False,
        ),
        # A possessive relative; a relative written after the item; a denial written.
        ([("patient", "My nan's got dementia.")], "The patient has dementia.", True),
        ([("patient", "My nan's got dementia.")], "Dementia (grandmother).", False),
        (
            [("patient", "My nan's got dementia.")],
            "The patient does not have dementia; her grandmother does.",
            False,
        ),
        # "The patient has diabetes, which runs in the family": the patient is named first.
        (
            [("patient", "Diabetes runs in the family.")],
            "The patient has type 2 diabetes, which runs in the family.",
            True,
        ),
        # Said of the patient too, after the family's.
        (
            [
                ("patient", "Diabetes runs in the family, my dad has it."),
                ("clinician", "And you?"),
                ("patient", "I was told I'm diabetic last year."),
            ],
            "The patient has diabetes.",
            False,
        ),
        (
            [("patient", "Diabetes runs in the family, my dad has it.")],
            "The patient has diabetes.",
            True,
        ),
        # Another speaker's line may be about the patient.
        (
            [
                ("carer", "She's had eczema since she was a baby."),
                ("patient", "My brother has eczema too."),
            ],
            "The patient has eczema.",
            False,
        ),
    ],
)
def test_whose_condition_leaves_a_doubt_unflagged(rows, sentence, flagged):
    reasons = relative_reasons(rows, sentence)
    assert bool(reasons) == flagged, reasons


def test_conditions_that_differ_clinically_are_kept_apart():
    reasons = said_by(
        "patient", "I've got an underactive thyroid.", "The patient has an overactive thyroid."
    ).reasons
    assert any("overactive thyroid" in r for r in reasons), reasons
    # A name is no condition: "Tia" is not a transient ischaemic attack.
    rows = [("patient", "My daughter Tia drives me to the appointments.")]
    assert checked(rows, "Tia drives the patient to the appointments.").status == "supported"


def test_a_date_of_birth_from_the_identity_check_supports_no_clinical_sentence():
    from avt_notes.grounding import check_sentence

    transcript = make_transcript(
        [
            ("clinician", "Could I please confirm your full name and date of birth?"),
            ("patient", "Yes, it's Sarah Smith and it's the 2nd of November, 1992."),
            ("clinician", "Any other symptoms with the fever?"),
            ("patient", "I've had a fever for about seven days."),
        ]
    )
    by_id = {u.id: u for u in transcript.utterances}
    onset = check_sentence(
        "The patient reports fever since the 2nd of November, 1992.", ["u0002", "u0004"], by_id
    )
    assert onset.status == "unsupported"
    assert any("identity check" in reason for reason in onset.reasons)
    fever = check_sentence("The patient reports a fever for about seven days.", ["u0004"], by_id)
    assert fever.status == "supported", fever.reasons


def test_a_recommendation_resting_on_the_patients_lines_alone_is_flagged(lexicon):
    transcript = make_transcript(
        [
            ("patient", "I've been taking ibuprofen and paracetamol every day."),
            ("clinician", "Keep taking the paracetamol and drink plenty of fluids."),
            ("patient", "I think I should rest more."),
        ]
    )
    by_id = {u.id: u for u in transcript.utterances}
    invented = "The patient should be given more ibuprofen and paracetamol."
    reasons = check_sentence(invented, ["u0001"], by_id, lexicon=lexicon).reasons
    assert any("recommends something" in r for r in reasons)
    advised = "The patient should keep taking the paracetamol."
    for sentence, evidence in ((advised, ["u0002"]), ("The patient should rest more.", ["u0003"])):
        reasons = check_sentence(sentence, evidence, by_id, lexicon=lexicon).reasons
        assert not any("recommends something" in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("said", "sentence", "flagged"),
    [
        # mh-05: "used to smoke every day" is no stop; he still smokes at the weekend.
        (
            "I've cut down to a couple of joints at the weekend, I use to smoke every day.",
            "The patient has reduced to joints at the weekend and stopped smoking.",
            True,
        ),
        ("I stopped drinking in March.", "The patient stopped drinking in March.", False),
        ("I gave up smoking last year.", "The patient quit smoking last year.", False),
        ("I'm not on the sertraline any more.", "The patient no longer takes sertraline.", False),
        # Said in the negative, or as advice, it claims no stop.
        ("I'm still taking it every day.", "The patient has not stopped taking it.", False),
        # A stop in other words with a negation; a stop of something that is no use or habit.
        ("I don't smoke these days.", "The patient no longer smokes.", False),
        ("They went away after a week.", "The headaches stopped after a week.", False),
    ],
)
def test_a_stop_needs_lines_that_say_something_stopped(said, sentence, flagged):
    result = said_by("patient", said, sentence)
    stop_reasons = [r for r in result.reasons if "never say that anything stopped" in r]
    assert bool(stop_reasons) == flagged, result.reasons


def test_fear_is_a_finding_that_must_be_said():
    rows = [
        ("clinician", "Are you safe to go home today?"),
        ("patient", "I think so. He's away working in Leeds until Friday."),
    ]
    result = checked(rows, "The patient is scared to go home today.")
    assert '"scared" (anxiety) is not in the cited utterances' in result.reasons
    terrified = [("patient", "I'm terrified of him.")]
    assert checked(terrified, "The patient is afraid of him.").status == "supported"


# A plan stated as a deed (pc-05, risk-02, mh-06 of the safety drafts): flagged for review.
PLANNED = "as done, where the cited lines give it only as planned"


@pytest.mark.parametrize(
    ("rows", "sentence", "flagged"),
    [
        (
            [("clinician", "I'll arrange a home visit for her this Friday.")],
            "The clinician arranged a home visit this Friday.",
            True,
        ),
        # Recognition dropped the "'ll".
        (
            [("clinician", "I arrange a home visit for her and ask the falls team to assess her.")],
            "The patient has been referred to the falls team.",
            True,
        ),
        (
            [("clinician", "I'd like to put you in touch with our adult safeguarding team today.")],
            "The patient has been referred to the adult safeguarding team today.",
            True,
        ),
        # The present "is referred" is a plan in a note's register.
        (
            [("clinician", "I'd like to put you in touch with our adult safeguarding team today.")],
            "The patient is referred to the adult safeguarding team today.",
            False,
        ),
        # Said as done, or never planned in the lines, or not claimed as done.
        (
            [("clinician", "I've referred you to the memory clinic, and I'll chase it.")],
            "The patient has been referred to the memory clinic.",
            False,
        ),
        (
            [("patient", "My GP referred me to the memory clinic last month.")],
            "The patient was referred to the memory clinic.",
            False,
        ),
        (
            [("clinician", "I'll refer you to the memory clinic.")],
            "The clinician will refer the patient to the memory clinic.",
            False,
        ),
        (
            [("clinician", "I'll refer you to the memory clinic.")],
            "The patient has not been referred yet.",
            False,
        ),
        # A deed in any past tense, or an act done by saying it, is no plan.
        (
            [("clinician", "I emailed the falls team yesterday and I'll let you know.")],
            "The clinician contacted the falls team.",
            False,
        ),
        (
            [("clinician", "I have to tell you the scan showed a small bleed.")],
            "The patient was informed that the scan showed a small bleed.",
            False,
        ),
        (
            [("clinician", "I’ll arrange a home visit for her this Friday.")],
            "The clinician arranged a home visit this Friday.",
            True,
        ),
        # mh-06: "need" is no past tense.
        (
            [("clinician", "I need to share this with children's social care. I'll call them.")],
            "The clinician shared this with children's social care.",
            True,
        ),
    ],
)
def test_a_plan_stated_as_done_is_flagged(rows, sentence, flagged):
    reasons = checked(rows, sentence).reasons
    assert any(PLANNED in r for r in reasons) == flagged, reasons
    # A flag for review, not a misstatement the draft sets aside.
    assert not any(PLANNED in r and r.startswith(MISSTATES) for r in reasons)
