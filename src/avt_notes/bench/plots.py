"""The report's figures, as matplotlib PNGs.

Plain static PNGs, so a report opens anywhere (a browser, a Markdown viewer,
attached to an email) with no JavaScript or server. The non-interactive Agg
backend is used, so plotting works on a headless machine. Each function takes
plain data and a path and writes one figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

WIDTH = 7.0


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def rate_with_intervals(
    labels: Sequence[str],
    values: Sequence[float],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
    counts: Sequence[int],
    path: Path,
    *,
    title: str,
    ylabel: str = "WER (%)",
) -> Path:
    """Bars of a rate per group with 95% interval whiskers; n under each label."""
    figure, axes = plt.subplots(figsize=(WIDTH, 3.6))
    positions = range(len(labels))
    heights = [v * 100 for v in values]
    below = [(v - (lo if lo is not None else v)) * 100 for v, lo in zip(values, lows, strict=True)]
    above = [((hi if hi is not None else v) - v) * 100 for v, hi in zip(values, highs, strict=True)]
    axes.bar(positions, heights, color="#4C72B0", yerr=[below, above], capsize=4, ecolor="#333")
    axes.set_xticks(list(positions))
    axes.set_xticklabels(
        [f"{label}\n(n={n})" for label, n in zip(labels, counts, strict=True)], fontsize=8
    )
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    return _save(figure, path)


def per_file_bars(
    labels: Sequence[str], values: Sequence[float], path: Path, *, title: str, ylabel: str
) -> Path:
    """One horizontal bar per file (e.g. DER per recording)."""
    height = max(2.5, 0.28 * len(labels) + 1.2)
    figure, axes = plt.subplots(figsize=(WIDTH, height))
    positions = range(len(labels))
    axes.barh(list(positions), [v * 100 for v in values], color="#DD8452")
    axes.set_yticks(list(positions))
    axes.set_yticklabels(labels, fontsize=7)
    axes.invert_yaxis()
    axes.set_xlabel(ylabel)
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.3)
    return _save(figure, path)


def histogram(counts: Sequence[int], path: Path, *, title: str, xlabel: str) -> Path:
    """Pre-binned counts over [0, 1] as a histogram."""
    bins = len(counts)
    figure, axes = plt.subplots(figsize=(WIDTH, 3.2))
    axes.bar(
        [(i + 0.5) / bins for i in range(bins)],
        counts,
        width=1 / bins * 0.95,
        color="#55A868",
    )
    axes.set_xlim(0, 1)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("notes")
    axes.set_title(title)
    return _save(figure, path)


def review_time_vs_length(
    chars: Sequence[int],
    seconds: Sequence[float],
    fast: Sequence[bool],
    chars_per_second: float,
    path: Path,
) -> Path:
    """Seconds in review against draft length, with the reading-speed line; fast ones in red."""
    figure, axes = plt.subplots(figsize=(WIDTH, 3.8))
    colours = ["#C44E52" if f else "#4C72B0" for f in fast]
    axes.scatter(chars, seconds, c=colours, s=18)
    longest = max(chars, default=0) or 1
    axes.plot(
        [0, longest],
        [0, longest / chars_per_second],
        color="#888",
        linestyle="--",
        label=f"reading once at {chars_per_second:g} chars/s",
    )
    axes.set_xlabel("draft length (characters)")
    axes.set_ylabel("seconds from first view to signing")
    axes.set_title("Review time vs note length (red: faster than reading it once)")
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    return _save(figure, path)


def trend_lines(
    periods: Sequence[str], series: dict[str, Sequence[float | None]], path: Path, *, title: str
) -> Path:
    """Shares over time, one line per series (values in [0, 1], None as gaps)."""
    figure, axes = plt.subplots(figsize=(WIDTH, 3.4))
    for name, values in series.items():
        axes.plot(
            list(periods),
            [float("nan") if v is None else v * 100 for v in values],
            marker="o",
            label=name,
        )
    axes.set_ylabel("%")
    axes.set_title(title)
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    axes.tick_params(axis="x", labelsize=7, rotation=45)
    return _save(figure, path)
