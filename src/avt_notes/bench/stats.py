"""Bootstrap confidence intervals for corpus error rates, resampling recordings.

Corpus WER is a ratio of sums (errors over reference words), and errors within
one recording are not independent (same speaker, same microphone, same room),
so the unit of resampling is the recording, not the word: a 95% interval that
resamples words would be far too narrow. Each bootstrap replicate draws
recordings with replacement and recomputes every group's ratio from the same
draw, so intervals for groups and for the worst/best ratio come from one
consistent set of replicates. The seed is fixed, so a report is reproducible.

Intervals are percentile intervals. With few recordings in a group they are
wide (and with one recording degenerate): the report prints n beside each.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20240601
LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a bootstrap interval (None when not computable)."""

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0  # recordings that contributed

    def as_dict(self) -> dict[str, float | int | None]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def _percentiles(values: np.ndarray, level: float) -> tuple[float | None, float | None]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None, None
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _draws(n: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples, n) recording indices drawn with replacement."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def bootstrap_ratio(
    numerators: Sequence[float],
    denominators: Sequence[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = LEVEL,
) -> Estimate:
    """sum(numerators)/sum(denominators) with a percentile interval over recordings."""
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    if num.shape != den.shape:
        raise ValueError("numerators and denominators must have the same length")
    value = ratio(float(num.sum()), float(den.sum()))
    if value is None:
        return Estimate(None, n=len(num))
    draws = _draws(len(num), resamples, seed)
    sums = den[draws].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        replicates = np.where(sums > 0, num[draws].sum(axis=1) / sums, np.nan)
    low, high = _percentiles(replicates, level)
    return Estimate(value, low, high, n=len(num))


def bootstrap_mean(
    values: Sequence[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = LEVEL,
) -> Estimate:
    """The mean of per-recording values with a percentile interval."""
    return bootstrap_ratio(values, [1.0] * len(values), resamples=resamples, seed=seed, level=level)


@dataclass(frozen=True)
class GroupedRates:
    """Per-group ratio estimates from one set of replicates, and the worst/best ratio."""

    groups: dict[str, Estimate]
    worst: str | None
    best: str | None
    worst_best_ratio: Estimate


def bootstrap_groups(
    recordings: Sequence[Mapping[str, tuple[float, float]]],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = LEVEL,
) -> GroupedRates:
    """Group ratios (e.g. WER per accent group) resampling whole recordings.

    `recordings[i][group] = (errors, words)` for each group present in recording
    i (a two-speaker recording can add to two groups). The worst/best ratio is
    max/min over groups of the point estimates; its interval recomputes it in
    every replicate from the same groups (replicates where the best group has
    a rate of 0 or no words are left out of the interval).
    """
    names = sorted({group for row in recordings for group in row})
    n = len(recordings)
    num = np.zeros((n, len(names)))
    den = np.zeros((n, len(names)))
    for i, row in enumerate(recordings):
        for j, name in enumerate(names):
            if name in row:
                num[i, j], den[i, j] = row[name]
    values = {
        name: ratio(float(num[:, j].sum()), float(den[:, j].sum())) for j, name in enumerate(names)
    }
    draws = _draws(n, resamples, seed) if n else np.zeros((resamples, 0), dtype=int)
    rep_num = num[draws].sum(axis=1)  # (resamples, groups)
    rep_den = den[draws].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        replicates = np.where(rep_den > 0, rep_num / rep_den, np.nan)
    groups = {}
    for j, name in enumerate(names):
        low, high = (
            _percentiles(replicates[:, j], level) if values[name] is not None else (None, None)
        )
        groups[name] = Estimate(values[name], low, high, n=int((den[:, j] > 0).sum()))

    scored = [name for name in names if values[name] is not None]
    if len(scored) < 2:
        only = scored[0] if scored else None
        return GroupedRates(groups, only, only, Estimate(None, n=n))
    worst = max(scored, key=lambda g: values[g] or 0.0)
    best = min(scored, key=lambda g: values[g] or 0.0)
    best_value, worst_value = values[best] or 0.0, values[worst] or 0.0
    point = worst_value / best_value if best_value > 0 else math.inf
    columns = [names.index(g) for g in scored]
    with np.errstate(divide="ignore", invalid="ignore"):
        sub = replicates[:, columns]
        complete = np.all(np.isfinite(sub), axis=1)
        lowest = np.min(sub, axis=1)
        spread = np.where(complete & (lowest > 0), np.max(sub, axis=1) / lowest, np.nan)
    low, high = _percentiles(spread, level)
    return GroupedRates(groups, worst, best, Estimate(point, low, high, n=n))
