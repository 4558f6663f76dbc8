"""Permission matrix: every route × {owner, other clinician, evaluator, admin, anonymous}.

Deny by default: another clinician's session id is 404 (existence is not
revealed), non-clinician roles get 403 on clinical data, anonymous gets 401,
and every state-changing route refuses a request without the CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from avt_notes.config import Settings
from avt_notes.errors import DraftingError
from avt_notes.pipeline_result import PipelineResult

from webhelpers import Api


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    state: str  # what the owner's session must be in for the owner's call to succeed
    expect: dict[str, int]  # role -> status
    body: str = "none"  # none | json:<name> | chunk | file


def _clinical(owner: int, anonymous: int = 401) -> dict[str, int]:
    return {"owner": owner, "other": 404, "evaluator": 403, "admin": 403, "anonymous": anonymous}


ROUTES = [
    Route(
        "GET",
        "/api/health",
        "none",
        {r: 200 for r in ("owner", "other", "evaluator", "admin", "anonymous")},
    ),
    Route(
        "GET",
        "/api/me",
        "none",
        {"owner": 200, "other": 200, "evaluator": 200, "admin": 200, "anonymous": 401},
    ),
    Route(
        "POST",
        "/api/logout",
        "none",
        {"owner": 204, "other": 204, "evaluator": 204, "admin": 204, "anonymous": 401},
    ),
    Route(
        "GET",
        "/api/sessions",
        "done",
        {"owner": 200, "other": 200, "evaluator": 403, "admin": 403, "anonymous": 401},
    ),
    Route(
        "POST",
        "/api/sessions",
        "none",
        {"owner": 201, "other": 201, "evaluator": 403, "admin": 403, "anonymous": 401},
        "json:create",
    ),
    Route("GET", "/api/sessions/{id}", "done", _clinical(200)),
    Route("DELETE", "/api/sessions/{id}", "done", _clinical(204)),
    Route("POST", "/api/sessions/{id}/consent", "consent", _clinical(200), "json:consent"),
    Route("POST", "/api/sessions/{id}/withdraw", "done", _clinical(200)),
    Route("POST", "/api/sessions/{id}/retry", "failed", _clinical(202)),
    Route("GET", "/api/sessions/{id}/draft", "done", _clinical(200)),
    Route("GET", "/api/sessions/{id}/transcript", "done", _clinical(200)),
    Route("GET", "/api/sessions/{id}/audio", "done", _clinical(200)),
    Route("PUT", "/api/sessions/{id}/chunks/0", "ready", _clinical(201), "chunk"),
    Route("GET", "/api/sessions/{id}/chunks", "recording", _clinical(200)),
    Route("POST", "/api/sessions/{id}/finish", "recording", _clinical(200), "json:finish"),
    Route("POST", "/api/sessions/{id}/file", "ready", _clinical(201), "file"),
    Route(
        "GET",
        "/api/users",
        "none",
        {"owner": 403, "other": 403, "evaluator": 403, "admin": 200, "anonymous": 401},
    ),
    Route(
        "POST",
        "/api/users",
        "none",
        {"owner": 403, "other": 403, "evaluator": 403, "admin": 201, "anonymous": 401},
        "json:user",
    ),
    Route(
        "GET",
        "/",
        "none",
        {"owner": 200, "other": 200, "evaluator": 200, "admin": 200, "anonymous": 303},
    ),
    Route(
        "GET",
        "/login",
        "none",
        {"owner": 303, "other": 303, "evaluator": 303, "admin": 303, "anonymous": 200},
    ),
    Route(
        "GET",
        "/sessions/{id}",
        "done",
        {"owner": 200, "other": 404, "evaluator": 404, "admin": 404, "anonymous": 303},
    ),
]
ROLE_ORDER = ("anonymous", "evaluator", "admin", "other", "owner")  # owner last: it may mutate


def _failing(path: Path, settings: Settings, **kwargs: Any) -> PipelineResult:
    raise DraftingError("model unavailable")


@pytest.mark.parametrize("backend", ["sqlite"])  # routing logic; both backends run elsewhere
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_permission_matrix(
    route: Route,
    app: FastAPI,
    make_client: Callable[..., Api],
    jfk_webm: bytes,
    jfk_wav: Path,
) -> None:
    clients = {
        "owner": make_client("ann"),
        "other": make_client("bob"),
        "evaluator": make_client("eve", role="evaluator"),
        "admin": make_client("root", role="admin"),
        "anonymous": make_client(),
    }
    owner = clients["owner"]
    session_id = ""
    if route.state != "none":
        session_id = owner.new_session(consent=None if route.state == "consent" else "verbal")
    if route.state in ("recording", "done", "failed"):
        owner.upload_all(session_id, [jfk_webm])
    if route.state in ("done", "failed"):
        assert owner.finish(session_id, 1).status_code == 200
        if route.state == "failed":
            app.state.worker.pipeline = _failing
        assert app.state.worker.run_once()

    bodies: dict[str, dict[str, Any]] = {
        "json:create": {"json": {"label": "x"}},
        "json:consent": {"json": {"method": "verbal", "notice_sha256": owner.notice_sha()}},
        "json:finish": {"json": {"total_chunks": 1}},
        "json:user": {
            "json": {"username": "new-user", "password": "long enough", "role": "evaluator"}
        },
        "chunk": {"content": jfk_webm[:4096], "headers": {"Content-Type": "audio/webm"}},
        "file": {"content": jfk_wav.read_bytes(), "headers": {"Content-Type": "audio/wav"}},
        "none": {},
    }

    def call(api: Api, csrf: bool = True) -> int:
        kwargs = {k: (dict(v) if isinstance(v, dict) else v) for k, v in bodies[route.body].items()}
        if route.body == "chunk":
            import hashlib

            kwargs["headers"]["X-Chunk-SHA256"] = hashlib.sha256(kwargs["content"]).hexdigest()
        saved = api.client.headers.pop("X-CSRF-Token", None)
        if csrf and saved:
            kwargs.setdefault("headers", {})["X-CSRF-Token"] = saved
        try:
            response = api.client.request(
                route.method,
                route.path.format(id=session_id),
                follow_redirects=False,
                **kwargs,
            )
        finally:
            if saved:
                api.client.headers["X-CSRF-Token"] = saved
        return response.status_code

    if route.method not in ("GET", "HEAD") and route.expect["owner"] < 400:
        assert call(owner, csrf=False) == 403, "state change accepted without CSRF token"
    results = {role: call(clients[role]) for role in ROLE_ORDER}
    assert results == {role: route.expect[role] for role in ROLE_ORDER}
