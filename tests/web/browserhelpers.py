"""Helpers for the service's browser tests: a live server (HTTP or HTTPS) and Chromium.

The server runs the real app in a uvicorn thread; Chromium resolves
``clinic.lan`` to 127.0.0.1 so a test can open the service the way a phone on
the clinic network would (a non-local host name).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from avt_notes.config import Settings, StoreSettings, WebSettings
from avt_notes.store import Store
from avt_notes.web.app import create_app

from webhelpers import ARTIFACTS, PASSWORD, fake_pipeline

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
LAN_NAME = "clinic.lan"


@dataclass
class Served:
    port: int
    app: FastAPI
    store: Store
    scheme: str

    def url(self, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    tmp_path: Path,
    web: WebSettings | None = None,
    tls: tuple[Path, Path] | None = None,
    pipeline: object = fake_pipeline,
) -> Iterator[Served]:
    import uvicorn

    settings = Settings(
        store=StoreSettings(data_dir=tmp_path / "data"), web=web or WebSettings(worker=False)
    )
    app = create_app(settings, pipeline=pipeline, start_worker=bool(web and web.worker))
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield Served(port, app, app.state.services.store, "https" if tls else "http")
    finally:
        server.should_exit = True
        thread.join(15)


@contextmanager
def chromium(*extra_args: str) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (make setup installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1, MAP evil.example ~NOTFOUND",
                  *extra_args],
        )  # fmt: skip
        try:
            yield browser
        finally:
            browser.close()


def phone_context(browser: Any, **options: Any) -> Any:
    return browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, **options
    )


def watch_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def log_in(page: Any, username: str = "ann", password: str = PASSWORD) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def wait_until(page: Any, expression: str, timeout: float = 15.0) -> None:
    """Poll a JS expression (the page's CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for: {expression}")
