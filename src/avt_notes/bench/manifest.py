"""Corpus manifests: which recordings to benchmark and what the truth is for each.

A manifest is JSON or YAML; paths in it are relative to the manifest file, so a
corpus folder can move as a whole. Loading validates everything before a run
starts (a run can take hours, so a typo should fail in the first second): the
schema with pydantic, that every referenced file exists, and that every
reference parses. All problems are collected and raised together as one
`InputError`, one line per problem.

    name: my-clinic-2025              # optional
    recordings:
      - id: rec01                     # unique, no spaces
        audio: audio/rec01.wav
        text: "inline reference words"          # or reference_text / reference_json
        reference_text: refs/rec01.stm           # .txt, .stm, .TextGrid or .json
        reference_json: refs/rec01.json          # timed [{role|speaker, start, end, text}]
        reference_rttm: refs/rec01.rttm          # speaker turns; labels clinician/patient
        reference_uem: refs/rec01.uem            #   make role accuracy scorable
        file_id: rec01                # id inside RTTM/UEM/STM files (default: audio stem)
        reference_note: refs/rec01.note.json     # {"note": ...} or .txt/.md
        num_speakers: 2               # optional hint passed to diarisation
        metadata: {accent_group: scottish, gender: female, device: phone, noise: quiet}

Per-speaker metadata goes under the speaker's label (`metadata: {clinician:
{accent_group: ...}, patient: {...}}`, what `corpus build-primock` writes) or
under `metadata.speakers.<label>`. Reference formats are described in
`avt_notes.bench.references`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from avt_notes.bench.references import (
    ReferenceSegment,
    read_note,
    read_transcript,
    read_uem,
)
from avt_notes.errors import InputError
from avt_notes.rttm import read_rttm
from avt_notes.schemas import SpeakerTurn

# Metadata keys that name a speaker's accent group, in order of preference.
ACCENT_KEYS = ("accent_group", "accent", "l1")
UNKNOWN = "unknown"


# Manifest fields that name a file relative to the manifest.
REFERENCE_PATH_FIELDS = (
    "reference_text",
    "reference_json",
    "reference_rttm",
    "reference_uem",
    "reference_note",
    "metadata_file",
)
PATH_FIELDS = ("audio", *REFERENCE_PATH_FIELDS)


class RecordingSpec(BaseModel):
    """One recording as written in the manifest (paths still relative)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, pattern=r"^\S+$")
    audio: str = Field(min_length=1)
    text: str | None = Field(None, description="Inline reference transcript (plain text).")
    reference_text: str | None = None
    reference_json: str | None = None
    reference_rttm: str | None = None
    reference_uem: str | None = None
    file_id: str | None = Field(None, pattern=r"^\S+$")
    reference_note: str | None = None
    num_speakers: int | None = Field(None, ge=1)
    language: str | None = None
    # Written by `corpus build-primock`; informational here.
    consultation: str | None = None
    duration: float | None = Field(None, ge=0)
    metadata_file: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class ManifestSpec(BaseModel):
    """A whole manifest as written."""

    model_config = ConfigDict(extra="forbid")

    name: str = "corpus"
    version: int | str = 1
    description: str = ""
    source: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    recordings: list[RecordingSpec] = Field(min_length=1)


@dataclass(frozen=True)
class CorpusItem:
    """One recording with absolute paths and its parsed references (picklable)."""

    id: str
    audio: Path
    reference: list[ReferenceSegment] | None = None
    turns: list[SpeakerTurn] | None = None
    uem: tuple[float, float] | None = None
    note: str | None = None
    num_speakers: int | None = None
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""  # changes when the entry or its audio file changes

    def speaker_metadata(self, speaker: str | None) -> dict[str, Any]:
        """Recording metadata overlaid with what is recorded for `speaker`."""
        labels = self.speakers() | {"speakers"}
        merged = {k: v for k, v in self.metadata.items() if k not in labels}
        if speaker is not None:
            own = self.metadata.get(speaker)
            if not isinstance(own, dict):
                own = (self.metadata.get("speakers") or {}).get(speaker)
            if isinstance(own, dict):
                merged.update(own)
        return merged

    def speakers(self) -> set[str]:
        """Speaker labels the references use (transcript segments and RTTM turns)."""
        labels = {s.speaker for s in self.reference or [] if s.speaker}
        return labels | {t.speaker for t in self.turns or []}

    def accent_group(self, speaker: str | None = None) -> str:
        """The accent group of `speaker` (or of the whole recording); 'unknown' if none."""
        found = self.speaker_metadata(speaker)
        for key in ACCENT_KEYS:
            if found.get(key):
                return str(found[key])
        if speaker is None:
            groups = {self.accent_group(s) for s in self.speakers()}
            if len(groups) == 1:
                return groups.pop()
            if len(groups) > 1:
                return "mixed"
        return UNKNOWN


