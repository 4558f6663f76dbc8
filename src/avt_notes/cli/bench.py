"""`avt-notes bench` and `avt-notes report automation-bias`: evaluation from the command line.

`bench` runs the pipeline over a corpus manifest (resumable: rerun the same
command after an interruption) and writes results, summary and report;
`report automation-bias` turns the store's signed notes (or an exported JSON
lines file) into the post-market monitoring report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from avt_notes.cli.app import app

if TYPE_CHECKING:
    from avt_notes.bench.automation_bias import SignedNoteRecord
    from avt_notes.bench.summary import Summary

console = Console(stderr=True)

report_app = typer.Typer(help="Reports over stored data.", no_args_is_help=True)
app.add_typer(report_app, name="report")


def _signed_notes() -> list[SignedNoteRecord]:
    """Signed-note records from the store, or [] (with a warning) when it cannot be read."""
    from avt_notes.bench.automation_bias import load_signed_notes
    from avt_notes.config import get_settings

    settings = get_settings()
    try:
        return load_signed_notes(settings.store.data_dir, settings.store.database_url)
    except Exception as error:  # an unreadable database must not lose a finished bench run
        console.print(f"[yellow]warning:[/yellow] signed notes not read: {error}")
        return []


@app.command("bench")
def bench(
    manifest: Annotated[Path, typer.Argument(help="Corpus manifest (JSON or YAML).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder (rerun to resume).")],
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes; each loads its own models.")
    ] = 1,
    asr_model: Annotated[
        str | None, typer.Option("--asr-model", help="Registry name (base, tiny.en) or a folder.")
    ] = None,
    template: Annotated[
        str, typer.Option("--template", help="Note template for recordings with a reference note.")
    ] = "soap",
    no_notes: Annotated[bool, typer.Option("--no-notes", help="Do not draft notes.")] = False,
    collar: Annotated[float, typer.Option("--collar", min=0.0, help="DER collar, seconds.")] = 0.25,
    resamples: Annotated[int, typer.Option("--resamples", min=100, help="Bootstrap draws.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 20240601,
) -> None:
    """Benchmark the pipeline on a corpus: WER per accent group with CIs, DER, notes, speed."""
    from avt_notes.bench.manifest import load_manifest
    from avt_notes.bench.runner import (
        BenchOptions,
        PipelineDrafter,
        PipelineTranscriber,
        finish_run,
        run_bench,
    )
    from avt_notes.config import get_settings

    corpus = load_manifest(manifest)
    options = BenchOptions(
        asr_model=asr_model or get_settings().models.asr_model,
        template=None if no_notes else template,
        drafter="" if no_notes else get_settings().drafting.drafter,
        collar=collar,
        workers=workers,
    )
    with Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bars:
        task = bars.add_task(f"{corpus.name}", total=len(corpus.items))

        def progress(done: int, total: int, item_id: str) -> None:
            bars.update(task, completed=done, total=total, description=item_id or corpus.name)

        results = run_bench(
            corpus,
            out,
            PipelineTranscriber(asr_model),
            None if no_notes else PipelineDrafter(template),
            options=options,
            progress=progress,
        )
    summary = finish_run(
        results, out, corpus, options, signed_notes=_signed_notes(), seed=seed, resamples=resamples
    )
    print_headline(summary)
    typer.echo(f"wrote {out}/results.jsonl, results.csv, summary.json, report.md, report.html")
    if summary.failed:
        console.print(f"[red]{len(summary.failed)} recording(s) failed[/red]: see {out}/report.md")
        raise typer.Exit(1)


def print_headline(summary: Summary) -> None:
    """The headline table (metric, value with 95% CI) on stdout."""
    from avt_notes.bench.report import headline_rows

    table = Table("metric", "value [95% CI]", title="avt-notes benchmark")
    for metric, value in headline_rows(summary):
        table.add_row(metric, value)
    Console().print(table)


@report_app.command("automation-bias")
def automation_bias(
    out: Annotated[Path, typer.Option("--out", "-o", help="Report folder.")] = Path(
        "out/automation-bias"
    ),
    records: Annotated[
        Path | None,
        typer.Option("--records", help="JSON-lines export of signed notes instead of the store."),
    ] = None,
    period: Annotated[str, typer.Option("--period", help="Trend by week or month.")] = "week",
    chars_per_second: Annotated[
        float, typer.Option("--chars-per-second", min=1.0, help="Reading speed for fast sign-offs.")
    ] = 25.0,
) -> None:
    """How much clinicians edit AI drafts and whether they take time to check them."""
    from avt_notes.bench.automation_bias import read_records, summarise
    from avt_notes.bench.report import write_automation_bias_report
    from avt_notes.errors import ConfigError

    if period not in ("week", "month"):
        raise ConfigError(f"--period must be week or month, got {period!r}")
    chosen: Literal["week", "month"] = "month" if period == "month" else "week"
    loaded = read_records(records) if records is not None else _signed_notes()
    source = str(records) if records is not None else "the store"
    md, html = write_automation_bias_report(
        loaded, out, source=source, period=chosen, chars_per_second=chars_per_second
    )
    if loaded:
        overall = summarise(loaded, period=chosen, chars_per_second=chars_per_second).overall
        table = Table("signed notes", "median edit dist.", "unchanged", "fast", "flags kept")
        table.add_row(
            str(overall.notes),
            f"{overall.edit_distance_median:.3f}",
            f"{(overall.unchanged_share or 0) * 100:.0f}%",
            f"{(overall.fast_share or 0) * 100:.0f}%",
            "–"
            if overall.flagged_kept_unedited_share is None
            else f"{overall.flagged_kept_unedited_share * 100:.0f}%",
        )
        Console().print(table)
    else:
        typer.echo("no signed notes yet")
    typer.echo(f"wrote {md} and {html}")
