"""Automation-bias analytics over signed notes: are clinicians checking the drafts?

Post-market monitoring of an AI scribe (NHS England's guidance on ambient
voice technology asks for it) needs more than accuracy on a benchmark: it
needs evidence from use that clinicians review what they sign. The signals,
all computed at sign-off by the review feature and read here:

- how much the draft was changed (normalised character edit distance; a
  distribution piled at 0 means drafts go out as written);
- the share signed completely unchanged;
- seconds in review against note length: a sign-off faster than reading the
  draft once (default 25 characters a second, about 250 words a minute) is
  flagged as a *fast sign-off*;
- the share of flagged sentences (unsupported by the transcript, or risk
  items) kept without any edit;

each broken down by clinician, template and, where recorded with consent,
accent group, and as a trend over time (week or month of signing).

Everything is a pure function over `SignedNoteRecord`; `load_signed_notes`
reads the records from the store's `signoff_metrics` table or view (the
review feature provides it), and `read_records` from a JSON-lines export.
"""

from __future__ import annotations

import json
import logging
import statistics
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from avt_notes.errors import InputError

logger = logging.getLogger("avt_notes")

SIGNOFF_VIEW = "signoff_metrics"
READING_CHARS_PER_SECOND = 25.0
HISTOGRAM_BINS = 10
Period = Literal["week", "month"]


