"""Structured worker logs: one JSON object a line, with the session and job ids.

The ids are context variables set around a task, so every log line a task
causes (ours, the pipeline's, Celery's) carries them without passing them
down. Only ids and stage names are logged, never transcript or note text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_session_id: ContextVar[str | None] = ContextVar("avt_session_id", default=None)
_job_id: ContextVar[int | None] = ContextVar("avt_job_id", default=None)


@contextmanager
def job_context(job_id: int, session_id: str | None = None) -> Iterator[None]:
    """Tag every log record made inside with this job (and session)."""
    job_token = _job_id.set(job_id)
    session_token = _session_id.set(session_id)
    try:
        yield
    finally:
        _session_id.reset(session_token)
        _job_id.reset(job_token)


def set_session(session_id: str) -> None:
    """Add the session id once the job row has been read."""
    _session_id.set(session_id)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        job_id, session_id = _job_id.get(), _session_id.get()
        if job_id is not None:
            entry["job_id"] = job_id
        if session_id is not None:
            entry["session_id"] = session_id
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_json_logging(level: int = logging.INFO) -> None:
    """Route every logger through one JSON handler on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("alembic", "httpx", "faster_whisper", "speechbrain", "pyannote"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
