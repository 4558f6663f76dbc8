"""Accounts and login sessions: cookies, CSRF, idle timeout, logout, audit of logins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from avt_notes.store import Store
from avt_notes.store.tables import AuditEntry, LoginSession, utcnow

from webhelpers import PASSWORD, Api, add_user


def test_login_sets_strict_server_side_cookie(make_client: Callable[..., Api]) -> None:
    api = make_client("ann", login=False)
    response = api.post("/api/login", json={"username": "ann", "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie
    token = response.cookies["avt_session"]
    me = api.get("/api/me").json()
    assert me["username"] == "ann" and me["role"] == "clinician"
    assert token not in me.values() and len(me["csrf_token"]) >= 32


def test_cookie_not_secure_on_localhost(app: FastAPI, store: Store) -> None:
    add_user(store, "ann")
    with TestClient(app, base_url="http://localhost") as client:
        response = client.post("/api/login", json={"username": "ann", "password": PASSWORD})
        assert response.status_code == 200
        assert "secure" not in response.headers["set-cookie"].lower()


def test_wrong_password_is_401_and_audited(make_client: Callable[..., Api], store: Store) -> None:
    api = make_client("ann", login=False)
    bad = api.post("/api/login", json={"username": "ann", "password": "wrong password"})
    unknown = api.post("/api/login", json={"username": "nobody", "password": "whatever1"})
    assert bad.status_code == unknown.status_code == 401
    assert bad.json()["detail"] == unknown.json()["detail"] == "wrong username or password"
    with store.sessions() as db:
        actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions.count("login_failed") == 2


def test_anonymous_gets_401_and_pages_redirect(make_client: Callable[..., Api]) -> None:
    anonymous = make_client()
    assert anonymous.get("/api/sessions").status_code == 401
    page = anonymous.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert anonymous.get("/login").status_code == 200


def test_csrf_required_for_every_state_change(clinician: Api) -> None:
    token = clinician.headers.pop("X-CSRF-Token")
    missing = clinician.post("/api/sessions", json={})
    clinician.headers["X-CSRF-Token"] = "not-the-token"
    wrong = clinician.post("/api/sessions", json={})
    assert missing.status_code == wrong.status_code == 403
    assert "CSRF" in missing.json()["detail"]
    clinician.headers["X-CSRF-Token"] = token
    assert clinician.post("/api/sessions", json={}).status_code == 201


def test_login_from_another_origin_refused(make_client: Callable[..., Api]) -> None:
    api = make_client("ann", login=False)
    response = api.post(
        "/api/login",
        json={"username": "ann", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_logout_ends_the_server_side_session(clinician: Api) -> None:
    cookie = clinician.cookies["avt_session"]
    assert clinician.post("/api/logout").status_code == 204
    clinician.cookies.set("avt_session", cookie, domain="testserver.local")
    response = clinician.get("/api/me")
    assert response.status_code == 401


def test_idle_timeout_expires_login(clinician: Api, store: Store) -> None:
    with store.transaction() as db:
        db.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    response = clinician.get("/api/me")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert clinician.get("/api/me").status_code == 401  # ended for good, not just this once


def test_activity_keeps_login_alive(clinician: Api, store: Store) -> None:
    with store.transaction() as db:
        db.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=29)))
    assert clinician.get("/api/me").status_code == 200
    with store.sessions() as db:
        seen = db.scalar(select(LoginSession.last_seen_at))
    assert seen is not None and utcnow() - seen < timedelta(minutes=1)


def test_admin_creates_users_clinician_cannot(make_client: Callable[..., Api]) -> None:
    admin = make_client("root", role="admin")
    body = {"username": "bob", "password": PASSWORD, "role": "evaluator"}
    assert admin.post("/api/users", json=body).status_code == 201
    assert admin.post("/api/users", json=body).status_code == 409
    short = admin.post("/api/users", json={**body, "username": "carl", "password": "short"})
    assert short.status_code == 400 and "at least" in short.json()["detail"]
    clinician = make_client("ann")
    assert clinician.post("/api/users", json={**body, "username": "dan"}).status_code == 403
    assert [u["username"] for u in admin.get("/api/users").json()] == ["ann", "bob", "root"]
