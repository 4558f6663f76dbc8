"""Coverage (facts the draft left out get a sentence) and set-aside (what nothing supports).

Pure functions on real lexicons (prompts/), real templates and real transcript text.
"""

from __future__ import annotations

import pytest

from avt_notes.drafting import load_template, to_markdown
from avt_notes.drafting.coverage import find_gaps, states_any
from avt_notes.drafting.note import COVERAGE_SKIPPED, REWORDING_SKIPPED
from avt_notes.drafting.redundancy import drop_restatements
from avt_notes.drafting.render import SET_ASIDE_HEADING, parse_markdown
from avt_notes.drafting.schemas import DraftNote, DraftSentence, NoteSection
from avt_notes.drafting.set_aside import (
    FRAGMENT,
    INVENTED_DENIAL,
    NO_EVIDENCE,
    is_fragment,
    set_aside,
)
from avt_notes.drafting.whole_note import load_drafting_prompts
from avt_notes.grounding import facts, load_grounding_lexicon
from avt_notes.risk import RiskItem, RiskLexicon, detect_risk, load_lexicon

from testdata import make_draft, make_transcript

FALLS = [
    ("clinician", "You wanted to talk about your mother?"),
    ("patient", "Yes. Mum is eighty seven and she has fallen three times since Christmas."),
    ("clinician", "Is anyone taking her money or stopping her getting help?"),
    ("patient", "Not that I know of. My brother does her shopping on Saturdays."),
    ("clinician", "I'll arrange a home visit this Friday and refer her to the falls team."),
]


def gaps_in(rows: list[tuple[str, str]], written: list[str] | None = None, limit: int = 4):
    """The coverage gaps of a SOAP draft of `rows` whose sentences are `written`."""
    return find_gaps(
        written or [],
        make_transcript(rows).utterances,
        load_template("soap").sections,
        load_grounding_lexicon(),
        load_drafting_prompts().coverage_cues,
        limit,
        load_grounding_lexicon().identity_check,
    )


def gaps_for(written: list[str], limit: int = 4):
    return gaps_in(FALLS, written, limit)


def test_facts_are_numbers_drugs_days_people_and_actions():
    lexicon = load_grounding_lexicon()
    cues = load_drafting_prompts().coverage_cues
    found = facts(
        "Take sertraline 50 mg and I will see you on Friday with your sister.", lexicon, cues
    )
    assert {"number 50", "drug sertraline", "day friday", "person sister"} <= found
    assert facts("That sounds hard, tell me more.", lexicon, cues) == set()
    assert states_any("Her brother shops on Saturdays.", frozenset({"day saturday"}), lexicon, cues)


def test_a_fact_no_sentence_states_becomes_a_gap_with_only_its_own_words():
    written = [
        "The patient's mother is 87 and has fallen three times since Christmas.",
        "The clinician will arrange a home visit on Friday and a falls team referral.",
    ]
    gaps = gaps_for(written)
    assert len(gaps) == 1
    (gap,) = gaps
    assert {"person brother", "day saturday"} <= gap.missing
    # A negative reply is restated without its question (the model merges them into the
    # opposite), and without the sentence that carries no missing fact.
    assert [u.text for u in gap.unit] == ["My brother does her shopping on Saturdays."]
    assert gap.unit[0].id == "u0004" and gap.section == "Subjective"


def test_nothing_to_add_when_every_fact_is_stated_and_the_limit_holds():
    everything = [
        "The patient's mum is 87 and has fallen three times since Christmas.",
        "Her brother does her shopping on Saturdays.",
        "A home visit on Friday and a referral to the falls team.",
    ]
    assert gaps_for(everything) == []
    assert len(gaps_for([], limit=1)) == 1
    assert gaps_for([], limit=0) == []
    # A sentence with no fact is cut from the reply ("Yes."); a reply that affirms in
    # the same sentence keeps its question: "Yes, fifteen" alone says nothing.
    assert [u.text for u in gaps_for([])[0].unit] == [FALLS[1][1].removeprefix("Yes. ")]
    affirmed = gaps_in(
        [
            ("clinician", "Are you still taking the mirtazapine?"),
            ("patient", "Yes, fifteen milligrams at night."),
        ]
    )
    assert [u.id for u in affirmed[0].unit] == ["u0001", "u0002"]


