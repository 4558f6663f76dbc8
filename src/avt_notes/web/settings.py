"""Web-service settings that the shared `Settings` does not carry (prefix ``AVT_``).

Kept beside the web app because only the service reads them; everything a
stage needs stays in `avt_notes.config`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AVT_", env_file=".env", extra="ignore")

    worker: bool = Field(default=True, description="Run the job worker inside the web process.")
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
    cookie_secure: bool | None = Field(
        default=None,
        description="Force the Secure cookie flag; default: on unless the host is local.",
    )
    api_docs: bool = Field(
        default=False, description="Serve the OpenAPI schema at /api/openapi.json (logged in)."
    )
    consent_notice: str = DEFAULT_NOTICE
    consent_notice_version: str = "2025-01"
    templates: list[str] = Field(
        default_factory=list,
        description="Note template ids offered; default: every template in prompts/templates.",
    )
    default_template: str = "soap"
    audio_key_file: Path | None = Field(
        default=None, description="AES key file; default <data_dir>/keys/audio.key."
    )
