"""Word voting between decoding runs: WER of the combined words, without decoding again.

Reads the per-clip words that benchmarks/decoding.py kept for each `--runs` label
(first = skeleton), combines them with `avt_notes.bench.word_voting.combine` for each
`--weight` x `--no-word` pair, and prints the decoding report for each. Tune the
pair on `--split dev`, then confirm the chosen one on `--split test`.

    .venv/bin/python benchmarks/combine.py MANIFEST --runs win10 tiny-win10 \\
        [--weight 0.5 ...] [--no-word 0.5 ...] [--split dev] [--summary]
"""

from __future__ import annotations

import argparse
import json
from itertools import product
from pathlib import Path
from typing import Any

from avt_notes.bench.manifest import load_manifest
from avt_notes.bench.word_voting import Voting, combine
from avt_notes.metrics.asr import normalise
from avt_notes.schemas import Word
from decoding import (
    ROOT,
    relative_text,
    report,
    run_scores,
    seconds_per_second,
    speaker_half,
    wer_text,
)


def load_run(folder: Path, label: str) -> dict[str, dict[str, Any]]:
    path = folder / f"{label}.jsonl"
    return {row["id"]: row for row in map(json.loads, path.open())}


def combined_row(rows: list[dict[str, Any]], voting: Voting) -> dict[str, Any]:
    hypotheses = [
        [Word(text=t, probability=p, start=s, end=e) for t, p, s, e in row["words_found"]]
        for row in rows
    ]
    words = combine(hypotheses, voting)
    first = rows[0]
    return {
        **{k: first[k] for k in ("id", "speaker", "age_band", "reference", "audio_seconds")},
        **run_scores(first["reference"], words),
        "seconds": sum(row["seconds"] for row in rows),  # every system decodes the clip
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--runs", nargs="+", required=True)
    parser.add_argument("--baseline", help="compare with this run (default: the first of --runs)")
    parser.add_argument("--weight", type=float, nargs="+", default=[0.5])
    parser.add_argument("--no-word", type=float, nargs="+", default=[0.5])
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "decoding")
    parser.add_argument("--summary", action="store_true", help="one WER line per pair")
    args = parser.parse_args()
    speakers = {
        item.id: str(item.metadata.get("speaker", item.id))
        for item in load_manifest(args.manifest).items
    }
    baseline = args.baseline or args.runs[0]
    runs = [load_run(args.out, label) for label in args.runs]
    reference = load_run(args.out, baseline)
    ids = [
        i
        for i in speakers
        if all(i in run for run in [*runs, reference])
        and args.split in ("all", speaker_half(speakers[i]))
    ]
    first = [reference[i] for i in ids]
    for label, run in zip(args.runs, runs, strict=True):
        rows = [run[i] for i in ids]
        same = sum(normalise(a["hypothesis"]) == normalise(b["hypothesis"])
                   for a, b in zip(rows, first, strict=True))  # fmt: skip
        print(
            f"{label:<24} WER {wer_text(rows)}; vs {baseline} {relative_text(rows, first)}, "
            f"same words on {same}/{len(ids)} clips, {seconds_per_second(rows):.3f} s/audio s"
        )
    for weight, no_word in product(args.weight, args.no_word):
        voting = Voting(weight=weight, no_word_confidence=no_word)
        rows = [combined_row([run[i] for run in runs], voting) for i in ids]
        label = f"vote {'+'.join(args.runs)} weight={weight} no-word={no_word}"
        if args.summary:
            print(f"{label:<60} WER {wer_text(rows)}; vs {baseline} "
                  f"{relative_text(rows, first)}")  # fmt: skip
        else:
            report(rows, f"{label} ({args.split} speakers)")


if __name__ == "__main__":
    main()
