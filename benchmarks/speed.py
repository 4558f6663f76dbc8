"""Pipeline speed and memory: seconds per audio second per stage, peak RSS.

Prints one row per file: decode, ASR, diarisation and alignment seconds per
audio second, ASR beside bare faster-whisper on the same samples (ratio), and
the process's peak resident memory. Times are the minimum over --repeat runs.
Targets on 2 cores with the defaults: ASR + diarisation <= 0.15 s per audio
second, ASR <= 1.1x bare faster-whisper, peak RSS <= 4 GB.

    .venv/bin/python benchmarks/speed.py [--asr-model base] [--repeat 1] [FILES...]
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore", message=".*torchcodec.*")

from avt_notes.audio import load_audio  # noqa: E402
from avt_notes.config import Settings  # noqa: E402
from avt_notes.pipeline import get_diarizer, get_transcriber, transcribe_audio  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "data" / "real"  # the committed real clips; others on the command line
DEFAULT_FILES = [
    ROOT / "sample_audio" / "consultation.wav",
    REAL / "ami_dev00.wav",
    REAL / "ami_dev01.wav",
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_faster_whisper_seconds(settings: Settings, model: str, samples: np.ndarray) -> float:
    """The same decode with faster-whisper alone: the yardstick for our ASR stage."""
    from faster_whisper import WhisperModel

    from avt_notes.models import resolve

    whisper = WhisperModel(
        str(resolve(model, "asr", settings.models.model_cache)),
        device="cpu",
        compute_type=settings.models.asr_compute_type,
        cpu_threads=settings.models.cpu_threads,
    )
    started = time.perf_counter()
    segments, _ = whisper.transcribe(
        samples,
        language=settings.models.language,
        beam_size=settings.models.asr_beam_size,
        vad_filter=True,
        word_timestamps=True,
        condition_on_previous_text=False,
    )
    for _ in segments:
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--asr-model", default=None)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        raise SystemExit(
            f"error: missing audio {', '.join(missing)}: pass recordings on the command line "
            f"(the defaults are the sample consultation and tests/data/real's AMI excerpts)"
        )

    settings = Settings()
    model = args.asr_model or settings.models.asr_model
    started = time.perf_counter()
    transcriber = get_transcriber(settings, model)
    diarizer = get_diarizer(settings)
    print(
        f"models: asr={model} diarization={settings.models.diarization_model}; "
        f"loaded in {time.perf_counter() - started:.1f}s; threads={settings.models.cpu_threads}"
    )
    header = (
        f"{'file':<22}{'audio s':>8}{'decode':>8}{'asr':>8}{'diar':>8}{'align':>8}"
        f"{'asr+diar':>9}{'bare fw':>9}{'asr/bare':>9}{'RSS MB':>8}"
    )
    print("seconds of processing per second of audio")
    print(header)
    totals = {"audio": 0.0, "asr": 0.0, "diarization": 0.0, "bare": 0.0}
    for path in args.files:
        best: dict[str, float] = {}
        bare = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            audio = load_audio(path, settings.audio.max_audio_seconds)
            decode = time.perf_counter() - t0
            transcript = transcribe_audio(audio, transcriber, diarizer)
            stages = {t.stage: t.seconds for t in transcript.timings} | {"decode": decode}
            best = {k: min(v, best.get(k, float("inf"))) for k, v in stages.items()}
            bare = min(bare, bare_faster_whisper_seconds(settings, model, audio.samples))
        seconds = audio.duration
        per = {k: v / seconds for k, v in best.items()}
        totals["audio"] += seconds
        totals["asr"] += best["asr"]
        totals["diarization"] += best["diarization"]
        totals["bare"] += bare
        print(
            f"{path.name:<22}{seconds:>8.1f}{per['decode']:>8.3f}{per['asr']:>8.3f}"
            f"{per['diarization']:>8.3f}{per['alignment']:>8.4f}"
            f"{per['asr'] + per['diarization']:>9.3f}{bare / seconds:>9.3f}"
            f"{best['asr'] / bare:>9.2f}{peak_rss_mb():>8.0f}"
        )
    audio_total = totals["audio"]
    print(
        f"{'all':<22}{audio_total:>8.1f}{'':>8}{totals['asr'] / audio_total:>8.3f}"
        f"{totals['diarization'] / audio_total:>8.3f}{'':>8}"
        f"{(totals['asr'] + totals['diarization']) / audio_total:>9.3f}"
        f"{totals['bare'] / audio_total:>9.3f}{totals['asr'] / totals['bare']:>9.2f}"
        f"{peak_rss_mb():>8.0f}"
    )
    print("targets: asr+diar <= 0.150, asr/bare <= 1.10, peak RSS <= 4096 MB")


if __name__ == "__main__":
    main()
