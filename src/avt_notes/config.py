"""Settings: one object in sections, read from the environment (``AVT_``) and ``.env``.

Every knob a deployment may turn lives here, with embedded defaults that work
on a fresh machine with no network. `Settings` groups them by concern
(``settings.models.asr_model``, ``settings.store.data_dir``, ``settings.web``,
``settings.retention`` …). Each section reads the flat names the project has
always used (``AVT_ASR_MODEL``, ``AVT_DATA_DIR``, ``DATABASE_URL``,
``AVT_AUDIO_RETENTION_DAYS`` …), so a section is a grouping in code, not a new
name to learn. A test or a benchmark overrides one section:
``Settings(store=StoreSettings(data_dir=tmp))``.

This module imports nothing heavy: the CLI reads settings before any model loads.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_NOTICE = (
    "This session will be recorded so that an assistant program can draft the clinical "
    "note. The recording is stored encrypted on this clinic's server, is used only to "
    "prepare your clinician's note, and is deleted after the note is signed, within the "
    "retention period. Your clinician reviews, corrects and signs the note; the program "
    "does not make decisions about your care. You can say no, and you can change your "
    "mind at any time during or after the session: the recording will then be deleted. "
    "Saying no does not affect your care."
)


def _default_model_cache() -> Path:
    # Inside the virtualenv, so CI caches it with the venv and the repo stays clean.
    return Path(sys.prefix) / "share" / "avt-notes" / "models"


def _repository_prompts() -> Path:
    # src/avt_notes/config.py -> the repository's prompts/ (templates, lexicons, rules).
    return Path(__file__).resolve().parents[2] / "prompts"


class _Section(BaseSettings):
    """A group of settings, each read from ``AVT_<FIELD>`` (or its alias)."""

    model_config = SettingsConfigDict(
        env_prefix="AVT_", env_file=".env", extra="ignore", populate_by_name=True
    )


class AudioSettings(_Section):
    max_audio_seconds: float = Field(4 * 3600, description="Longest recording accepted.")
    max_upload_bytes: int = Field(1024 * 1024 * 1024, description="Largest file accepted.")


class ModelSettings(_Section):
    """Which local models the stages load, and how."""

    model_cache: Path = Field(default_factory=_default_model_cache)
    asr_model: str = Field("base", description="Registry name or a CTranslate2 Whisper folder.")
    asr_compute_type: str = "int8"
    language: str | None = Field("en", description="Spoken language; None to detect.")
    cpu_threads: int = Field(
        2, ge=1, description="Cores the models share: the drafter's threads; see stage_threads."
    )
    diarization_model: str = Field(
        "pyannote-local", description="Registry name or a pyannote pipeline folder."
    )
    embedding_model: str = Field(
        "minilm-l6", description="Registry name or a sentence-transformers model folder."
    )
    # bfloat16 leaves every risk decision unchanged at less CPU (README "risk detection
    # cost"); emulated on CPUs without it, it is slower, so "auto" checks the CPU.
    embedding_precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="Sentence-encoder arithmetic: auto, float32 or bfloat16."
    )
    # Embeddings kept by text hash, so risk detection, evidence linking and the live
    # merge at stop do not encode the same utterance again (~1.7 kB each); 0 turns it off.
    embedding_cache_size: int = Field(8192, ge=0, description="Sentence embeddings kept.")
    # glibc malloc arenas for the whole process (`process_memory`): each thread would get
    # its own, keeping freed memory resident; 0 keeps glibc's default.
    malloc_arenas: int = Field(2, ge=0, description="glibc malloc arenas; 0 for the default.")

    @property
    def stage_threads(self) -> int:
        """Threads for each of ASR, diarisation and the torch models: half the cores.

        Recognition and diarisation run side by side (`pipeline.transcribe_audio`,
        `live.LiveSession`). Measured on 2 cores with OMP_WAIT_POLICY=PASSIVE
        (benchmarks/threads.py): CAM++ embeddings and Whisper base are faster on 1
        thread than on 2 (likely: waking a passive OpenMP thread per small operation costs
        more than it saves), while llama.cpp gains from 2, so the drafter keeps them all.
        """
        return max(1, self.cpu_threads // 2)

    # Extra registry entries: name -> local folder (e.g. {"large-v3": "/models/whisper-large-v3"}).
    extra_models: dict[str, Path] = Field(default_factory=dict)


class DecodingSettings(_Section):
    """How Whisper decodes and how its confidence is shown (measured: benchmarks/decoding.py)."""

    asr_beam_size: int = 5
    asr_patience: float = 1.0
    asr_temperatures: list[float] = Field(
        [0.0, 0.2, 0.4, 0.6, 0.8, 1.0], description="Fallback temperatures, tried in order."
    )
    asr_compression_ratio_threshold: float | None = 2.4
    asr_log_prob_threshold: float | None = -1.0
    asr_no_speech_threshold: float | None = 0.6
    asr_condition_on_previous_text: bool = False
    asr_vad_filter: bool = True
    asr_vad_min_silence_ms: int = 2000
    asr_vad_speech_pad_ms: int = 400
    # 10: ~3.5x faster on short clips than Whisper's 30 s; on 500 real L2 clips it
    # changed the words of a third of them but not WER overall (README, accents).
    asr_min_window_seconds: int = Field(
        10, ge=1, le=30, description="Encode shorter clips in a window this long, not 30 s."
    )
    asr_drop_hallucinations: bool = Field(
        True, description="Replace segments that spell letters or loop by a marked [unclear]."
    )
    # Off: with drugs.yaml + asr_vocabulary.txt as hotwords, Whisper base wrote the
    # prompt back ("lurasidone, lurasidone, ...") and clinical-term WER rose (decoding.py).
    asr_hotwords: bool = Field(False, description="Bias decoding to prompts/asr_vocabulary.")
    # On: measured on held-out drug names, the safety sessions and real L2 speech
    # (benchmarks/vocabulary.py); a rewritten word keeps what was heard and is marked.
    asr_vocabulary_correction: bool = Field(
        True,
        description="Rewrite misheard drug names and clinical terms after recognition, keeping "
        "what was heard (clinical_vocabulary.py; measured: benchmarks/vocabulary.py).",
    )
    asr_vocabulary_min_similarity: float = Field(
        0.8, description="Least sound + spelling similarity of a rewritten span to the term."
    )
    asr_vocabulary_min_margin: float = Field(
        0.05, description="How much the term must beat the best term of any other drug."
    )
    asr_vocabulary_max_probability: float = Field(
        1.0, description="Only uncommon words below this recogniser probability are rewritten."
    )
    asr_vocabulary_common_min_similarity: float = Field(
        1.01,
        description="Similarity a span of common words only needs (above 1: never rewritten).",
    )
    asr_low_probability: float = Field(
        0.5, description="Words below this probability are marked for review."
    )
    asr_low_confidence_share: float = Field(
        0.25, description="A session with this share of marked words gets a review notice."
    )


class DraftingSettings(_Section):
    """The note drafter and the prompts folder (templates, lexicons, grounding rules)."""

    drafter: str = Field(
        "qwen2.5-1.5b",
        description=(
            "Registry name, a .gguf file, a transformers model folder, or an http(s):// base URL."
        ),
    )
    drafter_backend: Literal["auto", "llamacpp", "transformers"] = Field(
        "auto", description="auto: GGUF files with llama.cpp, model folders with transformers."
    )
    drafter_context_tokens: int = Field(4096, description="Context window the drafter runs with.")
    drafter_repeat_penalty: float = 1.1
    drafter_http_model: str = "default"
    drafter_max_new_tokens: int = 384
    live_draft_window_seconds: float = Field(
        180.0, description="Seconds of recording per window drafted while recording."
    )
    live_finish_checks_seconds: float = Field(
        30.0,
        description="At stop, the final pass starts no rewording or coverage call after this "
        "many seconds (0: no limit), so the draft is ready within about a minute; the draft "
        "says what was skipped.",
    )
    live_read_ahead_seconds: float = Field(
        30.0,
        description="Between windows, the drafter reads the next window's new lines after "
        "this many seconds of new transcript, so less is left to read at stop (0: never).",
    )
    prompts_dir: Path = Field(
        default_factory=_repository_prompts,
        description="Note templates, lexicons and grounding rules (prompts/ in the repository).",
    )


class StoreSettings(_Section):
    """Where the database and the encrypted audio live."""

    data_dir: Path = Field(Path("data"), description="SQLite file, audio store, keys.")
    database_url: str | None = Field(
        None, validation_alias="DATABASE_URL", description="SQLAlchemy URL; SQLite by default."
    )
    audio_key_file: Path | None = Field(
        default=None, description="AES key file; default <data_dir>/keys/audio.key."
    )
    scratch_dir: Path | None = Field(
        default=None,
        description="Plaintext temp files: local disk, never a shared audio volume "
        "(default <data_dir>/tmp).",
    )


class WebSettings(_Section):
    """The recording and review service."""

    environment: Literal["development", "production"] = "development"
    worker: bool = Field(default=True, description="Run the job worker inside the web process.")
    preload_models: bool = Field(
        default=True,
        description="With the worker: load every model in the background when the service starts.",
    )
    worker_poll_seconds: float = 1.0
    job_stale_seconds: float = Field(
        default=120.0, description="A running job without a heartbeat this long is re-queued."
    )
    max_chunk_bytes: int = Field(
        default=16 * 1024 * 1024, description="Largest single upload chunk."
    )
    max_chunks: int = Field(
        default=20_000, description="Highest sequence number + 1 per recording."
    )
    chunk_seconds: float = Field(default=4.0, description="MediaRecorder timeslice the page uses.")
    live_jobs: bool = Field(
        default=True,
        description="Transcribe and diarise while a session records (a 'live' job per session).",
    )
    session_idle_minutes: int = 30
    session_max_hours: float = Field(default=12.0, description="Absolute lifetime of a login.")
    # Password throttling (login and signing; store.throttle): tiers of `limits` strings.
    throttle_account_limits: str = Field(
        default="5/minute;10/15 minutes;20/hour",
        description="Wrong passwords allowed per account; each tier waits longer.",
    )
    throttle_address_limits: str = Field(
        default="20/minute;60/hour", description="Wrong passwords allowed per client address."
    )
    throttle_storage_url: str | None = Field(
        default=None,
        description="`limits` storage URL (e.g. redis://127.0.0.1:6379); default: the database.",
    )
    api_docs: bool = Field(
        default=False, description="Serve the OpenAPI schema at /api/openapi.json (logged in)."
    )
    cookie_secure: bool | None = Field(
        default=None,
        description="Force the Secure cookie flag; default: on unless the host is local.",
    )
    consent_notice: str = DEFAULT_NOTICE
    consent_notice_version: str = "2025-01"
    templates: list[str] = Field(
        default_factory=list,
        description="Note template ids offered; default: every template in prompts/templates.",
    )
    default_template: str = "soap"
    # Self-described by the patient, recorded only with their agreement; the first
    # entry is the default and means "not recorded".
    patient_language_groups: list[str] = Field(
        [
            "prefer not to say",
            "English as a first language",
            "English as an additional language: South Asian languages",
            "English as an additional language: East Asian languages",
            "English as an additional language: African languages",
            "English as an additional language: European languages",
            "English as an additional language: Middle Eastern languages",
            "English as an additional language: other",
        ],
        min_length=1,
    )


class QueueSettings(_Section):
    """The scale-out deployment: Celery workers behind a broker (unset: in-process worker)."""

    broker_url: str | None = Field(
        default=None, description="Celery broker, amqp://... or redis://...; unset: embedded."
    )
    worker_health_host: str = "127.0.0.1"
    worker_health_port: int = Field(default=0, description="A worker's /health port; 0: none.")
    max_attempts: int = Field(
        default=4, description="A job whose worker died this many times is marked failed."
    )
    lock_retry_seconds: float = Field(
        default=3.0, description="Wait before retrying a task whose session is busy elsewhere."
    )
    redis_visibility_seconds: int = Field(
        default=4 * 3600, description="Redis only: an unacknowledged task returns after this."
    )


class RetentionSettings(_Section):
    """Days after the first signature before each kind of data is deleted."""

    audio_retention_days: float = Field(default=30.0, ge=0, description="Audio, after signing.")
    transcript_retention_days: float = Field(default=90.0, ge=0, description="Transcripts.")
    draft_retention_days: float = Field(default=90.0, ge=0, description="Generated drafts.")


class Settings(BaseModel):
    """All settings; each section reads its own variables when it is made."""

    model_config = ConfigDict(extra="forbid")  # a flat keyword here is a mistake, not ignored

    audio: AudioSettings = Field(default_factory=AudioSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    decoding: DecodingSettings = Field(default_factory=DecodingSettings)
    drafting: DraftingSettings = Field(default_factory=DraftingSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)

    def updated(self, **sections: dict[str, Any]) -> Settings:
        """A copy with some fields changed, by section: ``updated(web={"live_jobs": True})``."""
        changed = {
            name: getattr(self, name).model_copy(update=fields) for name, fields in sections.items()
        }
        return self.model_copy(update=changed)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
