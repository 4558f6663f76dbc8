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


def _repository_prompts() -> Path:
    # src/avt_notes/config.py -> the repository's prompts/ (templates, lexicons, rules).
    return Path(__file__).resolve().parents[2] / "prompts"


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
    asr_beam_size: int = 5
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
    live_draft_window_seconds: float = Field(
        180.0, description="Seconds of recording per window drafted while recording."
    )
    prompts_dir: Path = Field(
        default_factory=_repository_prompts,
        description="Note templates, lexicons and grounding rules (prompts/ in the repository).",
    )
    # Extra registry entries: name -> local folder (e.g. {"large-v3": "/models/whisper-large-v3"}).
    extra_models: dict[str, Path] = Field(default_factory=dict)

    # --- storage / web -------------------------------------------------------
    data_dir: Path = Field(Path("data"), description="SQLite file, audio store, keys.")
    database_url: str | None = Field(
        None, validation_alias="DATABASE_URL", description="SQLAlchemy URL; SQLite by default."
    )
    session_idle_minutes: int = 30
    environment: Literal["development", "production"] = "development"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
