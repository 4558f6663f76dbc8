"""Overall progress and a time estimate from the per-stage fractions the job table stores.

The pipeline reports `(stage, fraction within the stage)`; a clinician wants
one bar that moves and "about 2 min left". Each stage gets a share of the
whole (measured shares of a CPU run on a 2.5-minute consultation, rounded);
the estimate extrapolates the time spent so far over the share done, once
enough is done for that to mean something.
"""

from __future__ import annotations

from datetime import datetime

from avt_notes.progress import TRANSCRIBING_AND_DIARISING

# (stage name prefix, share of the whole job), in pipeline order.
STAGE_SHARES: tuple[tuple[str, float], ...] = (
    ("preparing audio", 0.02),
    ("decoding", 0.03),
    ("transcribing", 0.40),
    ("diarising", 0.20),
    ("aligning", 0.01),
    ("loading drafting model", 0.04),
    ("drafting", 0.29),
    ("saving", 0.01),
)
# Stages that stand in for another's share (a live job did the transcription while recording).
SAME_SHARE_AS = {"finishing live work": "transcribing"}
# Stages that run side by side, reported as one: the shares of all of them, from the first's start.
JOINT_STAGES = {TRANSCRIBING_AND_DIARISING: ("transcribing", "diarising")}
# Below this much done, elapsed time says little about what is left.
MIN_DONE_FOR_ESTIMATE = 0.05


def overall_fraction(stage: str, fraction: float) -> float | None:
    """The whole job's fraction done, or None for a stage this table does not know."""
    stage = SAME_SHARE_AS.get(stage, stage)
    first, *others = JOINT_STAGES.get(stage, (stage,))
    done = 0.0
    for prefix, share in STAGE_SHARES:
        if first.startswith(prefix):
            share += sum(s for p, s in STAGE_SHARES if p in others)
            return round(min(1.0, done + share * max(0.0, min(1.0, fraction))), 4)
        done += share
    if stage == "done":
        return 1.0
    return None


def seconds_left(started_at: datetime | None, now: datetime, overall: float | None) -> int | None:
    """Time left by extrapolating the time spent so far; None until it can be judged."""
    if started_at is None or overall is None or overall < MIN_DONE_FOR_ESTIMATE:
        return None
    if overall >= 1.0:
        return 0
    spent = (now - started_at).total_seconds()
    return max(1, round(spent * (1.0 - overall) / overall))
