"""Diarisation error and cost by pyannote chunk step (`diarization.SEGMENTATION_STEP`).

Diarises two kinds of audio with each step given: the two AMI meeting excerpts
in tests/data/real (real far-field speech, reference turns and UEM), and the
first `--crop` seconds of three PriMock57 consultations spoken by two TTS voices
(two speakers, the turns known from where each line was placed; needs
../shared). Prints DER (0.25 s collar) per file and the seconds per audio
second. The step is a fraction of pyannote's 10 s chunk: 0.1 starts a chunk
every second.

    .venv/bin/python benchmarks/segmentation_step.py [--steps 0.1 0.2] [--crop 240]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "real"
CONSULTATIONS = {  # id -> (clinician voice, patient voice)
    "day1_consultation02": ("espeak-en-gb-rp", "flite-slt"),
    "day2_consultation05": ("flite-slt", "espeak-en-us"),
    "day3_consultation03": ("espeak-en-gb", "flite-awb"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=float, nargs="+", default=[0.1, 0.2])
    parser.add_argument("--crop", type=float, default=240.0)
    args = parser.parse_args()

    from avt_notes import diarization
    from avt_notes.audio import Audio, load_audio
    from avt_notes.bench.primock import default_source_dir, load_consultation, render_consultation
    from avt_notes.config import Settings
    from avt_notes.metrics.diarization import diarization_scores
    from avt_notes.models import resolve
    from avt_notes.rttm import read_rttm

    settings = Settings()
    folder = resolve(
        settings.models.diarization_model,
        "diarization",
        settings.models.model_cache,
        settings.models.extra_models,
    )
    uem = {
        line.split()[0]: (float(line.split()[2]), float(line.split()[3]))
        for line in (REAL / "ami_dev.uem").read_text().splitlines()
        if line.strip()
    }
    files = []  # (name, audio, reference turns, scored region)
    for name in ("ami_dev00", "ami_dev01"):
        reference = read_rttm(REAL / "ami_dev.rttm", name)
        files.append((name, load_audio(REAL / f"{name}.wav"), reference, uem[name]))
    source = default_source_dir()
    for cid, (clinician, patient) in CONSULTATIONS.items():
        recording = render_consultation(
            load_consultation(source, cid),
            {"clinician": clinician, "patient": patient},
            max_gap=1.5,
            crop=args.crop,
        )
        audio = Audio.from_array(recording.samples, source=cid)
        files.append((cid, audio, recording.turns(), (0.0, recording.duration)))

    for step in args.steps:
        diarization.SEGMENTATION_STEP = step  # read when the pipeline is built
        diarizer = diarization.PyannoteDiarizer.from_local_checkpoints(folder)
        seconds = audio_seconds = 0.0
        for name, audio, reference, region in files:
            started = time.perf_counter()
            result = diarizer.diarize(audio)
            elapsed = time.perf_counter() - started
            seconds += elapsed
            audio_seconds += audio.info.duration
            scores = diarization_scores(reference, result.turns, collar=0.25, uem=region)
            speakers = len({turn.speaker for turn in result.turns})
            print(
                f"step {step:<5g} {name:<22} DER {scores.der:.3f}  speakers {speakers}  "
                f"{elapsed:.1f} s for {audio.info.duration:.0f} s",
                flush=True,
            )
        print(f"step {step:<5g} {seconds / audio_seconds:.3f} s per audio second\n", flush=True)


if __name__ == "__main__":
    main()
