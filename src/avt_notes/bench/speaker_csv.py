"""Import a speaker-annotated clip list (CSV) into a benchmark manifest.

Real accented speech arrives as a clip list from a corpus (speechocean762's
`manifest.csv`) or from a local collection: one row per clip with the audio
path, what was said, who said it and what we know about them. The benchmark
needs our manifest format, with the speaker kept in each recording's metadata
so intervals can resample speakers rather than clips (clips of one speaker are
not independent).

Columns (header row, any order; extra columns are kept as metadata):
`path` and `transcript` are required; `speaker`, `accent_group`, `l1`,
`gender`, `age` and `age_band` are optional. A missing `age_band` is derived
from `age` (under 18: child). Paths are relative to the CSV file.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from avt_notes.bench.manifest import PATH_FIELDS
from avt_notes.errors import InputError

REQUIRED = ("path", "transcript")
KNOWN = ("speaker", "accent_group", "l1", "gender", "age", "age_band")
ADULT_AGE = 18
_ID_UNSAFE = re.compile(r"[^\w.-]+")


def age_band(age: str) -> str | None:
    """'child' under 18, 'adult' from 18; None when the age is not a number."""
    try:
        years = float(age)
    except ValueError:
        return None
    return "child" if years < ADULT_AGE else "adult"


def _recording(row: dict[str, str], line: int, base: Path, out_dir: Path) -> dict[str, Any]:
    audio = (base / row["path"]).resolve()
    metadata: dict[str, Any] = {k: v for k, v in row.items() if k not in REQUIRED and v}
    if "age_band" not in metadata and row.get("age"):
        band = age_band(row["age"])
        if band:
            metadata["age_band"] = band
    metadata.setdefault("language", "en")
    return {
        "id": _ID_UNSAFE.sub("_", Path(row["path"]).with_suffix("").as_posix()).strip("_")
        or f"clip{line}",
        "audio": os.path.relpath(audio, out_dir.resolve()),
        "text": row["transcript"].strip(),
        "num_speakers": 1,
        "metadata": metadata,
    }


def read_clip_csv(csv_path: Path, out_dir: Path) -> list[dict[str, Any]]:
    """Manifest recordings from the CSV; raises `InputError` listing every bad row."""
    try:
        handle = csv_path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"cannot read {csv_path}: {error.strerror or error}") from error
    with handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise InputError(
                f"{csv_path}: missing column(s) {', '.join(missing)}; "
                f"expected a header with {', '.join(REQUIRED + KNOWN)}"
            )
        problems: list[str] = []
        recordings: list[dict[str, Any]] = []
        for line, raw in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            if not row["path"] or not row["transcript"]:
                problems.append(f"line {line}: path and transcript must not be empty")
                continue
            if not (csv_path.parent / row["path"]).is_file():
                problems.append(f"line {line}: audio {row['path']!r} not found")
                continue
            recordings.append(_recording(row, line, csv_path.parent, out_dir))
    seen: set[str] = set()
    for recording in recordings:
        if recording["id"] in seen:
            problems.append(f"clip id {recording['id']} occurs twice (same path?)")
        seen.add(recording["id"])
    if problems:
        raise InputError(
            f"{csv_path} has {len(problems)} problem(s):\n  - " + "\n  - ".join(problems)
        )
    if not recordings:
        raise InputError(f"{csv_path}: no clips")
    return recordings


def stratified_subset(
    recordings: list[dict[str, Any]], size: int, field: str = "age_band"
) -> list[dict[str, Any]]:
    """About `size` clips spread over speakers and over the values of `field`.

    Deterministic: within each group, one clip per speaker in turn (first
    clips first) until the group's share is filled, so a sweep subset covers
    as many speakers as it can.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for recording in recordings:
        groups.setdefault(str(recording["metadata"].get(field, "none")), []).append(recording)
    chosen: list[dict[str, Any]] = []
    for members in groups.values():
        share = round(size * len(members) / len(recordings))
        by_speaker: dict[str, list[dict[str, Any]]] = {}
        for recording in members:
            speaker = str(recording["metadata"].get("speaker", recording["id"]))
            by_speaker.setdefault(speaker, []).append(recording)
        rounds = max(len(clips) for clips in by_speaker.values())
        ordered = [
            clips[turn]
            for turn in range(rounds)
            for clips in by_speaker.values()
            if turn < len(clips)
        ]
        chosen += ordered[:share]
    keep = {id(r) for r in chosen}
    return [r for r in recordings if id(r) in keep]


def recordings_from(manifest: Path, out_dir: Path) -> list[dict[str, Any]]:
    """Another manifest's recordings with their paths made relative to `out_dir`.

    So one report can put the imported clips next to corpora we already have
    (native-speaker real clips, the synthetic consultations).
    """
    from avt_notes.bench.manifest import load_manifest

    load_manifest(manifest)  # validated as a whole first
    document = json.loads(manifest.read_text(encoding="utf-8"))
    moved = []
    for recording in document["recordings"]:
        copy = dict(recording)
        for name in PATH_FIELDS:
            if copy.get(name):
                target = (manifest.parent / copy[name]).resolve()
                copy[name] = os.path.relpath(target, out_dir.resolve())
        moved.append(copy)
    return moved


def write_manifest(
    csv_path: Path,
    out: Path,
    *,
    name: str | None = None,
    size: int | None = None,
    source: str = "",
    merge: Sequence[Path] = (),
) -> Path:
    """Write `out` (a .json manifest) from the clip list (plus `merge`d manifests)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    recordings = read_clip_csv(csv_path, out.parent)
    if size is not None and size < len(recordings):
        recordings = stratified_subset(recordings, size)
    for other in merge:
        recordings += recordings_from(other, out.parent)
    document = {
        "name": name or csv_path.parent.name,
        "version": 1,
        "description": f"Imported from {csv_path.name} ({len(recordings)} clips).",
        "source": source,
        "parameters": {"csv": str(csv_path), "size": size},
        "recordings": recordings,
    }
    out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return out
