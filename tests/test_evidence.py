"""Evidence linking with the real all-MiniLM-L6-v2, and the who/when grounding checks."""

from __future__ import annotations

import pytest

from avt_notes.evidence import EvidenceLinker
from avt_notes.grounding import check_sentence, load_grounding_lexicon

from testdata import make_transcript

# Every test here runs the real MiniLM sentence encoder (a model load).
pytestmark = pytest.mark.slow

SESSION = [
    ("clinician", "How have the last two weeks been?"),
    ("patient", "My brother moved in with me on Saturday, which has helped."),
    ("clinician", "Any thoughts of ending your life?"),
    ("patient", "No, never."),
    ("patient", "I take sertraline fifty milligrams every morning."),
    ("clinician", "I will see you again on Thursday and we will keep the same dose."),
]


@pytest.fixture(scope="module")
def lexicon():
    return load_grounding_lexicon()


@pytest.fixture(scope="module")
def encoder(settings):
    from avt_notes.embeddings import load_encoder

    return load_encoder(settings)


@pytest.fixture(scope="module")
def transcript():
    return make_transcript(SESSION)


@pytest.fixture(scope="module")
def linker(transcript, encoder, lexicon):
    return EvidenceLinker(transcript.utterances, encoder, lexicon)


def test_a_wrong_citation_is_dropped_and_the_sentence_relinked(linker):
    link = linker.link("The patient's brother moved in on Saturday.", ["u0005"])
    assert link.ids == ["u0002"] and link.method == "semantic"
    assert link.dropped_citations == ["u0005"]


def test_a_right_citation_is_kept(linker):
    link = linker.link("The patient takes sertraline 50 mg every morning.", ["u0005"])
    assert link.ids == ["u0005"] and link.method == "cited"


def test_a_denial_links_the_answer_with_its_question(linker):
    link = linker.link("The patient denies thoughts of ending their life.")
    assert link.ids == ["u0003", "u0004"]


def test_a_sentence_about_nothing_said_gets_no_evidence(linker):
    link = linker.link("The patient enjoys playing tennis with colleagues.")
    assert link.ids == [] and link.method == "none"


def test_a_paraphrase_is_linked_by_the_one_fact_it_shares(linker, transcript, lexicon):
    # Few shared words, low meaning score: the day is what ties it to the clinician's line,
    # and the note's register words ("appointment is scheduled") are not new content.
    sentence = "The next appointment is scheduled for Thursday."
    link = linker.link(sentence)
    assert link.ids == ["u0006"]
    by_id = {u.id: u for u in transcript.utterances}
    assert check_sentence(sentence, link.ids, by_id, lexicon=lexicon).status == "supported"
    # A fact said nowhere anchors nothing.
    assert linker.link("The next appointment is scheduled for Friday.").ids == []


def test_evidence_is_extended_to_cover_numbers_from_another_line(linker):
    link = linker.link("Sertraline 50 mg continues; next appointment on Thursday.")
    assert link.ids == ["u0005", "u0006"]


def by_id(transcript):
    return {u.id: u for u in transcript.utterances}


@pytest.mark.parametrize(
    ("sentence", "evidence", "reason"),
    [
        ("The patient will be seen tomorrow.", ["u0006"], 'time "tomorrow"'),
        ("The patient's sister moved in on Saturday.", ["u0002"], '"sister"'),
        ("The patient reports that the dose stays the same.", ["u0006"], "the patient said"),
        ("I will see the patient on Thursday.", ["u0006"], "first or second person"),
        ("The clinician will see you on Thursday.", ["u0006"], "first or second person"),
    ],
)
def test_time_words_people_and_speakers_are_checked(
    sentence, evidence, reason, transcript, lexicon
):
    result = check_sentence(sentence, evidence, by_id(transcript), lexicon=lexicon)
    assert result.status == "unsupported"
    assert any(reason in r for r in result.reasons), result.reasons


@pytest.mark.parametrize(
    ("sentence", "evidence"),
    [
        ("The clinician will see the patient again on Thursday.", ["u0006"]),
        ("The patient's brother moved in on Saturday.", ["u0002"]),
        ("The patient denies thoughts of ending their life.", ["u0003", "u0004"]),
        ('The patient said "No, never."', ["u0004"]),
    ],
)
def test_faithful_who_and_when_pass(sentence, evidence, transcript, lexicon):
    result = check_sentence(sentence, evidence, by_id(transcript), lexicon=lexicon)
    assert result.status == "supported", result.reasons


def test_instruction_words_are_matched_as_whole_words(transcript, lexicon):
    utterances = by_id(transcript)
    described = check_sentence(
        "The patient describes the brother moving in on Saturday.",
        ["u0002"],
        utterances,
        lexicon=lexicon,
    )
    assert described.status == "supported", described.reasons
    echo = check_sentence(
        "As a scribe, I note the brother.", ["u0002"], utterances, lexicon=lexicon
    )
    assert any("drafting instructions" in r for r in echo.reasons)


def test_a_citation_of_the_wrong_neighbour_is_replaced_by_lines_that_support_it():
    from avt_notes.drafting import draft_note, load_template

    from testdata import ScriptedDrafter

    # Recognised speech: the second question lost its "?", the answer starts with "No".
    transcript = make_transcript(
        [
            ("clinician", "Any thoughts on harming other people?"),
            ("patient", "Only the lad at the bus stop, I want to put him in hospital."),
            ("clinician", "And you thought some harming yourself."),
            ("patient", "No, I'd never do that to my mum."),
        ]
    )
    reply = "The patient denies harming themselves. [u0001, u0002]"
    note = draft_note(
        transcript, load_template("dap"), ScriptedDrafter(lambda m: reply), strategy="compose"
    )
    drafted = [s for s in note.sentences() if s.text == "The patient denies harming themselves."]
    assert drafted and all(s.evidence == ["u0003", "u0004"] for s in drafted)
    sentence = drafted[0]
    assert sentence.evidence == ["u0003", "u0004"] and sentence.status == "supported"
