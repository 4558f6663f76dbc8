"""Background jobs of the service: the runner, and the `process` and `live` job handlers.

`runner` polls the job table and knows no job kind; `process` (transcript and
draft of a finished recording) and `live` (work done while it records) are
handlers given to a runner. The factories below wire the usual pair: both
runners of one process share a `LiveSessions`, through which the live work
on a session reaches its process job.
"""

from __future__ import annotations

from datetime import timedelta

from avt_notes.config import Settings
from avt_notes.jobs.live import follow_recording
from avt_notes.jobs.process import process_session
from avt_notes.jobs.runner import JobCancelled, LiveSessions, Worker, run_pipeline
from avt_notes.pipeline_result import Pipeline
from avt_notes.store import Store, jobs

__all__ = [
    "JobCancelled",
    "LiveSessions",
    "Worker",
    "live_worker",
    "process_worker",
    "run_pipeline",
]


def process_worker(
    store: Store,
    settings: Settings,
    pipeline: Pipeline | None = None,
    *,
    live_sessions: LiveSessions | None = None,
    poll_seconds: float = 1.0,
    stale_after: timedelta = timedelta(minutes=2),
) -> Worker:
    """A runner of `process` jobs (`pipeline` replaces the real one in tests)."""
    return Worker(
        store,
        settings,
        {jobs.PROCESS: process_session},
        pipeline,
        live_sessions=live_sessions,
        poll_seconds=poll_seconds,
        stale_after=stale_after,
    )


def live_worker(
    store: Store,
    settings: Settings,
    live_sessions: LiveSessions,
    *,
    poll_seconds: float = 1.0,
    stale_after: timedelta = timedelta(minutes=2),
) -> Worker:
    """A runner of `live` jobs, handing its work over through `live_sessions`."""
    return Worker(
        store,
        settings,
        {jobs.LIVE: follow_recording},
        live_sessions=live_sessions,
        poll_seconds=poll_seconds,
        stale_after=stale_after,
    )
