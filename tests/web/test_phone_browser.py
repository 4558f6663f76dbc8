"""Real browser at phone size (390×844): every touch target, the review page, signed sessions.

Measures every visible control on the session list, the session page (draft
and signed) and the review page and fails on anything under 44×44 CSS px (the
size Apple and WCAG 2.5.5 give for a fingertip). Also: flag reasons are
visible text (not a hover tooltip), the fixed audio bar never covers a
decision button, a signing error shows beside the sign button, the password
is in a form, no internal id (u0004, SPEAKER_00) is shown to the clinician,
and a signed session shows the signed note, its version and amendments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from browserhelpers import chromium, log_in, phone_context, serve, wait_until, watch_errors
from reviewhelpers import FLAGGED, insert_processed_session
from webhelpers import ARTIFACTS, PASSWORD, add_user

pytestmark = [pytest.mark.browser]

SAMPLE_WAV = Path(__file__).resolve().parents[2] / "sample_audio" / "consultation.wav"

MIN_TARGET = 44

# Every control a finger can hit; a checkbox or radio counts as its label when it has one.
SMALL_TARGETS = """(min) => {
  const found = [];
  const seen = new Set();
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, audio';
  for (const el of document.querySelectorAll(selector)) {
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]') && el.closest('label')) {
      target = el.closest('label');
    }
    if (seen.has(target)) continue;
    seen.add(target);
    const style = getComputedStyle(target);
    const rect = target.getBoundingClientRect();
    if (style.visibility === 'hidden' || rect.width === 0 || rect.height === 0) continue;
    if (rect.width < min || rect.height < min) {
      const name = (target.id ? '#' + target.id : target.tagName.toLowerCase()) +
        (target.className ? '.' + String(target.className).split(' ').join('.') : '');
      found.push(`${name} "${(target.textContent || '').trim().slice(0, 30)}" ` +
        `${Math.round(rect.width)}x${Math.round(rect.height)}`);
    }
  }
  return found;
}"""

INTERNAL_IDS = r"""() => {
  const text = document.body.innerText;
  return [...new Set(text.match(/\b(u\d{4}|SPEAKER_\d{2}|s\d+-\d+)\b/g) || [])];
}"""


def covered(locator: Any) -> bool:
    """Whether something else (the fixed audio bar) is on top of the element's centre."""
    return bool(
        locator.evaluate(
            "el => { const r = el.getBoundingClientRect();"
            " const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
            " return !(hit && (hit === el || el.contains(hit))); }"
        )
    )


def small_targets(page: Any) -> list[str]:
    return list(page.evaluate(SMALL_TARGETS, MIN_TARGET))


