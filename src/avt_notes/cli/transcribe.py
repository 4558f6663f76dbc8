"""`avt-notes transcribe`: a recording → transcript.json, transcript.txt, diarization.rttm."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avt_notes.cli.app import app
from avt_notes.cli.progress import console, stage_bars
from avt_notes.schemas import Transcript


def write_transcript_outputs(transcript: Transcript, out_dir: Path, file_id: str) -> list[Path]:
    """Write the three transcript files into `out_dir`; returns their paths."""
    from avt_notes.formats import transcript_text
    from avt_notes.rttm import write_rttm

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "transcript.json"
    text_path = out_dir / "transcript.txt"
    rttm_path = out_dir / "diarization.rttm"
    json_path.write_text(transcript.model_dump_json(indent=2), encoding="utf-8")
    text_path.write_text(transcript_text(transcript), encoding="utf-8")
    write_rttm(transcript.turns, rttm_path, file_id)
    return [json_path, text_path, rttm_path]


AudioArg = Annotated[
    Path, typer.Argument(help="Recording (wav, flac, mp3, ogg, webm, m4a/mp4, aac).")
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
AsrOpt = Annotated[
    str | None, typer.Option("--asr-model", help="Registry name (base, tiny.en) or a folder.")
]
SpeakersOpt = Annotated[int | None, typer.Option("--speakers", help="Exact number of speakers.")]
MinOpt = Annotated[int | None, typer.Option("--min-speakers")]
MaxOpt = Annotated[int | None, typer.Option("--max-speakers")]
EnrolOpt = Annotated[
    Path | None,
    typer.Option("--enrol", help="A short clinician voice sample: assigns roles by voice."),
]

ChannelsOpt = Annotated[
    bool,
    typer.Option(
        "--channels-as-speakers", help="Stereo with one speaker per channel: no diarisation."
    ),
]


def run_transcription(
    audio: Path,
    out: Path,
    asr_model: str | None,
    speakers: int | None,
    min_speakers: int | None,
    max_speakers: int | None,
    enrol: Path | None,
    channels_as_speakers: bool = False,
) -> Transcript:
    """Transcribe with progress bars and write the outputs (shared by transcribe and process)."""
    from avt_notes.config import get_settings
    from avt_notes.pipeline import transcribe_file

    settings = get_settings()
    with stage_bars() as progress:
        transcript = transcribe_file(
            audio,
            settings,
            asr_model=asr_model,
            num_speakers=speakers,
            min_speakers=min_speakers,
            max_speakers=max_speakers,
            enrolment_path=enrol,
            channels_as_speakers=channels_as_speakers,
            progress=progress,
        )
    for warning in transcript.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    write_transcript_outputs(transcript, out, audio.stem)
    return transcript


@app.command()
def transcribe(
    audio: AudioArg,
    out: OutOpt,
    asr_model: AsrOpt = None,
    speakers: SpeakersOpt = None,
    min_speakers: MinOpt = None,
    max_speakers: MaxOpt = None,
    enrol: EnrolOpt = None,
    channels_as_speakers: ChannelsOpt = False,
) -> None:
    """Transcribe and diarise a recording into a speaker-attributed transcript."""
    transcript = run_transcription(
        audio, out, asr_model, speakers, min_speakers, max_speakers, enrol, channels_as_speakers
    )
    roles = ", ".join(f"{s.label}={s.role}" for s in transcript.speakers)
    timing = ", ".join(f"{t.stage} {t.seconds:.1f}s" for t in transcript.timings)
    console.print(
        f"{len(transcript.utterances)} utterances, {len(transcript.speakers)} speakers ({roles}); "
        f"{transcript.audio.duration:.1f}s audio; {timing}"
    )
    console.print(f"wrote {out}/transcript.json, transcript.txt, diarization.rttm")
