"""Settings of the task-queue deployment (prefix ``AVT_``), read by the web app and workers.

Unset `broker_url` means the embedded default: no broker, the web process runs
its own worker thread over the job table. Kept apart from `config.Settings`
because only the queue deployment reads them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROCESS_QUEUE = "avt.process"
LIVE_QUEUE = "avt.live"


class QueueSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AVT_", env_file=".env", extra="ignore")

    broker_url: str | None = Field(
        default=None,
        description="Celery broker (amqp://... or redis://...); unset: in-process worker.",
    )
    scratch_dir: Path | None = Field(
        default=None,
        description="Plaintext temp files; local disk, never the shared audio volume "
        "(default <data_dir>/tmp).",
    )
    worker_health_port: int = Field(
        default=0, description="Port of a worker's health endpoint; 0 means none."
    )
    worker_health_host: str = "127.0.0.1"
    max_attempts: int = Field(
        default=4, description="A job whose worker died this many times is marked failed."
    )
    lock_retry_seconds: float = Field(
        default=3.0, description="Wait before retrying a task whose session is busy elsewhere."
    )
    redis_visibility_seconds: int = Field(
        default=4 * 3600,
        description="Redis only: an unacknowledged task is redelivered after this long.",
    )
