"""Load the models when a service or worker starts, in the background.

A walk-through waited 44 s on "loading drafting model" when the first draft
was due. Loading at start, in a thread, lets the server answer at once while
the models load; `state` (shown by the health endpoint) says when they are
ready, and a job that starts earlier simply waits on the same per-process
model cache.
"""

from __future__ import annotations

import logging
import threading
import time

from avt_notes.config import Settings

logger = logging.getLogger("avt_notes.worker")


class ModelWarmup:
    """Preloads every model once; `state` is "idle", "loading", "ready" or "failed"."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = "idle"
        self.stage = ""
        self.detail = ""
        self.seconds = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self.state = "loading"
            self._thread = threading.Thread(target=self._run, name="avt-warmup", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until loading ended (tests, benchmarks); True if the models are ready."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.state == "ready"

    def status(self) -> dict[str, str]:
        status = {"models": self.state}
        if self.state == "loading":
            status["models_stage"] = self.stage
        if self.detail:
            status["models_detail"] = self.detail
        return status

    def _report(self, stage: str, _fraction: float) -> None:
        self.stage = stage

    def _run(self) -> None:
        from avt_notes.pipeline import preload_models

        started = time.perf_counter()
        try:
            preload_models(self.settings, progress=self._report)
        except Exception as error:  # a job will raise the same error with its context
            self.state, self.detail = "failed", f"{type(error).__name__}: {error}"
            logger.exception("loading the models failed")
            return
        self.seconds = time.perf_counter() - started
        self.state = "ready"
        logger.info("models loaded in %.1f s", self.seconds)
