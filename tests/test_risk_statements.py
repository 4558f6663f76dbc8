"""The draft's body states what the review list holds: disclosures and denials, same utterances."""

from __future__ import annotations

import pytest

from avt_notes.drafting.note import draft_note
from avt_notes.drafting.risk_statements import STATED_MEANING_SCORE, risk_statements
from avt_notes.drafting.set_aside import INVENTED_DENIAL
from avt_notes.drafting.templates import load_template

from testdata import ScriptedDrafter, make_transcript

# Every test here runs the real MiniLM sentence encoder (a model load).
pytestmark = pytest.mark.slow

SESSION = [
    ("clinician", "How have you been since we last met?"),
    ("patient", "Work has been busy and I'm sleeping badly."),
    ("clinician", "Have you had any thoughts of ending your life?"),
    ("patient", "Some evenings I think my kids would be better off without me."),
    ("clinician", "Have you hurt yourself at all?"),
    ("patient", "No, never."),
    ("clinician", "Let's meet again next Thursday."),
]


def draft_with_reply(rows, reply, template="mental-health-progress"):
    """A draft of `rows` whose model writes `reply` into every section."""
    transcript = make_transcript(rows)
    drafter = ScriptedDrafter(lambda messages: reply)
    return draft_note(transcript, load_template(template), drafter, strategy="compose")


def drafted_without_model_sentences(rows, utterance_id):
    """A SOAP draft of `rows` whose model writes nothing, and the Subjective sentences citing
    `utterance_id`: what the risk statements alone put there."""
    note = draft_note(
        make_transcript(rows), load_template("soap"), ScriptedDrafter(lambda m: "Nothing recorded.")
    )
    stated = [s.text for s in note.section("Subjective").sentences if utterance_id in s.evidence]
    return note, stated


def _negating_drafter(messages):
    # A drafter that writes the opposite of the disclosure into every section.
    return "The patient denies any thoughts of suicide. [u0004]"


def test_risk_section_states_disclosures_and_denials_with_the_same_utterances():
    transcript = make_transcript(SESSION)
    template = load_template("mental-health-progress")
    note = draft_note(transcript, template, ScriptedDrafter(_negating_drafter), strategy="compose")
    risk = note.section("Risk")
    listed = {(i.answer_utterance_id or i.utterance_id) for i in note.risk_items}
    assert {"u0004", "u0006"} <= listed
    stated = [s for s in risk.sentences if s.evidence_method == "extract"]
    said = next(s for s in stated if "u0004" in s.evidence)
    assert "“Some evenings I think my kids would be better off without me.”" in said.text
    assert "u0003" in said.evidence and said.status == "supported"
    denied = next(s for s in stated if "u0006" in s.evidence)
    assert denied.text.startswith("The patient denied") and denied.text.endswith("“No, never.”")
    # The drafted sentence that says the opposite of the disclosure is never kept silently:
    # flagged in the body or, as a denial nobody gave, set aside beside it.
    written = [*note.sentences(), *note.set_aside]
    opposite = [s for s in written if s.text.startswith("The patient denies any thoughts")]
    assert opposite and all(s.status == "unsupported" for s in opposite)
    assert all(INVENTED_DENIAL.format(concepts="suicidal ideation") in s.reasons for s in opposite)
    # Evidence checking drops the negated citation (so the sentence cites nothing that supports
    # it) or, where the citation survives, the risk step names the clash: either way a reason.
    assert all(s.reasons for s in opposite)
    for sentence in risk.sentences:
        assert "risk is" not in sentence.text.lower() and "low risk" not in sentence.text.lower()


def test_other_templates_carry_the_statements_in_their_marked_section():
    transcript = make_transcript(SESSION)
    template = load_template("soap")
    note = draft_note(transcript, template, ScriptedDrafter(lambda m: "Nothing recorded."))
    subjective = note.section("Subjective")
    assert any("better off without me" in s.text for s in subjective.sentences)
    assert not any(s.text == "Nothing recorded." for s in subjective.sentences)


def test_no_risk_items_leave_the_note_unchanged():
    transcript = make_transcript([("clinician", "How is the knee?"), ("patient", "Much better.")])
    template = load_template("soap")
    note = draft_note(transcript, template, ScriptedDrafter(lambda m: "Knee better. [u0002]"))
    assert note.risk_items == []
    assert risk_statements(note, [], transcript, template) == note


