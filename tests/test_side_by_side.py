"""Work that runs side by side (ASR beside diarisation): results, errors and one progress bar."""

from __future__ import annotations

import threading
import time

import pytest

from avt_notes.pipeline import side_by_side
from avt_notes.progress import joint_progress


def test_both_results_come_back_and_the_work_overlaps() -> None:
    both_running = threading.Barrier(2, timeout=5)

    def first() -> str:
        both_running.wait()  # returns only once `second` is running too
        return threading.current_thread().name

    def second() -> str:
        both_running.wait()
        return threading.current_thread().name

    first_thread, second_thread = side_by_side(first, second)
    assert first_thread != second_thread
    assert second_thread == threading.current_thread().name


def test_an_error_is_raised_only_after_the_other_side_has_ended() -> None:
    ended: list[str] = []

    def slow() -> None:
        time.sleep(0.2)
        ended.append("slow")

    def failing() -> None:
        raise ValueError("diarisation failed")

    with pytest.raises(ValueError, match="diarisation failed"):
        side_by_side(slow, failing)
    assert ended == ["slow"]  # no model left running behind the error

    def failing_first() -> None:
        raise RuntimeError("recognition failed")

    with pytest.raises(RuntimeError, match="recognition failed"):
        side_by_side(failing_first, lambda: "diarised")


def test_joint_progress_reports_one_stage_with_the_mean_fraction() -> None:
    seen: list[tuple[str, float]] = []
    asr, diarisation = joint_progress(lambda s, f: seen.append((s, f)), "both", 2)
    asr("transcribing", 0.5)
    diarisation("segmentation", 1.0)
    asr("transcribing", 1.0)
    assert seen == [("both", 0.25), ("both", 0.75), ("both", 1.0)]
