"""`avt-notes templates`, `draft` and `process`: transcripts to evidence-linked draft notes.

`draft` turns a transcript.json into draft.json + draft.md; `process` records
nothing new: it runs the transcription commands' code, writes its outputs to
the same folder, then drafts. Model loading and drafting report progress on a
rich bar; the library underneath (`avt_notes.drafting`) never prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from avt_notes.cli.app import app
from avt_notes.errors import InputError
from avt_notes.progress import Progress as ProgressCallback
from avt_notes.schemas import Transcript

console = Console(stderr=True)

TemplateOpt = Annotated[
    str, typer.Option("--template", "-t", help="Template id (see `templates`) or a .yaml file.")
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
DrafterOpt = Annotated[
    str | None,
    typer.Option("--drafter", help="Registry name, model folder or http(s):// server URL."),
]
StrategyOpt = Annotated[
    str,
    typer.Option(
        "--strategy", help="auto, compose (model writes sections) or extract (restates lines)."
    ),
]
TokensOpt = Annotated[
    int | None, typer.Option("--max-new-tokens", help="Output tokens per model call.")
]


@app.command("templates")
def templates() -> None:
    """List the note templates in prompts/templates/."""
    from avt_notes.drafting.templates import list_templates

    table = Table("id", "name", "sections", "file", "sha256")
    for template in list_templates():
        table.add_row(
            template.id,
            template.name,
            ", ".join(s.name for s in template.sections),
            template.path.name if template.path else "",
            template.sha256[:12],
        )
    Console().print(table)


@contextmanager
def _drafting_bar() -> Iterator[ProgressCallback]:
    with Progress(
        TextColumn("{task.description:<40}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
        console=console,
    ) as bars:
        task = bars.add_task("drafting", total=1.0)

        def report(message: str, fraction: float) -> None:
            bars.update(task, description=message, completed=min(max(fraction, 0.0), 1.0))

        yield report


def read_transcript(path: Path) -> Transcript:
    """A transcript.json, validated; errors say which file and what is wrong."""
    try:
        return Transcript.model_validate_json(path.read_bytes())
    except FileNotFoundError as error:
        raise InputError(f"no transcript at {path}") from error
    except (ValidationError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path} is not a transcript.json: {error}") from error


def run_draft(
    transcript: Transcript,
    template: str,
    out: Path,
    drafter: str | None,
    strategy: str,
    max_new_tokens: int | None,
) -> None:
    """Load the template and model, draft with a progress bar, write and summarise."""
    from avt_notes.config import get_settings
    from avt_notes.drafting import draft_note, load_drafter, load_template, write_draft

    if strategy not in {"auto", "compose", "extract"}:
        raise InputError(f"unknown strategy '{strategy}'; use auto, compose or extract")
    settings = get_settings()
    chosen = load_template(template)
    with console.status(f"loading drafter {drafter or settings.drafting.drafter} …"):
        model = load_drafter(settings, drafter)
    with _drafting_bar() as progress:
        note = draft_note(
            transcript,
            chosen,
            model,
            progress,
            strategy=strategy,  # type: ignore[arg-type]
            max_new_tokens=max_new_tokens or settings.drafting.drafter_max_new_tokens,
        )
    write_draft(note, out, transcript)
    sentences = note.sentences()
    flagged = sum(s.status == "unsupported" for s in sentences)
    seconds = next((t.seconds for t in note.timings if t.stage == "total"), 0.0)
    console.print(
        f"{note.template_name}: {len(sentences)} sentences, {flagged} flagged unsupported, "
        f"{len(note.risk_items)} risk item(s) for review; {note.chunks} chunk(s), "
        f"{seconds:.1f}s with {note.model.name} ({note.strategy})"
    )
    for warning in note.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"wrote {out}/draft.json, draft.md — {note.marker}")


@app.command()
def draft(
    transcript_json: Annotated[Path, typer.Argument(help="A transcript.json from `transcribe`.")],
    out: OutOpt,
    template: TemplateOpt = "dap",
    drafter: DrafterOpt = None,
    strategy: StrategyOpt = "auto",
    max_new_tokens: TokensOpt = None,
) -> None:
    """Draft a note from a transcript: draft.json + draft.md, every sentence with evidence."""
    run_draft(read_transcript(transcript_json), template, out, drafter, strategy, max_new_tokens)


@app.command()
def process(
    audio: Annotated[Path, typer.Argument(help="Recording (wav, flac, mp3, ogg, webm, m4a).")],
    out: OutOpt,
    template: TemplateOpt = "dap",
    speakers: Annotated[
        int | None, typer.Option("--speakers", help="Exact number of speakers.")
    ] = None,
    drafter: DrafterOpt = None,
    strategy: StrategyOpt = "auto",
    max_new_tokens: TokensOpt = None,
) -> None:
    """Transcribe + draft in one go; all outputs go into one folder."""
    from avt_notes.cli.transcribe import run_transcription

    transcript = run_transcription(audio, out, None, speakers, None, None, None)
    console.print(f"{len(transcript.utterances)} utterances; wrote {out}/transcript.json")
    run_draft(transcript, template, out, drafter, strategy, max_new_tokens)
