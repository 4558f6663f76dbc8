"""Compose the stages: audio → ASR → diarisation → alignment → Transcript → draft.

This is the one place that assembles "transcribe, diarise, attribute words,
draft": `process_recording` (and its two halves, `transcribe_file` and
`draft_transcript`) is what the CLI, the job runner, the live path and the
benchmark runner call. It only composes stages and reports progress through a
callback `progress(stage, fraction)`, so each caller shows progress its own
way. Loaded models are kept per process, keyed by what determines them,
because loading costs seconds; `preload_models` loads them all up front.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from avt_notes.alignment import (
    assign_words,
    build_utterances,
    enrolment_roles,
    heuristic_roles,
    speaker_table,
    talk_time,
)
from avt_notes.asr import FasterWhisperTranscriber, Transcriber
from avt_notes.audio import Audio, load_audio
from avt_notes.config import Settings
from avt_notes.diarization import DiarizationResult, Diarizer, load_diarizer
from avt_notes.errors import InputError
from avt_notes.pipeline_result import PipelineResult
from avt_notes.progress import TRANSCRIBING_AND_DIARISING, Progress, joint_progress, no_progress
from avt_notes.schemas import Speaker, SpeakerTurn, StageTiming, Transcript, Utterance, Word

if TYPE_CHECKING:
    from avt_notes.drafting import Drafter, DraftNote, Strategy, Template
    from avt_notes.live import LiveSession


@dataclass(frozen=True)
class SpeakerOptions:
    """Hints for diarisation; all optional."""

    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None


First = TypeVar("First")
Second = TypeVar("Second")


def side_by_side(first: Callable[[], First], second: Callable[[], Second]) -> tuple[First, Second]:
    """Both results, `first` computed on a helper thread while `second` runs on this one.

    Both have finished when this returns or raises (they share loaded models with
    whatever runs next); an error of `second` is raised after `first` has ended.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="side-by-side") as pool:
        pending = pool.submit(first)
        second_result = second()
        return pending.result(), second_result


