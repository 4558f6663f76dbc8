"""Real browser: Debian's Chromium with a fake microphone records a session end to end.

Log in, create a session, give consent, record ~20 s of real speech (JFK,
looped by the fake capture device), go offline in the middle and come back,
stop; then every chunk must be on the server, the assembled recording must
decode to the recorded length, and the draft from the real pipeline (Whisper
tiny.en, the diariser, the drafter) must appear on the page. Screenshots at
phone size go to test-artifacts/.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from avt_notes.config import DraftingSettings, ModelSettings, Settings, StoreSettings, WebSettings
from avt_notes.store import Store
from avt_notes.store.tables import AudioChunk, ClinicalSession
from avt_notes.web.app import create_app

from browserhelpers import wait_until
from webhelpers import ARTIFACTS, PASSWORD, add_user, fake_pipeline

pytestmark = [pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}


@dataclass
class LiveServer:
    url: str
    app: FastAPI
    store: Store
    settings: Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(tmp_path: Path, pipeline: object | None) -> Iterator[LiveServer]:
    """The app and its in-process worker, served by uvicorn in a thread."""
    import uvicorn

    settings = Settings(
        models=ModelSettings(asr_model="tiny.en"),
        drafting=DraftingSettings(drafter_max_new_tokens=96),
        store=StoreSettings(data_dir=tmp_path / "data"),
        web=WebSettings(worker=True, worker_poll_seconds=0.3, chunk_seconds=3.0),
    )
    app = create_app(settings, pipeline=pipeline)
    store: Store = app.state.services.store
    add_user(store, "ann")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield LiveServer(f"http://127.0.0.1:{port}", app, store, settings)
    server.should_exit = True
    thread.join(15)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """With the real pipeline (the default)."""
    drafting = pytest.importorskip("avt_notes.drafting")
    if not hasattr(drafting, "draft_note"):
        pytest.skip("the drafting package is not complete yet")
    yield from serve(tmp_path, None)


@pytest.fixture
def plumbing_server(tmp_path: Path) -> Iterator[LiveServer]:
    """With the fake pipeline: for tests about the page and the upload, not the models."""
    yield from serve(tmp_path, fake_pipeline)


@pytest.fixture
def chromium(jfk_wav: Path, tmp_path: Path) -> Iterator[Any]:
    """Debian's Chromium with a fake microphone playing real speech (looped)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (make setup installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    mic = tmp_path / "mic.wav"
    shutil.copy(jfk_wav, mic)  # 48 kHz mono PCM: what Chromium's fake capture reads
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={mic}",
            ],
        )
        yield browser
        browser.close()


def phone_page(browser: Any, server: LiveServer, errors: list[str]) -> tuple[Any, Any]:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.grant_permissions(["microphone"], origin=server.url)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page


def login_and_consent(page: Any, server: LiveServer, label: str, shot: str | None = None) -> str:
    """Log in, create a session, record verbal consent; returns the session id."""
    page.goto(f"{server.url}/")
    page.fill("#username", "ann")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    page.fill("#label", label)
    page.click("text=Start a session")
    page.wait_for_url("**/sessions/*")
    session_id = str(page.url.rstrip("/").split("/")[-1])
    # Consent gate: nothing to record before it.
    page.wait_for_selector("#consent", state="visible")  # the page renders its state after load
    assert not page.is_visible("#rec-start")
    if shot:
        page.screenshot(path=str(ARTIFACTS / shot))
    # Nothing on the consent card (a long language-group option) may widen the page:
    # a phone would zoom out and every control would shrink.
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"consent page is {widths[0]} px wide on a {widths[1]} px screen"
    page.check("input[value=verbal]")
    page.click("#consent-submit")
    page.wait_for_selector("#rec-start", state="visible")
    return session_id


def clock_seconds(page: Any) -> int:
    minutes, seconds = (int(x) for x in (page.text_content("#elapsed") or "0:0").split(":"))
    return minutes * 60 + seconds


