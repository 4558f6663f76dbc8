"""Password guessing is throttled: per account and per address, growing waits, 429 + Retry-After.

Reproduces issue 11's attack (30 wrong logins at full speed, then the right
password; 20 wrong signing passwords) on SQLite and PostgreSQL, and checks
that the counters are shared between app instances (what separate worker
processes see) through the database, and through Redis when configured.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from avt_notes.config import Settings, StoreSettings, WebSettings
from avt_notes.store import Store
from avt_notes.store.tables import AuditEntry
from avt_notes.store.throttle import Subject
from avt_notes.web.app import create_app

from reviewhelpers import insert_processed_session
from webhelpers import PASSWORD, Api, add_user, fake_pipeline


def login(client: TestClient, username: str, password: str) -> tuple[int, dict[str, str]]:
    response = client.post("/api/login", json={"username": username, "password": password})
    return response.status_code, dict(response.headers)


def audited(store: Store, action: str) -> list[AuditEntry]:
    with store.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_thirty_fast_wrong_logins_lock_the_account(
    make_client: Callable[..., Api], store: Store
) -> None:
    anonymous = make_client()
    add_user(store, "ann")
    statuses = [login(anonymous.client, "ann", f"guess {n}")[0] for n in range(30)]
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}
    status, headers = login(anonymous.client, "ann", PASSWORD)
    assert status == 429, "the right password must not work during the lockout"
    assert 0 < int(headers["retry-after"]) <= 60
    engaged = audited(store, "password_throttled")
    assert len(engaged) == 1 and engaged[0].actor == "ann"
    assert '"where":"login"' in engaged[0].detail


def test_waits_grow_then_lock_out(tmp_path: Path) -> None:
    web = WebSettings(worker=False, throttle_account_limits="3/2 seconds;5/hour")
    settings = Settings(store=StoreSettings(data_dir=tmp_path / "d"), web=web)
    app = create_app(settings, pipeline=fake_pipeline)
    add_user(app.state.services.store, "ann")
    with TestClient(app, base_url="https://testserver") as client:
        for _ in range(3):
            assert login(client, "ann", "wrong")[0] == 401
        status, headers = login(client, "ann", PASSWORD)
        assert status == 429 and int(headers["retry-after"]) <= 2
        time.sleep(2.1)  # the first tier's window ends: two more tries, then the hour's lockout
        assert [login(client, "ann", "wrong")[0] for _ in range(2)] == [401, 401]
        status, headers = login(client, "ann", PASSWORD)
        assert status == 429 and int(headers["retry-after"]) > 60
    app.state.services.store.close()


def test_one_address_guessing_many_accounts_is_throttled(
    make_client: Callable[..., Api], store: Store
) -> None:
    anonymous = make_client()
    statuses = [login(anonymous.client, f"user{n}", "password1234")[0] for n in range(25)]
    assert statuses[:20] == [401] * 20  # each account is new; the address limit is 20/minute
    assert set(statuses[20:]) == {429}


def test_wrong_signing_passwords_end_the_session(ann: Api, store: Store) -> None:
    session_id = insert_processed_session(store, "ann", with_audio=False)
    assert ann.get(f"/api/sessions/{session_id}/review").status_code == 200
    url = f"/api/sessions/{session_id}/sign"
    statuses = []
    for n in range(20):
        response = ann.post(url, json={"attest": True, "password": f"guess {n}"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) > 0
            break
    assert statuses == [403] * 4 + [429]
    assert ann.get("/api/me").status_code == 401, "the guessing session must be logged out"
    assert login(ann.client, "ann", PASSWORD)[0] == 429, "and logging back in waits too"
    (engaged,) = audited(store, "password_throttled")
    assert '"where":"sign"' in engaged.detail


@pytest.fixture
def ann(make_client: Callable[..., Api]) -> Api:
    return make_client("ann")


def test_counters_are_shared_between_app_instances(settings: Settings) -> None:
    """Two apps on one database stand for two worker processes."""
    first = create_app(settings, pipeline=fake_pipeline)
    second = create_app(settings, pipeline=fake_pipeline)
    add_user(first.state.services.store, "ann")
    with (
        TestClient(first, base_url="https://testserver") as a,
        TestClient(second, base_url="https://testserver") as b,
    ):
        statuses = [login(a if n % 2 else b, "ann", "wrong")[0] for n in range(6)]
        assert statuses == [401] * 5 + [429]
    first.state.services.store.close()
    second.state.services.store.close()


def test_redis_storage_when_configured(tmp_path: Path) -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
    web = WebSettings(worker=False, throttle_storage_url="redis://127.0.0.1:6379/0")
    apps = [
        create_app(
            Settings(store=StoreSettings(data_dir=tmp_path / name), web=web),
            pipeline=fake_pipeline,
        )
        for name in ("a", "b")  # separate databases: only Redis is shared
    ]
    username = f"r{uuid.uuid4().hex[:10]}"
    for app in apps:
        add_user(app.state.services.store, username)
    try:
        with (
            TestClient(apps[0], base_url="https://testserver") as a,
            TestClient(apps[1], base_url="https://testserver") as b,
        ):
            statuses = [login(a if n % 2 else b, username, "wrong")[0] for n in range(6)]
            assert statuses == [401] * 5 + [429]
    finally:
        throttle = apps[0].state.services.throttle
        for kind, value in Subject(username, "testclient").counters():
            for item in throttle.limits[kind]:
                throttle.limiter.clear(item, "password", kind, value)
        for app in apps:
            app.state.services.store.close()
