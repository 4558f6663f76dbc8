"""A worker's health endpoint: ``GET /health`` on `AVT_WORKER_HEALTH_PORT`.

Served from the worker's main process (the one that talks to the broker), so
it answers while pool processes are busy. 200 when the worker is consuming, at
least one pool process has its models loaded, and both the database and the
broker answer; 503 otherwise, with the reason.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_ready, worker_shutting_down
from sqlalchemy import Engine, text

logger = logging.getLogger("avt_notes.tasks")

_state = {"ready": False, "shutting_down": False}


@worker_ready.connect
def _ready(**_: object) -> None:
    _state["ready"] = True


@worker_shutting_down.connect
def _stopping(**_: object) -> None:
    _state["shutting_down"] = True


def _ready_dir(main_pid: int) -> Path:
    return Path(tempfile.gettempdir()) / f"avt-worker-{main_pid}"


def mark_pool_process_ready() -> None:
    """Called by a pool process once its models are loaded (its parent is the worker)."""
    folder = _ready_dir(os.getppid())
    folder.mkdir(mode=0o700, exist_ok=True)
    (folder / str(os.getpid())).touch()


def _ready_pool_processes() -> int:
    """Pool processes of this worker that are alive and have their models loaded."""
    folder = _ready_dir(os.getpid())
    alive = 0
    for marker in folder.glob("*") if folder.is_dir() else ():
        try:
            os.kill(int(marker.name), 0)
            alive += 1
        except (ValueError, ProcessLookupError):
            marker.unlink(missing_ok=True)
    return alive


def _active_jobs() -> list[int]:
    from celery.worker import state

    return [int(request.args[0]) for request in list(state.active_requests) if request.args]


def make_check(celery: Celery, engine: Engine) -> Callable[[], tuple[bool, dict[str, Any]]]:
    """The health check: worker state, database and broker reachability, running job ids."""

    def check() -> tuple[bool, dict[str, Any]]:
        report: dict[str, Any] = {
            **_state,
            "models_loaded_in": _ready_pool_processes(),
            "active_jobs": _active_jobs(),
        }
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()  # keep no connection a newly forked pool process would inherit
            report["database"] = "ok"
        except Exception as error:
            report["database"] = f"unreachable: {type(error).__name__}"
        try:
            with celery.connection_for_read() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
            report["broker"] = "ok"
        except Exception as error:
            report["broker"] = f"unreachable: {type(error).__name__}"
        ok = (
            bool(report["ready"])
            and report["models_loaded_in"] > 0
            and not report["shutting_down"]
            and report["database"] == "ok"
            and report["broker"] == "ok"
        )
        report["status"] = "ok" if ok else "unavailable"
        return ok, report

    return check


def serve_health(host: str, port: int, check: Callable[[], tuple[bool, dict[str, Any]]]) -> None:
    """Answer health requests in a daemon thread for the life of the process."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.rstrip("/") not in ("/health", ""):
                self.send_error(404)
                return
            ok, report = check()
            body = json.dumps(report).encode()
            self.send_response(200 if ok else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # probes every few seconds would flood the log

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="avt-health", daemon=True).start()
    logger.info("worker health on http://%s:%d/health", host, server.server_port)