def test_a_reply_recognised_with_a_question_mark_is_still_a_reply():
    # "Once, three years ago, after my divorce?": a rising voice, recognised as a question.
    rows = [
        ("clinician", "Have you ever taken an overdose before?"),
        ("patient", "Once, three years ago, after my divorce?"),
        ("clinician", "Thank you for telling me."),
    ]
    gaps = gaps_in(rows)
    # A short reply that leans on its question is restated with it.
    assert [[u.id for u in gap.unit] for gap in gaps] == [["u0001", "u0002"]]
    assert "number 3" in gaps[0].missing
    # A clinician's question keeps its mark: its facts are context, not news.
    asked = [("patient", "It started on Tuesday."), ("clinician", "Any fever since Tuesday?")]
    units = gaps_in(asked)
    assert [[u.id for u in gap.unit] for gap in units] == [["u0001"]]


def risk_of(rows: list[tuple[str, str]]) -> tuple[RiskLexicon, list[RiskItem]]:
    lexicon = load_lexicon()
    return lexicon, detect_risk(make_transcript(rows), lexicon, by_meaning=False)


def set_aside_one(
    text: str, evidence: list[str], items: list[RiskItem], lexicon: RiskLexicon
) -> tuple[DraftSentence, DraftNote]:
    """A supported sentence, and `set_aside` over a note holding only it."""
    sentence = DraftSentence(text=text, evidence=evidence, status="supported")
    note = make_draft([NoteSection(name="Subjective", sentences=[sentence])])
    return sentence, set_aside(note, items, lexicon, "Not discussed.")


def test_unsupported_sentences_and_invented_denials_are_set_aside_and_shown():
    lexicon, items = risk_of(
        [
            ("clinician", "How has your mood been?"),
            ("patient", "Low. I have been working night shifts at the depot."),
        ]
    )
    invented = DraftSentence(
        text="The patient denies suicidal thoughts.", evidence=["u0002"], status="unsupported"
    )
    unlinked = DraftSentence(text="Vital signs are normal.", evidence=[], status="unsupported")
    kept = DraftSentence(
        text="The patient works night shifts.", evidence=["u0002"], status="supported"
    )
    note = make_draft(
        [
            NoteSection(name="Subjective", sentences=[kept, invented]),
            NoteSection(name="Objective", sentences=[unlinked]),
        ]
    )
    result = set_aside(note, items, lexicon, "Not discussed.")
    assert [s.text for s in result.sentences()] == [kept.text]
    assert result.section("Objective").empty_text == "Not discussed."
    reasons = {s.text: (s.section, s.reasons[0]) for s in result.set_aside}
    assert reasons[unlinked.text] == ("Objective", NO_EVIDENCE)
    assert reasons[invented.text][0] == "Subjective"
    assert reasons[invented.text][1] == INVENTED_DENIAL.format(concepts="suicidal ideation")
    markdown = to_markdown(result)
    assert f"## {SET_ASIDE_HEADING}" in markdown and "Vital signs are normal." in markdown
    body = [line for lines in parse_markdown(markdown).values() for line in lines]
    assert "Vital signs" not in " ".join(body)


def test_a_fragment_is_set_aside_with_its_reason():
    lexicon, items = risk_of([("clinician", "I'm Doctor Dean, one of the GPs.")])
    _, result = set_aside_one("Doctor Dean.", ["u0001"], items, lexicon)
    assert result.sentences() == []
    assert [(s.text, s.reasons) for s in result.set_aside] == [("Doctor Dean.", [FRAGMENT])]
    # `make demo`: the coverage pass restated the introduction as this fragment.
    restated = DraftSentence(
        text="Doctor Dean.", evidence=["u0001"], evidence_method="extract", status="supported"
    )
    note = make_draft([NoteSection(name="Objective", sentences=[restated])])
    assert set_aside(note, items, lexicon, "Not discussed.").sentences() == []
    for text in ("The patient smokes.", "No allergies.", "NKDA.", "Afebrile.", "Tearful."):
        short, result = set_aside_one(text, ["u0001"], items, lexicon)
        assert result.sentences() == [short]
    # A title and a name left hanging (`make demo`'s "Doctor Dean from."); short lines that
    # end on a preposition but state something stay.
    for text in ("Doctor Dean from.", "Dr Patel and", "Nurse Okafor speaking."):
        assert is_fragment(text), text
    for text in (
        "Nothing to live for.",
        "Nobody to talk to.",
        "Knives handed in.",
        "Plan A.",
        "Hepatitis A.",
        "Partner moved in.",
        "Seen by Doctor Dean.",
    ):
        assert not is_fragment(text), text


def test_the_identity_check_is_not_restated():
    # PriMock57 day2_consultation04: "The patient reports five, six, eight, ten."
    rows = [
        ("clinician", "Can I take your full name and date of birth?"),
        ("patient", "Tracy Chapman, fifth of June 1978."),
        ("clinician", "And the first line of your address and postcode?"),
        ("patient", "Fifteen Babylon Street, W6 5HT."),
        ("patient", "I've coughed up blood twice since Monday."),
    ]
    gaps = gaps_in(rows)
    assert [[u.id for u in gap.unit] for gap in gaps] == [["u0005"]]


