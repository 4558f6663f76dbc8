"""Flat CSV views of benchmark results, for spreadsheets and statistics tools.

`results.csv` has one row per recording (the figures most people filter on),
`units.csv` one row per reference speaker (what WER per accent group is built
from), so an evaluator can redo any breakdown without parsing JSON.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from avt_notes.bench.scoring import ItemResult

ITEM_COLUMNS = (
    "id status accent_group audio_seconds wer cer substitutions deletions insertions "
    "reference_words term_words term_errors der jer reference_speakers hypothesis_speakers "
    "role_accuracy note_edit_distance note_rouge_l note_evidence_share note_unsupported_share "
    "wall_seconds peak_rss_mb error"
).split()


def item_row(result: ItemResult) -> dict[str, Any]:
    """One flat CSV row per recording."""
    row: dict[str, Any] = {
        "id": result.id,
        "status": result.status,
        "accent_group": result.accent_group,
        "audio_seconds": result.audio_seconds,
        "wall_seconds": result.wall_seconds,
        "peak_rss_mb": result.peak_rss_mb,
        "error": result.error or "",
    }
    if result.asr:
        whole = result.asr.whole
        row |= {"wer": round(result.asr.wer, 4), "cer": round(result.asr.cer, 4)}
        row |= {k: getattr(whole, k) for k in ("substitutions", "deletions", "insertions")}
        row |= {
            "reference_words": whole.reference_words,
            "term_words": whole.term_words,
            "term_errors": whole.term_errors,
        }
    if result.diarization:
        d = result.diarization
        row |= {"der": round(d.der, 4), "jer": round(d.jer, 4), "role_accuracy": d.role_accuracy}
        row |= {"reference_speakers": d.reference_speakers}
        row |= {"hypothesis_speakers": d.hypothesis_speakers}
    if result.note:
        n = result.note
        row |= {
            "note_edit_distance": n.edit_distance,
            "note_rouge_l": n.rouge_l,
            "note_evidence_share": n.evidence_share,
            "note_unsupported_share": n.unsupported_share,
        }
    for stage, seconds in result.timings.items():
        row[f"{stage}_seconds"] = seconds
    return row


def write_tables(results: Iterable[ItemResult], out_dir: Path) -> tuple[Path, Path]:
    """results.csv (one row per recording) and units.csv (one row per reference speaker)."""
    results = list(results)
    rows = [item_row(r) for r in results]
    stages = sorted({k for row in rows for k in row if k.endswith("_seconds")} - set(ITEM_COLUMNS))
    items = out_dir / "results.csv"
    with items.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, [*ITEM_COLUMNS, *stages], restval="")
        writer.writeheader()
        writer.writerows(rows)
    units = out_dir / "units.csv"
    columns = (
        "id speaker accent_group reference_words substitutions deletions insertions wer "
        "term_words term_errors missed_terms"
    ).split()
    with units.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for result in results:
            for unit in result.asr.units if result.asr else []:
                words = unit.reference_words
                writer.writerow(
                    {
                        "id": result.id,
                        "speaker": unit.speaker or "",
                        "accent_group": unit.accent_group,
                        "reference_words": words,
                        "substitutions": unit.substitutions,
                        "deletions": unit.deletions,
                        "insertions": unit.insertions,
                        "wer": round(unit.errors / words, 4) if words else "",
                        "term_words": unit.term_words,
                        "term_errors": unit.term_errors,
                        "missed_terms": "; ".join(unit.missed_terms),
                    }
                )
    return items, units
