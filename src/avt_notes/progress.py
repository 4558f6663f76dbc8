"""The progress callback every stage takes, defined once and low.

A stage reports ``progress(stage, fraction)`` with ``fraction`` in 0..1 (the
hook pyannote.audio also uses); the CLI draws bars, the job worker turns it
into heartbeats. This module imports nothing heavy, so the CLI and the web
layer can name the type without loading torch or pyannote.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Progress = Callable[[str, float], None]

# ASR and diarisation share no state and each runs best on half the cores
# (`ModelSettings.stage_threads`), so they run at the same time, reported as one stage.
TRANSCRIBING_AND_DIARISING = "transcribing and diarising"


def no_progress(stage: str, fraction: float) -> None:
    """The default callback: report nowhere."""


def joint_progress(progress: Progress, stage: str, parts: int) -> list[Progress]:
    """One callback per part of work running side by side, reported together as `stage`.

    The stage's fraction is the mean of the parts' fractions, so the bar moves
    with both and reaches 1 only when every part has.
    """
    fractions = [0.0] * parts
    lock = threading.Lock()

    def part(index: int) -> Progress:
        def report(_stage: str, fraction: float) -> None:
            with lock:
                fractions[index] = max(0.0, min(1.0, fraction))
                joint = sum(fractions) / parts
            progress(stage, joint)

        return report

    return [part(index) for index in range(parts)]