def test_a_denial_the_patient_gave_stays_in_the_note():
    lexicon, items = risk_of(
        [
            ("clinician", "Have you had any thoughts of ending your life?"),
            ("patient", "No, never."),
        ]
    )
    assert any(i.polarity == "denied" for i in items)
    denial, result = set_aside_one(
        "The patient denies suicidal thoughts.", ["u0001", "u0002"], items, lexicon
    )
    assert result.sentences() == [denial] and result.set_aside == []


def test_a_denial_is_invented_for_each_concept_nobody_denied():
    lexicon, items = risk_of(
        [
            ("patient", "I've been cutting my arms when it gets bad."),
            ("clinician", "Have you had any thoughts of ending your life?"),
            ("patient", "No, never."),
        ]
    )
    _, result = set_aside_one(
        "The patient denied any thoughts of suicide or self-harm.",
        ["u0002", "u0003"],
        items,
        lexicon,
    )
    assert result.sentences() == []
    assert result.set_aside[0].reasons[0] == INVENTED_DENIAL.format(concepts="self-harm")


def test_a_later_sentence_that_only_repeats_earlier_ones_is_left_out():
    def said(text: str, *evidence: str) -> DraftSentence:
        return DraftSentence(text=text, evidence=list(evidence), status="supported")

    subjective = [
        said("It has been happening for about a month.", "u0003", "u0004"),
        said("His father had a heart attack at 52.", "u0003", "u0004"),
    ]
    repeated = said("It has been happening about a month and his father had a heart attack at 52.",
                    "u0004")  # fmt: skip
    new_number = said("His father had a heart attack at 53.", "u0004")
    other_lines = said("His father had a heart attack at 52.", "u0009")
    sections, dropped = drop_restatements(
        [
            NoteSection(name="Subjective", sentences=subjective),
            NoteSection(name="Objective", sentences=[repeated, new_number, other_lines]),
        ],
        load_grounding_lexicon(),
        load_drafting_prompts().coverage_cues,
    )
    assert dropped == 1
    assert sections[0].sentences == subjective
    assert sections[1].sentences == [new_number, other_lines]


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_draft_note_restates_a_left_out_fact_and_discards_an_invented_drug():
    from avt_notes.drafting import draft_note

    from testdata import ScriptedDrafter

    note_reply = (
        "## Subjective\n- The patient's mum is 87 and has fallen three times since Christmas. "
        "[u0002]\n## Objective\n- Not discussed.\n## Assessment\n- Not discussed.\n"
        "## Plan\n- A home visit on Friday and a referral to the falls team. [u0005]\n"
    )

    def script(messages):
        lines = messages[1]["content"]
        if "Write what these lines say" not in lines:
            return note_reply
        if "brother" in lines:
            return "'s brother does her shopping on Saturdays."
        return "'s mother takes twelve tablets a day of methamphetamine."  # a drug nobody named

    rows = [*FALLS, ("patient", "I'm worried about her tablets, she takes twelve a day.")]
    note = draft_note(make_transcript(rows), load_template("soap"), ScriptedDrafter(script))
    added = [s for s in note.sentences() if "Saturdays" in s.text]
    assert [s.text for s in added] == ["The patient's brother does her shopping on Saturdays."]
    assert added[0].evidence == ["u0004"] and added[0].status == "supported"
    assert "methamphetamine" not in " ".join(s.text for s in note.sentences())
    assert any("a restatement that failed the checks left out" in w for w in note.warnings)


def test_a_short_reply_is_a_fact_too_even_when_the_question_lost_its_mark():
    rows = [
        ("clinician", "And alcohol."),  # recognised without its "?"
        ("patient", "No, I don't drink at all."),
    ]
    (gap,) = gaps_in(rows)
    # A clinician's few words before a reply are a question: their facts are context.
    assert gap.missing == {"action drinking"}
    assert [u.id for u in gap.unit] == ["u0002"]  # a "No" reply is restated without its question


def test_a_plan_agreed_to_is_restated_with_the_agreement():
    rows = [
        ("clinician", "Take naproxen 500 milligrams twice a day with food."),
        ("patient", "Yes, okay."),
    ]
    (gap,) = gaps_in(rows)
    assert {"drug naproxen", "number 500"} <= gap.missing
    assert [u.id for u in gap.unit] == ["u0001", "u0002"] and gap.section == "Plan"


