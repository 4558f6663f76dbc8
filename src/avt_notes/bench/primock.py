"""Synthetic two-speaker recordings of PriMock57 consultations, with exact references.

PriMock57 gives real primary-care dialogue with utterance timings per speaker
and the note the clinician wrote, but (here) no audio. Speaking each utterance
with a TTS voice per speaker, at its original time, gives a recording whose
true words, true speaker turns and reference note are all known, and using
many voices gives an accent-stratified benchmark.

The layout stays honest: TTS rarely takes exactly as long as the human did,
so each utterance starts at its original time only if that is still free;
otherwise it (and everything after it) moves later, so a speaker never
overlaps themself and a reply never starts before the turn it answers has
ended. The reference RTTM is the span of synthetic speech actually placed
(TTS clips trimmed of their own silence), never the original timings.
"""

from __future__ import annotations

import json
import logging
import math
import random
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import soundfile as sf

from avt_notes.bench.textgrid import read_textgrid, speech_intervals
from avt_notes.bench.tts import (
    SAMPLE_RATE,
    Voice,
    available_voices,
    get_voice,
    require_engines,
    synthesize,
)
from avt_notes.errors import ConfigError, InputError
from avt_notes.rttm import write_rttm
from avt_notes.schemas import CLINICIAN, PATIENT, SpeakerTurn

logger = logging.getLogger("avt_notes")

ROLES = (CLINICIAN, PATIENT)
# PriMock57 file suffix -> our role name.
SOURCE_ROLES = {"doctor": CLINICIAN, "patient": PATIENT}
ATTRIBUTION = (
    "Derived from PriMock57 (Papadopoulos Korfiatis, Moramarco, Sarac, Savkov: "
    "'PriMock57: A Dataset Of Primary Care Mock Consultations', ACL 2022), "
    "Babylon Health, CC BY 4.0. Changes: utterances re-spoken by TTS voices and "
    "re-timed to fit; tags removed (UNSURE words kept, UNIN/INAUDIBLE dropped)."
)

TARGET_RMS = 0.1  # -20 dBFS per clip, so voices from different engines are equally loud
PEAK_LIMIT = 0.95
TRIM_DB = -40.0  # clip edges below this (relative to the clip's peak) count as silence

AudioFormat = Literal["wav", "flac"]
ProgressCallback = Callable[[int, int, str], None]  # (done, total, recording id)


# --- source data --------------------------------------------------------------


@dataclass(frozen=True)
class SourceUtterance:
    """One PriMock57 utterance: original timing and cleaned text."""

    role: str
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Consultation:
    id: str
    utterances: list[SourceUtterance]  # both speakers, by start time
    note: dict[str, Any]


def default_source_dir() -> Path:
    """PriMock57 beside the project (`../shared/data/primock57`), wherever it is run from."""
    here = Path(__file__).resolve()
    candidates = [Path.cwd() / "../shared/data/primock57"]
    candidates += [parent / "../shared/data/primock57" for parent in here.parents[:5]]
    for candidate in candidates:
        if (candidate / "transcripts").is_dir():
            return candidate.resolve()
    return candidates[0]


def list_consultations(source_dir: str | Path) -> list[str]:
    """Ids (e.g. 'day1_consultation01') that have both transcripts and a note."""
    source = Path(source_dir)
    transcripts = source / "transcripts"
    if not transcripts.is_dir():
        raise ConfigError(
            f"no PriMock57 transcripts in {transcripts}: give the PriMock57 folder (with "
            "transcripts/ and notes/) on the command line; the default is "
            "../shared/data/primock57 beside the project"
        )
    ids = {p.name.removesuffix("_doctor.TextGrid") for p in transcripts.glob("*_doctor.TextGrid")}
    return sorted(
        cid
        for cid in ids
        if (transcripts / f"{cid}_patient.TextGrid").exists()
        and (source / "notes" / f"{cid}.json").exists()
    )


