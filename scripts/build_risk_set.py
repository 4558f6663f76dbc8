"""Build the risk labelled set: speak each source text with a TTS voice, transcribe it.

The risk benchmark must score what our own recognition produces (with its errors),
not clean text. Reads `benchmarks/risk_data/sources.yaml`, writes
`benchmarks/risk_data/labelled.jsonl` (text as recognised + label + source text).
Audio is not kept. Every third item of each group is the calibration part, the
rest is held out.

    PYTHONPATH=src .venv/bin/python scripts/build_risk_set.py [--asr base]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from avt_notes.bench.tts import SAMPLE_RATE, available_voices, synthesize
from avt_notes.config import Settings
from avt_notes.pipeline import get_transcriber

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "risk_data"


def _items(sources: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for concept, texts in sources["disclosures"].items():
        for k, text in enumerate(texts):
            items.append(
                {
                    "group": "disclosure",
                    "concept": concept,
                    "polarity": "reported",
                    "source": text,
                    "index": k,
                }
            )
    for k, entry in enumerate(sources["denials"]):
        items.append(
            {
                "group": "denial",
                "concept": entry["concept"],
                "polarity": "denied",
                "source": entry["text"],
                "index": k,
            }
        )
    for k, entry in enumerate(sources["answers"]):
        items.append(
            {
                "group": "answer",
                "concept": entry["concept"],
                "polarity": entry["polarity"],
                "source": entry["answer"],
                "question_source": entry["question"],
                "index": k,
            }
        )
    for group in ("idioms", "plain"):
        for k, text in enumerate(sources[group]):
            items.append(
                {
                    "group": group.rstrip("s"),
                    "concept": None,
                    "polarity": None,
                    "source": text,
                    "index": k,
                }
            )
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asr", default="base", help="ASR registry name (default base)")
    parser.add_argument("--out", type=Path, default=DATA / "labelled.jsonl")
    args = parser.parse_args(argv)
    sources = yaml.safe_load((DATA / "sources.yaml").read_text(encoding="utf-8"))
    voices = available_voices()
    if not voices:
        print("no TTS engine found: apt-get install espeak-ng flite", file=sys.stderr)
        return 2
    transcriber = get_transcriber(Settings(), args.asr)

    # Whisper always encodes a 30 s window, so clips are spoken in batches of about
    # 25 s separated by a second of silence, and the words are given back to the clip
    # whose time span holds their midpoint.
    clips: list[tuple[int, str, str]] = []  # (row index, field, text)
    rows = []
    for n, item in enumerate(_items(sources)):
        row = {
            "id": f"{item['group']}-{item['concept'] or 'none'}-{item['index']:02d}",
            "split": "calibration" if item["index"] % 3 == 0 else "heldout",
            "group": item["group"],
            "concept": item["concept"],
            "polarity": item["polarity"],
            "text": "",
            "source": item["source"],
            "voice": voices[n % len(voices)].id,
            "asr": args.asr,
        }
        if "question_source" in item:
            # The clinician's question in another voice, as the two-speaker case needs.
            row |= {
                "question": "",
                "question_source": item["question_source"],
                "question_voice": voices[(n + 7) % len(voices)].id,
            }
            clips.append((n, "question", item["question_source"]))
        clips.append((n, "text", item["source"]))
        rows.append(row)

    gap = np.zeros(SAMPLE_RATE, dtype=np.float32)
    batch: list[tuple[int, str, float, float]] = []
    pieces: list[np.ndarray] = []
    cursor = 0.0

    def flush() -> None:
        nonlocal cursor
        if not batch:
            return
        words = transcriber.transcribe(np.concatenate([*pieces, gap]))
        for row_index, field, start, end in batch:
            said = [w.text for w in words if start <= (w.start + w.end) / 2 < end]
            rows[row_index][field] = " ".join(said).strip()
            print(f"{row_index + 1:3d} {field:8s} {rows[row_index][field]}", flush=True)
        batch.clear()
        pieces.clear()
        cursor = 0.0

    for row_index, field, text in clips:
        voice = rows[row_index]["voice" if field == "text" else "question_voice"]
        speech = synthesize(text, voice)
        if cursor + (len(speech) + len(gap)) / SAMPLE_RATE > 25.0:
            flush()
        pieces += [gap, speech]
        start = cursor + len(gap) / SAMPLE_RATE
        cursor = start + len(speech) / SAMPLE_RATE
        batch.append((row_index, field, start - 0.5, cursor + 0.5))
    flush()
    args.out.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    print(f"{len(rows)} utterances -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