def test_a_restatement_starts_with_whoever_said_the_missing_facts():
    from avt_notes.drafting.whole_note import coverage_prefix

    prompts = load_drafting_prompts()
    rows = [
        ("patient", "He came back with a mark on his cheek."),
        ("clinician", "I need to share this with children's social care today."),
        ("patient", "Okay."),
    ]
    gaps = gaps_in(rows)
    by_line = {gap.unit[-1].id: gap for gap in gaps}
    # "The patient reports that the clinician needs to..." fails the who-said-it check.
    assert coverage_prefix(prompts, by_line["u0002"].said_by) == "The clinician"
    assert coverage_prefix(prompts, "patient") == "The patient"


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_a_restatement_that_fails_a_check_is_asked_for_again_with_the_reasons():
    from avt_notes.drafting import draft_note

    from testdata import ScriptedDrafter

    rows = [
        ("patient", "My mum is eighty seven and she keeps falling."),
        ("clinician", "I'll arrange a home visit for her this Friday."),
    ]
    note_reply = (
        "## Subjective\n- The patient's mother is 87 and keeps falling. [u0001]\n"
        "## Objective\n- Not discussed.\n## Assessment\n- Not discussed.\n"
        "## Plan\n- Not discussed.\n"
    )
    retries: list[str] = []

    def script(messages):
        if "Write what these lines say" not in messages[1]["content"]:
            return note_reply
        if len(messages) > 3:  # asked again: the checks' reasons are in the last request
            retries.append(messages[-2]["content"])
            return " will arrange a home visit for her this Friday."
        return " will arrange a home visit for the patient this Friday."  # the wrong person

    drafter = ScriptedDrafter(script)
    note = draft_note(make_transcript(rows), load_template("soap"), drafter)
    texts = [s.text for s in note.sentences()]
    assert "The clinician will arrange a home visit for her this Friday." in texts
    assert not any("for the patient this Friday" in t for t in texts)
    (retry,) = retries
    assert "for the patient this Friday" in retry and '"visit for her"' in retry


def test_a_sentence_failing_only_on_a_corrected_drug_is_not_rewordable():
    from avt_notes.grounding import check_sentence
    from avt_notes.schemas import Word

    transcript = make_transcript([("patient", "I'm allergic to penicillin, it gives me a rash.")])
    line = transcript.utterances[0]
    words = [Word(start=0, end=1, text=w, probability=0.9) for w in line.text.split()]
    words[3] = words[3].model_copy(update={"text": "penicillin,", "heard": "Vinicillin,"})
    line = line.model_copy(update={"words": words})
    by_id = {line.id: line}
    corrected = check_sentence("The patient is allergic to penicillin.", [line.id], by_id)
    assert corrected.status == "unsupported" and not corrected.rewordable
    invented = check_sentence("The patient is allergic to penicillin since 2019.", [line.id], by_id)
    assert invented.rewordable


def test_a_clinicians_few_words_before_a_reply_are_a_question_not_a_fact():
    # The safety benchmark's mh-05: "And alcohol?" recognised as "An alcohol." was restated
    # as "The clinician reports that an alcohol has been administered to the patient."
    rows = [
        ("clinician", "An alcohol."),
        ("patient", "I don't drink at all."),
    ]
    (gap,) = gaps_in(rows)
    assert [u.id for u in gap.unit] == ["u0002"] and gap.said_by == "patient"


WINE = "I've been drinking a bottle of wine every night."
REFERRAL = "I'm referring you to the community alcohol service."


def _drafted_with_a_plan(
    clinician: str,
    plan: str,
    rewording: str,
    asked: list | None = None,
    past_due=None,
):
    """A note whose Plan is `plan` (citing the clinician's line), each restatement the
    model is asked for answered with `rewording` (the requests kept in `asked`)."""
    from avt_notes.drafting import draft_note

    from testdata import ScriptedDrafter

    note_reply = (
        "## Subjective\n- The patient drinks a bottle of wine every night. [u0001]\n"
        "## Objective\n- Not discussed.\n## Assessment\n- Not discussed.\n"
        f"## Plan\n- {plan} [u0002]\n"
    )

    def script(messages):
        if "Write what these lines say" not in messages[1]["content"]:
            return note_reply
        if asked is not None:
            asked.append(messages)
        return rewording

    rows = [("patient", WINE), ("clinician", clinician)]
    return draft_note(
        make_transcript(rows),
        load_template("soap"),
        ScriptedDrafter(script),
        past_due=past_due,
    )


REVERSED_ADVICE = "The clinician advised the patient to stop drinking immediately."