@pytest.mark.slow
def test_record_offline_and_back_then_draft_appears(
    live_server: LiveServer, chromium: Any, tmp_path: Path
) -> None:
    errors: list[str] = []
    context, page = phone_page(chromium, live_server, errors)
    session_id = login_and_consent(page, live_server, "Browser test", "consent-390x844.png")
    page.screenshot(path=str(ARTIFACTS / "recording-consented-390x844.png"))

    # Record ~20 s; offline from ~6 s to ~13 s.
    page.click("#rec-start")
    wait_until(page, "Number(document.getElementById('state-line').dataset.uploaded) >= 1")
    page.wait_for_timeout(3000)
    context.set_offline(True)
    wait_until(page, "document.getElementById('state-line').textContent.includes('offline')")
    page.wait_for_timeout(4000)
    line = page.locator("#state-line")
    offline_saved = int(line.get_attribute("data-saved") or 0)
    offline_uploaded = int(line.get_attribute("data-uploaded") or 0)
    assert offline_saved > offline_uploaded, "chunks should queue on the phone while offline"
    page.screenshot(path=str(ARTIFACTS / "recording-offline-390x844.png"))
    context.set_offline(False)
    wait_until(
        page,
        "(() => { const d = document.getElementById('state-line').dataset;"
        " return Number(d.uploaded) === Number(d.saved); })()",
        timeout=25,
    )
    page.click("#rec-pause")  # a pause is not recorded and does not count as elapsed
    assert page.text_content("#rec-pause") == "Resume"
    page.wait_for_timeout(2000)
    page.click("#rec-pause")
    page.wait_for_timeout(max(0, 20 - clock_seconds(page)) * 1000)
    page.screenshot(path=str(ARTIFACTS / "recording-phone-390x844.png"))
    page.click("#rec-stop")
    page.wait_for_selector("#processing", state="visible", timeout=30000)
    recorded_seconds = clock_seconds(page)

    # Processing with the real models, then the draft.
    page.wait_for_selector("#draft-body[data-loaded='1']", timeout=240000)
    page.screenshot(path=str(ARTIFACTS / "draft-phone-390x844.png"), full_page=True)
    sections = page.locator("#draft-body h3").count()
    left_on_phone = page.evaluate(
        "(async () => { const db = await new Promise((ok) => {"
        " const q = indexedDB.open('avt-notes'); q.onsuccess = () => ok(q.result); });"
        " return await new Promise((ok) => { const r = db.transaction('chunks')"
        ".objectStore('chunks').count(); r.onsuccess = () => ok(r.result); }); })()"
    )
    context.close()

    assert sections >= 1
    assert left_on_phone == 0  # the phone's copies are dropped only after a successful finish
    with live_server.store.sessions() as db:
        session = db.get(ClinicalSession, session_id)
        assert session is not None
        chunks = db.scalars(select(AudioChunk.seq).where(AudioChunk.session_id == session_id)).all()
    assert session.total_chunks is not None and session.total_chunks >= 5
    assert sorted(chunks) == list(range(session.total_chunks)), "every chunk stored, in order"
    assert session.audio_seconds is not None and 17.0 < session.audio_seconds < 27.0
    assert abs(session.audio_seconds - recorded_seconds) < 2.0  # the pause left no gap

    from avt_notes.audio import load_audio

    plain = tmp_path / "assembled.webm"
    live_server.store.audio.decrypt_audio_to(session_id, plain)
    decoded = load_audio(plain)
    assert abs(decoded.duration - session.audio_seconds) < 0.5
    unexpected = [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e]  # while offline
    assert not unexpected, errors


def test_reload_mid_recording_offers_resume_then_finish(
    plumbing_server: LiveServer, chromium: Any
) -> None:
    """Uploads fail, the page is reloaded mid-recording: the chunks saved on the phone are
    offered for upload, and "Finish session" gets all of them to the server."""
    errors: list[str] = []
    context, page = phone_page(chromium, plumbing_server, errors)
    session_id = login_and_consent(page, plumbing_server, "Reload test")
    page.route("**/chunks/**", lambda route: route.abort("internetdisconnected"))
    page.click("#rec-start")
    wait_until(page, "Number(document.getElementById('state-line').dataset.saved) >= 3")
    saved = int(page.locator("#state-line").get_attribute("data-saved") or 0)
    page.unroute("**/chunks/**")
    page.route("**/chunks/**", lambda route: route.abort("internetdisconnected"))
    page.reload()  # the recording stops here, as after a crash; saved chunks stay in IndexedDB
    page.unroute("**/chunks/**")
    page.wait_for_selector("#resume", state="visible")
    assert f"{saved} chunk(s)" in (page.text_content("#resume-text") or "")
    page.screenshot(path=str(ARTIFACTS / "resume-after-reload-390x844.png"))
    page.click("#resume-finish")
    page.wait_for_selector("#draft-body[data-loaded='1']", timeout=30000)
    context.close()

    with plumbing_server.store.sessions() as db:
        session = db.get(ClinicalSession, session_id)
        assert session is not None and session.status == "finished"
        assert session.total_chunks is not None and session.total_chunks >= saved
        assert session.chunk_count == session.total_chunks
    assert not [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e], errors