def test_a_negative_sentence_about_something_else_is_no_contradiction():
    # "not helping" negates the treatment, not the disclosure it cites.
    session = [
        ("clinician", "How is the sertraline going?"),
        ("patient", "It is not helping, and some nights I wish I could just disappear for good."),
    ]
    transcript = make_transcript(session)
    template = load_template("mental-health-progress")

    def drafter(messages):
        return "The patient said the sertraline is not helping. [u0002]"

    note = draft_note(transcript, template, ScriptedDrafter(drafter), strategy="compose")
    assert [(i.category, i.polarity) for i in note.risk_items] == [
        ("passive_death_wish", "reported")
    ]
    drafted = [s for s in note.sentences() if "not helping" in s.text]
    assert drafted
    assert not any("opposite of a risk disclosure" in r for s in drafted for r in s.reasons)


def test_a_denial_resting_on_a_protective_answer_is_no_contradiction():
    # safety benchmark mh-01: the answer both denies and names what keeps the patient safe.
    note = draft_with_reply(
        [
            ("clinician", "Have you had any thoughts of ending your life or harming yourself?"),
            ("patient", "No, nothing like that, I would never do that to my kids."),
        ],
        "The patient denies thoughts of ending their life or harming themselves. [u0002]",
    )
    assert ("protective_factor", "reported") in {(i.category, i.polarity) for i in note.risk_items}
    drafted = [s for s in note.sentences() if s.text.startswith("The patient denies")]
    assert drafted and all(s.status == "supported" for s in drafted)


def test_a_drafted_denial_of_a_disclosure_is_still_flagged():
    note = draft_with_reply(
        [
            ("clinician", "How is the sertraline going?"),
            ("patient", "It is not helping, and some nights I wish I could disappear for good."),
        ],
        "The patient is not at risk and has no thoughts of harm. [u0002]",
    )
    # Flagged in the body, or set aside beside it: never kept as if it were said.
    written = [*note.sentences(), *note.set_aside]
    drafted = [s for s in written if s.text.startswith("The patient is not at risk")]
    assert drafted and all(s.status == "unsupported" and s.reasons for s in drafted)


def test_a_qualified_answer_is_stated_once_as_said_not_also_as_denied():
    rows = [
        ("clinician", "Do you drink alcohol?"),
        ("patient", "Not really, I don't drink alcohol, only at Christmas."),
    ]
    note, stated = drafted_without_model_sentences(rows, "u0002")
    readings = {(i.utterance_id, i.polarity) for i in note.risk_items}
    assert ("u0001", "reported") in readings  # the qualified "no" as an answer...
    assert ("u0002", "denied") in readings  # ...whose own words deny "drink alcohol"
    assert stated == [
        "The patient said “Not really, I don't drink alcohol, only at Christmas.” (substance use)."
    ]


def test_a_loose_meaning_match_is_never_stated_as_the_concept_in_the_body():
    # Safety drafts labelled morning shakes "(passive death wish)": the body states only what
    # firmer ground supports, and names the loose match as a closeness, never drops it.
    rows = [
        ("clinician", "Have you thought about cutting down?"),
        ("patient", "My wife says I should. I get shaky in the mornings if I skip a night."),
    ]
    note, stated = drafted_without_model_sentences(rows, "u0002")
    listed = {i.category: i for i in note.risk_items if i.utterance_id == "u0002"}
    assert listed["substance_use"].matched_by == "pattern"
    assert listed["passive_death_wish"].matched_by == "meaning"
    assert listed["passive_death_wish"].score < STATED_MEANING_SCORE
    # Beside a concept stated on firmer ground, the loose one is left to the review list.
    assert stated == [
        "The patient said “My wife says I should. I get shaky in the mornings if I skip a "
        "night.” (substance use)."
    ]
    # Alone, a loose match is named as a closeness for review, never as a disclosure.
    rows = [
        ("clinician", "How have the nights been?"),
        ("patient", "I keep thinking the world would spin fine without me in it."),
    ]
    note, stated = drafted_without_model_sentences(rows, "u0002")
    (item,) = [i for i in note.risk_items if i.utterance_id == "u0002"]
    assert item.matched_by == "meaning" and item.score < STATED_MEANING_SCORE
    assert stated == [
        "The patient said “I keep thinking the world would spin fine without me in it.” "
        "(close in meaning to passive death wish, for the clinician to review)."
    ]


def test_a_sentence_stating_what_the_patients_own_words_deny_is_flagged():
    rows = [
        ("clinician", "Have you had thoughts of killing yourself?"),
        ("patient", "Not really killing myself, I just want everything to go quiet for a while."),
        ("clinician", "We'll meet again next week."),
    ]
    overstated = draft_with_reply(rows, "They have had thoughts of killing themselves. [u0002]")
    # A misstatement: out of the note body, shown with its reason among the set-aside lines.
    assert not [s for s in overstated.sentences() if s.text.startswith("They have had thoughts")]
    flagged = [s for s in overstated.set_aside if s.text.startswith("They have had thoughts")]
    assert flagged and all(s.status == "unsupported" for s in flagged)
    assert any("patient's own words in u0002 deny" in r for s in flagged for r in s.reasons)
    # What was said, stated as said, is not flagged by it.
    faithful = draft_with_reply(rows, "They want everything to go quiet for a while. [u0002]")
    for sentence in faithful.sentences():
        assert not any("own words" in r for r in sentence.reasons)