def load_consultation(source_dir: str | Path, consultation_id: str) -> Consultation:
    """Both speakers' utterances (clean text, original times) and the clinician's note."""
    source = Path(source_dir)
    utterances: list[SourceUtterance] = []
    for suffix, role in SOURCE_ROLES.items():
        path = source / "transcripts" / f"{consultation_id}_{suffix}.TextGrid"
        if not path.exists():
            raise InputError(f"no transcript {path}")
        for tier in read_textgrid(path):
            utterances += [
                SourceUtterance(role=role, start=i.start, end=i.end, text=i.text)
                for i in speech_intervals(tier)
            ]
    note_path = source / "notes" / f"{consultation_id}.json"
    if not note_path.exists():
        raise InputError(f"no clinician note {note_path}")
    note = json.loads(note_path.read_text(encoding="utf-8"))
    # Clinician first on ties: the roles' order in ROLES.
    utterances.sort(key=lambda u: (u.start, ROLES.index(u.role), u.end))
    return Consultation(id=consultation_id, utterances=utterances, note=note)


# --- layout -------------------------------------------------------------------


@dataclass
class Timeline:
    """Places utterances in time, in samples, one at a time in source order.

    An utterance starts at its source time plus the running shift, but no
    earlier than `min_pause` after the same speaker's previous utterance, and,
    if in the source it began after the other speaker's last utterance had
    ended, no earlier than `min_pause` after that one's placed end. Overlaps
    that exist in the source (back-channels, interruptions) are kept. With
    `max_gap`, silence longer than that is cut down to it.
    """

    sample_rate: int = SAMPLE_RATE
    min_pause: float = 0.15
    max_gap: float | None = None
    shift: int = 0  # placed start - source start, in samples
    frontier: int = 0  # latest placed end (any speaker)
    # role -> (source end, placed end) of its latest utterance
    _last: dict[str, tuple[float, int]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_gap is not None and self.max_gap < self.min_pause:
            raise ConfigError(f"max_gap ({self.max_gap}s) must be >= {self.min_pause}s")

    def place(self, utterance: SourceUtterance, length: int) -> tuple[int, int]:
        """(start, end) sample of `utterance` whose clip is `length` samples long."""
        pause = math.ceil(self.min_pause * self.sample_rate)
        source_start = round(utterance.start * self.sample_rate)
        earliest = 0
        for role, (source_end, end) in self._last.items():
            same = role == utterance.role
            if same or utterance.start >= source_end:
                earliest = max(earliest, end + pause)
        start = max(source_start + self.shift, earliest)
        if self.max_gap is not None:
            start = min(
                start, max(earliest, self.frontier + round(self.max_gap * self.sample_rate))
            )
        self.shift = start - source_start
        end = start + length
        self._last[utterance.role] = (utterance.end, end)
        self.frontier = max(self.frontier, end)
        return start, end


def trim_silence(samples: np.ndarray, threshold_db: float = TRIM_DB) -> np.ndarray:
    """The clip without its leading and trailing silence (relative to its peak)."""
    if samples.size == 0:
        return samples
    peak = float(np.max(np.abs(samples)))
    if peak == 0.0:
        return samples[:0]
    loud = np.flatnonzero(np.abs(samples) > peak * 10 ** (threshold_db / 20))
    return samples[loud[0] : loud[-1] + 1]


# --- rendering ----------------------------------------------------------------


@dataclass(frozen=True)
class PlacedUtterance:
    """An utterance as it sits in the synthetic recording (exact speech span)."""

    role: str
    start: float
    end: float
    text: str
    source_start: float
    source_end: float


@dataclass
class Recording:
    id: str
    consultation_id: str
    samples: np.ndarray  # float32 mono at sample_rate
    utterances: list[PlacedUtterance]
    voices: dict[str, Voice]  # role -> voice
    note: dict[str, Any]
    snr_db: float | None = None
    max_gap: float | None = None
    crop: float | None = None
    seed: int = 0
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    def turns(self) -> list[SpeakerTurn]:
        """The true speaker turns: one per placed utterance, named by role."""
        return [SpeakerTurn(speaker=u.role, start=u.start, end=u.end) for u in self.utterances]


def add_noise(
    samples: np.ndarray, snr_db: float, rng: np.random.Generator, speech_power: float
) -> np.ndarray:
    """White noise at `snr_db` below `speech_power` (mean power while someone speaks)."""
    noise = rng.standard_normal(len(samples)).astype(np.float32)
    noise *= math.sqrt(speech_power / 10 ** (snr_db / 10))
    return samples + noise


def render_consultation(
    consultation: Consultation,
    voices: Mapping[str, str | Voice],
    *,
    recording_id: str | None = None,
    max_gap: float | None = None,
    crop: float | None = None,
    snr_db: float | None = None,
    seed: int = 0,
    min_pause: float = 0.15,
    tail: float = 0.5,
) -> Recording:
    """Speak `consultation` with one voice per role (keys 'clinician', 'patient').

    `crop` keeps only utterances that end within the first `crop` seconds;
    `max_gap` shortens any silence longer than that; `snr_db` adds white noise.
    """
    chosen = {role: get_voice(voices[role]) for role in ROLES if role in voices}
    if set(chosen) != set(ROLES):
        raise ConfigError(f"need a voice for each of {ROLES}, got {sorted(voices)}")
    require_engines(list(chosen.values()))
    rate = SAMPLE_RATE
    timeline = Timeline(sample_rate=rate, min_pause=min_pause, max_gap=max_gap)
    limit = None if crop is None else round(crop * rate)
    clips: list[tuple[int, np.ndarray]] = []
    placed: list[PlacedUtterance] = []
    for utterance in consultation.utterances:
        clip = trim_silence(synthesize(utterance.text, chosen[utterance.role], rate))
        if clip.size == 0:
            logger.warning("%s: TTS produced silence for %r", consultation.id, utterance.text)
            continue
        clip = clip * (TARGET_RMS / max(float(np.sqrt(np.mean(clip**2))), 1e-9))
        start, end = timeline.place(utterance, len(clip))
        if limit is not None and end > limit:
            break  # starts are monotonic: nothing later fits either
        clips.append((start, clip))
        placed.append(
            PlacedUtterance(
                role=utterance.role,
                start=start / rate,
                end=end / rate,
                text=utterance.text,
                source_start=utterance.start,
                source_end=utterance.end,
            )
        )
    if not placed:
        raise InputError(f"{consultation.id}: no utterance fits (crop={crop})")

    total = timeline_end = max(start + len(clip) for start, clip in clips)
    total += round(min(tail, max_gap if max_gap is not None else tail) * rate)
    if limit is not None:
        total = max(timeline_end, min(total, limit))
    mix = np.zeros(total, dtype=np.float32)
    speech = np.zeros(total, dtype=bool)
    for start, clip in clips:
        mix[start : start + len(clip)] += clip
        speech[start : start + len(clip)] = True

    rid = recording_id or consultation.id
    if snr_db is not None:
        rng = np.random.default_rng([seed, zlib.crc32(rid.encode())])
        mix = add_noise(mix, snr_db, rng, float(np.mean(mix[speech] ** 2)))
    peak = float(np.max(np.abs(mix)))
    if peak > PEAK_LIMIT:
        mix *= PEAK_LIMIT / peak  # one gain for everything keeps the SNR
    return Recording(
        id=rid,
        consultation_id=consultation.id,
        samples=mix.astype(np.float32),
        utterances=placed,
        voices=chosen,
        note=consultation.note,
        snr_db=snr_db,
        max_gap=max_gap,
        crop=crop,
        seed=seed,
        sample_rate=rate,
    )


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
    progress: ProgressCallback | None = None,
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
