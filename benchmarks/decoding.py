"""Decoding sweep: WER, hallucinations and word-probability bands per decoding setting.

Recognition only (no diarisation: these clips have one speaker each), so a
setting can be compared on a corpus in minutes. Each `--set key=value` is a
Settings override (the `asr_*` decoding fields in config.py); each run writes
one JSON line per clip to `<out>/<label>.jsonl` (rerun to resume) and prints
WER with a 95% bootstrap interval over speakers (clips of one speaker are not
independent), WER by age band, clips with spelled-letter runs or loops, the
error rate per word-probability band and per marking threshold, and seconds of
recognition per audio second (first-clip model load excluded).

    nice -n 10 .venv/bin/python benchmarks/decoding.py MANIFEST --label base-default \\
        [--asr-model base] [--set asr_beam_size=5 ...] [--whisper length_penalty=1.0 ...] \\
        [--split dev|test] [--out out/decoding]

`--split dev` / `--split test` keep the speakers of one half (a fixed hash of the
speaker id, so the halves never share a speaker): tune on dev, confirm on test.
`--whisper KEY=JSON` passes a faster-whisper option the settings do not have yet
(to try it before it earns a setting). Each clip's words and probabilities are
kept, so `benchmarks/combine.py` can vote between runs without decoding again.

MANIFEST comes from `avt-notes corpus import ../shared/data/speechocean762/manifest.csv`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", message=".*torchcodec.*")

from avt_notes.asr import UNCLEAR, FasterWhisperTranscriber  # noqa: E402
from avt_notes.audio import load_audio  # noqa: E402
from avt_notes.bench.manifest import CorpusItem, load_manifest  # noqa: E402
from avt_notes.bench.stats import bootstrap_ratio  # noqa: E402
from avt_notes.config import Settings  # noqa: E402
from avt_notes.hallucination import repeated_phrase, spelled_letter_run  # noqa: E402
from avt_notes.metrics.asr import error_rates  # noqa: E402
from avt_notes.metrics.clinical_terms import term_errors  # noqa: E402
from avt_notes.metrics.word_confidence import error_by_band, split_at, word_correctness  # noqa: E402
from avt_notes.schemas import Word  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        out[key] = json.loads(value) if value not in ("", "None") else None
    return out


def run_scores(reference: str, words: list[Word]) -> dict[str, Any]:
    """WER counts, hallucination flags and scored probabilities of one clip's words."""
    texts = [w.text for w in words]
    rates = error_rates(reference, " ".join(texts))
    terms = term_errors(reference, " ".join(texts))
    return {
        "term_errors": terms.errors,
        "term_words": terms.reference_words,
        "hypothesis": " ".join(texts),
        "errors": rates.substitutions + rates.deletions + rates.insertions,
        "words": rates.reference_words,
        "words_found": [[w.text, w.probability, w.start, w.end] for w in words],
        "letters": spelled_letter_run(texts),
        "loop": repeated_phrase(texts),
        "scored": [
            (w.probability, ok)
            for w, ok in zip(words, word_correctness(reference, texts), strict=True)
            if ok is not None
        ],
    }


def run_clip(item: CorpusItem, transcriber: FasterWhisperTranscriber) -> dict[str, Any]:
    audio = load_audio(item.audio)
    started = time.perf_counter()
    words = transcriber.transcribe(audio.samples)
    seconds = time.perf_counter() - started
    reference = " ".join(s.text for s in item.reference or [])
    return {
        "id": item.id,
        "speaker": str(item.metadata.get("speaker", item.id)),
        "age_band": str(item.metadata.get("age_band", "none")),
        "reference": reference,
        "seconds": round(seconds, 3),
        "audio_seconds": round(audio.duration, 3),
        **run_scores(reference, words),
    }


def spread(items: list[CorpusItem]) -> list[CorpusItem]:
    seen: dict[str, int] = defaultdict(int)
    rank = []
    for item in items:
        speaker = str(item.metadata.get("speaker", item.id))
        rank.append((seen[speaker], hashlib.sha256(speaker.encode()).hexdigest(), item.id))
        seen[speaker] += 1
    order = {key[2]: n for n, key in enumerate(sorted(rank))}
    return sorted(items, key=lambda item: order[item.id])


def speaker_half(speaker: str) -> str:
    """'dev' or 'test': a stable hash of the speaker id, never the clip."""
    return "dev" if hashlib.sha256(speaker.encode()).digest()[0] % 2 == 0 else "test"


