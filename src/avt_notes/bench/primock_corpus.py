"""A corpus of synthetic PriMock57 recordings: voice plans, files and the manifest.

`primock` loads a consultation and renders it as one recording; this module
chooses consultations and voice pairs (balanced across accent groups), writes
each recording with its references (text, timed JSON, RTTM, the clinician's
note, metadata) and the manifest the benchmark runner reads.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import soundfile as sf

from avt_notes.bench.primock import (
    ROLES,
    Consultation,
    Recording,
    list_consultations,
    load_consultation,
    render_consultation,
)
from avt_notes.bench.tts import Voice, available_voices, get_voice, require_engines
from avt_notes.errors import ConfigError, InputError
from avt_notes.rttm import write_rttm
from avt_notes.schemas import CLINICIAN, PATIENT

logger = logging.getLogger("avt_notes")

ATTRIBUTION = (
    "Derived from PriMock57 (Papadopoulos Korfiatis, Moramarco, Sarac, Savkov: "
    "'PriMock57: A Dataset Of Primary Care Mock Consultations', ACL 2022), "
    "Babylon Health, CC BY 4.0. Changes: utterances re-spoken by TTS voices and "
    "re-timed to fit; tags removed (UNSURE words kept, UNIN/INAUDIBLE dropped)."
)
AudioFormat = Literal["wav", "flac"]
CorpusProgress = Callable[[int, int, str], None]  # (done, total, recording id)


# --- files --------------------------------------------------------------------


@dataclass(frozen=True)
class RecordingFiles:
    audio: Path
    reference_text: Path
    reference_json: Path
    reference_rttm: Path
    reference_note: Path
    metadata: Path | None


def voice_metadata(voice: Voice) -> dict[str, str]:
    return {
        "voice": voice.id,
        "engine": voice.engine,
        "accent_group": voice.accent,
        "gender": voice.gender,
    }


def noise_metadata(snr_db: float | None) -> dict[str, Any] | None:
    return None if snr_db is None else {"type": "white", "snr_db": snr_db}


def recording_metadata(recording: Recording) -> dict[str, Any]:
    """Everything needed to explain (and rebuild) one recording."""
    shifts = [u.start - u.source_start for u in recording.utterances]
    return {
        "id": recording.id,
        "consultation": recording.consultation_id,
        "duration": round(recording.duration, 3),
        "sample_rate": recording.sample_rate,
        "utterances": len(recording.utterances),
        "voices": {role: voice_metadata(v) for role, v in recording.voices.items()},
        "noise": noise_metadata(recording.snr_db),
        "max_gap": recording.max_gap,
        "crop": recording.crop,
        "seed": recording.seed,
        "shift_seconds": {
            "min": round(min(shifts), 3),
            "max": round(max(shifts), 3),
        },
        "source": ATTRIBUTION,
    }


def write_recording(
    recording: Recording,
    out_dir: str | Path,
    *,
    name: str | None = None,
    audio_format: AudioFormat = "wav",
    metadata: bool = True,
) -> RecordingFiles:
    """Write audio, references, RTTM, note (and metadata) as `<name>.*` in `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = name or recording.id
    audio = out / f"{stem}.{audio_format}"
    sf.write(
        audio,
        recording.samples,
        recording.sample_rate,
        subtype="PCM_16",
        format="WAV" if audio_format == "wav" else "FLAC",
    )
    text_path = out / f"{stem}.reference.txt"
    text_path.write_text(
        "".join(f"{u.role}: {u.text}\n" for u in recording.utterances), encoding="utf-8"
    )
    json_path = out / f"{stem}.reference.json"
    rows = [
        {
            "role": u.role,
            "start": round(u.start, 3),
            "end": round(u.end, 3),
            "text": u.text,
            "source_start": round(u.source_start, 3),
            "source_end": round(u.source_end, 3),
        }
        for u in recording.utterances
    ]
    json_path.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    rttm = write_rttm(recording.turns(), out / f"{stem}.rttm", file_id=stem)
    note = out / f"{stem}.note.json"
    note.write_text(json.dumps(recording.note, indent=1) + "\n", encoding="utf-8")
    meta = None
    if metadata:
        meta = out / f"{stem}.meta.json"
        meta.write_text(json.dumps(recording_metadata(recording), indent=1) + "\n", "utf-8")
    return RecordingFiles(audio, text_path, json_path, rttm, note, meta)


# --- corpus -------------------------------------------------------------------

VoicePlan = Sequence[str | Voice] | Mapping[str, Sequence[str | Voice]]


def assign_voice_pairs(
    count: int, voices: VoicePlan | None = None, seed: int = 0
) -> list[dict[str, Voice]]:
    """`count` (clinician, patient) voice pairs, deterministic and accent-stratified.

    `voices` is one pool for both roles or a pool per role (default: every voice
    whose engine is installed). Accent groups rotate in a Latin square, so each
    block of G recordings has every clinician group once and every patient group
    once, and G² recordings cover every (clinician, patient) group pair. Within
    a group voices rotate; the two roles never get the same voice.
    """
    if voices is None:
        voices = available_voices()
    if isinstance(voices, Mapping):
        pools = {role: [get_voice(v) for v in voices[role]] for role in ROLES}
    else:
        pool = [get_voice(v) for v in voices]
        pools = {role: pool for role in ROLES}
    if any(not pool for pool in pools.values()):
        raise ConfigError("the voice plan needs at least one voice per role")
    if len({v.id for pool in pools.values() for v in pool}) < 2:
        raise ConfigError("the voice plan needs at least two distinct voices")
    rng = random.Random(seed)
    groups: dict[str, list[str]] = {}
    cycles: dict[tuple[str, str], list[Voice]] = {}
    for role, pool in pools.items():
        groups[role] = sorted({v.accent for v in pool})
        rng.shuffle(groups[role])
        for group in groups[role]:
            members = sorted((v for v in pool if v.accent == group), key=lambda v: v.id)
            rng.shuffle(members)
            cycles[role, group] = members
    counters: dict[tuple[str, str], int] = {}

    def next_voice(role: str, group: str, avoid: Voice | None) -> Voice:
        members = cycles[role, group]
        for _ in range(len(members)):
            index = counters.get((role, group), 0)
            counters[role, group] = index + 1
            voice = members[index % len(members)]
            if avoid is None or voice.id != avoid.id:
                return voice
        # The group holds only the clinician's voice: take the next group's.
        others = [g for g in groups[role] if g != group]
        return next_voice(role, others[0], avoid)

    n_clin, n_pat = len(groups[CLINICIAN]), len(groups[PATIENT])
    pairs = []
    for i in range(count):
        clin_group = groups[CLINICIAN][i % n_clin]
        pat_group = groups[PATIENT][(i % n_clin + i // n_clin + 1) % n_pat]
        clinician = next_voice(CLINICIAN, clin_group, None)
        patient = next_voice(PATIENT, pat_group, clinician)
        pairs.append({CLINICIAN: clinician, PATIENT: patient})
    return pairs


def make_manifest(
    items: Sequence[tuple[Recording, RecordingFiles]],
    out_dir: str | Path,
    parameters: Mapping[str, Any],
) -> dict[str, Any]:
    """The corpus manifest (paths relative to `out_dir`). The one place its shape is defined."""
    out = Path(out_dir)

    def rel(path: Path | None) -> str | None:
        return None if path is None else path.relative_to(out).as_posix()

    recordings = [
        {
            "id": recording.id,
            "consultation": recording.consultation_id,
            "audio": rel(files.audio),
            "duration": round(recording.duration, 3),
            "reference_text": rel(files.reference_text),
            "reference_json": rel(files.reference_json),
            "reference_rttm": rel(files.reference_rttm),
            "reference_note": rel(files.reference_note),
            "metadata_file": rel(files.metadata),
            "metadata": {
                "clinician": voice_metadata(recording.voices[CLINICIAN]),
                "patient": voice_metadata(recording.voices[PATIENT]),
                "noise": noise_metadata(recording.snr_db),
            },
        }
        for recording, files in items
    ]
    return {
        "name": "primock57-tts",
        "version": 1,
        "source": ATTRIBUTION,
        "parameters": dict(parameters),
        "recordings": recordings,
    }


def select_consultations(
    available: Sequence[str], consultations: Sequence[str] | None, size: int | None, seed: int
) -> list[str]:
    """Which consultations to render: the given ones (in order) or a seeded sample.

    With `size` larger than the choice, consultations repeat (each repeat gets
    other voices), in the same order.
    """
    if consultations:
        unknown = sorted(set(consultations) - set(available))
        if unknown:
            raise InputError(f"unknown consultation(s): {', '.join(unknown)}")
        chosen = list(consultations)
    else:
        chosen = list(available)
        random.Random(seed).shuffle(chosen)
        if size is not None and size < len(chosen):
            chosen = sorted(chosen[:size])
        else:
            chosen.sort()
    if size is None:
        return chosen
    if size < 1:
        raise ConfigError(f"size must be at least 1, got {size}")
    return [chosen[i % len(chosen)] for i in range(size)]


def build_corpus(
    source_dir: str | Path,
    out_dir: str | Path,
    consultations: Sequence[str] | None = None,
    size: int | None = None,
    voices: VoicePlan | None = None,
    seed: int = 0,
    snr_db: float | None = None,
    *,
    max_gap: float | None = None,
    crop: float | None = None,
    audio_format: AudioFormat = "wav",
    progress: CorpusProgress | None = None,
) -> Path:
    """Render consultations into `out_dir` and write `out_dir/manifest.json` (returned)."""
    source = Path(source_dir)
    out = Path(out_dir)
    chosen = select_consultations(list_consultations(source), consultations, size, seed)
    pairs = assign_voice_pairs(len(chosen), voices, seed)
    require_engines([v for pair in pairs for v in pair.values()])
    out.mkdir(parents=True, exist_ok=True)
    items: list[tuple[Recording, RecordingFiles]] = []
    seen: dict[str, int] = {}
    loaded: dict[str, Consultation] = {}
    for index, (cid, pair) in enumerate(zip(chosen, pairs, strict=True)):
        seen[cid] = seen.get(cid, 0) + 1
        rid = cid if seen[cid] == 1 else f"{cid}_r{seen[cid]}"
        if progress:
            progress(index, len(chosen), rid)
        if cid not in loaded:
            loaded[cid] = load_consultation(source, cid)
        recording = render_consultation(
            loaded[cid],
            pair,
            recording_id=rid,
            max_gap=max_gap,
            crop=crop,
            snr_db=snr_db,
            seed=seed,
        )
        items.append((recording, write_recording(recording, out, audio_format=audio_format)))
    if progress:
        progress(len(chosen), len(chosen), "")
    parameters = {
        "source_dir": str(source),
        "size": len(chosen),
        "seed": seed,
        "snr_db": snr_db,
        "max_gap": max_gap,
        "crop": crop,
        "audio_format": audio_format,
    }
    manifest = out / "manifest.json"
    manifest.write_text(json.dumps(make_manifest(items, out, parameters), indent=1) + "\n", "utf-8")
    return manifest
