"""Accuracy end to end on the small default corpus: WER per accent with CIs, DER, notes, speed.

Builds the accent-stratified synthetic PriMock57 corpus if it is missing (or
was built with other parameters) into out/bench-corpus, runs `avt-notes bench`
over it into out/bench (resumable: rerun after an interruption), and prints
the headline table. The defaults (8 consultations, first 75 s of each,
silences capped at 1.5 s) finish in about 15 minutes on 2 cores with the
default models; `--size 45 --crop 0` (every consultation, whole) is the
overnight run.

    .venv/bin/python benchmarks/accuracy.py [--size 8] [--crop 75] [--snr DB]
        [--asr-model base] [--no-notes] [--workers 1] [--manifest FILE]
        [--source PRIMOCK57_FOLDER (default ../shared/data/primock57)]

Real accented speech beside the synthetic and native groups: import a clip
list, merge the other manifests, and pass the result as --manifest; the
report then shows WER by accent group and by age band with intervals that
resample speakers:

    avt-notes corpus import ../shared/data/speechocean762/manifest.csv \
        -o out/accents/manifest.json --merge benchmarks/corpora/real.json \
        --merge out/bench-corpus/manifest.json
    .venv/bin/python benchmarks/accuracy.py --manifest out/accents/manifest.json --no-notes
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=".*torchcodec.*")

from avt_notes.bench.manifest import load_manifest  # noqa: E402
from avt_notes.bench.report import headline_rows  # noqa: E402
from avt_notes.bench.runner import (  # noqa: E402
    BenchOptions,
    PipelineDrafter,
    PipelineTranscriber,
    finish_run,
    run_bench,
)
from avt_notes.config import get_settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def ensure_corpus(
    source: Path, folder: Path, size: int, crop: float | None, max_gap: float, snr: float | None
) -> Path:
    """The corpus manifest, building the corpus when absent or built differently."""
    from avt_notes.bench.primock_corpus import build_corpus

    manifest = folder / "manifest.json"
    wanted = {"size": size, "crop": crop, "max_gap": max_gap, "snr_db": snr}
    if manifest.exists():
        built = json.loads(manifest.read_text(encoding="utf-8")).get("parameters", {})
        if all(built.get(key) == value for key, value in wanted.items()):
            return manifest
    print(f"building the corpus in {folder} ({size} consultations) ...", flush=True)
    return build_corpus(source, folder, size=size, crop=crop, max_gap=max_gap, snr_db=snr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, help="benchmark this manifest instead")
    parser.add_argument(
        "--source", type=Path, default=None, help="PriMock57 folder (default ../shared/...)"
    )
    parser.add_argument("--corpus", type=Path, default=ROOT / "out" / "bench-corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench")
    parser.add_argument("--size", type=int, default=8)
    parser.add_argument("--crop", type=float, default=75.0, help="seconds kept (0: whole)")
    parser.add_argument("--max-gap", type=float, default=1.5)
    parser.add_argument("--snr", type=float, default=None, help="add white noise at this SNR")
    parser.add_argument("--asr-model", default=None)
    parser.add_argument("--template", default="soap")
    parser.add_argument("--no-notes", action="store_true")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")

    started = time.perf_counter()
    from avt_notes.bench.primock import default_source_dir
    from avt_notes.errors import ConfigError

    try:
        path = args.manifest or ensure_corpus(
            args.source or default_source_dir(),
            args.corpus,
            args.size,
            args.crop or None,
            args.max_gap,
            args.snr,
        )
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None
    manifest = load_manifest(path)
    notes = not args.no_notes
    if notes and importlib.util.find_spec("avt_notes.drafting") is None:
        print("note drafting is not available in this build: running without notes")
        notes = False
    options = BenchOptions(
        asr_model=args.asr_model or get_settings().models.asr_model,
        template=args.template if notes else None,
        drafter=get_settings().drafting.drafter if notes else "",
        workers=args.workers,
    )

    def progress(done: int, total: int, item: str) -> None:
        if item:
            elapsed = time.perf_counter() - started
            print(f"  [{done}/{total}] {item} ({elapsed:.0f} s)", flush=True)

    results = run_bench(
        manifest,
        args.out,
        PipelineTranscriber(args.asr_model),
        PipelineDrafter(args.template) if notes else None,
        options=options,
        progress=progress,
    )
    summary = finish_run(results, args.out, manifest, options)
    width = max(len(metric) for metric, _ in headline_rows(summary))
    print(f"\n{manifest.name}: {summary.ok}/{summary.items} recordings, ASR {options.asr_model}")
    for metric, value in headline_rows(summary):
        print(f"  {metric:<{width}}  {value}")
    for item, error in summary.failed:
        print(f"  FAILED {item}: {error}")
    print(f"\nreport: {args.out / 'report.md'} ({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
