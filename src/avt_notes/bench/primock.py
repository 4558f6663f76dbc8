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

This module loads a consultation and renders it as one `Recording`;
`primock_corpus` builds a corpus of them (voice plans, files, manifest).
"""

from __future__ import annotations

import json
import logging
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avt_notes.bench.textgrid import read_textgrid, speech_intervals
from avt_notes.bench.tts import (
    SAMPLE_RATE,
    Voice,
    get_voice,
    require_engines,
    synthesize,
)
from avt_notes.errors import ConfigError, InputError
from avt_notes.schemas import CLINICIAN, PATIENT, SpeakerTurn

logger = logging.getLogger("avt_notes")

ROLES = (CLINICIAN, PATIENT)
# PriMock57 file suffix -> our role name.
SOURCE_ROLES = {"doctor": CLINICIAN, "patient": PATIENT}

TARGET_RMS = 0.1  # -20 dBFS per clip, so voices from different engines are equally loud
PEAK_LIMIT = 0.95
TRIM_DB = -40.0  # clip edges below this (relative to the clip's peak) count as silence


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