def by_speaker(rows: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
    errors: dict[str, float] = defaultdict(float)
    words: dict[str, float] = defaultdict(float)
    for row in rows:
        errors[row["speaker"]] += row["errors"]
        words[row["speaker"]] += row["words"]
    return [errors[s] for s in errors], [words[s] for s in errors]


def wer_text(rows: list[dict[str, Any]]) -> str:
    est = bootstrap_ratio(*by_speaker(rows))
    if est.value is None:
        return "–"
    return f"{est.value:.1%} [{est.low:.1%}, {est.high:.1%}] ({est.n} speakers, {len(rows)} clips)"


def seconds_per_second(rows: list[dict[str, Any]]) -> float:
    timed = rows[1:] or rows  # the first clip's time includes loading the model
    return sum(r["seconds"] for r in timed) / sum(r["audio_seconds"] for r in timed)


def relative_text(rows: list[dict[str, Any]], baseline: list[dict[str, Any]]) -> str:
    """WER of `rows` over WER of `baseline` on the same clips, speakers resampled together."""
    errors, _ = by_speaker(rows)
    base, _ = by_speaker(baseline)
    est = bootstrap_ratio(errors, base)  # same clips, same words: the ratio of the WERs
    if est.value is None:
        return "–"
    return f"{est.value:.3f}x [{est.low:.3f}, {est.high:.3f}]"


def report(rows: list[dict[str, Any]], label: str) -> None:
    print(f"\n== {label}: {len(rows)} clips")
    print(f"WER {wer_text(rows)}")
    for band in sorted({r["age_band"] for r in rows}):
        print(f"  {band:<6} WER {wer_text([r for r in rows if r['age_band'] == band])}")
    term_words = sum(r.get("term_words", 0) for r in rows)
    if term_words:
        term_wer = sum(r.get("term_errors", 0) for r in rows) / term_words
        print(f"clinical-term WER {term_wer:.1%} ({term_words} term words)")
    bad = [r for r in rows if r["letters"] or r["loop"]]
    print(
        f"spelled-letter runs: {sum(r['letters'] for r in rows)}, loops: "
        f"{sum(r['loop'] for r in rows)}; clips where the guard put {UNCLEAR}: "
        f"{sum(UNCLEAR in r['hypothesis'].split() for r in rows)}"
    )
    for r in bad[:5]:
        print(f"   {r['id']}: {r['reference']!r} -> {r['hypothesis']!r}")
    print(f"recognition {seconds_per_second(rows):.3f} s per audio second")
    scored = [(p, ok) for r in rows for p, ok in r["scored"]]
    print("probability band   words  error rate")
    for band in error_by_band(scored):
        rate = "–" if band.error_rate is None else f"{band.error_rate:.1%}"
        print(f"  [{band.low:.1f}, {band.high:.1f})    {band.words:>5}  {rate}")
    print("threshold  marked  marked err  unmarked err  ratio")
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        s = split_at(scored, threshold)
        me = "–" if s.marked_error is None else f"{s.marked_error:.1%}"
        ue = "–" if s.unmarked_error is None else f"{s.unmarked_error:.1%}"
        ratio = "–" if s.ratio is None else f"{s.ratio:.1f}x"
        print(f"  {threshold:.1f}      {s.marked:>5}  {me:>9}  {ue:>12}  {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--label", required=True)
    parser.add_argument("--asr-model", default="base")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON")
    parser.add_argument("--whisper", action="append", default=[], metavar="KEY=JSON")
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    parser.add_argument(
        "--spread",
        action="store_true",
        help="every speaker's first clip, then every second clip, ...: a run stopped early "
        "still covers the speakers (compare runs on the clips both have: combine.py)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "decoding")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    if not args.manifest.exists():
        sys.exit(
            f"{args.manifest} not found: build it with `avt-notes corpus import "
            "../shared/data/speechocean762/manifest.csv -o out/so762/manifest.json`"
        )
    manifest = load_manifest(args.manifest)
    items = [
        item
        for item in manifest.items
        if item.reference  # words to score against
        and args.split in ("all", speaker_half(str(item.metadata.get("speaker", item.id))))
    ]
    if args.spread:
        items = spread(items)
    path = args.out / f"{args.label}.jsonl"
    args.out.mkdir(parents=True, exist_ok=True)
    done = {}
    if path.exists():
        done = {json.loads(line)["id"]: json.loads(line) for line in path.open()}
    if not args.report_only:
        settings = Settings().updated(decoding=parse_overrides(args.set))
        transcriber = FasterWhisperTranscriber(args.asr_model, settings=settings)
        transcriber.options.update(parse_overrides(args.whisper))
        with path.open("a", encoding="utf-8") as handle:
            for item in items:
                if item.id not in done:
                    done[item.id] = run_clip(item, transcriber)
                    handle.write(json.dumps(done[item.id]) + "\n")
                    handle.flush()
    rows = [done[item.id] for item in items if item.id in done]
    changes = " ".join(args.set + args.whisper) or "defaults"
    report(rows, f"{args.label} ({args.asr_model}, {changes}, {args.split} speakers)")


if __name__ == "__main__":
    main()