@contextmanager
def _timed(stage: str, timings: list[StageTiming]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    timings.append(StageTiming(stage=stage, seconds=round(time.perf_counter() - started, 3)))


def transcribe_audio(
    audio: Audio,
    transcriber: Transcriber,
    diarizer: Diarizer,
    *,
    speakers: SpeakerOptions = SpeakerOptions(),
    enrolment: np.ndarray | None = None,
    language: str = "en",
    progress: Progress = no_progress,
    timings: list[StageTiming] | None = None,
) -> Transcript:
    """A speaker-attributed transcript of decoded audio; ASR and diarisation run side by side."""
    timings = [] if timings is None else timings
    asr_progress, diarization_progress = joint_progress(progress, TRANSCRIBING_AND_DIARISING, 2)

    def recognise() -> tuple[list[Word], float]:
        started = time.perf_counter()
        words = transcriber.transcribe(audio.samples, progress=asr_progress)
        return words, time.perf_counter() - started

    def diarise() -> tuple[DiarizationResult, float]:
        started = time.perf_counter()
        result = diarizer.diarize(
            audio,
            num_speakers=speakers.num_speakers,
            min_speakers=speakers.min_speakers,
            max_speakers=speakers.max_speakers,
            progress=diarization_progress,
        )
        return result, time.perf_counter() - started

    progress(TRANSCRIBING_AND_DIARISING, 0.0)
    (words, asr_seconds), (diarization, diarization_seconds) = side_by_side(recognise, diarise)
    timings += [
        StageTiming(stage="asr", seconds=round(asr_seconds, 3)),
        StageTiming(stage="diarization", seconds=round(diarization_seconds, 3)),
    ]
    with _timed("alignment", timings):
        progress("aligning", 0.0)
        utterances, table = attribute_words(words, diarization, enrolment)
        progress("aligning", 1.0)
    return Transcript(
        audio=audio.info,
        language=language,
        utterances=utterances,
        speakers=table,
        turns=diarization.turns,
        models=[transcriber.model_info, diarizer.model_info],
        timings=list(timings),
        warnings=list(audio.warnings),
    )


def attribute_words(
    words: list[Word], diarization: DiarizationResult, enrolment: np.ndarray | None = None
) -> tuple[list[Utterance], list[Speaker]]:
    """Utterances with speakers and roles, and the speaker table, from words and turns."""
    labels = assign_words(words, diarization.turns)
    utterances = build_utterances(words, labels)
    spoken: dict[str, float] = {}
    for utterance in utterances:
        spoken[utterance.speaker] = spoken.get(utterance.speaker, 0.0) + (
            utterance.end - utterance.start
        )
    talk = talk_time(diarization.turns, spoken)
    if enrolment is not None and diarization.centroids:
        roles, similarities = enrolment_roles(enrolment, diarization.centroids, talk)
        table = speaker_table(roles, talk, "enrolment", similarities)
    else:
        roles = heuristic_roles(utterances, talk)
        table = speaker_table(roles, talk, "heuristic")
    utterances = [
        u.model_copy(update={"role": roles.get(u.speaker, u.speaker)}) for u in utterances
    ]
    return utterances, table


def _channel_progress(progress: Progress, index: int, count: int) -> Progress:
    """Progress of one channel's ASR as a share of all channels."""
    return lambda _stage, fraction: progress("transcribing", (index + fraction) / count)


def transcribe_channels(
    audio: Audio,
    transcriber: Transcriber,
    *,
    language: str = "en",
    progress: Progress = no_progress,
    timings: list[StageTiming] | None = None,
) -> Transcript:
    """A transcript of a recording with one speaker per channel (lapel mics, phone calls).

    Each channel is transcribed on its own, so overlapping speech is kept in
    full; the channel is the speaker and no diarisation is needed. Turns are the
    spans of each channel's utterances.
    """
    if audio.channels is None:
        raise InputError(f"{audio.info.source}: one channel only; cannot split speakers by channel")
    timings = [] if timings is None else timings
    count = audio.channels.shape[0]
    utterances: list[Utterance] = []
    with _timed("asr", timings):
        for index, channel in enumerate(audio.channels):
            words = transcriber.transcribe(
                channel, progress=_channel_progress(progress, index, count)
            )
            # Utterances per channel first: simultaneous speech would otherwise interleave.
            utterances.extend(build_utterances(words, [f"CHANNEL_{index + 1}"] * len(words)))
    with _timed("alignment", timings):
        utterances.sort(key=lambda u: (u.start, u.speaker))
        utterances = [u.model_copy(update={"id": f"u{n:04d}"}) for n, u in enumerate(utterances, 1)]
        turns = [SpeakerTurn(speaker=u.speaker, start=u.start, end=u.end) for u in utterances]
        talk = talk_time(turns, {})
        roles = heuristic_roles(utterances, talk)
        utterances = [u.model_copy(update={"role": roles[u.speaker]}) for u in utterances]
    return Transcript(
        audio=audio.info,
        language=language,
        utterances=utterances,
        speakers=speaker_table(roles, talk, "channel"),
        turns=turns,
        models=[transcriber.model_info],
        timings=list(timings),
        warnings=list(audio.warnings),
    )


_models: dict[tuple[Any, ...], Any] = {}
_models_lock = threading.Lock()


def get_transcriber(settings: Settings, model: str | None = None) -> Transcriber:
    """A loaded transcriber, shared within the process."""
    name = model or settings.models.asr_model
    key = (
        "asr",
        name,
        settings.models.asr_compute_type,
        settings.models.cpu_threads,
        settings.models.language,
    )
    with _models_lock:
        if key not in _models:
            _models[key] = FasterWhisperTranscriber(
                name, settings=settings, language=settings.models.language
            )
        return _models[key]  # type: ignore[no-any-return]


def get_diarizer(settings: Settings) -> Diarizer:
    """A loaded diariser, shared within the process."""
    key = ("diarization", settings.models.diarization_model, settings.models.cpu_threads)
    with _models_lock:
        if key not in _models:
            _models[key] = load_diarizer(settings)
        return _models[key]  # type: ignore[no-any-return]


def transcribe_file(
    path: Path,
    settings: Settings,
    *,
    asr_model: str | None = None,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
    enrolment_path: Path | None = None,
    channels_as_speakers: bool = False,
    progress: Progress = no_progress,
) -> Transcript:
    """Decode, transcribe and diarise one recording with models chosen by `settings`."""
    timings: list[StageTiming] = []
    with _timed("decode", timings):
        progress("decoding", 0.0)
        audio = load_audio(path, settings.audio.max_audio_seconds)
        progress("decoding", 1.0)
    transcriber = get_transcriber(settings, asr_model)
    language = settings.models.language or "auto"
    if channels_as_speakers:
        return transcribe_channels(
            audio, transcriber, language=language, progress=progress, timings=timings
        )
    diarizer = get_diarizer(settings)
    enrolment = None
    if enrolment_path is not None:
        enrolment = diarizer.embed(
            load_audio(enrolment_path, settings.audio.max_audio_seconds).samples
        )
    return transcribe_audio(
        audio,
        transcriber,
        diarizer,
        speakers=SpeakerOptions(num_speakers, min_speakers, max_speakers),
        enrolment=enrolment,
        language=language,
        progress=progress,
        timings=timings,
    )


def get_drafter(settings: Settings) -> Drafter:
    """The configured drafter, loaded once per process (the drafting package caches it)."""
    from avt_notes.drafting import load_drafter

    return load_drafter(settings)


def preload_models(settings: Settings, progress: Progress = no_progress) -> None:
    """Load every model processing needs (ASR, diarisation, drafter, sentence encoder).

    Called when a service or worker starts, so the first session does not wait
    for loading; each model stays in this process's cache.
    """
    from avt_notes.embeddings import load_encoder

    steps: list[tuple[str, Callable[[], object]]] = [
        ("speech recognition", lambda: get_transcriber(settings)),
        ("diarisation", lambda: get_diarizer(settings)),
        ("drafting model", lambda: get_drafter(settings)),
        ("sentence encoder", lambda: load_encoder(settings)),
    ]
    for done, (name, load) in enumerate(steps):
        progress(f"loading {name}", done / len(steps))
        load()
    progress("models loaded", 1.0)


def draft_transcript(
    transcript: Transcript,
    template: str | Template,
    settings: Settings,
    *,
    progress: Progress = no_progress,
    strategy: Strategy = "auto",
) -> DraftNote:
    """A draft note of `transcript` with the configured drafter and its token budget."""
    from avt_notes.drafting import draft_note, load_template

    chosen = load_template(template) if isinstance(template, str) else template
    return draft_note(
        transcript,
        chosen,
        get_drafter(settings),
        progress,
        strategy=strategy,
        max_new_tokens=settings.drafting.drafter_max_new_tokens,
    )


def process_recording(
    audio_path: Path,
    settings: Settings,
    *,
    template: str,
    num_speakers: int | None = None,
    live: LiveSession | None = None,
    progress: Progress = no_progress,
    strategy: Strategy = "auto",
) -> PipelineResult:
    """Transcribe, diarise, attribute words and draft one recording.

    With `live` (the work done while the session was recorded) only what is
    left is done: the last ASR window, clustering, and the last drafting
    window plus the merge of the windows drafted during the recording.
    """
    from avt_notes.drafting import load_template

    note_template = load_template(template)  # fail fast, before minutes of ASR
    if live is None:
        transcript = transcribe_file(
            audio_path, settings, num_speakers=num_speakers, progress=progress
        )
        draft = draft_transcript(
            transcript, note_template, settings, progress=progress, strategy=strategy
        )
        return PipelineResult(transcript=transcript, draft=draft)
    with live.lock:
        audio = live.final_audio(audio_path) or load_audio(
            audio_path, settings.audio.max_audio_seconds
        )
        transcript = live.finish(
            audio,
            speakers=SpeakerOptions(num_speakers=num_speakers),
            language=settings.models.language or "auto",
            progress=progress,
        )
        if live.drafting is not None and live.drafting.template.id == note_template.id:
            draft = live.drafting.finish(transcript, progress=progress)
        else:
            draft = draft_transcript(
                transcript, note_template, settings, progress=progress, strategy=strategy
            )
    return PipelineResult(transcript=transcript, draft=draft)