def test_phone_touch_targets_and_review_ergonomics(tmp_path: Path) -> None:
    with serve(tmp_path) as server, chromium("--autoplay-policy=no-user-gesture-required") as b:
        add_user(server.store, "ann")
        session_id = insert_processed_session(server.store, "ann")
        base = server.url()
        context = phone_context(b)
        page = context.new_page()
        errors = watch_errors(page)
        page.goto(f"{base}/login")
        assert small_targets(page) == [], "login page"
        assert page.locator("#password").evaluate("el => el.closest('form') !== null")
        log_in(page)
        page.wait_for_url(f"{base}/")
        problems = {"list": small_targets(page)}

        page.goto(f"{base}/sessions/{session_id}")
        page.wait_for_selector("#draft:not([hidden])")
        problems["session"] = small_targets(page)
        # The reason a sentence is flagged is on the page, not only in a tooltip.
        for item in page.locator("#draft-body .unsupported").all():
            assert item.locator(".reason").inner_text().strip(), item.inner_text()
        # The main next step is a real button-sized control.
        link = page.locator("#review-link").bounding_box()
        assert link is not None and link["height"] >= 48
        page.screenshot(path=str(ARTIFACTS / "session-draft-390x844.png"), full_page=True)

        page.goto(f"{base}/sessions/{session_id}/review")
        page.wait_for_selector("#review[data-loaded='1']")
        problems["review"] = small_targets(page)
        page.click("#tab-transcript")
        problems["transcript"] = small_targets(page)
        assert page.evaluate(INTERNAL_IDS) == [], "internal ids on the transcript tab"
        page.click("#tab-note")
        assert page.evaluate(INTERNAL_IDS) == [], "internal ids on the note tab"
        assert {k: v for k, v in problems.items() if v} == {}

        # The fixed audio bar never hides a decision button once it is scrolled into view.
        for button in page.locator(".sentence .decide button").all():
            button.evaluate("el => el.scrollIntoView({block: 'nearest'})")
            assert not covered(button), button.inner_text()

        # Sign with a wrong password: the error appears beside the sign button, in view.
        for flagged in FLAGGED:
            page.locator(f".sentence[data-id='{flagged}'] button[data-decision='keep']").click()
        page.check("#attest")
        assert page.locator("#sign-password").evaluate("el => el.closest('form') !== null")
        page.fill("#sign-password", "not my password")
        page.click("#sign-button")
        error = page.locator("#sign-error")
        error.wait_for(state="visible")
        assert "password" in error.inner_text()
        assert error.evaluate("el => el.closest('#sign-panel') !== null")
        box = error.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844
        page.screenshot(path=str(ARTIFACTS / "review-sign-error-390x844.png"))

        # Sign for real: the list and the session page say signed and show the signed note.
        page.fill("#sign-password", PASSWORD)
        page.click("#sign-button")
        wait_until(page, "document.getElementById('review').dataset.phase === 'signed'")
        page.goto(f"{base}/")
        state = page.locator(f"a[href='/sessions/{session_id}'] .state")
        assert state.get_attribute("data-state") == "signed"
        assert "signed" in state.inner_text()
        page.goto(f"{base}/sessions/{session_id}")
        page.wait_for_selector("#signed:not([hidden])")
        assert not page.locator("#draft").is_visible()
        assert "version 1" in page.locator("#signed-version").inner_text()
        body = page.locator("#signed-body").inner_text()
        assert "Fever for the past week" in body, body
        assert "[object" not in body
        assert "must be reviewed" not in page.locator("main").inner_text()
        assert "Review, edit and sign" not in page.locator("main").inner_text()
        assert small_targets(page) == [], "signed session page"
        page.screenshot(path=str(ARTIFACTS / "session-signed-390x844.png"), full_page=True)
        assert not [e for e in errors if "401" not in e and "403" not in e], errors
        context.close()


def slow_pipeline(audio_path: Path, settings: Any, *, template: str, num_speakers: Any,
                  live: Any, progress: Any) -> Any:  # fmt: skip
    """Plumbing stand-in that takes its time in each stage, as the real models do."""
    import time

    from webhelpers import fake_pipeline

    for stage, fractions in (("transcribing", (0.2, 0.6, 1.0)), ("diarising", (0.5, 1.0))):
        for fraction in fractions:
            progress(stage, fraction)
            time.sleep(0.8)
    return fake_pipeline(audio_path, settings, template=template, num_speakers=num_speakers,
                         live=live, progress=progress)  # fmt: skip


def test_progress_moves_with_an_estimate(tmp_path: Path) -> None:
    from avt_notes.config import WebSettings

    web = WebSettings(worker=True, worker_poll_seconds=0.2, live_jobs=False)
    with serve(tmp_path, web=web, pipeline=slow_pipeline) as server, chromium() as browser:
        add_user(server.store, "ann")
        context = phone_context(browser)
        page = context.new_page()
        page.goto(f"{server.url()}/login")
        log_in(page)
        page.wait_for_url(f"{server.url()}/")
        page.fill("#label", "Progress")
        page.click("text=Start a session")
        page.wait_for_url("**/sessions/*")
        page.check("input[value=verbal]")
        page.click("#consent-submit")
        page.wait_for_selector("#file-upload", state="visible")
        page.click("#file-upload summary")
        page.set_input_files("#file-input", str(SAMPLE_WAV))
        page.click("#file-send")
        seen: list[tuple[str, float]] = []
        deadline = 40.0
        import time

        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if page.locator("#draft").is_visible():
                break
            if page.locator("#processing").is_visible():
                text = page.locator("#progress-text").inner_text()
                value = float(page.locator("#progress-bar").evaluate("el => el.value || 0"))
                if not seen or seen[-1][0] != text:
                    seen.append((text, value))
            time.sleep(0.2)
        running = [(t, v) for t, v in seen if "% done" in t]
        assert running, seen
        assert max(v for _, v in running) > 0.2, seen  # the bar moves, not 0% throughout
        assert any("left" in t and "estimating" not in t for t, _ in running), seen
        page.screenshot(path=str(ARTIFACTS / "session-progress-390x844.png"))
        context.close()
