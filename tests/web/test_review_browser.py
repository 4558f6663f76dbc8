"""Real browser (Debian's Chromium): review a processed session, then sign it.

A processed session (the sample consultation's audio, transcript and a draft
citing its utterances) is inserted through the store. In the browser: click a
sentence and see its evidence highlighted and played; click an utterance and
see the sentence citing it; decide the three flags; edit a sentence; close the
tab with an edit the server never got and find it restored; sign with the
attestation and the password. The stored metrics must say what was done.
Screenshots at phone (390×844) and laptop (1366×900) sizes go to test-artifacts/.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from avt_notes.config import Settings, StoreSettings, WebSettings
from avt_notes.store import Store
from avt_notes.store.tables import ReviewDraft, SignedNote, SignoffMetrics
from avt_notes.web.app import create_app

from browserhelpers import chromium, wait_until
from reviewhelpers import insert_processed_session
from webhelpers import ARTIFACTS, PASSWORD, add_user, fake_pipeline

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
EDITED = "Fever for one week with feeling hot and sweaty all the time."
ASSESSMENT = "Fever of unknown origin; malaria to be excluded."
CLOSED_TAB = "Aching muscles, nausea, and drinking only small amounts of fluid."


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    import socket

    import uvicorn

    app = create_app(
        Settings(store=StoreSettings(data_dir=tmp_path / "data"), web=WebSettings(worker=False)),
        pipeline=fake_pipeline,
        start_worker=False,
    )
    store: Store = app.state.services.store
    add_user(store, "ann")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    thread.join(15)


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium("--autoplay-policy=no-user-gesture-required") as launched:
        yield launched


def open_review(context: Any, url: str, errors: list[str], login: bool = False) -> Any:
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    if login:
        page.fill("#username", "ann")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
    page.wait_for_selector("#review[data-loaded='1']")
    return page


def sentence(page: Any, sentence_id: str) -> Any:
    return page.locator(f".sentence[data-id='{sentence_id}']")


def saved(page: Any) -> None:
    wait_until(page, "document.getElementById('save-state').textContent.startsWith('All changes')")


def test_review_flags_edit_and_sign(server: tuple[str, Store], browser: Any) -> None:
    base, store = server
    session_id = insert_processed_session(store, "ann", label="Fever review")
    url = f"{base}/sessions/{session_id}/review"
    errors: list[str] = []

    # Phone: the same page, readable without zoom and without sideways scrolling.
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                has_touch=True)  # fmt: skip
    page = open_review(phone, url, errors, login=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    sentence(page, "s0-0").locator("textarea").click()
    page.wait_for_selector(".sentence.selected .inline-evidence", state="visible")
    page.screenshot(path=str(ARTIFACTS / "review-phone-390x844.png"))
    page.click("#tab-transcript")
    page.wait_for_selector("#utterances .utterance.evidence", state="visible")
    page.screenshot(path=str(ARTIFACTS / "review-phone-transcript-390x844.png"))
    phone.close()

    laptop = browser.new_context(viewport=LAPTOP)
    page = open_review(laptop, url, errors, login=True)
    assert page.is_visible("#note-pane") and page.is_visible("#transcript-pane")
    assert page.locator("#utterances mark.low").count() > 0  # low-confidence words marked
    assert "3 of 3 flagged" in (page.text_content("#flag-summary") or "")
    unsure = sentence(page, "s0-0").locator(".unsure-text")
    assert unsure.is_visible() and "unsure of “fever”, “hot”" in (unsure.text_content() or "")
    # What the checker kept out of the draft is shown beside it, not in it.
    assert "Left out of the draft (1)" in (page.text_content("#set-aside-title") or "")
    page.click("#set-aside-title")
    assert "Objective: Vital signs are normal." in (page.text_content("#set-aside-list") or "")
    assert "Vital signs" not in (page.text_content("#note") or "")
    assert page.is_disabled("#sign-button")

    # Select a sentence: its evidence is highlighted and that span of audio plays
    # (at 4× speed to keep the test short; what is counted is seconds of audio).
    page.evaluate("(() => { const p = document.getElementById('player');"
                  " p.defaultPlaybackRate = 4; p.playbackRate = 4; })()")  # fmt: skip
    sentence(page, "s0-2").locator("textarea").click()
    highlighted = page.eval_on_selector_all(
        ".utterance.evidence", "els => els.map(e => e.dataset.id)"
    )
    assert highlighted == ["u0013", "u0014"]
    wait_until(page, "Number(document.getElementById('review').dataset.played || 0) > 0.5")
    wait_until(page, "document.getElementById('player').paused")  # stops at the span's end
    position = page.evaluate("document.getElementById('player').currentTime")
    assert 72.0 < position < 89.5, position  # u0013 starts 72.0, u0014 ends 88.5
    page.screenshot(path=str(ARTIFACTS / "review-laptop-1366x900.png"))

    # Select an utterance: the sentences citing it are marked.
    page.click(".utterance[data-id='u0019']")
    assert "cites" in (sentence(page, "s3-0").get_attribute("class") or "")
    assert "Cited by 1 sentence" in (page.text_content(".utterance.selected .cited-by") or "")

    # Decide the flags: remove the invented temperature, edit the assessment, keep the risk item.
    sentence(page, "s1-0").locator("button[data-decision=remove]").click()
    sentence(page, "s2-0").locator("button[data-decision=edit]").click()
    sentence(page, "s2-0").locator("textarea").fill(ASSESSMENT)
    sentence(page, "r0").locator("button[data-decision=keep]").click()
    sentence(page, "s0-0").locator("textarea").fill(EDITED)
    assert "All 3 flagged sentence(s) decided" in (page.text_content("#flag-summary") or "")
    saved(page)

    # An edit made offline just before the tab closes is kept on the device and sent later.
    laptop.set_offline(True)
    sentence(page, "s0-1").locator("textarea").fill(CLOSED_TAB)
    page.close()
    laptop.set_offline(False)
    with store.sessions() as db:
        work = db.get(ReviewDraft, session_id)
        assert work is not None and CLOSED_TAB not in work.body  # the server never got it
    page = open_review(laptop, url, errors)
    assert sentence(page, "s0-1").locator("textarea").input_value() == CLOSED_TAB
    saved(page)
    with store.sessions() as db:
        work = db.get(ReviewDraft, session_id)
        assert work is not None and CLOSED_TAB in work.body and EDITED in work.body

    # Sign: attestation and password.
    assert not page.is_disabled("#sign-button")
    page.fill("#sign-password", PASSWORD)
    page.click("#sign-button")  # without the attestation: refused on the page
    assert "attestation" in (page.text_content("#sign-error") or "")  # beside the button
    page.check("#attest")
    page.click("#sign-button")
    page.wait_for_selector("#review[data-phase='signed']")
    page.wait_for_selector("#metrics", state="visible")
    summary = page.text_content("#metrics-summary") or ""
    assert "1 kept as drafted, 1 edited, 1 removed" in summary
    page.screenshot(path=str(ARTIFACTS / "review-signed-1366x900.png"), full_page=True)
    laptop.close()

    with store.sessions() as db:
        note = db.scalar(select(SignedNote).where(SignedNote.session_id == session_id))
        metrics = db.scalar(select(SignoffMetrics).where(SignoffMetrics.session_id == session_id))
    assert note is not None and metrics is not None
    assert EDITED in note.text and ASSESSMENT in note.text and CLOSED_TAB in note.text
    assert "Temperature" not in note.text and note.signer_username == "ann"
    assert (metrics.flagged_total, metrics.flagged_kept_unedited, metrics.flagged_edited,
            metrics.flagged_removed) == (3, 1, 1, 1)  # fmt: skip
    assert not metrics.signed_unchanged and metrics.char_distance > 0
    assert metrics.words_inserted + metrics.words_deleted + metrics.words_substituted > 0
    assert metrics.audio_seconds_played > 0.5 and metrics.review_seconds > 1.0
    unexpected = [e for e in errors if "ERR_FAILED" not in e and "Failed to fetch" not in e]
    assert not unexpected, errors