@dataclass(frozen=True)
class Manifest:
    name: str
    path: Path
    items: list[CorpusItem]
    spec: ManifestSpec


def _read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read manifest {path}: {error.strerror or error}") from error
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            return yaml.safe_load(text)
        return json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise InputError(
            f"manifest {path} is not valid {path.suffix[1:].upper()}: {error}"
        ) from None


def _location(spec: Any, loc: tuple[Any, ...]) -> str:
    """'recordings[2] (id rec03).audio' from a pydantic error location."""
    parts: list[str] = []
    for index, part in enumerate(loc):
        if isinstance(part, int):
            label = f"[{part}]"
            if index > 0 and loc[index - 1] == "recordings":
                with contextlib.suppress(KeyError, IndexError, TypeError):
                    label += f" (id {spec['recordings'][part]['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts) or "manifest"


def _schema_problems(document: Any, error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        where = _location(document, tuple(item["loc"]))
        if item["type"] == "extra_forbidden":
            problems.append(f"{where}: unknown field (check the spelling)")
        elif item["type"] == "missing":
            problems.append(f"{where}: required field missing")
        else:
            problems.append(f"{where}: {item['msg']}")
    return problems


def _load_item(spec: RecordingSpec, base: Path, problems: list[str]) -> CorpusItem | None:
    """Resolve paths and parse references; problems are appended, not raised."""
    start = len(problems)

    def path_of(field_name: str) -> Path | None:
        value = getattr(spec, field_name)
        if value is None:
            return None
        path = (base / value).resolve()
        if not path.is_file():
            problems.append(f"recording {spec.id}: {field_name} {value!r} not found ({path})")
            return None
        return path

    audio = path_of("audio")
    paths = {name: path_of(name) for name in REFERENCE_PATH_FIELDS}
    if spec.text is not None and spec.reference_text is not None:
        problems.append(f"recording {spec.id}: give text or reference_text, not both")
    if spec.reference_uem is not None and spec.reference_rttm is None:
        problems.append(f"recording {spec.id}: reference_uem needs a reference_rttm")
    if len(problems) > start or audio is None:
        return None

    file_id = spec.file_id or audio.stem

    def parse(label: str, read: Any, *args: Any) -> Any:
        try:
            return read(*args)
        except (InputError, OSError, UnicodeDecodeError, ValueError) as error:
            problems.append(f"recording {spec.id}: {label}: {error}")
            return None

    reference = None
    if spec.text is not None:
        reference = parse("text", read_transcript, None, file_id, spec.text)
    text_path, json_path = paths["reference_text"], paths["reference_json"]
    if text_path is not None:
        reference = parse("reference_text", read_transcript, text_path, file_id)
    if json_path is not None:  # timed, so it wins over reference_text for scoring
        reference = parse("reference_json", read_transcript, json_path, file_id, None, "json")
    turns = None
    if paths["reference_rttm"] is not None:
        turns = parse("reference_rttm", read_rttm, paths["reference_rttm"], file_id)
        if turns is not None and not turns:
            problems.append(f"recording {spec.id}: reference_rttm has no turns for {file_id!r}")
    uem = None
    if paths["reference_uem"] is not None:
        uem = parse("reference_uem", read_uem, paths["reference_uem"], file_id)
    note = None
    if paths["reference_note"] is not None:
        note = parse("reference_note", read_note, paths["reference_note"])
    if len(problems) > start:
        return None
    stat = audio.stat()
    fingerprint = hashlib.sha256(
        f"{spec.model_dump_json()}|{stat.st_size}|{stat.st_mtime_ns}".encode()
    ).hexdigest()[:16]
    return CorpusItem(
        id=spec.id,
        audio=audio,
        reference=reference,
        turns=turns,
        uem=uem,
        note=note,
        num_speakers=spec.num_speakers,
        language=spec.language,
        metadata=dict(spec.metadata),
        fingerprint=fingerprint,
    )


def load_manifest(path: str | Path) -> Manifest:
    """Read and fully validate a manifest; raises `InputError` listing every problem."""
    path = Path(path).resolve()
    document = _read_document(path)
    try:
        spec = ManifestSpec.model_validate(document)
    except ValidationError as error:
        raise InputError(_summary(path, _schema_problems(document, error))) from None
    problems: list[str] = []
    seen: set[str] = set()
    for recording in spec.recordings:
        if recording.id in seen:
            problems.append(f"recording {recording.id}: id used more than once")
        seen.add(recording.id)
    items = [_load_item(recording, path.parent, problems) for recording in spec.recordings]
    if problems:
        raise InputError(_summary(path, problems))
    return Manifest(name=spec.name, path=path, items=[i for i in items if i], spec=spec)


def _summary(path: Path, problems: list[str]) -> str:
    count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
    return f"manifest {path} has {count}:\n" + "\n".join(f"  - {p}" for p in problems)
