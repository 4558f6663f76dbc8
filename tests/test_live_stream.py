"""Decoding a growing recording once, and carrying drafted evidence to the final transcript."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avt_notes.audio import SAMPLE_RATE, load_audio
from avt_notes.audio_stream import StreamDecoder
from avt_notes.drafting import DraftSentence, draft_note, load_template
from avt_notes.live_drafting import (
    DraftedWindow,
    LiveDrafting,
    remap_evidence,
    window_transcript,
)
from avt_notes.schemas import Utterance

from testdata import SAMPLE, ScriptedDrafter, encode_audio, make_transcript


def webm_opus(samples: np.ndarray, path: Path) -> bytes:
    """Opus in WebM, 48 kHz mono: what Chrome's MediaRecorder uploads."""
    return encode_audio(samples, SAMPLE_RATE, path, "webm", "libopus").read_bytes()


def test_stream_decoding_equals_decoding_the_finished_file(tmp_path) -> None:
    """Chunks fed as they arrive decode, once, to exactly the samples of the whole file."""
    path = tmp_path / "consultation.webm"
    data = webm_opus(load_audio(SAMPLE / "consultation.wav").samples, path)
    whole = load_audio(path)

    decoder = StreamDecoder("test")
    size = len(data) // 20 + 1
    seen = []
    for start in range(0, len(data), size):
        decoder.feed(data[start : start + size])
        decoder.wait_for(decoder.decoded_samples + 1, timeout=2.0)
        seen.append(decoder.decoded_samples)
    assert decoder.complete_audio(path.name, len(data)) is None  # not closed: more may come
    decoder.close(timeout=30)

    # Audio became available while bytes were still arriving, not only at the end.
    assert 0 < seen[len(seen) // 2] < seen[-1]
    audio = decoder.complete_audio(path.name, len(data))
    assert audio is not None and decoder.error is None
    assert audio.info.container == whole.info.container and audio.info.codec == "opus"
    np.testing.assert_array_equal(audio.samples, whole.samples)
    # A recording with bytes this stream never saw is not passed off as decoded.
    assert decoder.complete_audio(path.name, len(data) + 1) is None


def test_stream_of_bytes_that_are_not_audio_reports_an_error() -> None:
    decoder = StreamDecoder("test")
    decoder.feed(b"this is a text file, not a recording\n" * 100)
    decoder.close(timeout=10)
    assert decoder.error is not None
    assert decoder.complete_audio("notes.txt", decoder.fed) is None


def _utterance(uid: str, start: float, end: float, text: str, speaker: str) -> Utterance:
    return Utterance(
        id=uid, start=start, end=end, speaker=speaker, role=speaker, text=text, confidence=0.9
    )


def test_window_evidence_is_remapped_to_the_final_utterances_by_time() -> None:
    """The final clustering split a provisional utterance in two: the sentence cites both."""
    provisional = [
        _utterance("u0001", 0.0, 4.0, "How have you been sleeping?", "clinician"),
        _utterance("u0002", 4.5, 12.0, "Badly. About four hours. Have you tried", "patient"),
    ]
    final = [
        _utterance("u0001", 0.0, 4.0, "How have you been sleeping?", "clinician"),
        _utterance("u0002", 4.5, 9.0, "Badly. About four hours.", "patient"),
        _utterance("u0003", 9.2, 12.0, "Have you tried", "clinician"),
        _utterance("u0004", 12.5, 15.0, "Not yet.", "patient"),
    ]
    sentence = DraftSentence(
        text="The patient sleeps about four hours.", evidence=["u0002"], evidence_method="cited"
    )
    remapped = remap_evidence(sentence, provisional, final)
    assert remapped.evidence == ["u0002", "u0003"]
    assert remapped.text == sentence.text and remapped.evidence_method == "cited"
    # An id the window never had (a model's invention) cites nothing after remapping.
    assert (
        remap_evidence(
            sentence.model_copy(update={"evidence": ["u0009"]}), provisional, final
        ).evidence
        == []
    )


def test_the_drafter_reads_the_next_window_ahead_and_the_last_window_cites_final_ids() -> None:
    """What the drafter read while recording is the start of the prompt it drafts at stop.

    The final transcript numbers utterances differently (the final clustering split an
    earlier one): a window's lines are numbered afresh, so its prompt is the same, and its
    sentences still cite the final transcript's ids.
    """
    earlier = [("clinician", "How have you been?"), ("patient", "Not bad, thanks.")]
    window = [
        ("clinician", "How is your sleep?"),
        ("patient", "Badly. About four hours a night."),
        ("clinician", "And your appetite?"),
    ]
    provisional = make_transcript([*earlier, *window])
    final = make_transcript([*earlier, ("patient", "Really."), *window, ("patient", "Fine.")])
    reply = (
        "## Subjective\n- The patient sleeps about four hours a night. [u0002]\n"
        "## Objective\n- Not discussed.\n## Assessment\n- Not discussed.\n"
        "## Plan\n- Not discussed.\n"
    )
    drafter = ScriptedDrafter(lambda messages: reply, reuses_prompt_prefix=True)
    drafting = LiveDrafting(
        load_template("soap"), drafter, max_new_tokens=256, window_seconds=600.0
    )
    drafting.cut = provisional.utterances[1].end  # the earlier lines were a window of their own
    upto = provisional.utterances[3].end  # ASR has committed two lines of this window
    assert drafting.read_ahead(provisional, upto)
    (read,) = drafter.calls
    assert "Badly. About four hours" in read[-1]["content"]
    assert "appetite" not in read[-1]["content"]

    drafting.cut = final.utterances[2].end  # as the earlier window ended on the final ids
    note = drafting.finish(final)
    drafted = drafter.calls[1]
    assert [m["role"] for m in drafted] == [m["role"] for m in read]
    assert drafted[0] == read[0]
    assert drafted[-1]["content"].startswith(read[-1]["content"])
    sleep = next(s for s in note.sentences() if "four hours" in s.text)
    # The window's u0002 (with its question, u0001) is the final u0005 (and u0004).
    assert sleep.evidence == ["u0004", "u0005"] and sleep.status == "supported"


def test_nothing_is_read_ahead_by_a_drafter_that_keeps_no_prompt() -> None:
    drafter = ScriptedDrafter(lambda messages: "", reuses_prompt_prefix=False)
    drafting = LiveDrafting(load_template("soap"), drafter, max_new_tokens=256, window_seconds=60)
    transcript = make_transcript([("clinician", "How is your sleep?"), ("patient", "Badly.")])
    assert not drafting.read_ahead(transcript, transcript.utterances[-1].end)
    assert drafter.calls == []


def test_a_window_being_drafted_when_the_recording_stops_is_left_to_the_final_pass() -> None:
    """The stop does not wait for a window's draft that has barely begun (here: no window
    before it, so no pace to judge by): the final pass drafts its lines too."""
    rows = [
        ("clinician", "How is your sleep?"),
        ("patient", "Badly. About four hours a night."),
        ("clinician", "And your appetite?"),
        ("patient", "Not great, I skip breakfast."),
    ]
    transcript = make_transcript(rows)
    reply = (
        "## Subjective\n- The patient sleeps about four hours a night. [u0002]\n"
        "- The patient skips breakfast. [u0004]\n"
        "## Objective\n- Not discussed.\n## Assessment\n- Not discussed.\n"
        "## Plan\n- Not discussed.\n"
    )
    drafter = ScriptedDrafter(lambda messages: reply)
    drafting = LiveDrafting(load_template("soap"), drafter, max_new_tokens=256, window_seconds=5)
    end = transcript.utterances[-1].end
    asked: list[int] = []

    def stop_pressed_meanwhile() -> bool:  # not yet when the window starts, then "stop"
        asked.append(1)
        return len(asked) > 1

    assert not drafting.draft_window(transcript, end, should_stop=stop_pressed_meanwhile)
    assert len(drafter.calls) == 1  # the completion had started when the stop came
    assert drafting.windows == [] and drafting.cut == 0.0 and drafting.abandoned_seconds > 0

    note = drafting.finish(transcript)
    assert len(drafter.calls) == 2  # one draft of every line, at stop, never interrupted
    texts = [s.text for s in note.sentences()]
    assert any("four hours" in t for t in texts) and any("breakfast" in t for t in texts)
    assert "drafted in 1 window(s), merged at stop" in note.warnings

    # While the recording goes on, the window is drafted as before.
    drafting = LiveDrafting(load_template("soap"), drafter, max_new_tokens=256, window_seconds=5)
    assert drafting.draft_window(transcript, end, should_stop=lambda: False)
    assert len(drafting.windows) == 1 and drafting.cut == end
    assert drafting.abandoned_seconds == 0


def _window_rows() -> list[tuple[str, str]]:
    return [
        ("clinician", "How is your sleep?"),
        ("patient", "Badly. About four hours a night."),
        ("clinician", "And your appetite?"),
        ("patient", "Not great, I skip breakfast."),
    ]


@pytest.mark.parametrize(
    ("earlier_window_seconds", "finished"),
    [(0.0, True), (10_000.0, False)],  # at the earlier pace: past half-way; barely begun
)
def test_a_window_at_least_half_drafted_at_stop_is_finished(
    earlier_window_seconds: float, finished: bool
) -> None:
    """Redrafting a nearly drafted window at stop would cost more than finishing it."""
    transcript = make_transcript(_window_rows())
    reply = (
        "## Subjective\n- The patient sleeps about four hours a night. [u0002]\n"
        "## Objective\n- Not discussed.\n## Assessment\n- Not discussed.\n"
        "## Plan\n- Not discussed.\n"
    )
    drafter = ScriptedDrafter(lambda messages: reply)
    drafting = LiveDrafting(load_template("soap"), drafter, max_new_tokens=256, window_seconds=5)
    earlier = window_transcript(transcript, transcript.utterances[:2])
    drafting.windows.append(
        DraftedWindow(
            draft_note(earlier, load_template("soap"), drafter),
            earlier.utterances,
            earlier_window_seconds,
        )
    )
    drafting.cut = transcript.utterances[1].end
    calls = len(drafter.calls)

    assert (
        drafting.draft_window(transcript, transcript.utterances[-1].end, should_stop=lambda: True)
        is finished
    )
    assert (len(drafter.calls) > calls) is finished
    assert (len(drafting.windows) == 2) is finished
    assert (drafting.abandoned_seconds > 0) is not finished
    assert drafting.stopped_at is not None  # the final pass's time limit counts from here
