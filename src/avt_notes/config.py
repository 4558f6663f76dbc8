"""Settings, read from the environment (prefix ``AVT_``) and an optional ``.env``.

Every knob a deployment may turn lives here, with embedded defaults that work
on a fresh machine with no network.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_model_cache() -> Path:
    # Inside the virtualenv, so CI caches it with the venv and the repo stays clean.
    return Path(sys.prefix) / "share" / "avt-notes" / "models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AVT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # --- audio ---------------------------------------------------------------
    max_audio_seconds: float = Field(4 * 3600, description="Longest recording accepted.")
    max_upload_bytes: int = Field(1024 * 1024 * 1024, description="Largest file accepted.")

    # --- models --------------------------------------------------------------
    model_cache: Path = Field(default_factory=_default_model_cache)
    asr_model: str = Field("base", description="Registry name or a CTranslate2 Whisper folder.")
    asr_compute_type: str = "int8"
    language: str | None = Field("en", description="Spoken language; None to detect.")
    cpu_threads: int = 2
    diarization_model: str = Field(
        "pyannote-local", description="Registry name or a pyannote pipeline folder."
    )
    drafter: str = Field(
        "smollm2-135m",
        description="Registry name, a transformers model folder, or an http(s):// base URL.",
    )
    drafter_http_model: str = "default"
    embedding_model: str = Field(
        "minilm-l6", description="Registry name or a sentence-transformers model folder."
    )
    drafter_max_new_tokens: int = 384
    # --- speech recognition decoding (measured in benchmarks/decoding.py) ------
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
    asr_min_window_seconds: int = Field(
        10, ge=1, le=30, description="Encode shorter clips in a window this long, not 30 s."
    )
    asr_drop_hallucinations: bool = Field(
        True, description="Drop segments that spell out letters or loop on one phrase."
    )
    asr_hotwords: bool = Field(False, description="Bias decoding to prompts/asr_vocabulary.")
    asr_low_probability: float = Field(
        0.5, description="Words below this probability are marked for review."
    )
    asr_low_confidence_share: float = Field(
        0.25, description="A session with this share of marked words gets a review notice."
    )
    # Extra registry entries: name -> local folder (e.g. {"large-v3": "/models/whisper-large-v3"}).
    extra_models: dict[str, Path] = Field(default_factory=dict)

    # --- storage / web -------------------------------------------------------
    data_dir: Path = Field(Path("data"), description="SQLite file, audio store, keys.")
    database_url: str | None = Field(
        None, validation_alias="DATABASE_URL", description="SQLAlchemy URL; SQLite by default."
    )
    session_idle_minutes: int = 30
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
    environment: Literal["development", "production"] = "development"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
