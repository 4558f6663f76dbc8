"""Patient language/accent group beside consent, sign-off figures for it, and the
recognition-confidence notice, through the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from test_review_api import edit_and_decide, sign

from avt_notes.config import Settings
from avt_notes.store import Store
from avt_notes.store.tables import ClinicalSession, Consent, SignoffMetrics

from reviewhelpers import insert_processed_session, sample_transcript
from webhelpers import Api

GROUP = "English as an additional language: East Asian languages"


@pytest.fixture
def ann(make_client: Callable[..., Api]) -> Api:
    return make_client("ann")


def _consent(api: Api, session_id: str, group: str | None) -> object:
    return api.post(
        f"/api/sessions/{session_id}/consent",
        json={"method": "verbal", "notice_sha256": api.notice_sha(), "language_group": group},
    )


def _stored_group(store: Store, session_id: str) -> str | None:
    with store.sessions() as db:
        consent = db.scalar(select(Consent).where(Consent.session_id == session_id))
        assert consent is not None
        return consent.patient_language_group


def test_consent_records_an_optional_language_group(ann: Api, store: Store) -> None:
    session_id = ann.new_session(consent=None)
    bad = _consent(ann, session_id, "Martian")
    assert bad.status_code == 400 and "language group must be one of" in bad.json()["detail"]
    assert ann.get(f"/api/sessions/{session_id}").json()["state"] == "consent"  # nothing kept
    assert _consent(ann, session_id, GROUP).status_code == 200
    assert _stored_group(store, session_id) == GROUP

    for choice in ("prefer not to say", None):  # the default, and an older client
        other = ann.new_session(consent=None)
        assert _consent(ann, other, choice).status_code == 200
        assert _stored_group(store, other) is None


def test_session_page_offers_the_configured_groups(ann: Api) -> None:
    session_id = ann.new_session(consent=None)
    page = ann.get(f"/sessions/{session_id}")
    assert page.status_code == 200
    assert '<select id="language-group"><option>prefer not to say</option>' in page.text
    assert "/static/confidence-notice.js" in page.text


def test_signoff_stores_group_confidence_and_sentences_changed(ann: Api, store: Store) -> None:
    session_id = insert_processed_session(store, "ann", with_audio=False)
    with store.transaction() as db:
        session = db.get(ClinicalSession, session_id)
        assert session is not None and session.consent is not None
        session.consent.patient_language_group = GROUP
    edit_and_decide(ann, session_id)
    assert sign(ann, session_id).status_code == 200
    with store.sessions() as db:
        row = db.scalar(select(SignoffMetrics).where(SignoffMetrics.session_id == session_id))
        assert row is not None
        assert row.accent_group == GROUP
        words = [w.probability for u in sample_transcript().utterances for w in u.words]
        assert row.transcript_confidence == pytest.approx(sum(words) / len(words), abs=1e-4)
        # One sentence edited, one removed, one edited on decision: some changed, not all.
        assert row.sentences_changed_share is not None
        assert 0.0 < row.sentences_changed_share < 1.0


def test_confidence_notice_follows_the_marked_share(
    ann: Api, make_client: Callable[..., Api], store: Store, settings: Settings
) -> None:
    waiting = ann.new_session()
    waiting_answer = ann.get(f"/api/sessions/{waiting}/confidence")  # no transcript yet
    assert waiting_answer.status_code == 200 and waiting_answer.json() == {
        "ready": False,
        "notice": None,
    }
    session_id = insert_processed_session(store, "ann", with_audio=False)
    found = ann.get(f"/api/sessions/{session_id}/confidence").json()
    words = [w.probability for u in sample_transcript().utterances for w in u.words]
    marked = sum(1 for p in words if p < settings.decoding.asr_low_probability)
    assert found["words"] == len(words) and found["marked"] == marked
    assert found["low"] is (marked / len(words) >= settings.decoding.asr_low_confidence_share)
    assert (found["notice"] is not None) is found["low"]
    other = make_client("bob")
    assert other.get(f"/api/sessions/{session_id}/confidence").status_code in (403, 404)
