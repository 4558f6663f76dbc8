"""CPU cost of the grounding checks: every safety-benchmark sentence against a long transcript.

The checks that read the whole session (what was denied, whose a finding is) grow
with the transcript, not only with a sentence's cited lines. This times
`check_sentence` for the 17 safety drafts' body sentences (`benchmarks/results/safety`)
against PriMock57 consultations joined into one transcript, each sentence citing
two lines, as a draft of a long session does at its merge.

    PYTHONPATH=src .venv/bin/python benchmarks/grounding_cost.py [--consultations 3]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from avt_notes.bench.primock import default_source_dir, list_consultations, load_consultation
from avt_notes.grounding import load_grounding_lexicon
from avt_notes.grounding.checks import check_sentence
from notes import rows_transcript

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--consultations", type=int, default=3)
    parser.add_argument("--source", default=None, help="PriMock57 folder.")
    args = parser.parse_args()
    source = Path(args.source) if args.source else default_source_dir()
    rows: list[tuple[str, str, float, float]] = []
    for cid in list_consultations(source)[: args.consultations]:
        offset = rows[-1][3] if rows else 0.0
        rows += [
            (u.role, u.text, u.start + offset, u.end + offset)
            for u in load_consultation(source, cid).utterances
        ]
    transcript = rows_transcript("joined", rows)
    by_id = {u.id: u for u in transcript.utterances}
    ids = list(by_id)
    sentences = [
        sentence["text"]
        for path in sorted((ROOT / "benchmarks" / "results" / "safety").glob("*.draft.json"))
        for section in json.loads(path.read_text())["sections"]
        for sentence in section["sentences"]
    ]
    lexicon = load_grounding_lexicon()
    check_sentence(sentences[0], ids[:2], by_id, lexicon=lexicon)  # compiles the lexicons
    started = time.process_time()
    for index, text in enumerate(sentences):
        cited = [ids[(7 * index) % len(ids)], ids[(7 * index + 1) % len(ids)]]
        check_sentence(text, cited, by_id, lexicon=lexicon)
    seconds = time.process_time() - started
    print(
        f"{len(sentences)} sentences against {len(ids)} utterances "
        f"({args.consultations} consultations): {seconds:.2f} s CPU, "
        f"{1000 * seconds / max(1, len(sentences)):.1f} ms per sentence"
    )


if __name__ == "__main__":
    main()