class SignedNoteRecord(BaseModel):
    """What the review feature stores about one signed note (one row of `signoff_metrics`)."""

    model_config = ConfigDict(extra="ignore")

    note_id: str
    clinician: str
    template: str
    accent_group: str | None = Field(None, description="Only where recorded with consent.")
    signed_at: datetime
    draft_chars: int = Field(ge=0)
    signed_chars: int | None = Field(None, ge=0)
    normalised_edit_distance: float = Field(ge=0.0)
    signed_unchanged: bool
    review_seconds: float = Field(ge=0.0, description="First view of the draft to signing.")
    audio_seconds_played: float | None = Field(None, ge=0.0)
    flagged_total: int = Field(0, ge=0)
    flagged_kept_unedited: int = Field(0, ge=0)
    flagged_edited: int = Field(0, ge=0)
    flagged_removed: int = Field(0, ge=0)
    transcript_confidence: float | None = Field(None, ge=0.0, le=1.0)
    sentences_changed_share: float | None = Field(None, ge=0.0, le=1.0)

    @field_validator("note_id", "clinician", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


def is_fast_signoff(
    record: SignedNoteRecord, chars_per_second: float = READING_CHARS_PER_SECOND
) -> bool:
    """Signed in less time than it takes to read the draft once."""
    return record.review_seconds < record.draft_chars / chars_per_second


class SignoffStats(BaseModel):
    """The automation-bias figures for a set of signed notes."""

    notes: int
    edit_distance_mean: float | None
    edit_distance_median: float | None
    edit_distance_p25: float | None
    edit_distance_p75: float | None
    histogram: list[int]  # counts in HISTOGRAM_BINS equal bins over [0, 1]; >1 in the last
    unchanged_share: float | None
    review_seconds_median: float | None
    fast_signoffs: int
    fast_share: float | None
    flagged_total: int
    flagged_kept_unedited: int
    flagged_kept_unedited_share: float | None
    chars_per_second: float


def histogram(values: Iterable[float], bins: int = HISTOGRAM_BINS) -> list[int]:
    """Counts of `values` in `bins` equal bins over [0, 1]; values ≥ 1 go in the last bin."""
    counts = [0] * bins
    for value in values:
        counts[min(int(max(value, 0.0) * bins), bins - 1)] += 1
    return counts


def _quantiles(values: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    if not values:
        return None, None, None
    if len(values) == 1:
        return values[0], values[0], values[0]
    p25, p50, p75 = statistics.quantiles(values, n=4, method="inclusive")
    return p25, p50, p75


def signoff_stats(
    records: Sequence[SignedNoteRecord], chars_per_second: float = READING_CHARS_PER_SECOND
) -> SignoffStats:
    distances = sorted(r.normalised_edit_distance for r in records)
    p25, median, p75 = _quantiles(distances)
    n = len(records)
    fast = sum(1 for r in records if is_fast_signoff(r, chars_per_second))
    flagged = sum(r.flagged_total for r in records)
    kept = sum(r.flagged_kept_unedited for r in records)
    return SignoffStats(
        notes=n,
        edit_distance_mean=statistics.fmean(distances) if distances else None,
        edit_distance_median=median,
        edit_distance_p25=p25,
        edit_distance_p75=p75,
        histogram=histogram(distances),
        unchanged_share=sum(r.signed_unchanged for r in records) / n if n else None,
        review_seconds_median=statistics.median(r.review_seconds for r in records) if n else None,
        fast_signoffs=fast,
        fast_share=fast / n if n else None,
        flagged_total=flagged,
        flagged_kept_unedited=kept,
        flagged_kept_unedited_share=kept / flagged if flagged else None,
        chars_per_second=chars_per_second,
    )


def breakdown(
    records: Sequence[SignedNoteRecord],
    key: Callable[[SignedNoteRecord], str | None],
    chars_per_second: float = READING_CHARS_PER_SECOND,
) -> dict[str, SignoffStats]:
    """Stats per value of `key`; records whose key is None (not recorded) are left out."""
    groups: dict[str, list[SignedNoteRecord]] = {}
    for record in records:
        value = key(record)
        if value is not None:
            groups.setdefault(value, []).append(record)
    return {name: signoff_stats(group, chars_per_second) for name, group in sorted(groups.items())}


def period_of(moment: datetime, period: Period = "week") -> str:
    """'2025-W07' (ISO week) or '2025-02' (month)."""
    if period == "month":
        return f"{moment.year:04d}-{moment.month:02d}"
    year, week, _ = moment.isocalendar()
    return f"{year:04d}-W{week:02d}"


def trend(
    records: Sequence[SignedNoteRecord],
    period: Period = "week",
    chars_per_second: float = READING_CHARS_PER_SECOND,
) -> list[tuple[str, SignoffStats]]:
    """Stats per week (or month) of signing, oldest first."""
    grouped = breakdown(records, lambda r: period_of(r.signed_at, period), chars_per_second)
    return sorted(grouped.items())


# Groups smaller than this are not shown: a handful of patients can be identified.
MIN_GROUP_SIZE = 10


class MeanInterval(BaseModel):
    value: float | None = None
    low: float | None = None
    high: float | None = None
    n: int = 0


def _mean_interval(values: Sequence[float | None]) -> MeanInterval:
    from avt_notes.bench.stats import bootstrap_mean

    present = [v for v in values if v is not None]
    if not present:
        return MeanInterval()
    found = bootstrap_mean(present)
    return MeanInterval(value=found.value, low=found.low, high=found.high, n=found.n)


class GroupFigures(BaseModel):
    """Per language/accent group: means with 95% bootstrap intervals over notes."""

    group: str
    notes: int
    shown: bool  # False below the minimum group size: figures withheld
    edit_distance: MeanInterval = Field(default_factory=MeanInterval)
    sentences_changed: MeanInterval = Field(default_factory=MeanInterval)
    review_seconds: MeanInterval = Field(default_factory=MeanInterval)
    transcript_confidence: MeanInterval = Field(default_factory=MeanInterval)


def language_group_figures(
    records: Sequence[SignedNoteRecord], min_size: int = MIN_GROUP_SIZE
) -> list[GroupFigures]:
    """Edit distance, sentences changed, review time and confidence per recorded group.

    Notes without a recorded group ("prefer not to say") are left out; a
    group with fewer than `min_size` notes is listed without figures.
    """
    groups: dict[str, list[SignedNoteRecord]] = {}
    for record in records:
        if record.accent_group:
            groups.setdefault(record.accent_group, []).append(record)
    out = []
    for name, members in sorted(groups.items()):
        if len(members) < min_size:
            out.append(GroupFigures(group=name, notes=len(members), shown=False))
            continue
        out.append(
            GroupFigures(
                group=name,
                notes=len(members),
                shown=True,
                edit_distance=_mean_interval([r.normalised_edit_distance for r in members]),
                sentences_changed=_mean_interval([r.sentences_changed_share for r in members]),
                review_seconds=_mean_interval([r.review_seconds for r in members]),
                transcript_confidence=_mean_interval([r.transcript_confidence for r in members]),
            )
        )
    return out


class AutomationBiasSummary(BaseModel):
    overall: SignoffStats
    by_clinician: dict[str, SignoffStats]
    by_template: dict[str, SignoffStats]
    by_accent_group: dict[str, SignoffStats]
    by_language_group: list[GroupFigures] = Field(default_factory=list)
    min_group_size: int = MIN_GROUP_SIZE
    trend: list[tuple[str, SignoffStats]]
    period: Period
    fast_signoff_notes: list[str]  # note ids, for follow-up


def summarise(
    records: Sequence[SignedNoteRecord],
    *,
    period: Period = "week",
    chars_per_second: float = READING_CHARS_PER_SECOND,
    min_group_size: int = MIN_GROUP_SIZE,
) -> AutomationBiasSummary:
    """Every figure of the automation-bias report."""
    return AutomationBiasSummary(
        by_language_group=language_group_figures(records, min_group_size),
        min_group_size=min_group_size,
        overall=signoff_stats(records, chars_per_second),
        by_clinician=breakdown(records, lambda r: r.clinician, chars_per_second),
        by_template=breakdown(records, lambda r: r.template, chars_per_second),
        by_accent_group={
            name: stats
            for name, stats in breakdown(
                records, lambda r: r.accent_group, chars_per_second
            ).items()
            if stats.notes >= min_group_size
        },
        trend=trend(records, period, chars_per_second),
        period=period,
        fast_signoff_notes=[r.note_id for r in records if is_fast_signoff(r, chars_per_second)],
    )


# --- loading -------------------------------------------------------------------------


def read_records(path: Path) -> list[SignedNoteRecord]:
    """Records from a JSON-lines file (one `SignedNoteRecord` object per line)."""
    records, problems = [], []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(SignedNoteRecord.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as error:
            problems.append(f"line {number}: {str(error).splitlines()[0]}")
    if problems:
        raise InputError(f"{path}: " + "; ".join(problems))
    return records


def load_signed_notes(data_dir: Path, database_url: str | None = None) -> list[SignedNoteRecord]:
    """Records from the store's `signoff_metrics` table or view; [] when there is none yet.

    Reads only: no database is created and no migration is run.
    """
    from sqlalchemy import inspect, text

    from avt_notes.config import StoreSettings
    from avt_notes.store.db import open_database

    try:
        engine = open_database(
            StoreSettings(data_dir=data_dir, database_url=database_url), read_only=True
        )
    except InputError:
        logger.info("no database in %s: no signed notes yet", data_dir)
        return []
    try:
        names = inspect(engine)
        if SIGNOFF_VIEW not in names.get_table_names() + names.get_view_names():
            logger.info("the store has no %s table yet: no signed notes", SIGNOFF_VIEW)
            return []
        with engine.connect() as connection:
            rows = connection.execute(text(f"SELECT * FROM {SIGNOFF_VIEW}")).mappings().all()
    finally:
        engine.dispose()
    try:
        return [SignedNoteRecord.model_validate(dict(row)) for row in rows]
    except ValidationError as error:
        raise InputError(f"{SIGNOFF_VIEW} rows do not match SignedNoteRecord: {error}") from None
