"""The review page (a thin shell: review.js draws it from GET /api/sessions/{id}/review)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from avt_notes.store import recordings
from avt_notes.store.errors import NotFoundError
from avt_notes.web.deps import DbDep, PageAuth
from avt_notes.web.routes.pages import _page, _to_login

router = APIRouter(include_in_schema=False)


@router.get("/sessions/{session_id}/review")
def review_page(request: Request, session_id: str, auth: PageAuth, db: DbDep) -> Response:
    if auth is None:
        return _to_login(request)
    try:
        session = recordings.get_owned(db, auth.user, session_id)
    except NotFoundError:
        return _page(request, "not_found.html", auth, status=404)
    return _page(request, "review.html", auth, session=session)
