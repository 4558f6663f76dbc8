"""`avt-notes worker`: a Celery worker that processes sessions (the scale-out deployment).

Needs `AVT_BROKER_URL` and a PostgreSQL `DATABASE_URL` (the same ones the web
app uses), the audio key file and the shared audio folder (`AVT_DATA_DIR`).
Each pool process loads the models once when it starts. SIGTERM is a warm
shutdown: no new tasks, running ones finish; a task cut short by a second
signal or a kill goes back to the broker and runs on another worker.
"""

from __future__ import annotations

import os
import socket

import typer

from avt_notes.cli.app import app
from avt_notes.errors import AvtError
from avt_notes.tasks.queues import LIVE_QUEUE, PROCESS_QUEUE

QUEUE_NAMES = {"process": PROCESS_QUEUE, "live": LIVE_QUEUE}


@app.command()
def worker(
    concurrency: int = typer.Option(1, help="Pool processes (each loads its own models)."),
    queues: str = typer.Option(
        "process,live", help="Comma-separated: process (after stop), live (while recording)."
    ),
    health_port: int | None = typer.Option(
        None, help="Serve GET /health here (default AVT_WORKER_HEALTH_PORT; 0 = none)."
    ),
    log_level: str = typer.Option("info", help="debug, info, warning or error."),
) -> None:
    """Run a queue worker: take sessions from the broker, transcribe, diarise, draft."""
    from avt_notes.config import Settings
    from avt_notes.store.db import open_database
    from avt_notes.tasks.celery_app import celery_for
    from avt_notes.tasks.health import make_check, serve_health
    from avt_notes.tasks.logs import configure_json_logging

    settings = Settings()
    queue_settings = settings.queue
    if not queue_settings.broker_url:
        raise AvtError("set AVT_BROKER_URL (amqp://... or redis://...) to run a queue worker")
    if not (settings.store.database_url or "").startswith(("postgresql", "postgres:")):
        raise AvtError("queue workers need PostgreSQL: set DATABASE_URL (the web app's too)")
    try:
        names = [QUEUE_NAMES[name.strip()] for name in queues.split(",") if name.strip()]
    except KeyError as error:
        raise AvtError(f"unknown queue {error}; use process and/or live") from None
    if concurrency < 1 or not names:
        raise AvtError("a worker needs --concurrency >= 1 and at least one queue")
    configure_json_logging()
    celery = celery_for(queue_settings.broker_url)
    port = queue_settings.worker_health_port if health_port is None else health_port
    if port:
        check = make_check(celery, open_database(settings.store, read_only=True))
        serve_health(queue_settings.worker_health_host, port, check)
    celery.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--queues={','.join(names)}",
            "--pool=prefork",
            f"--hostname=avt-{os.getpid()}@{socket.gethostname()}",
            f"--loglevel={log_level.upper()}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