def _reversed_advice_drafted(asked: list, past_due=None):
    """The whole-note draft turned "Please don't stop suddenly" around; each rewording
    asked for says it right."""
    return _drafted_with_a_plan(
        f"The morning shakes worry me. Please don't stop suddenly on your own. {REFERRAL}",
        REVERSED_ADVICE,
        " advised the patient not to stop suddenly on their own.",
        asked,
        past_due=past_due,
    )


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_a_drafted_sentence_failing_the_checks_is_reworded_from_its_lines():
    # The model's citation holds (the line shares its words), so it is asked again from it.
    asked: list[list[dict[str, str]]] = []
    note = _reversed_advice_drafted(asked)
    plan = next(s for s in note.sections if s.name == "Plan").sentences
    assert [s.text for s in plan] == [
        "The clinician advised the patient not to stop suddenly on their own."
    ]
    assert plan[0].status == "supported" and "u0002" in plan[0].evidence
    # The model was shown the line's sentence about it, not its own sentence to copy again.
    messages = asked[0]
    assert "u0002 Clinician: Please don't stop suddenly on your own.\n" in messages[1]["content"]
    assert "morning shakes" not in messages[1]["content"]
    assert not any(REVERSED_ADVICE in m["content"] for m in messages)
    assert any("reworded from its lines" in w for w in note.warnings)


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_past_its_time_a_draft_asks_for_no_rewording_or_coverage_and_says_so():
    """The last window at stop: the draft is due, so the optional calls are skipped."""
    asked: list[list[dict[str, str]]] = []
    note = _reversed_advice_drafted(asked, past_due=lambda: True)
    assert asked == []  # neither the rewording nor the referral's coverage was asked for
    kept = [s for s in [*note.sentences(), *note.set_aside] if s.text == REVERSED_ADVICE]
    assert len(kept) == 1 and kept[0].status == "unsupported"  # still flagged, not kept silently
    assert REWORDING_SKIPPED in note.warnings and COVERAGE_SKIPPED in note.warnings
    assert not any("community alcohol service" in s.text for s in note.sentences())


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_a_rewording_that_fails_too_leaves_the_sentence_flagged():
    reversed_advice = (
        "The clinician advised the patient to stop drinking and referred them to the "
        "community alcohol service."
    )
    note = _drafted_with_a_plan(
        f"Please don't stop suddenly on your own. {REFERRAL}",
        reversed_advice,
        " advised the patient to stop drinking on their own.",  # reversed again
    )
    kept = [s for s in [*note.sentences(), *note.set_aside] if s.text == reversed_advice]
    assert len(kept) == 1 and kept[0].status == "unsupported"
    assert any("drops the negation" in reason for reason in kept[0].reasons)
    assert not any("on their own" in s.text for s in [*note.sentences(), *note.set_aside])


def test_a_flagged_sentence_is_reworded_from_the_sentences_of_its_lines_about_it():
    from avt_notes.drafting.coverage import lines_about

    rows = [
        (
            "clinician",
            "The morning shakes worry me. Please don't stop suddenly on your own. "
            "I'm referring you to the community alcohol service.",
        ),
        ("patient", "Okay, thank you."),
    ]
    unit = make_transcript(rows).utterances
    (line,) = lines_about("The morning shakes worry them.", unit[:1], unit)
    assert line.id == "u0001" and line.text == "The morning shakes worry me."
    assert lines_about("The patient has a dog.", unit[:1], unit) == []


def test_a_rewording_keeps_a_questions_reply_and_the_sentences_facts():
    from avt_notes.drafting.coverage import keeps_the_facts, lines_about

    rows = [
        ("clinician", "And you thought some harming yourself."),  # its "?" lost
        ("patient", "No, never, I wouldn't do that."),
    ]
    unit = make_transcript(rows).utterances
    flagged = "The patient denies thinking about harming themselves every day."
    # Cited alone, the question comes with its reply: shown the question alone, the model
    # wrote "The clinician advised the patient to think about harming themselves."
    assert [u.id for u in lines_about(flagged, unit[:1], unit)] == ["u0001", "u0002"]
    lexicon = load_grounding_lexicon()
    denies = ["The patient denies thoughts of harming themselves, never would do that."]
    assert keeps_the_facts(denies, flagged, unit, lexicon)
    assert not keeps_the_facts(["The clinician asked a question."], flagged, unit, lexicon)
    # A word nobody said: "coil their hair" from "coil them".
    coil = make_transcript([("clinician", "I'll coil them after this session.")]).utterances
    said = "The clinician will coil the patient after this session."
    hair = ["The clinician advises the patient to coil their hair after this session."]
    assert not keeps_the_facts(hair, said, coil, lexicon)
