"""Real browser (Debian's Chromium): the service as a clinic deploys it and as an attacker tries it.

Login must never send the browser to another site whatever `next` says; a
page opened over plain HTTP from another device must say why it cannot work
(instead of looping back to the login form); over the clinic certificate the
same address logs in and is a secure context.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from avt_notes.web.tls import make_clinic_certificate

from browserhelpers import LAN_NAME, chromium, log_in, phone_context, serve, watch_errors
from webhelpers import ARTIFACTS, add_user

pytestmark = [pytest.mark.browser]

OPEN_REDIRECTS = [
    "/%5Cevil.example/phish",
    "/%09/evil.example",
    "/%5C/evil.example",
    "//evil.example",
    "https://evil.example/",
    "/%0A/evil.example",
]


def test_login_never_leaves_the_site(tmp_path: Path) -> None:
    with serve(tmp_path) as server, chromium() as browser:
        add_user(server.store, "ann")
        base = server.url()
        for target in OPEN_REDIRECTS:
            context = phone_context(browser)
            page = context.new_page()
            page.goto(f"{base}/login?next={target}")
            log_in(page)
            page.wait_for_url(f"{base}/", timeout=10_000)
            assert urlsplit(page.url).hostname == "127.0.0.1", (target, page.url)
            context.close()
        # A real target on the site still works (the reason `next` exists).
        context = phone_context(browser)
        page = context.new_page()
        page.goto(f"{base}/login?next=/sessions/abc")
        log_in(page)
        page.wait_for_url(f"{base}/sessions/abc")
        context.close()


def test_plain_http_from_another_device_says_why(tmp_path: Path) -> None:
    with serve(tmp_path) as server, chromium() as browser:
        add_user(server.store, "ann")
        context = phone_context(browser)
        page = context.new_page()
        errors = watch_errors(page)
        page.goto(f"{server.url(LAN_NAME)}/")  # redirected to the login page
        assert page.evaluate("window.isSecureContext") is False
        notice = page.locator("#insecure")
        assert notice.is_visible()
        assert "https://" in (notice.text_content() or "")
        assert not page.locator("#login-form").is_visible()
        page.screenshot(path=str(ARTIFACTS / "insecure-lan-390x844.png"))
        assert not errors, errors
        # The API refuses too, with the same explanation, instead of a cookie that is dropped.
        status, detail = page.evaluate(
            """async () => { const r = await fetch('/api/login', {method: 'POST',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({username: 'ann', password: 'correct horse battery'})});
              return [r.status, (await r.json()).detail]; }"""
        )
        assert status == 403 and "https://" in detail
        context.close()


def test_clinic_certificate_gives_a_secure_context(tmp_path: Path) -> None:
    files = make_clinic_certificate(tmp_path / "tls", [LAN_NAME, "127.0.0.1"])
    with serve(tmp_path, tls=(files.server_cert, files.server_key)) as server:
        add_user(server.store, "ann")
        with chromium() as browser:
            # The phone trusts the clinic authority; Chromium here is told to accept it.
            context = phone_context(browser, ignore_https_errors=True)
            page = context.new_page()
            base = server.url(LAN_NAME)
            page.goto(f"{base}/")
            assert page.evaluate("window.isSecureContext") is True
            assert not page.locator("#insecure").is_visible()
            log_in(page)
            page.wait_for_url(f"{base}/")
            assert page.locator("#logout").is_visible()  # logged in: the cookie stuck
            context.close()
