"""Diarisation error rate (DER) and Jaccard error rate (JER) with pyannote.metrics.

Speaker labels need not match between reference and hypothesis: both metrics
find the optimal label mapping. The collar (seconds around each reference
boundary not scored) defaults to 0.25 s, overlapping speech is scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyannote.core import Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate, JaccardErrorRate

from avt_notes.rttm import to_annotation
from avt_notes.schemas import SpeakerTurn


@dataclass(frozen=True)
class DiarizationScores:
    der: float
    jer: float
    missed: float
    false_alarm: float
    confusion: float
    total: float
    reference_speakers: int
    hypothesis_speakers: int
    collar: float


def diarization_scores(
    reference: Sequence[SpeakerTurn],
    hypothesis: Sequence[SpeakerTurn],
    *,
    collar: float = 0.25,
    uem: tuple[float, float] | None = None,
) -> DiarizationScores:
    """DER, JER and DER's components (seconds) for one recording."""
    ref = to_annotation(reference, uri="recording")
    hyp = to_annotation(hypothesis, uri="recording")
    scored = Timeline([Segment(*uem)]) if uem else None
    der_metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    components = der_metric(ref, hyp, uem=scored, detailed=True)
    jer = JaccardErrorRate(collar=collar, skip_overlap=False)(ref, hyp, uem=scored)
    return DiarizationScores(
        der=float(components["diarization error rate"]),
        jer=float(jer),
        missed=float(components["missed detection"]),
        false_alarm=float(components["false alarm"]),
        confusion=float(components["confusion"]),
        total=float(components["total"]),
        reference_speakers=len(ref.labels()),
        hypothesis_speakers=len(hyp.labels()),
        collar=collar,
    )
