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
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from avt_notes.cli.app import app
from avt_notes.errors import InputError
from avt_notes.progress import Progress as ProgressCallback
from avt_notes.schemas import Transcript

if TYPE_CHECKING:
    from avt_notes.config import Settings
    from avt_notes.drafting import DraftNote, Strategy

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
        "--strategy",
        help="auto, note (one call), compose (per section) or extract (restate lines).",
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


def summarise_draft(note: DraftNote, out: Path, transcript: Transcript) -> None:
    """Write draft.json + draft.md and print what the draft holds."""
    from avt_notes.config import get_settings
    from avt_notes.drafting import write_draft

    write_draft(note, out, transcript, get_settings().decoding.asr_low_probability)
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


def drafting_settings(drafter: str | None, max_new_tokens: int | None) -> Settings:
    """The project settings with the command line's drafter choices applied."""
    from avt_notes.config import get_settings

    update: dict[str, object] = {}
    if drafter:
        update["drafter"] = drafter
    if max_new_tokens:
        update["drafter_max_new_tokens"] = max_new_tokens
    return get_settings().updated(drafting=update)


def checked_strategy(strategy: str) -> Strategy:
    if strategy not in {"auto", "note", "compose", "extract"}:
        raise InputError(f"unknown strategy '{strategy}'; use auto, note, compose or extract")
    return strategy  # type: ignore[return-value]


def run_draft(
    transcript: Transcript,
    template: str,
    out: Path,
    drafter: str | None,
    strategy: str,
    max_new_tokens: int | None,
) -> None:
    """Load the template and model, draft with a progress bar, write and summarise."""
    from avt_notes.drafting import load_template
    from avt_notes.pipeline import draft_transcript, get_drafter

    chosen_strategy = checked_strategy(strategy)
    settings = drafting_settings(drafter, max_new_tokens)
    chosen = load_template(template)
    with console.status(f"loading drafter {settings.drafting.drafter} …"):
        get_drafter(settings)
    with _drafting_bar() as progress:
        note = draft_transcript(
            transcript, chosen, settings, progress=progress, strategy=chosen_strategy
        )
    summarise_draft(note, out, transcript)


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
    from avt_notes.cli.progress import stage_bars
    from avt_notes.cli.transcribe import write_transcript_outputs
    from avt_notes.pipeline import process_recording

    settings = drafting_settings(drafter, max_new_tokens)
    with stage_bars() as bars:
        # One bar for drafting, however many sections and parts it reports.
        def progress(stage: str, fraction: float) -> None:
            bars("drafting" if stage.startswith("drafting") else stage, fraction)

        result = process_recording(
            audio,
            settings,
            template=template,
            num_speakers=speakers,
            progress=progress,
            strategy=checked_strategy(strategy),
        )
    transcript = result.transcript
    for warning in transcript.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    write_transcript_outputs(transcript, out, audio.stem)
    console.print(f"{len(transcript.utterances)} utterances; wrote {out}/transcript.json")
    if result.draft is not None:
        summarise_draft(result.draft, out, transcript)
