"""`avt-notes corpus`: build or import benchmark corpora.

`build-primock` renders an accent-stratified corpus with a manifest;
`sample` renders the one short recording shipped in `sample_audio/`;
`voices` lists the offline TTS voices; `import` turns a clip list (CSV of path,
transcript, speaker, accent group, L1, gender, age) into a manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from avt_notes.cli.app import app

corpus_app = typer.Typer(
    help="Build benchmark corpora (PriMock57 spoken by TTS voices) or import real clip lists.",
    no_args_is_help=True,
)
app.add_typer(corpus_app, name="corpus")

console = Console(stderr=True)

SourceOpt = Annotated[
    Path | None,
    typer.Option("--source", help="PriMock57 folder (default: ../shared/data/primock57)."),
]
MaxGapOpt = Annotated[
    float | None, typer.Option("--max-gap", help="Shorten silences longer than this (seconds).")
]
CropOpt = Annotated[
    float | None,
    typer.Option("--crop", help="Keep only utterances that end within the first SECONDS."),
]
SnrOpt = Annotated[float | None, typer.Option("--snr", help="Add white noise at this SNR (dB).")]


def _source(source: Path | None) -> Path:
    from avt_notes.bench.primock import default_source_dir

    return source if source is not None else default_source_dir()


@corpus_app.command("build-primock")
def build_primock(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    size: Annotated[
        int | None, typer.Option("--size", help="Recordings to build (default: all).")
    ] = None,
    consultation: Annotated[
        list[str] | None,
        typer.Option(
            "--consultation", help="Consultation id (repeatable), e.g. day1_consultation01."
        ),
    ] = None,
    voice: Annotated[
        list[str] | None,
        typer.Option("--voice", help="Voice id for the pool (repeatable; default: all installed)."),
    ] = None,
    snr: SnrOpt = None,
    max_gap: MaxGapOpt = None,
    crop: CropOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="Consultation and voice choice.")] = 0,
    audio_format: Annotated[
        str, typer.Option("--format", help="Audio container: wav or flac.")
    ] = "wav",
    source: SourceOpt = None,
) -> None:
    """Render consultations with stratified voice pairs and write manifest.json."""
    from avt_notes.bench.primock_corpus import build_corpus
    from avt_notes.errors import ConfigError

    if audio_format not in ("wav", "flac"):
        raise ConfigError(f"--format must be wav or flac, got {audio_format!r}")
    fmt: Literal["wav", "flac"] = "flac" if audio_format == "flac" else "wav"
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bars:
        task = bars.add_task("preparing", total=None)

        def report(done: int, total: int, recording_id: str) -> None:
            bars.update(task, completed=done, total=total, description=recording_id or "done")

        manifest = build_corpus(
            _source(source),
            out,
            consultations=consultation or None,
            size=size,
            voices=voice or None,
            seed=seed,
            snr_db=snr,
            max_gap=max_gap,
            crop=crop,
            audio_format=fmt,
            progress=report,
        )
    typer.echo(str(manifest))


@corpus_app.command("sample")
def sample(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("sample_audio"),
    consultation: Annotated[
        str, typer.Option("--consultation", help="Consultation id.")
    ] = "day2_consultation08",
    clinician_voice: Annotated[str, typer.Option("--clinician-voice")] = "espeak-en-gb-rp",
    patient_voice: Annotated[str, typer.Option("--patient-voice")] = "flite-slt",
    crop: Annotated[float, typer.Option("--crop", help="Seconds kept from the start.")] = 150.0,
    max_gap: MaxGapOpt = 1.5,
    name: Annotated[
        str, typer.Option("--name", help="File stem and RTTM file id.")
    ] = "consultation",
    source: SourceOpt = None,
) -> None:
    """Render one short consultation as <name>.wav plus its references (no manifest)."""
    from avt_notes.bench.primock import load_consultation, render_consultation
    from avt_notes.bench.primock_corpus import write_recording

    with console.status(f"synthesising {consultation}"):
        recording = render_consultation(
            load_consultation(_source(source), consultation),
            {"clinician": clinician_voice, "patient": patient_voice},
            recording_id=name,
            max_gap=max_gap,
            crop=crop,
        )
        files = write_recording(recording, out, name=name, metadata=False)
    typer.echo(f"{files.audio}  {recording.duration:.1f} s, {len(recording.utterances)} utterances")


@corpus_app.command("voices")
def voices() -> None:
    """List the offline TTS voices and whether their engine is installed."""
    from avt_notes.bench.tts import VOICES, engine_available

    table = Table("voice", "engine", "accent group", "gender", "installed")
    for voice in VOICES.values():
        installed = "yes" if engine_available(voice.engine) else "no"
        table.add_row(voice.id, voice.engine, voice.accent, voice.gender, installed)
    Console().print(table)


@corpus_app.command("import")
def import_clips(
    csv_file: Annotated[
        Path, typer.Argument(help="Clip list: path, transcript[, speaker, accent_group, ...].")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Manifest to write (.json).")],
    size: Annotated[
        int | None,
        typer.Option(
            "--size", min=1, help="Keep about N clips, spread over speakers and age band."
        ),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Corpus name.")] = None,
    merge: Annotated[
        list[Path] | None,
        typer.Option("--merge", help="Also include this manifest's recordings (repeatable)."),
    ] = None,
) -> None:
    """Import a speaker-annotated clip list (e.g. speechocean762's manifest.csv) as a manifest."""
    from avt_notes.bench.manifest import load_manifest
    from avt_notes.bench.speaker_csv import write_manifest

    path = write_manifest(csv_file, out, name=name, size=size, merge=merge or ())
    manifest = load_manifest(path)  # the benchmark's own validation, now rather than later
    speakers = {item.metadata.get("speaker", item.id) for item in manifest.items}
    typer.echo(f"{path}  {len(manifest.items)} clips, {len(speakers)} speakers")
