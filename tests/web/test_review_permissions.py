"""Permission matrix for the review routes × {owner, other clinician, evaluator, admin, anonymous}.

Same rules as the recording routes: another clinician's session is 404 (its
existence is not revealed), other roles get 403 on clinical data, anonymous
gets 401 (pages redirect to /login), and every state change needs the CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI

from avt_notes.store import Store

from reviewhelpers import FLAGGED, insert_processed_session
from webhelpers import PASSWORD, Api


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    state: str  # processed | opened | decided | signed | amending
    owner: int
    body: dict[str, Any] | None = None
    page: bool = False


SIGN = {"attest": True, "password": PASSWORD}
ROLES = {"roles": {"SPEAKER_00": "patient"}}
ROUTES = [
    Route("GET", "/api/sessions/{id}/review", "processed", 200),
    Route("PUT", "/api/sessions/{id}/review", "opened", 200, {"save": True}),
    Route("POST", "/api/sessions/{id}/review/roles", "opened", 200, ROLES),
    Route("POST", "/api/sessions/{id}/sign", "decided", 200, SIGN),
    Route("POST", "/api/sessions/{id}/amend", "signed", 200),
    Route("POST", "/api/sessions/{id}/amend/cancel", "amending", 200),
    Route("GET", "/api/sessions/{id}/note", "signed", 200),
    Route("GET", "/api/sessions/{id}/note/export?format=markdown", "signed", 200),
    Route("GET", "/api/sessions/{id}/note/export?format=pdf", "signed", 200),
    Route("GET", "/api/sessions/{id}/note/export?format=fhir", "signed", 200),
    Route("GET", "/sessions/{id}/review", "processed", 200, page=True),
]
ROLE_ORDER = ("anonymous", "evaluator", "admin", "other", "owner")  # owner last: it may mutate


def _expected(route: Route) -> dict[str, int]:
    if route.page:
        return {"owner": 200, "other": 404, "evaluator": 404, "admin": 404, "anonymous": 303}
    return {"owner": route.owner, "other": 404, "evaluator": 403, "admin": 403, "anonymous": 401}


def _prepare(owner: Api, session_id: str, state: str) -> dict[str, Any]:
    """Bring the owner's session to `state`; returns the review state at that point."""
    if state == "processed":
        return {}
    review = owner.get(f"/api/sessions/{session_id}/review").json()
    if state == "opened":
        return dict(review)
    review["working"]["decisions"] = dict.fromkeys(FLAGGED, "keep")
    body = {"revision": review["revision"], **review["working"]}
    assert owner.put(f"/api/sessions/{session_id}/review", json=body).status_code == 200
    if state == "decided":
        return dict(review)
    assert owner.post(f"/api/sessions/{session_id}/sign", json=SIGN).status_code == 200
    if state == "amending":
        assert owner.post(f"/api/sessions/{session_id}/amend").status_code == 200
    return dict(owner.get(f"/api/sessions/{session_id}/review").json())


@pytest.mark.parametrize("backend", ["sqlite"])  # routing logic; both backends run elsewhere
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_review_permission_matrix(
    route: Route, app: FastAPI, store: Store, make_client: Callable[..., Api]
) -> None:
    clients = {
        "owner": make_client("ann"),
        "other": make_client("bob"),
        "evaluator": make_client("eve", role="evaluator"),
        "admin": make_client("root", role="admin"),
        "anonymous": make_client(),
    }
    session_id = insert_processed_session(store, "ann", with_audio=False)
    state = _prepare(clients["owner"], session_id, route.state)
    body = route.body
    if body == {"save": True}:
        body = {"revision": state["revision"], **state["working"]}
    path = route.path.format(id=session_id)

    def call(api: Api, csrf: bool = True) -> int:
        saved = api.client.headers.pop("X-CSRF-Token", None)
        headers = {"X-CSRF-Token": saved} if csrf and saved else {}
        try:
            response = api.client.request(
                route.method, path, json=body, headers=headers, follow_redirects=False
            )
        finally:
            if saved:
                api.client.headers["X-CSRF-Token"] = saved
        return response.status_code

    if route.method != "GET":
        assert call(clients["owner"], csrf=False) == 403, "state change accepted without CSRF"
    results = {role: call(clients[role]) for role in ROLE_ORDER}
    expected = _expected(route)
    assert results == {role: expected[role] for role in ROLE_ORDER}
