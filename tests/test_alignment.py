"""Alignment and role logic on hand-built turns and words."""

from __future__ import annotations

import numpy as np
import pytest

from avt_notes.alignment import (
    apply_role_overrides,
    assign_words,
    build_utterances,
    enrolment_roles,
    heuristic_roles,
    speaker_table,
)
from avt_notes.formats import format_timestamp, transcript_text
from avt_notes.schemas import AudioInfo, SpeakerTurn, Transcript, Word


def w(text: str, start: float, end: float, p: float = 0.9) -> Word:
    return Word(text=text, start=start, end=end, probability=p)


TURNS = [
    SpeakerTurn(speaker="A", start=0.0, end=3.0),
    SpeakerTurn(speaker="B", start=3.2, end=6.0),
    SpeakerTurn(speaker="A", start=5.5, end=8.0),  # overlaps B
]


def test_word_goes_to_turn_it_overlaps_most() -> None:
    words = [w("hello", 0.5, 1.0), w("yes", 3.5, 4.0), w("both", 5.6, 5.9), w("mostly", 5.8, 6.6)]
    # "both" lies inside B (3.2-6.0) and A (5.5-8.0) equally: first best wins (B);
    # "mostly" overlaps B for 0.2 s and A for 0.8 s.
    assert assign_words(words, TURNS) == ["A", "B", "B", "A"]


def test_word_in_gap_goes_to_nearest_turn() -> None:
    words = [w("gap", 3.05, 3.15), w("late", 9.0, 9.5), w("early", -0.5, -0.1)]
    # 3.05-3.15: midpoint 3.1 is 0.1 s after A ends and 0.1 s before B starts -> A (first).
    assert assign_words(words, TURNS) == ["A", "A", "A"]
    assert assign_words([w("x", 3.15, 3.19)], TURNS) == ["B"]


def test_no_turns_means_one_speaker() -> None:
    assert assign_words([w("a", 0, 1), w("b", 1, 2)], []) == ["SPEAKER_00", "SPEAKER_00"]


def test_utterances_group_consecutive_words_and_split_on_pause() -> None:
    words = [
        w("How", 0.0, 0.2, 0.8),
        w("are", 0.2, 0.4, 1.0),
        w("you?", 0.4, 0.6, 0.9),
        w("Fine.", 1.0, 1.4),
        w("Thanks.", 1.5, 1.8),
        w("Later", 5.0, 5.4),
    ]
    speakers = ["A", "A", "A", "B", "B", "B"]
    utterances = build_utterances(words, speakers, {"A": "clinician", "B": "patient"})
    assert [u.id for u in utterances] == ["u0001", "u0002", "u0003"]
    assert [u.text for u in utterances] == ["How are you?", "Fine. Thanks.", "Later"]
    assert [u.speaker for u in utterances] == ["A", "B", "B"]  # 3.2 s pause splits B
    assert utterances[0].role == "clinician" and utterances[1].role == "patient"
    assert (utterances[0].start, utterances[0].end) == (0.0, 0.6)
    assert utterances[0].confidence == pytest.approx(0.9)


def _utterances(script: list[tuple[str, str, float]]):
    words, speakers = [], []
    for speaker, text, start in script:
        words.append(w(text, start, start + 0.5))
        speakers.append(speaker)
    return build_utterances(words, speakers, max_pause=0.1)


def test_clinician_is_the_one_asking_questions() -> None:
    utterances = _utterances(
        [
            ("B", "Hello.", 0),
            ("A", "What brings you?", 1),
            ("B", "Headaches.", 2),
            ("A", "How long?", 3),
            ("B", "A week.", 4),
        ]
    )
    talk = {"A": 10.0, "B": 12.0}
    assert heuristic_roles(utterances, talk) == {"A": "clinician", "B": "patient"}


def test_question_tie_goes_to_who_spoke_first_and_extra_speakers_are_other() -> None:
    utterances = _utterances([("B", "Hi.", 0), ("A", "Hello.", 1), ("C", "Hey.", 2)])
    talk = {"A": 5.0, "B": 5.0, "C": 1.0, "D": 0.5}
    assert heuristic_roles(utterances, talk) == {
        "B": "clinician",
        "A": "patient",
        "C": "other-1",
        "D": "other-2",
    }


def test_single_speaker_is_clinician() -> None:
    utterances = _utterances([("A", "Dictation.", 0)])
    assert heuristic_roles(utterances, {"A": 3.0}) == {"A": "clinician"}


def test_enrolment_picks_most_similar_voice_even_if_they_ask_no_questions() -> None:
    centroids = {"A": [1.0, 0.0, 0.0], "B": [0.1, 1.0, 0.0]}
    roles, similarity = enrolment_roles(np.array([0.2, 0.9, 0.1]), centroids, {"A": 9, "B": 3})
    assert roles == {"B": "clinician", "A": "patient"}
    assert similarity["B"] > 0.9 > similarity["A"]


def test_role_override_updates_speakers_and_utterances() -> None:
    utterances = _utterances([("A", "Q?", 0), ("B", "A.", 1)])
    roles = {"A": "clinician", "B": "patient"}
    utterances = [u.model_copy(update={"role": roles[u.speaker]}) for u in utterances]
    table = speaker_table(roles, {"A": 1.0, "B": 1.0}, "heuristic")
    new_utterances, new_table = apply_role_overrides(
        utterances, table, {"A": "patient", "B": "clinician"}
    )
    assert [u.role for u in new_utterances] == ["patient", "clinician"]
    assert {s.label: (s.role, s.role_source) for s in new_table} == {
        "A": ("patient", "override"),
        "B": ("clinician", "override"),
    }
    with pytest.raises(KeyError):
        apply_role_overrides(utterances, table, {"Z": "patient"})


def test_timestamp_and_transcript_line_format() -> None:
    assert format_timestamp(0) == "00:00:00.0"
    assert format_timestamp(3723.46) == "01:02:03.4"
    utterances = _utterances([("A", "Hello?", 61.25)])
    utterances = [u.model_copy(update={"role": "clinician"}) for u in utterances]
    transcript = Transcript(
        audio=AudioInfo(source="x.wav", duration=70.0),
        language="en",
        utterances=utterances,
        speakers=[],
    )
    assert transcript_text(transcript) == "[00:01:01.2-00:01:01.7] CLINICIAN: Hello?\n"
