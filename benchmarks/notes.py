"""Note quality: draft PriMock57 consultations and compare with the clinicians' own notes.

Drafts are made from the reference transcripts (TextGrid, both speakers), so
ASR errors do not mix in. Each draft is scored against the clinician's note
(`note` field of notes/<id>.json) with character-level normalised Levenshtein
distance (lower is better; the automatic metric that best tracked post-editing
effort in the PriMock57 human evaluation), ROUGE-L F1, the share of draft
sentences with evidence, the share flagged unsupported, and seconds per note.
Two baselines share the table: an empty note and the whole transcript pasted.

    .venv/bin/python benchmarks/notes.py [--limit 3, or 0 for all] [--resume] [--template soap]
        [--only day4] [--drafts out/primock-drafts]

Prints the table and writes it as Markdown and JSON (per-note rows included)
to --out (default benchmarks/results/notes.{md,json}).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from avt_notes.bench.primock import (
    Consultation,
    default_source_dir,
    list_consultations,
    load_consultation,
)
from avt_notes.config import Settings
from avt_notes.drafting import draft_note, load_drafter, load_template
from avt_notes.metrics.notes import score_note, score_text
from avt_notes.schemas import AudioInfo, Speaker, Transcript, Utterance

ROOT = Path(__file__).resolve().parents[1]


def rows_transcript(source: str, rows: Sequence[tuple[str, str, float, float]]) -> Transcript:
    """A Transcript from known (role, text, start, end) rows: reference text, roles known."""
    utterances = [
        Utterance(
            id=f"u{index + 1:04d}",
            start=start,
            end=end,
            speaker=role,
            role=role,
            text=text,
            confidence=1.0,
        )
        for index, (role, text, start, end) in enumerate(rows)
    ]
    return Transcript(
        audio=AudioInfo(source=source, duration=max((u.end for u in utterances), default=0.0)),
        language="en",
        utterances=utterances,
        speakers=[Speaker(label=r, role=r) for r in ("clinician", "patient")],
    )


def consultation_transcript(consultation: Consultation) -> Transcript:
    """A Transcript whose utterances are the reference utterances, roles known."""
    return rows_transcript(
        consultation.id, [(u.role, u.text, u.start, u.end) for u in consultation.utterances]
    )


def code_version() -> str:
    """The git commit the drafting code is at, "+changes" when the work tree differs."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src", "prompts"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{commit or 'unknown'}{'+changes' if dirty else ''}"


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return statistics.fmean(kept) if kept else None


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    load_before = " ".join(f"{v:.1f}" for v in os.getloadavg())
    source = Path(args.source) if args.source else default_source_dir()
    ids = [c for c in list_consultations(source) if c.startswith(tuple(args.only or [""]))]
    ids = ids[: args.limit or None]
    template = load_template(args.template)
    started = time.perf_counter()
    drafter = load_drafter(settings, args.drafter)
    load_seconds = time.perf_counter() - started
    # Rows are appended as they finish, so a long run can stop and resume (--resume);
    # a row is reused only for the same template file and model.
    progress_file = Path(args.out) / "notes-rows.jsonl"
    commit = code_version()  # the code this process imported, whatever changes later
    key = {"template_sha256": template.sha256, "model": drafter.info.model_dump()}
    done: dict[str, dict[str, Any]] = {}
    if args.resume and progress_file.exists():
        for line in progress_file.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("key") == key:
                done[row["consultation"]] = row
    elif progress_file.exists():
        progress_file.unlink()
    rows: list[dict[str, Any]] = []
    for index, cid in enumerate(ids, 1):
        if cid in done:
            rows.append(done[cid])
            continue
        consultation = load_consultation(source, cid)
        transcript = consultation_transcript(consultation)
        reference = str(consultation.note.get("note", ""))
        began, cpu_began = time.perf_counter(), time.process_time()
        note = draft_note(
            transcript,
            template,
            drafter,
            strategy=args.strategy,
            max_new_tokens=args.max_new_tokens or settings.drafting.drafter_max_new_tokens,
        )
        seconds = time.perf_counter() - began
        cpu_seconds = time.process_time() - cpu_began
        if args.drafts:
            # Evidence and flags per sentence, for reading the drafts against the transcript.
            folder = Path(args.drafts)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{cid}.draft.json").write_text(note.model_dump_json(indent=1))
            (folder / f"{cid}.transcript.json").write_text(transcript.model_dump_json(indent=1))
        draft_scores = score_note(note, reference)
        pasted = "\n".join(u.text for u in transcript.utterances)
        rows.append(
            {
                "consultation": cid,
                "utterances": len(transcript.utterances),
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu_seconds, 2),
                "sentences": draft_scores.sentences,
                "draft": vars(draft_scores),
                "empty": vars(score_text("", reference)),
                "transcript": vars(score_text(pasted, reference)),
                "draft_text": note.plain_text(headings=True),
                "set_aside": len(note.set_aside),
                "key": key,
                # Rows of a resumed run may come from different code: say which.
                "commit": commit,
            }
        )
        progress_file.parent.mkdir(parents=True, exist_ok=True)
        with progress_file.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(rows[-1]) + "\n")
        print(
            f"[{index}/{len(ids)}] {cid}: {seconds:.1f}s, {draft_scores.sentences} sentences, "
            f"lev {draft_scores.char_levenshtein:.3f}, rouge-l {draft_scores.rouge_l:.3f}",
            file=sys.stderr,
        )
    systems = []
    for key, label in (
        ("draft", f"draft ({drafter.info.name}, {template.id})"),
        ("empty", "baseline: empty note"),
        ("transcript", "baseline: whole transcript pasted"),
    ):
        systems.append(
            {
                "system": label,
                "char_levenshtein": _mean([r[key]["char_levenshtein"] for r in rows]),
                "rouge_l": _mean([r[key]["rouge_l"] for r in rows]),
                "evidence_share": _mean([r[key]["evidence_share"] for r in rows]),
                "unsupported_share": _mean([r[key]["unsupported_share"] for r in rows]),
                "seconds_per_note": _mean([r["seconds"] for r in rows]) if key == "draft" else None,
                "cpu_seconds_per_note": (
                    _mean([r["cpu_seconds"] for r in rows]) if key == "draft" else None
                ),
            }
        )
    return {
        "benchmark": "notes",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "consultations": ids,
        "template": template.id,
        "template_sha256": template.sha256,
        "model": drafter.info.model_dump(),
        "model_load_seconds": round(load_seconds, 1),
        "cpu_threads": settings.models.cpu_threads,
        "load_average": load_before,
        "command": " ".join(["benchmarks/notes.py", *sys.argv[1:]]),
        "systems": systems,
        "commits": dict(Counter(str(r.get("commit", "unknown")) for r in rows)),
        "notes": rows,
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# Note quality on PriMock57 ({len(result['consultations'])} consultations)",
        "",
        f"`{result['command']}` — {result['created_at']}, {result['cpu_threads']} CPU threads; "
        f"model {result['model']['name']} {result['model']['version']} "
        f"(loaded in {result['model_load_seconds']} s, not counted per note).",
        "",
        "| system | char Levenshtein ↓ | ROUGE-L ↑ | evidence share | unsupported share "
        "| s / note | CPU s / note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for system in result["systems"]:
        lines.append(
            f"| {system['system']} | {_fmt(system['char_levenshtein'])} | "
            f"{_fmt(system['rouge_l'])} | {_fmt(system['evidence_share'])} | "
            f"{_fmt(system['unsupported_share'])} | {_fmt(system['seconds_per_note'], 1)} | "
            f"{_fmt(system['cpu_seconds_per_note'], 1)} |"
        )
    lines += [
        "",
        "Consultations: " + ", ".join(result["consultations"]),
        "Drafted by commit: "
        + ", ".join(f"{commit} ({count})" for commit, count in result["commits"].items()),
        f"Load average before the run: {result['load_average']}. Wall seconds grow when other "
        "processes share the cores; CPU seconds (this process, all threads) much less so.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--limit", type=int, default=3, help="Consultations to draft (default 3; 0 for all)."
    )
    parser.add_argument(
        "--resume", action="store_true", help="Keep rows already drafted into --out."
    )
    parser.add_argument("--template", default="soap")
    parser.add_argument("--drafter", default=None, help="Registry name, folder or URL.")
    parser.add_argument(
        "--strategy", default="auto", choices=["auto", "note", "compose", "extract"]
    )
    parser.add_argument("--max-new-tokens", type=int, default=None)
    parser.add_argument("--source", default=None, help="PriMock57 folder.")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument(
        "--only", action="append", help="Consultations whose id starts so (e.g. day4); repeatable."
    )
    parser.add_argument("--drafts", default=None, help="Also write each draft.json here.")
    args = parser.parse_args(argv)
    result = run(args)
    table = markdown(result)
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "notes.md").write_text(table, encoding="utf-8")
    (out / "notes.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out / 'notes.md'} and {out / 'notes.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
