"""A rich progress display with one bar per pipeline stage."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from avt_notes.progress import Progress as ProgressCallback

console = Console(stderr=True)


@contextmanager
def stage_bars() -> Iterator[ProgressCallback]:
    """Yield a `progress(stage, fraction)` callback that draws a bar per stage."""
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description:<13}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bars:

        def report(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=1.0)
            bars.update(tasks[stage], completed=min(max(fraction, 0.0), 1.0))

        yield report
