"""Threads per model: seconds for each stage on 1 and on 2 threads, and ASR beside diarisation.

Why it exists: `ModelSettings.stage_threads` gives ASR, diarisation and the
torch models half the cores and runs ASR and diarisation side by side, while
the drafter (llama.cpp) keeps all of them. This prints the figures behind that
choice on the machine at hand. Each measurement runs in its own process,
because torch's and OpenMP's thread settings are per process, with the
OMP_WAIT_POLICY the service uses (PASSIVE unless the environment says otherwise).

    .venv/bin/python benchmarks/threads.py [--seconds 120] [--repeat 2]

Audio: the first `--seconds` of PriMock57 day1_consultation02 spoken by two TTS
voices (needs ../shared); the drafter completes a fixed 2,500-character prompt.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("asr", "diarization", "drafting")
VOICES = {"clinician": "espeak-en-gb-rp", "patient": "flite-slt"}


def _audio(seconds: float):  # type: ignore[no-untyped-def]
    from avt_notes.audio import Audio
    from avt_notes.bench.primock import default_source_dir, load_consultation, render_consultation

    consultation = load_consultation(default_source_dir(), "day1_consultation02")
    recording = render_consultation(consultation, VOICES, max_gap=1.5, crop=seconds)
    return Audio.from_array(recording.samples, source=recording.id)


def measure(stage: str, threads: int, seconds: float, repeat: int) -> list[float]:
    """Wall seconds of `repeat` runs of `stage` in this process with `threads` threads."""
    from avt_notes.config import Settings
    from avt_notes.pipeline import get_diarizer, get_drafter, get_transcriber, side_by_side

    settings = Settings()
    # stage_threads is half of cpu_threads: ask for twice the threads to measure.
    settings.models.cpu_threads = threads if stage == "drafting" else 2 * threads
    times: list[float] = []
    if stage == "drafting":
        drafter = get_drafter(settings)
        text = (ROOT / "README.md").read_text()[:2500]
        for run in range(repeat):
            messages = [
                {"role": "system", "content": "You summarise text."},
                {"role": "user", "content": f"Run {run}. Summarise in 5 sentences:\n{text}"},
            ]
            started = time.perf_counter()
            drafter.complete(messages, max_new_tokens=120)  # type: ignore[arg-type]
            times.append(time.perf_counter() - started)
        return times
    audio = _audio(seconds)
    transcriber, diarizer = get_transcriber(settings), get_diarizer(settings)
    for _ in range(repeat):
        started = time.perf_counter()
        if stage == "asr":
            transcriber.transcribe(audio.samples)
        elif stage == "diarization":
            diarizer.diarize(audio)
        else:  # both, side by side as the pipeline runs them
            side_by_side(
                lambda: transcriber.transcribe(audio.samples), lambda: diarizer.diarize(audio)
            )
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--worker", nargs=2, metavar=("STAGE", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        stage, threads = args.worker[0], int(args.worker[1])
        print(json.dumps(measure(stage, threads, args.seconds, args.repeat)))
        return
    policy = os.environ.get("OMP_WAIT_POLICY", "PASSIVE (set by avt_notes)")
    print(f"{args.seconds:g} s of speech, best of {args.repeat}; OMP_WAIT_POLICY={policy}")
    print(f"{'stage':<28} {'1 thread s':>11} {'2 threads s':>12}")
    plan = [(stage, (1, 2)) for stage in STAGES] + [("asr+diarization", (1,))]
    for stage, counts in plan:
        cells = []
        for threads in counts:
            worker = ["--worker", stage, str(threads)]
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--seconds",
                    str(args.seconds),
                    "--repeat",
                    str(args.repeat),
                    *worker,
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout
            cells.append(f"{min(json.loads(out.strip().splitlines()[-1])):.1f}")
        label = "asr+diarization side by side" if stage == "asr+diarization" else stage
        print(f"{label:<28} {cells[0]:>11} {(cells[1] if len(cells) > 1 else '-'):>12}")


if __name__ == "__main__":
    main()
