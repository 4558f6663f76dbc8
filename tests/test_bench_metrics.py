"""Benchmark metrics against hand-computed cases: clinical terms, per-speaker WER,
role accuracy, bootstrap intervals (fixed seed) and automation-bias figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from avt_notes.bench.automation_bias import (
    SignedNoteRecord,
    breakdown,
    histogram,
    is_fast_signoff,
    period_of,
    signoff_stats,
    trend,
)
from avt_notes.bench.manifest import CorpusItem
from avt_notes.bench.references import ReferenceSegment, parse_plain, parse_stm
from avt_notes.bench.scoring import (
    NoteDraft,
    attribute_words,
    role_overlap,
    score_asr,
    score_diarization,
    score_note,
)
from avt_notes.bench.stats import bootstrap_groups, bootstrap_mean, bootstrap_ratio
from avt_notes.errors import ConfigError
from avt_notes.metrics.clinical_terms import find_terms, load_terms, parse_terms, term_errors
from avt_notes.schemas import AudioInfo, Speaker, SpeakerTurn, Transcript, Utterance, Word

TERMS = parse_terms(
    "# version: test-1\nparacetamol\nibuprofen\nheadache\nshortness of breath\nchest pain\n"
    "nausea\nco-codamol\ndiarrhoea | diarrhea\nhay fever | hayfever\n"
)


# --- clinical terms -----------------------------------------------------------------


def test_term_list_is_normalised_and_versioned() -> None:
    assert TERMS.version == "test-1"
    assert ("co", "codamol") in TERMS.terms  # hyphen becomes a space, as in the normaliser
    assert ("shortness", "of", "breath") in TERMS.terms
    assert find_terms("the shortness of breath and chest pain".split(), TERMS) == [
        (1, 4, "shortness of breath"),
        (5, 7, "chest pain"),
    ]
    shipped = load_terms()
    assert shipped.version == "clinical-terms-2" and len(shipped) > 150
    with pytest.raises(ConfigError):
        parse_terms("# only a comment\n")


def test_spelling_variants_are_not_errors() -> None:
    found = term_errors(
        "three days of diarrhoea and hayfever", "3 days of diarrhea and hay fever", TERMS
    )
    assert (found.reference_terms, found.reference_words, found.errors) == (2, 3, 0)
    assert found.recall == 1.0
    assert len(TERMS) == 9  # variants count once


def test_terms_all_right() -> None:
    found = term_errors(
        "Take paracetamol for the headache.", "take paracetamol for the headache", TERMS
    )
    assert (found.reference_terms, found.reference_words, found.errors) == (2, 2, 0)
    assert found.wer == 0.0 and found.recall == 1.0 and found.missed == ()


def test_terms_substituted_and_split() -> None:
    # paracetamol -> paris (substitution); headache -> "head ache" (substitution + insertion)
    found = term_errors("take paracetamol for the headache", "take paris for the head ache", TERMS)
    assert (found.reference_words, found.errors, found.false_terms) == (2, 2, 0)
    assert found.wer == 1.0 and found.recall == 0.0
    assert found.missed == ("paracetamol", "headache")


def test_terms_drug_swapped_counts_once() -> None:
    found = term_errors("i took ibuprofen", "i took paracetamol", TERMS)
    assert (found.reference_words, found.errors, found.false_terms) == (1, 1, 0)


def test_terms_invented_drug_is_an_error() -> None:
    found = term_errors("take the tablets", "take the ibuprofen tablets", TERMS)
    assert (found.reference_words, found.errors, found.false_terms) == (0, 1, 1)
    assert found.wer is None  # no reference term: rate undefined, the error still pools
    found = term_errors("take it twice", "take ibuprofen twice", TERMS)  # replaces a non-term
    assert (found.errors, found.false_terms) == (1, 1)


def test_terms_multi_word_partly_wrong() -> None:
    found = term_errors("some shortness of breath", "some shortness of bread", TERMS)
    assert (found.reference_terms, found.reference_words, found.errors) == (1, 3, 1)
    assert found.recognised_terms == 0 and found.missed == ("shortness of breath",)


def test_terms_empty_reference_and_empty_hypothesis() -> None:
    empty_ref = term_errors("", "paracetamol please", TERMS)
    assert (empty_ref.reference_words, empty_ref.errors, empty_ref.false_terms) == (0, 1, 1)
    assert empty_ref.wer is None and empty_ref.recall is None
    empty_hyp = term_errors("chest pain and nausea", "", TERMS)
    assert (empty_hyp.reference_terms, empty_hyp.reference_words, empty_hyp.errors) == (2, 3, 3)
    assert empty_hyp.wer == 1.0 and empty_hyp.recall == 0.0
    nothing = term_errors("", "", TERMS)
    assert (nothing.errors, nothing.wer) == (0, None)


# --- references ------------------------------------------------------------------------


def test_plain_text_speaker_prefixes() -> None:
    assert parse_plain("clinician: hello there\npatient: hi") == [
        ReferenceSegment("hello there", "clinician"),
        ReferenceSegment("hi", "patient"),
    ]
    # Not every line prefixed: one unattributed segment, colons kept as words.
    assert parse_plain("Note: one\nand two") == [ReferenceSegment("Note: one and two")]
    assert parse_plain("   \n") == []


def test_stm_picks_its_file_and_skips_ignored_segments() -> None:
    text = (
        ";; comment\n"
        "rec1 A spk1 0.0 1.5 <o,f0,male> hello there\n"
        "rec2 A spk9 0.0 1.0 other file\n"
        "rec1 A spk2 2.0 3.0 ignore_time_segment_in_scoring\n"
        "rec1 A spk2 1.5 2.0 hi\n"
    )
    assert parse_stm(text, "rec1") == [
        ReferenceSegment("hello there", "spk1", 0.0, 1.5),
        ReferenceSegment("hi", "spk2", 1.5, 2.0),
    ]


# --- per-speaker ASR, diarisation, roles ------------------------------------------------


def _transcript(
    words: list[tuple[str, float, float]], turns: list[SpeakerTurn], roles: dict[str, str]
) -> Transcript:
    utterances = [
        Utterance(
            id=f"u{i:04d}",
            start=start,
            end=end,
            speaker="S0",
            role="clinician",
            text=text,
            confidence=1.0,
            words=[Word(text=text, start=start, end=end, probability=1.0)],
        )
        for i, (text, start, end) in enumerate(words, start=1)
    ]
    return Transcript(
        audio=AudioInfo(source="x.wav", duration=20.0),
        language="en",
        utterances=utterances,
        speakers=[Speaker(label=label, role=role) for label, role in roles.items()],
        turns=turns,
    )


def test_words_go_to_the_reference_segment_they_overlap_most() -> None:
    segments = [
        ReferenceSegment("a b", "clinician", 0.0, 2.0),
        ReferenceSegment("c", "patient", 3.0, 4.0),
    ]
    words = [("a", 0.1, 0.5), ("b", 1.8, 2.6), ("x", 2.7, 2.9), ("c", 3.1, 3.5), ("d", 6.0, 6.5)]
    # b overlaps only segment 0; x is in the gap, nearer segment 1; d is after everything.
    assert attribute_words(words, segments) == [0, 0, 1, 1, 1]


def test_per_speaker_wer_by_reference_time() -> None:
    item = CorpusItem(
        id="r",
        audio=Path("x.wav"),
        reference=[
            ReferenceSegment("how are you", "clinician", 0.0, 2.0),
            ReferenceSegment("i have a headache", "patient", 2.5, 5.0),
        ],
        metadata={
            "clinician": {"accent_group": "scottish"},
            "patient": {"accent_group": "caribbean"},
        },
    )
    words = [("how", 0.1, 0.4), ("are", 0.5, 0.8), ("you", 0.9, 1.2)]
    words += [
        ("i", 2.6, 2.8),
        ("have", 2.9, 3.2),
        ("a", 3.3, 3.4),
        ("head", 3.5, 4.0),
        ("ache", 4.1, 4.5),
    ]
    result = score_asr(item, _transcript(words, [], {}), TERMS)
    assert result is not None
    clinician, patient = result.units  # sorted by speaker label
    assert (clinician.speaker, clinician.accent_group, clinician.errors) == (
        "clinician",
        "scottish",
        0,
    )
    # headache -> head ache: one substitution, one insertion, over 4 words
    assert (patient.accent_group, patient.substitutions, patient.insertions) == ("caribbean", 1, 1)
    assert (patient.term_words, patient.term_errors, patient.missed_terms) == (1, 1, ["headache"])
    assert result.wer == pytest.approx(2 / 7)
    assert result.whole.accent_group == "mixed"


def test_asr_with_empty_hypothesis_and_empty_reference() -> None:
    item = CorpusItem(id="r", audio=Path("x.wav"), reference=parse_plain("one two three"))
    result = score_asr(item, _transcript([], [], {}), TERMS)
    assert result is not None and result.wer == 1.0 and result.whole.deletions == 3
    empty = CorpusItem(id="e", audio=item.audio, reference=[])
    result = score_asr(empty, _transcript([("hello", 0.0, 0.5)], [], {}), TERMS)
    assert result is not None and result.wer == 1.0 and result.whole.insertions == 1
    assert score_asr(CorpusItem(id="n", audio=item.audio), _transcript([], [], {}), TERMS) is None


def test_role_accuracy_by_overlapped_time() -> None:
    reference = [
        SpeakerTurn(speaker="clinician", start=0, end=10),
        SpeakerTurn(speaker="patient", start=10, end=20),
    ]
    hypothesis = [
        SpeakerTurn(speaker="S0", start=0, end=12),
        SpeakerTurn(speaker="S1", start=12, end=20),
    ]
    transcript = _transcript([], hypothesis, {"S0": "clinician", "S1": "patient"})
    assert role_overlap(reference, transcript, None) == (20.0, 18.0)
    assert role_overlap(reference, transcript, (0.0, 5.0)) == (5.0, 5.0)
    swapped = _transcript([], hypothesis, {"S0": "patient", "S1": "clinician"})
    assert role_overlap(reference, swapped, None) == (20.0, 2.0)
    # Overlapped speech found as overlapped speech is right for both speakers.
    overlap_ref = [
        SpeakerTurn(speaker="clinician", start=0, end=10),
        SpeakerTurn(speaker="patient", start=4, end=6),
    ]
    overlap_hyp = [
        SpeakerTurn(speaker="S0", start=0, end=10),
        SpeakerTurn(speaker="S1", start=4, end=6),
    ]
    found = _transcript([], overlap_hyp, {"S0": "clinician", "S1": "patient"})
    assert role_overlap(overlap_ref, found, None) == (12.0, 12.0)
    labelled = [SpeakerTurn(speaker="MEE009", start=0, end=1)]
    assert role_overlap(labelled, transcript, None) is None  # labels are not roles

    item = CorpusItem(id="r", audio=Path("x.wav"), turns=reference)
    scores = score_diarization(item, transcript, collar=0.0)
    assert scores is not None
    assert scores.der == pytest.approx(0.1)  # 2 s of 20 s confused
    assert scores.speaker_count_error == 0 and scores.role_accuracy == pytest.approx(0.9)


def test_note_scores_by_hand() -> None:
    draft = NoteDraft(text="Cough for 3 days.", sentences=4, with_evidence=3, unsupported=1)
    same = score_note("cough  for 3 DAYS.", draft)
    assert (same.edit_distance, same.rouge_l) == (0.0, 1.0)
    assert (same.evidence_share, same.unsupported_share, same.sentences) == (0.75, 0.25, 4)
    other = score_note("Fever.", draft)
    assert other.rouge_l == 0.0 and other.edit_distance is not None and other.edit_distance > 0.5
    empty = score_note(None, NoteDraft(text="", sentences=0, with_evidence=0, unsupported=0))
    assert (empty.edit_distance, empty.evidence_share, empty.unsupported_share) == (
        None,
        None,
        None,
    )


# --- bootstrap --------------------------------------------------------------------------


def test_bootstrap_ratio_by_hand() -> None:
    # Two recordings: 1/10 and 3/10 errors. Replicates are 0.1 (p=1/4), 0.2 (1/2), 0.3 (1/4),
    # so the 2.5th and 97.5th percentiles are 0.1 and 0.3.
    estimate = bootstrap_ratio([1, 3], [10, 10], resamples=4000, seed=7)
    assert estimate.value == pytest.approx(0.2) and estimate.n == 2
    assert (estimate.low, estimate.high) == (pytest.approx(0.1), pytest.approx(0.3))
    assert bootstrap_ratio([1, 3], [10, 10], resamples=4000, seed=7) == estimate  # fixed seed
    assert bootstrap_ratio([0, 0], [0, 0]).value is None
    same = bootstrap_mean([0.5, 0.5, 0.5])
    assert (same.value, same.low, same.high) == (0.5, 0.5, 0.5)


def test_bootstrap_is_reproducible_and_resamples_recordings() -> None:
    errors = [5, 0, 12, 3, 7, 1, 9, 4]
    words = [50, 40, 60, 45, 55, 30, 70, 50]
    a = bootstrap_ratio(errors, words, seed=1)
    assert a == bootstrap_ratio(errors, words, seed=1)
    assert a != bootstrap_ratio(errors, words, seed=2)
    assert a.low is not None and a.high is not None and a.low < a.value < a.high  # type: ignore[operator]


def test_bootstrap_groups_and_worst_best_ratio() -> None:
    recordings = [
        {"scottish": (4.0, 20.0), "american": (1.0, 20.0)},
        {"scottish": (6.0, 20.0), "american": (1.0, 20.0)},
        {"american": (2.0, 20.0)},
    ]
    grouped = bootstrap_groups(recordings, resamples=1000, seed=3)
    assert grouped.groups["scottish"].value == pytest.approx(10 / 40)
    assert grouped.groups["american"].value == pytest.approx(4 / 60)
    assert grouped.groups["scottish"].n == 2 and grouped.groups["american"].n == 3
    assert (grouped.worst, grouped.best) == ("scottish", "american")
    assert grouped.worst_best_ratio.value == pytest.approx((10 / 40) / (4 / 60))
    low, high = grouped.worst_best_ratio.low, grouped.worst_best_ratio.high
    assert low is not None and high is not None and low <= grouped.worst_best_ratio.value <= high
    single = bootstrap_groups([{"a": (1.0, 10.0)}])
    assert single.worst == single.best == "a" and single.worst_best_ratio.value is None


# --- automation bias ---------------------------------------------------------------------


def _record(i: int, **changes: object) -> SignedNoteRecord:
    values: dict[str, object] = {
        "note_id": f"n{i}",
        "clinician": "dr-a",
        "template": "soap",
        "signed_at": datetime(2025, 3, 3, 10, tzinfo=UTC) + timedelta(days=i),
        "draft_chars": 1000,
        "normalised_edit_distance": 0.1,
        "signed_unchanged": False,
        "review_seconds": 120.0,
        "flagged_total": 2,
        "flagged_kept_unedited": 1,
    }
    return SignedNoteRecord.model_validate(values | changes)


def test_signoff_stats_by_hand() -> None:
    records = [
        _record(0),
        _record(1, normalised_edit_distance=0.0, signed_unchanged=True, review_seconds=20.0),
        _record(2, normalised_edit_distance=0.35, flagged_total=0, flagged_kept_unedited=0),
        _record(3, normalised_edit_distance=1.4, draft_chars=100, review_seconds=3.0),
    ]
    stats = signoff_stats(records)
    assert stats.notes == 4
    assert stats.edit_distance_mean == pytest.approx((0.1 + 0.0 + 0.35 + 1.4) / 4)
    assert stats.edit_distance_median == pytest.approx((0.1 + 0.35) / 2)
    assert stats.histogram == [1, 1, 0, 1, 0, 0, 0, 0, 0, 1]
    assert stats.unchanged_share == 0.25
    # 1000 chars need 40 s at 25 chars/s: 20 s is fast; 100 chars need 4 s: 3 s is fast.
    assert stats.fast_signoffs == 2 and stats.fast_share == 0.5
    assert (stats.flagged_total, stats.flagged_kept_unedited) == (6, 3)
    assert stats.flagged_kept_unedited_share == 0.5
    assert not is_fast_signoff(records[0]) and is_fast_signoff(records[0], chars_per_second=5.0)


def test_signoff_breakdowns_and_trend() -> None:
    records = [
        _record(0, accent_group="scottish"),
        _record(1, clinician="dr-b"),
        _record(8, template="dap", accent_group="scottish"),
    ]
    by_accent = breakdown(records, lambda r: r.accent_group)
    assert list(by_accent) == ["scottish"] and by_accent["scottish"].notes == 2  # None left out
    assert set(breakdown(records, lambda r: r.clinician)) == {"dr-a", "dr-b"}
    weeks = trend(records)
    assert [(p, s.notes) for p, s in weeks] == [("2025-W10", 2), ("2025-W11", 1)]
    assert period_of(datetime(2025, 2, 14, tzinfo=UTC), "month") == "2025-02"
    assert histogram([]) == [0] * 10
    assert signoff_stats([]).edit_distance_median is None
