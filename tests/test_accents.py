"""Accents: clip-list import, speaker-level intervals, decoding guards, word confidence,
short-clip windows and the language-group figures of the automation-bias report."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from avt_notes.bench.automation_bias import SignedNoteRecord, language_group_figures
from avt_notes.bench.manifest import load_manifest
from avt_notes.bench.scoring import AsrResult, AsrUnit, ItemResult
from avt_notes.bench.speaker_csv import stratified_subset, write_manifest
from avt_notes.bench.summary import summarise_asr
from avt_notes.errors import InputError
from avt_notes.hallucination import looks_hallucinated, repeated_phrase, spelled_letter_run
from avt_notes.metrics.word_confidence import error_by_band, split_at, word_correctness
from avt_notes.schemas import Word

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "speechocean762"


# --- corpus import --------------------------------------------------------------------------------
def test_speechocean_manifest_imports_with_speakers_and_age_bands(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import avt_notes.cli.corpus  # noqa: F401  (registers the commands)
    from avt_notes.cli.app import app

    out = tmp_path / "corpus" / "manifest.json"
    result = CliRunner().invoke(
        app, ["corpus", "import", str(DATA / "manifest.csv"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "3 clips, 3 speakers" in result.output
    manifest = load_manifest(out)
    child = next(i for i in manifest.items if i.metadata["speaker"] == "SO0005")
    assert child.audio == (DATA / "audio" / "0005_000050003.flac").resolve()
    assert child.reference and child.reference[0].text == "MIKE LIKES THE WHITE ONE"
    assert child.metadata["age_band"] == "child" and child.accent_group() == "L2-Mandarin"


def test_any_csv_imports_and_age_band_is_derived(tmp_path: Path) -> None:
    shutil.copy(DATA / "audio" / "0739_007390013.flac", tmp_path / "a.flac")
    listing = tmp_path / "clips.csv"
    with listing.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "transcript", "speaker", "accent_group", "gender", "age"])
        writer.writerow(["a.flac", "But it certainly is possible", "p1", "nigerian", "f", "34"])
    manifest = load_manifest(write_manifest(listing, tmp_path / "m" / "manifest.json"))
    (item,) = manifest.items
    assert item.metadata["age_band"] == "adult" and item.accent_group() == "nigerian"


def test_bad_rows_are_all_listed(tmp_path: Path) -> None:
    listing = tmp_path / "clips.csv"
    listing.write_text("path,transcript\nmissing.flac,hello\n,empty path\n")
    with pytest.raises(InputError) as error:
        write_manifest(listing, tmp_path / "manifest.json")
    assert "line 2: audio 'missing.flac' not found" in str(error.value)
    assert "line 3: path and transcript must not be empty" in str(error.value)
    listing.write_text("file,text\na,b\n")
    with pytest.raises(InputError, match="missing column"):
        write_manifest(listing, tmp_path / "manifest.json")


def test_stratified_subset_spreads_over_speakers_and_bands() -> None:
    clips = [
        {"id": f"{s}-{n}", "metadata": {"speaker": s, "age_band": "child" if s < "c" else "adult"}}
        for s in "abcd"
        for n in range(3)
    ]
    chosen = stratified_subset(clips, 4)
    assert sorted(c["metadata"]["speaker"] for c in chosen) == ["a", "b", "c", "d"]


# --- speaker-level intervals ----------------------------------------------------------------------
def _result(item_id: str, speaker: str, errors: int) -> ItemResult:
    unit = AsrUnit(
        accent_group="L2-Mandarin",
        attributes={"age_band": "adult"},
        reference_words=10,
        substitutions=errors,
        deletions=0,
        insertions=0,
        reference_chars=50,
        char_errors=errors,
    )
    return ItemResult(
        id=item_id,
        status="ok",
        metadata={"speaker": speaker},
        asr=AsrResult(wer=errors / 10, cer=errors / 50, whole=unit, units=[unit]),
    )


def test_intervals_resample_speakers_not_clips() -> None:
    # Two speakers, four clips each: one always right, one always 50% wrong.
    results = [_result(f"{s}{n}", s, 5 if s == "b" else 0) for s in "ab" for n in range(4)]
    summary = summarise_asr(results, seed=1, resamples=500)
    assert summary is not None
    row = summary.by["accent_group"].rows[0]
    assert (row.recordings, row.speakers) == (8, 2)
    assert summary.wer.value == pytest.approx(0.25) and summary.wer.n == 2
    # With two units the bootstrap can draw either speaker twice: 0% or 50% are possible.
    assert summary.wer.low == pytest.approx(0.0) and summary.wer.high == pytest.approx(0.5)


# --- hallucination guards -------------------------------------------------------------------------
def test_spelled_letters_and_loops_are_recognised() -> None:
    assert spelled_letter_run("C -S -O -T -F -O -M -O -T".split())
    assert repeated_phrase("I feel I feel I feel".split())
    assert repeated_phrase(("thank you. " * 3).split())
    for speech in ("I saw a cat", "no, no, no", "a b", "the GP said I need an ECG", "very very"):
        assert not looks_hallucinated(speech.split()), speech


def test_a_loop_becomes_one_marked_gap_and_the_real_words_stay() -> None:
    from avt_notes.asr import UNCLEAR, FasterWhisperTranscriber

    said = "I'm 26 year old okay aria aria aria aria aria aria oh dear".split()
    words = [Word(text=t, start=i, end=i + 0.5, probability=0.9) for i, t in enumerate(said)]
    kept = FasterWhisperTranscriber._without_hallucinations(words)
    assert [w.text for w in kept] == [*said[:6], UNCLEAR, "oh", "dear"]
    gap = kept[6]
    assert (gap.start, gap.end, gap.probability) == (6, 10.5, 0.0)  # the repetitions' time
    spelled = [Word(text=t, start=i, end=i + 0.2, probability=0.4)
               for i, t in enumerate("She said C -S -O -T then".split())]  # fmt: skip
    kept = FasterWhisperTranscriber._without_hallucinations(spelled)
    assert [w.text for w in kept] == ["She", "said", UNCLEAR, "then"]


# --- word confidence ------------------------------------------------------------------------------
def test_word_correctness_follows_the_alignment() -> None:
    assert word_correctness("we call it bear", ["We", "call", "it", "bill."]) == [
        True,
        True,
        True,
        False,
    ]
    # "[unclear]" (a dropped segment) is not scored, like WER does not score it.
    assert word_correctness("we call", ["[unclear]", "we", "call"]) == [None, True, True]
    # Normalised per word: "4," is "four"; one of the two "3," is an insertion.
    found = word_correctness("four three eight", ["4,", "3,", "3,", "8"])
    assert found[0] and found[3] and found[1:3].count(False) == 1


def test_error_rate_by_band_and_threshold() -> None:
    scored = [(0.05, False), (0.15, False), (0.45, True), (0.95, True), (1.0, True), (0.92, False)]
    bands = error_by_band(scored)
    assert [b.words for b in bands] == [1, 1, 0, 0, 1, 0, 0, 0, 0, 3]
    assert bands[-1].error_rate == pytest.approx(1 / 3)
    split = split_at(scored, 0.5)
    assert split.marked == 3 and split.marked_error == pytest.approx(2 / 3)
    assert split.ratio == pytest.approx((2 / 3) / (1 / 3))


# --- automation-bias figures per language group ---------------------------------------------------
def test_language_group_figures_withhold_small_groups() -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    records = [
        SignedNoteRecord(
            note_id=str(i),
            clinician="dr",
            template="soap",
            accent_group=None if i % 5 == 0 else ("group-a" if i < 24 else "group-b"),
            signed_at=start + timedelta(hours=i),
            draft_chars=500,
            normalised_edit_distance=0.1 if i < 24 else 0.3,
            signed_unchanged=False,
            review_seconds=60.0 + i,
            transcript_confidence=0.9,
            sentences_changed_share=0.25,
        )
        for i in range(30)
    ]
    figures = {g.group: g for g in language_group_figures(records, min_size=10)}
    assert set(figures) == {"group-a", "group-b"}  # "prefer not to say" (None) left out
    a, b = figures["group-a"], figures["group-b"]
    assert a.shown and a.notes == 19 and a.edit_distance.value == pytest.approx(0.1)
    assert a.sentences_changed.value == pytest.approx(0.25)
    assert a.review_seconds.low is not None and a.review_seconds.low < a.review_seconds.value
    assert not b.shown and b.edit_distance.value is None  # 5 notes: withheld


def test_session_notice_when_the_marked_share_reaches_the_threshold() -> None:
    from avt_notes.confidence import transcript_confidence
    from avt_notes.config import Settings
    from avt_notes.schemas import AudioInfo, Transcript, Utterance

    words = [Word(text=f"w{i}", start=i, end=i + 0.5, probability=0.3 if i < 3 else 0.95)
             for i in range(10)]  # fmt: skip
    transcript = Transcript(
        audio=AudioInfo(source="x", duration=10.0),
        language="en",
        utterances=[Utterance(id="u1", start=0, end=10, speaker="S", role="patient",
                              text=" ".join(w.text for w in words), confidence=0.75,
                              words=words)],
        speakers=[],
    )  # fmt: skip
    found = transcript_confidence(
        transcript, Settings().updated(decoding={"asr_low_confidence_share": 0.3})
    )
    assert (found.marked, found.low) == (3, True) and found.notice and "30%" in found.notice
    quiet = transcript_confidence(
        transcript, Settings().updated(decoding={"asr_low_confidence_share": 0.4})
    )
    assert not quiet.low and quiet.notice is None


@pytest.mark.parametrize(
    ("session", "line", "sentence", "unsure"),
    [
        # Recognised from TTS speech in the safety benchmark: "call" heard as "coil" (0.39).
        ("mh-06-child-safeguarding", "u0005",
         "The clinician will coil the children after this session.", ["coil"]),
        ("mh-06-child-safeguarding", "u0005",
         "The clinician will share this with children's social care.", []),
        # "at night" heard as "tight" (0.21).
        ("pc-02-asthma-inhaler", "u0003", "The patient reports waking up tight.", ["tight"]),
    ],
)  # fmt: skip
def test_a_sentence_names_the_unsure_words_it_rests_on(session, line, sentence, unsure) -> None:
    from avt_notes.confidence import unsure_words
    from avt_notes.schemas import Transcript

    saved = ROOT / "benchmarks" / "results" / "safety" / f"{session}.transcript.json"
    transcript = Transcript.model_validate_json(saved.read_text())
    evidence = [transcript.utterance(line)]
    assert unsure_words(sentence, evidence, threshold=0.5) == unsure


# --- recognition on real accented clips ----------------------------------------------------
@pytest.mark.slow
def test_short_clips_are_encoded_in_a_short_window_and_as_accurately() -> None:
    """Real L2 speech through Whisper base, default 10 s encoder window and Whisper's 30 s.

    What the benchmark supports (README, accents): the window changes which clips
    come out wrong (a third of 500 clips got other words), not how many words are
    wrong (WER 0.99x [0.96, 1.02]). So the claim is about WER over the clips, for
    both windows: here the 10 s window errs on "BUT IT CERTAINLY IS POSSIBLE"
    ("But it's certainly easy possible."), which the 30 s window gets right.
    """
    from avt_notes.asr import FRAMES_PER_SECOND, FasterWhisperTranscriber, window_seconds
    from avt_notes.audio import load_audio
    from avt_notes.config import Settings
    from avt_notes.metrics.asr import error_rates

    assert window_seconds(4.3, 10) == 10 and window_seconds(12.2, 10) == 14
    assert window_seconds(4.3) == window_seconds(95.0) == 30  # Whisper's own
    assert Settings().decoding.asr_min_window_seconds == 10
    with (DATA / "manifest.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    clips = [(row["transcript"], load_audio(DATA / row["path"])) for row in rows]
    for window in (10, 30):
        transcriber = FasterWhisperTranscriber(
            "base", settings=Settings().updated(decoding={"asr_min_window_seconds": window})
        )
        errors = words = 0
        for reference, audio in clips:
            found = transcriber.transcribe(audio.samples)
            assert transcriber._model.encoder_frames == window * FRAMES_PER_SECOND
            assert all(0.0 <= w.probability <= 1.0 for w in found)
            assert all(0.0 <= w.start <= w.end <= audio.duration + 0.5 for w in found)
            rates = error_rates(reference, " ".join(w.text for w in found))
            errors += rates.substitutions + rates.deletions + rates.insertions
            words += rates.reference_words
        assert errors / words <= 0.2, (window, errors, words)


def test_hotwords_carry_drug_names_and_clinical_terms() -> None:
    from avt_notes.asr import decoding_options, hotwords
    from avt_notes.config import Settings

    words = hotwords(Settings().drafting.prompts_dir)
    assert "sertraline" in words and "safeguarding" in words and "#" not in words
    assert decoding_options(Settings())["hotwords"] is None
    assert (
        decoding_options(Settings().updated(decoding={"asr_hotwords": True}))["hotwords"] == words
    )


def test_other_manifests_merge_beside_the_imported_clips(tmp_path: Path) -> None:
    import json

    other = tmp_path / "native" / "manifest.json"
    other.parent.mkdir()
    shutil.copy(DATA / "audio" / "2244_022440038.flac", other.parent / "n.flac")
    recording = {"id": "native1", "audio": "n.flac", "text": "insurance",
                 "metadata": {"accent_group": "british"}}  # fmt: skip
    other.write_text(json.dumps({"name": "native", "recordings": [recording]}))
    out = write_manifest(DATA / "manifest.csv", tmp_path / "all" / "manifest.json", merge=[other])
    items = {i.id: i for i in load_manifest(out).items}
    assert len(items) == 4 and items["native1"].audio == (other.parent / "n.flac").resolve()
    assert {i.accent_group() for i in items.values()} == {"L2-Mandarin", "british"}


# --- word voting between recognisers --------------------------------------------------------------
def _words(spoken: str, probabilities: list[float]) -> list[Word]:
    pairs = zip(spoken.split(), probabilities, strict=True)
    return [Word(text=t, start=i, end=i + 0.5, probability=p) for i, (t, p) in enumerate(pairs)]


def test_voting_keeps_the_surer_word_and_what_most_systems_heard() -> None:
    from avt_notes.bench.word_voting import Voting, combine

    base = _words("but it's certainly easy possible", [0.9, 0.4, 0.9, 0.3, 0.9])
    tiny = _words("but it certainly is possible", [0.9, 0.8, 0.9, 0.7, 0.9])
    kept = combine([base, tiny], Voting(weight=0.5, no_word_confidence=0.5))
    assert [w.text for w in kept] == ["but", "it", "certainly", "is", "possible"]
    # Probability is the mean over systems (0 from one that heard another word): marked.
    assert kept[1].probability == pytest.approx(0.4) and kept[0].probability == pytest.approx(0.9)
    # An insertion only one of three systems made is voted out.
    third = _words("but it certainly is possible", [0.5, 0.5, 0.5, 0.5, 0.5])
    extra = _words("but it certainly is very possible", [0.9, 0.9, 0.9, 0.9, 0.95, 0.9])
    kept = combine([extra, tiny, third], Voting(weight=0.7, no_word_confidence=0.5))
    assert [w.text for w in kept] == ["but", "it", "certainly", "is", "possible"]
    lenient = Voting(weight=0.5, no_word_confidence=0.5)
    assert combine([]) == [] and combine([[], tiny], lenient)[0].probability == pytest.approx(0.45)
    # The default keeps a word only one of two systems heard only when it is very sure.
    assert combine([[], tiny]) == [] and len(combine([[], _words("yes", [0.95])])) == 1


def test_voting_aligns_a_long_session_piece_by_piece() -> None:
    from avt_notes.bench.word_voting import combine

    # 20 minutes of words with a pause every 10 words: pieces keep alignment linear.
    said = [Word(text=f"w{i}", start=i * 0.5 + (i // 10) * 1.0, end=i * 0.5 + (i // 10) + 0.4,
                 probability=0.9) for i in range(2000)]  # fmt: skip
    other = [w.model_copy(update={"text": "x"}) if i % 7 == 0 else w for i, w in enumerate(said)]
    kept = combine([said, other])
    assert [w.text for w in kept] == [w.text for w in said]