def test_a_denial_the_patient_gave_beside_a_disclosure_is_no_contradiction():
    rows = [
        ("clinician", "Have you made any plans to act on that?"),
        ("patient", "No plans. But I've been saving up my sertraline tablets in a drawer."),
    ]
    note = draft_with_reply(rows, "The patient has no plans to act on this. [u0002]")
    written = [*note.sentences(), *note.set_aside]
    said = [s for s in written if s.text.startswith("The patient has no plans")]
    assert said and not any("opposite" in r for s in said for r in s.reasons)
    # Its opposite, where the patient denied nothing, is one.
    reversed_note = draft_with_reply(
        [rows[0], ("patient", "I've been saving up my sertraline tablets in a drawer.")],
        "The patient denies any plans. [u0002]",
    )
    reasons = [r for s in reversed_note.set_aside for r in s.reasons]
    assert any("opposite of a risk disclosure" in r or "nobody denied" in r for r in reasons)


def test_risk_said_of_someone_else_is_stated_as_theirs():
    rows = [
        ("clinician", "Any family history I should know about?"),
        ("patient", "My brother tried to kill himself last year."),
    ]
    note = draft_with_reply(rows, "Nothing recorded.")
    stated = [s for s in note.sentences() if s.evidence_method == "extract"]
    assert any("(said of my brother: " in s.text for s in stated)
    # Not the patient's disclosure: a drafted denial of their own risk does not clash with it.
    denial = draft_with_reply(rows, "The patient denies suicidal thoughts. [u0002]")
    written = [*denial.sentences(), *denial.set_aside]
    assert not any("opposite of a risk disclosure" in r for s in written for r in s.reasons)


def test_a_denial_of_part_of_a_concept_disclosed_elsewhere_is_not_a_denial_of_the_concept():
    # mh-05 of the safety benchmark: "The patient denied substance use: “I don't drink at
    # all.”" beside a disclosure of cannabis at the weekend contradicts the session.
    rows = [
        ("clinician", "How much cannabis are you smoking now?"),
        ("patient", "I've cut down to a couple of joints at the weekend."),
        ("clinician", "And alcohol?"),
        ("patient", "I don't drink at all."),
    ]
    note, stated = drafted_without_model_sentences(rows, "u0004")
    readings = {(i.utterance_id, i.category, i.polarity) for i in note.risk_items}
    assert ("u0002", "substance_use", "reported") in readings
    assert ("u0004", "substance_use", "denied") in readings  # the list keeps the denial
    assert stated == [
        "The patient said “I don't drink at all.” (denied in these words; substance use "
        "reported elsewhere in the session)."
    ]
    assert not any(s.text.startswith("The patient denied") for s in note.sentences())


# A denial is "partial" only beside a firm disclosure of its concept. Neither the clinician
# speaking of it nor a closeness for review is one: risk-03 of the safety benchmark stated
# "Never" as "denied in these words; past attempt reported elsewhere" because self-harm in
# year nine was close in meaning to an attempt.
@pytest.mark.parametrize(
    ("rows", "expected", "loose_elsewhere"),
    [
        (
            [
                ("clinician", "Some people drink more alcohol when they feel low."),
                ("patient", "Okay."),
                ("clinician", "And you?"),
                ("patient", "I don't drink alcohol at all."),
            ],
            "The patient denied substance use: “I don't drink alcohol at all.”",
            None,
        ),
        (
            [
                ("clinician", "When did the cutting start?"),
                ("patient", "I did it in year nine as well, then stopped for ages."),
                ("clinician", "Have you ever tried to end your life?"),
                ("patient", "Never."),
            ],
            "The patient denied past attempt: “Never.”",
            "past_attempt",
        ),
    ],
)
def test_a_denial_is_partial_only_beside_a_firm_disclosure(rows, expected, loose_elsewhere):
    note, stated = drafted_without_model_sentences(rows, "u0004")
    assert stated == [expected], stated
    if loose_elsewhere:
        loose = [
            i
            for i in note.risk_items
            if i.utterance_id == "u0002" and i.category == loose_elsewhere
        ]
        assert loose and all(
            i.matched_by == "meaning" and i.score < STATED_MEANING_SCORE for i in loose
        )
