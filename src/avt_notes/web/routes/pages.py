"""HTML pages (phone first). They are thin shells: the data comes from the JSON API.

Logged-out visitors are sent to /login; another clinician's session id is the
same "not found" page as an id that never existed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from avt_notes.store import recordings
from avt_notes.store.errors import NotFoundError
from avt_notes.web.deps import (
    INSECURE_MESSAGE,
    Auth,
    DbDep,
    PageAuth,
    ServicesDep,
    secure_enough,
)
from avt_notes.web.redirects import login_url, safe_next
from avt_notes.web.schemas import session_out

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")


def _page(
    request: Request, name: str, auth: Auth | None, status: int = 200, **extra: Any
) -> HTMLResponse:
    context: dict[str, Any] = {
        "user": auth.user if auth else None,
        "csrf_token": auth.login.csrf_token if auth else "",
        **extra,
    }
    return templates.TemplateResponse(request, name, context, status_code=status)


def _to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(login_url(request.url.path), status_code=303)


@router.get("/login")
def login_page(
    request: Request, auth: PageAuth, services: ServicesDep, next: str | None = None
) -> Response:
    target = safe_next(next)
    if auth is not None:
        return RedirectResponse(target, status_code=303)
    insecure = "" if secure_enough(request, services.web) else INSECURE_MESSAGE
    return _page(request, "login.html", None, next_path=target, insecure=insecure)


@router.get("/")
def index(request: Request, auth: PageAuth, db: DbDep, services: ServicesDep) -> Response:
    if auth is None:
        return _to_login(request)
    sessions = []
    if auth.user.role == "clinician":
        sessions = [session_out(db, s) for s in recordings.list_owned(db, auth.user)]
    return _page(
        request,
        "index.html",
        auth,
        sessions=sessions,
        templates=services.web.templates,
        default_template=services.web.default_template,
    )


@router.get("/sessions/{session_id}")
def session_page(
    request: Request, session_id: str, auth: PageAuth, db: DbDep, services: ServicesDep
) -> Response:
    if auth is None:
        return _to_login(request)
    try:
        session = recordings.get_owned(db, auth.user, session_id)
    except NotFoundError:
        return _page(request, "not_found.html", auth, status=404)
    return _page(
        request,
        "session.html",
        auth,
        session=session_out(db, session),
        notice=services.notice,
        chunk_ms=int(services.web.chunk_seconds * 1000),
        language_groups=services.settings.web.patient_language_groups,
    )
