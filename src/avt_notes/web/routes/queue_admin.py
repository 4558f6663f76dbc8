"""Admin JSON view of processing: queue depth, job states and running jobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from avt_notes.tasks.queue_state import job_counts, running_jobs
from avt_notes.web.deps import AdminAuth, DbDep

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/queue")
def queue_view(request: Request, _auth: AdminAuth, db: DbDep) -> dict[str, Any]:
    """Job states from the database; with a broker, also its queue depths and live workers."""
    view: dict[str, Any] = {
        "mode": "embedded",
        "jobs": job_counts(db),
        "running": running_jobs(db),
    }
    dispatcher = getattr(request.app.state, "dispatcher", None)
    if dispatcher is not None:
        from avt_notes.tasks.queue_state import queue_depths, worker_names

        view["mode"] = "queue"
        try:
            view["queues"] = queue_depths(dispatcher.celery)
            view["workers"] = worker_names(dispatcher.celery)
        except Exception as error:  # the admin page must still show the database side
            view["broker_error"] = f"{type(error).__name__}: {error}"[:300]
    return view
