"""Fixtures for the web service tests: both database backends, users, clients, audio.

`backend` runs a test on SQLite (a file in tmp_path) and on the local
PostgreSQL, in a schema created for that test and dropped afterwards. The
fake pipeline is for plumbing tests only; tests marked `slow`/`browser` use
the real models.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from avt_notes.config import Settings, StoreSettings, WebSettings
from avt_notes.store import Store
from avt_notes.web.app import create_app

from webhelpers import JFK, PASSWORD, Api, add_user, fake_pipeline

PG_ADMIN_URL = os.environ.get("AVT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 with its default cost takes ~0.3 s per hash on 2 cores; tests need speed."""
    from argon2 import PasswordHasher

    from avt_notes.store import accounts

    accounts.set_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    accounts.set_password_hasher(PasswordHasher())


# --- databases ---------------------------------------------------------------------------
def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_available() -> bool:
    return _pg_available()


@pytest.fixture
def pg_url(pg_available: bool) -> Iterator[str]:
    """A SQLAlchemy URL whose search_path is a fresh schema, dropped after the test."""
    if not pg_available:
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    import psycopg

    schema = f"avt_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    base = PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}?options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    if backend == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return None  # the embedded SQLite file in data_dir


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(
        store=StoreSettings(data_dir=tmp_path / "data", database_url=database_url),
        web=WebSettings(worker=False, max_chunk_bytes=256 * 1024, max_chunks=1000),
    )


# --- app and clients -------------------------------------------------------------------------
@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings, pipeline=fake_pipeline, start_worker=False)
    yield application
    application.state.services.store.close()


@pytest.fixture
def store(app: FastAPI) -> Store:
    return app.state.services.store  # type: ignore[no-any-return]


@pytest.fixture
def make_client(app: FastAPI, store: Store) -> Iterator[Callable[..., Api]]:
    """make_client("ann", role="clinician") → a client logged in as a new user; None → anonymous."""
    opened: list[TestClient] = []

    def make(username: str | None = None, role: str = "clinician", login: bool = True) -> Api:
        client = TestClient(app, base_url="https://testserver")
        client.__enter__()
        opened.append(client)
        if username is not None:
            add_user(store, username, role)
            if login:
                response = client.post(
                    "/api/login", json={"username": username, "password": PASSWORD}
                )
                assert response.status_code == 200, response.text
                client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return Api(client, app)

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def clinician(make_client: Callable[..., Api]) -> Api:
    return make_client("ann")


# --- audio -----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


def _ffmpeg(*args: str) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="session")
def jfk_webm(media_dir: Path) -> bytes:
    """11 s of real speech as webm/opus, as Chrome's MediaRecorder would produce."""
    if not JFK.exists():
        pytest.skip(f"{JFK} is missing")
    out = media_dir / "jfk.webm"
    _ffmpeg("-i", str(JFK), "-c:a", "libopus", "-b:a", "32k", str(out))
    return out.read_bytes()


@pytest.fixture(scope="session")
def jfk_m4a(media_dir: Path) -> bytes:
    """The same speech as fragmented mp4/aac, as Safari's MediaRecorder produces."""
    if not JFK.exists():
        pytest.skip(f"{JFK} is missing")
    out = media_dir / "jfk.m4a"
    _ffmpeg(
        "-i", str(JFK), "-c:a", "aac", "-b:a", "48k",
        "-movflags", "frag_keyframe+empty_moov+default_base_moof", str(out),
    )  # fmt: skip
    return out.read_bytes()


@pytest.fixture(scope="session")
def jfk_wav(media_dir: Path) -> Path:
    if not JFK.exists():
        pytest.skip(f"{JFK} is missing")
    out = media_dir / "jfk.wav"
    _ffmpeg("-i", str(JFK), "-ac", "1", "-ar", "48000", "-c:a", "pcm_s16le", str(out))
    return out
