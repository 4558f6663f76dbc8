"""Aggregate per-item benchmark results into the corpus summary (summary.json).

Rates are pooled, not averaged: corpus WER is all errors over all reference
words, DER is all error seconds over all reference speech seconds, so a long
recording weighs more than a short one, as in the standard scoring tools.
Intervals come from `bench.stats` (bootstrap, fixed seed) over independent
units: the speaker when the manifest records one (`metadata.speaker`, as
`corpus import` writes: clips of one speaker are not independent), else the
recording.
Note metrics and per-file diarisation figures are means over recordings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from avt_notes.bench.scoring import BREAKDOWN_FIELDS, AsrUnit, ItemResult
from avt_notes.bench.stats import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    Estimate,
    bootstrap_groups,
    bootstrap_mean,
    bootstrap_ratio,
)
from avt_notes.metrics.asr import NORMALISER_VERSION

ACCENT = "accent_group"


class Interval(BaseModel):
    value: float | None = None
    low: float | None = None
    high: float | None = None
    n: int = 0

    @classmethod
    def of(cls, estimate: Estimate) -> Interval:
        return cls(value=estimate.value, low=estimate.low, high=estimate.high, n=estimate.n)


class GroupRow(BaseModel):
    group: str
    recordings: int
    speakers: int = 0  # resampling units: speakers where recorded, else recordings
    words: int
    wer: Interval
    cer: float | None
    substitutions: int
    deletions: int
    insertions: int
    term_words: int
    term_wer: float | None


class Breakdown(BaseModel):
    field: str
    rows: list[GroupRow]
    worst: str | None = None
    best: str | None = None
    worst_best_ratio: Interval = Field(default_factory=Interval)


class AsrSummary(BaseModel):
    recordings: int
    words: int
    wer: Interval
    cer: Interval
    substitutions: int
    deletions: int
    insertions: int
    term_words: int
    term_wer: Interval
    term_recall: float | None
    missed_terms: list[tuple[str, int]]
    by: dict[str, Breakdown]  # accent_group first, then other metadata fields
    probability_bands: list[tuple[int, int]] = Field(default_factory=list)  # [words, wrong]


class FileDiarization(BaseModel):
    id: str
    der: float
    jer: float
    reference_speakers: int
    hypothesis_speakers: int
    role_accuracy: float | None


class DiarizationSummary(BaseModel):
    recordings: int
    collar: float
    der: Interval  # pooled over reference speech time
    jer: Interval  # mean over recordings
    missed: float
    false_alarm: float
    confusion: float
    speaker_count_exact: float
    speaker_count_over: int
    speaker_count_under: int
    speaker_count_mean_abs_error: float
    role_accuracy: Interval  # pooled over overlapped speech time
    files: list[FileDiarization]


class NotesSummary(BaseModel):
    notes: int
    failed: int = 0  # drafting raised an error
    with_reference: int
    edit_distance: Interval
    rouge_l: Interval
    evidence_share: Interval
    unsupported_share: Interval
    seconds_per_note: float | None


class StageSpeed(BaseModel):
    stage: str
    seconds: float
    per_audio_second: float | None


class SpeedSummary(BaseModel):
    audio_seconds: float
    stages: list[StageSpeed]
    pipeline_per_audio_second: float | None  # every stage except drafting
    wall_seconds: float
    peak_rss_mb: float


class Summary(BaseModel):
    manifest: str
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    asr_model: str = ""
    template: str | None = None
    normaliser: str = NORMALISER_VERSION
    terms_version: str = ""
    seed: int = DEFAULT_SEED
    resamples: int = DEFAULT_RESAMPLES
    items: int
    ok: int
    failed: list[tuple[str, str]]
    asr: AsrSummary | None = None
    diarization: DiarizationSummary | None = None
    notes: NotesSummary | None = None
    speed: SpeedSummary | None = None


def sampling_unit(result: ItemResult) -> str:
    """What the bootstrap resamples: the recorded speaker, else the recording."""
    speaker = result.metadata.get("speaker")
    return f"speaker:{speaker}" if isinstance(speaker, str) and speaker else f"rec:{result.id}"


def _by_unit(
    results: Sequence[ItemResult], rows: Sequence[dict[str, tuple[float, float]]]
) -> list[dict[str, tuple[float, float]]]:
    """Per-recording (errors, words) by group, summed per sampling unit."""
    merged: dict[str, dict[str, tuple[float, float]]] = {}
    for result, row in zip(results, rows, strict=True):
        unit = merged.setdefault(sampling_unit(result), {})
        for group, (errors, words) in row.items():
            before = unit.get(group, (0.0, 0.0))
            unit[group] = (before[0] + errors, before[1] + words)
    return list(merged.values())


def _units_by(
    results: Sequence[ItemResult], key: Callable[[AsrUnit], str]
) -> list[dict[str, list[AsrUnit]]]:
    """Per recording: its ASR units grouped by `key`."""
    out = []
    for result in results:
        groups: dict[str, list[AsrUnit]] = {}
        for unit in result.asr.units if result.asr else []:
            groups.setdefault(key(unit), []).append(unit)
        out.append(groups)
    return out


def _breakdown(
    results: Sequence[ItemResult], field: str, key: Callable[[AsrUnit], str], seed: int, n: int
) -> Breakdown:
    per_recording = _units_by(results, key)
    errors = [
        {
            g: (float(sum(u.errors for u in us)), float(sum(u.reference_words for u in us)))
            for g, us in row.items()
        }
        for row in per_recording
    ]
    grouped = bootstrap_groups(_by_unit(results, errors), resamples=n, seed=seed)
    rows = []
    for group, estimate in grouped.groups.items():
        units = [u for row in per_recording for u in row.get(group, [])]
        chars = sum(u.reference_chars for u in units)
        term_words = sum(u.term_words for u in units)
        rows.append(
            GroupRow(
                group=group,
                recordings=sum(1 for row in per_recording if group in row),
                speakers=estimate.n,
                words=sum(u.reference_words for u in units),
                wer=Interval.of(estimate),
                cer=sum(u.char_errors for u in units) / chars if chars else None,
                substitutions=sum(u.substitutions for u in units),
                deletions=sum(u.deletions for u in units),
                insertions=sum(u.insertions for u in units),
                term_words=term_words,
                term_wer=sum(u.term_errors for u in units) / term_words if term_words else None,
            )
        )
    rows.sort(key=lambda r: (r.wer.value is None, -(r.wer.value or 0.0)))
    return Breakdown(
        field=field,
        rows=rows,
        worst=grouped.worst,
        best=grouped.best,
        worst_best_ratio=Interval.of(grouped.worst_best_ratio),
    )


def _attribute(field: str) -> Callable[[AsrUnit], str]:
    return lambda unit: unit.attributes.get(field, "none")


def summarise_asr(results: Sequence[ItemResult], seed: int, resamples: int) -> AsrSummary | None:
    scored = [r for r in results if r.asr is not None]
    if not scored:
        return None
    wholes = [r.asr.whole for r in scored if r.asr]
    units = [u for r in scored if r.asr for u in r.asr.units]
    n = resamples

    def pooled(num: Callable[[AsrUnit], float], den: Callable[[AsrUnit], float]) -> Interval:
        rows = [{"all": (float(num(u)), float(den(u)))} for u in wholes]
        per_unit = [row["all"] for row in _by_unit(scored, rows)]
        estimate = bootstrap_ratio(
            [e for e, _ in per_unit], [w for _, w in per_unit], resamples=n, seed=seed
        )
        return Interval.of(estimate)

    missed = Counter(term for u in units for term in u.missed_terms)
    bands = [r.asr.probability_bands for r in scored if r.asr and r.asr.probability_bands]
    pooled_bands = [
        (sum(b[i][0] for b in bands), sum(b[i][1] for b in bands))
        for i in range(len(bands[0]) if bands else 0)
    ]
    terms = sum(u.terms for u in units)
    by = {ACCENT: _breakdown(scored, ACCENT, lambda u: u.accent_group, seed, n)}
    for field in (*BREAKDOWN_FIELDS, "role"):
        values = {u.attributes.get(field, "none") for u in units}
        if len(values) > 1:
            by[field] = _breakdown(scored, field, _attribute(field), seed, n)
    return AsrSummary(
        recordings=len(scored),
        words=sum(u.reference_words for u in wholes),
        wer=pooled(lambda u: u.errors, lambda u: u.reference_words),
        cer=pooled(lambda u: u.char_errors, lambda u: u.reference_chars),
        substitutions=sum(u.substitutions for u in wholes),
        deletions=sum(u.deletions for u in wholes),
        insertions=sum(u.insertions for u in wholes),
        term_words=sum(u.term_words for u in wholes),
        term_wer=pooled(lambda u: u.term_errors, lambda u: u.term_words),
        term_recall=sum(u.terms_recognised for u in units) / terms if terms else None,
        missed_terms=missed.most_common(10),
        by=by,
        probability_bands=pooled_bands,
    )


def summarise_diarization(
    results: Sequence[ItemResult], seed: int, resamples: int
) -> DiarizationSummary | None:
    scored = [(r.id, r.diarization) for r in results if r.diarization is not None]
    if not scored:
        return None
    d = [s for _, s in scored]
    errors = [s.missed + s.false_alarm + s.confusion for s in d]
    counts = [s.speaker_count_error for s in d]
    roles = [s for s in d if s.role_seconds is not None]
    return DiarizationSummary(
        recordings=len(d),
        collar=d[0].collar,
        der=Interval.of(
            bootstrap_ratio(errors, [s.total for s in d], resamples=resamples, seed=seed)
        ),
        jer=Interval.of(bootstrap_mean([s.jer for s in d], resamples=resamples, seed=seed)),
        missed=sum(s.missed for s in d),
        false_alarm=sum(s.false_alarm for s in d),
        confusion=sum(s.confusion for s in d),
        speaker_count_exact=sum(1 for c in counts if c == 0) / len(counts),
        speaker_count_over=sum(1 for c in counts if c > 0),
        speaker_count_under=sum(1 for c in counts if c < 0),
        speaker_count_mean_abs_error=sum(abs(c) for c in counts) / len(counts),
        role_accuracy=Interval.of(
            bootstrap_ratio(
                [s.role_correct_seconds or 0.0 for s in roles],
                [s.role_seconds or 0.0 for s in roles],
                resamples=resamples,
                seed=seed,
            )
        ),
        files=[
            FileDiarization(
                id=rid,
                der=s.der,
                jer=s.jer,
                reference_speakers=s.reference_speakers,
                hypothesis_speakers=s.hypothesis_speakers,
                role_accuracy=s.role_accuracy,
            )
            for rid, s in scored
        ],
    )


def summarise_notes(
    results: Sequence[ItemResult], seed: int, resamples: int
) -> NotesSummary | None:
    attempted = [r.note for r in results if r.note is not None]
    notes = [n for n in attempted if n.error is None]
    if not attempted:
        return None

    def mean(values: list[float | None]) -> Interval:
        present = [v for v in values if v is not None]
        return (
            Interval.of(bootstrap_mean(present, resamples=resamples, seed=seed))
            if present
            else Interval()
        )

    return NotesSummary(
        notes=len(notes),
        failed=len(attempted) - len(notes),
        with_reference=sum(1 for n in notes if n.edit_distance is not None),
        edit_distance=mean([n.edit_distance for n in notes]),
        rouge_l=mean([n.rouge_l for n in notes]),
        evidence_share=mean([n.evidence_share for n in notes]),
        unsupported_share=mean([n.unsupported_share for n in notes]),
        seconds_per_note=sum(n.seconds for n in notes) / len(notes) if notes else None,
    )


def summarise_speed(results: Sequence[ItemResult]) -> SpeedSummary | None:
    ok = [r for r in results if r.status == "ok" and r.audio_seconds > 0]
    if not ok:
        return None
    audio = sum(r.audio_seconds for r in ok)
    stages: dict[str, float] = {}
    for result in ok:
        for stage, seconds in result.timings.items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    pipeline = sum(s for stage, s in stages.items() if stage != "drafting")
    return SpeedSummary(
        audio_seconds=round(audio, 3),
        stages=[
            StageSpeed(stage=s, seconds=round(t, 3), per_audio_second=t / audio)
            for s, t in stages.items()
        ],
        pipeline_per_audio_second=pipeline / audio if stages else None,
        wall_seconds=round(sum(r.wall_seconds for r in ok), 3),
        peak_rss_mb=max(r.peak_rss_mb for r in ok),
    )


def summarise(
    results: Sequence[ItemResult],
    *,
    manifest: str,
    asr_model: str = "",
    template: str | None = None,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
) -> Summary:
    """The corpus summary over every item that finished ("ok")."""
    ok = [r for r in results if r.status == "ok"]
    terms = next((r.asr.terms_version for r in ok if r.asr), "")
    return Summary(
        manifest=manifest,
        asr_model=asr_model,
        template=template,
        terms_version=terms,
        seed=seed,
        resamples=resamples,
        items=len(results),
        ok=len(ok),
        failed=[(r.id, r.error or "") for r in results if r.status != "ok"],
        asr=summarise_asr(ok, seed, resamples),
        diarization=summarise_diarization(ok, seed, resamples),
        notes=summarise_notes(ok, seed, resamples),
        speed=summarise_speed(ok),
    )
