"""Pipeline speed and memory: seconds per audio second per stage, peak RSS.

Prints one row per file: decode, ASR, diarisation and alignment seconds per
audio second, ASR beside bare faster-whisper on the same samples (ratio), and
the process's peak resident memory. Times are the minimum over --repeat runs.
Targets on 2 cores with the defaults: ASR + diarisation <= 0.15 s per audio
second, ASR <= 1.1x bare faster-whisper, peak RSS <= 4 GB. `--short-clips`
times recognition of short clips with Whisper's 30 s encoder window against
shorter ones (the fixed cost of short clips).

    .venv/bin/python benchmarks/speed.py [--asr-model base] [--repeat 1] [FILES...]
    .venv/bin/python benchmarks/speed.py --short-clips [--repeat 3] [--window 30 --window 10]
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
SHORT_CLIPS = sorted((ROOT / "tests" / "data" / "speechocean762" / "audio").glob("*.flac"))
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
        beam_size=settings.decoding.asr_beam_size,
        vad_filter=True,
        word_timestamps=True,
        condition_on_previous_text=False,
    )
    for _ in segments:
        pass
    return time.perf_counter() - started


def short_clip_speed(model: str, clips: list[Path], windows: list[int], repeat: int) -> None:
    """Recognition seconds per audio second on short clips, per encoder window.

    Whisper pads every window to 30 s before the encoder: on a 3-5 s clip the
    encoder, not the decoder, is the fixed cost. Printed: seconds per audio
    second and the encoder's share of them (min over repeats, windows
    interleaved so contention hits both alike).
    """
    from avt_notes.asr import FasterWhisperTranscriber

    samples = [load_audio(path).samples for path in clips]
    audio = sum(len(x) for x in samples) / 16_000
    transcribers = {
        w: FasterWhisperTranscriber(
            model, settings=Settings().updated(decoding={"asr_min_window_seconds": w})
        )
        for w in windows
    }
    best = {w: (float("inf"), 0.0) for w in windows}
    for _ in range(repeat):
        for window, transcriber in transcribers.items():
            model_obj = transcriber._model
            encoder = type(model_obj).encode
            spent = [0.0]

            def timed_encode(self: object, features: np.ndarray, _e=encoder, _s=spent) -> object:
                t0 = time.perf_counter()
                out = _e(self, features)
                _s[0] += time.perf_counter() - t0
                return out

            model_obj.encode = timed_encode.__get__(model_obj)  # type: ignore[method-assign]
            started = time.perf_counter()
            for clip in samples:
                transcriber.transcribe(clip)
            total = time.perf_counter() - started
            if total < best[window][0]:
                best[window] = (total, spent[0] / total)
    print(f"short clips: {len(clips)} files, {audio:.1f} s of audio, model {model}")
    print(f"{'encoder window':<16}{'s per audio s':>14}{'encoder share':>15}")
    for window, (total, share) in best.items():
        label = "30 s (Whisper)" if window == 30 else f">= {window} s"
        print(f"{label:<16}{total / audio:>14.3f}{share:>15.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--asr-model", default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--short-clips",
        action="store_true",
        help="time recognition of the files (default: the real 3-5 s clips in tests/data) "
        "with a 30 s encoder window and with shorter ones",
    )
    parser.add_argument("--window", type=int, action="append", help="encoder windows to compare")
    args = parser.parse_args()
    if args.short_clips:
        files = args.files if args.files != DEFAULT_FILES else SHORT_CLIPS
        short_clip_speed(
            args.asr_model or Settings().models.asr_model,
            files,
            args.window or [30, 10],
            args.repeat,
        )
        return
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
