"""How far length alone moves the PriMock57 note metric: shortened drafts, scored again.

Reads the rows `benchmarks/notes.py` wrote (`notes-rows.jsonl`, each with its
draft text) and the clinicians' notes from ../shared, and scores the same drafts
cut to their first K sentences per section, with and without the reporting frame
("The patient reports that ..."). No model runs: it asks whether a shorter or
terser draft of the same content could reach the whole-transcript baseline minus
20%, the issue's target, before anyone changes the drafting prompts for it.

    PYTHONPATH=src .venv/bin/python benchmarks/note_length.py [--rows ROWS.jsonl]

(default rows: benchmarks/results/primock57/notes-rows.jsonl)
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from collections.abc import Sequence
from pathlib import Path

from avt_notes.bench.primock import default_source_dir, load_consultation
from avt_notes.metrics.notes import char_levenshtein

ROOT = Path(__file__).resolve().parents[1]
HEADING = re.compile(r"^(?:Subjective|Objective|Assessment|Plan|[A-Z][\w -]+):\s*$")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
FRAME = re.compile(
    r"\b(?:The patient|The clinician|They)(?: also)? (?:reports?|reported|mentions?|mentioned|"
    r"states?|stated|says?|said|notes?|explains?|describes?)(?: that| having| feeling)?\s*",
    re.IGNORECASE,
)


def first_sentences(draft: str, per_section: int) -> str:
    """`draft` with each section cut to its first `per_section` sentences."""
    lines: list[str] = []
    kept = 0
    for line in draft.splitlines():
        if HEADING.match(line.strip()):
            lines.append(line)
            kept = 0
            continue
        sentences = [s for s in SENTENCE_END.split(line.strip()) if s]
        room = max(0, per_section - kept)
        lines.append(" ".join(sentences[:room]))
        kept += min(room, len(sentences))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--rows", type=Path, default=ROOT / "benchmarks/results/primock57/notes-rows.jsonl"
    )
    parser.add_argument("--source", type=Path, default=None, help="PriMock57 folder.")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.rows.read_text().splitlines() if line.strip()]
    source = args.source or default_source_dir()
    references = {r["consultation"]: load_consultation(source, r["consultation"]) for r in rows}

    def score(text_of: dict[str, str]) -> float:
        return statistics.mean(
            char_levenshtein(text_of[c], references[c].note["note"]) for c in text_of
        )

    drafts = {r["consultation"]: r["draft_text"] for r in rows}
    transcript = statistics.mean(r["transcript"]["char_levenshtein"] for r in rows)
    target = 0.8 * transcript
    print(f"{len(rows)} consultations from {args.rows}")
    print(f"  whole transcript {transcript:.3f}; target (20% below) {target:.3f}")
    lengths = [len(d) for d in drafts.values()]
    notes = [len(references[c].note["note"]) for c in drafts]
    print(
        f"  mean length: drafts {statistics.mean(lengths):.0f} characters, "
        f"clinicians' notes {statistics.mean(notes):.0f}"
    )
    print(f"  drafts as written {score(drafts):.3f}")
    unframed = {c: FRAME.sub("", d) for c, d in drafts.items()}
    print(f"  without the reporting frame {score(unframed):.3f}")
    for k in (1, 2, 3, 4, 5):
        cut = {c: first_sentences(d, k) for c, d in drafts.items()}
        terse = {c: FRAME.sub("", t) for c, t in cut.items()}
        print(
            f"  first {k} sentence(s) per section: {score(cut):.3f}; "
            f"without the frame too: {score(terse):.3f}"
        )


if __name__ == "__main__":
    main()
