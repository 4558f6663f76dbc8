"""Retention with a frozen clock: audio goes after N days, transcripts and drafts on their own
clock, each deletion audited; the signed note stays, and unsigned sessions are untouched."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from avt_notes.config import RetentionSettings, Settings, get_settings
from avt_notes.store import Store, audit, retention
from avt_notes.store.tables import (
    AuditEntry,
    ClinicalSession,
    DraftRecord,
    SignedNote,
    TranscriptRecord,
)

from reviewhelpers import FLAGGED, insert_processed_session
from webhelpers import PASSWORD, Api

POLICY = RetentionSettings(
    audio_retention_days=30, transcript_retention_days=60, draft_retention_days=90
)


def sign_session(api: Api, store: Store) -> str:
    session_id = insert_processed_session(store, "ann", with_audio=True)
    state = api.get(f"/api/sessions/{session_id}/review").json()
    state["working"]["decisions"] = dict.fromkeys(FLAGGED, "keep")
    body = {"revision": state["revision"], **state["working"]}
    assert api.put(f"/api/sessions/{session_id}/review", json=body).status_code == 200
    response = api.post(f"/api/sessions/{session_id}/sign",
                        json={"attest": True, "password": PASSWORD})  # fmt: skip
    assert response.status_code == 200, response.text
    return session_id


def deletions(store: Store) -> list[tuple[str | None, str]]:
    import json

    with store.sessions() as db:
        rows = db.scalars(select(AuditEntry).where(AuditEntry.action == "retention_delete"))
        return [(row.session_id, json.loads(row.detail)["what"]) for row in rows]


def test_retention_deletes_on_schedule_and_keeps_the_note(
    make_client: Callable[..., Api], store: Store
) -> None:
    ann = make_client("ann")
    signed = sign_session(ann, store)
    unsigned = insert_processed_session(store, "ann", label="never signed", with_audio=True)
    with store.sessions() as db:
        note = db.scalar(select(SignedNote).where(SignedNote.session_id == signed))
        assert note is not None
        signed_at, text = note.signed_at, note.text

    report = retention.run(store, POLICY, now=signed_at + timedelta(days=29, hours=23))
    assert report.total == 0 and store.audio.has_audio(signed)

    dry = retention.run(store, POLICY, now=signed_at + timedelta(days=30), dry_run=True)
    assert dry.audio == [signed] and store.audio.has_audio(signed) and deletions(store) == []

    report = retention.run(store, POLICY, now=signed_at + timedelta(days=30))
    assert report.audio == [signed] and not report.transcripts and not report.drafts
    assert not store.audio.has_audio(signed) and not store.audio.session_dir(signed).exists()
    assert store.audio.has_audio(unsigned)  # never signed: not touched
    assert deletions(store) == [(signed, "audio")]
    assert ann.get(f"/api/sessions/{signed}/audio").status_code == 404
    with store.sessions() as db:
        session = db.get(ClinicalSession, signed)
        assert session is not None and session.audio_deleted_at is not None
        assert db.scalar(select(TranscriptRecord).where(TranscriptRecord.session_id == signed))

    retention.run(store, POLICY, now=signed_at + timedelta(days=61))
    assert deletions(store)[1:] == [(signed, "transcript")]
    report = retention.run(store, POLICY, now=signed_at + timedelta(days=91))
    assert report.drafts == [signed] and deletions(store)[2:] == [(signed, "draft")]
    again = retention.run(store, POLICY, now=signed_at + timedelta(days=400))
    assert again.total == 0 and len(deletions(store)) == 3  # nothing left to delete

    with store.sessions() as db:
        assert db.scalar(select(DraftRecord).where(DraftRecord.session_id == signed)) is None
        assert db.scalar(select(DraftRecord).where(DraftRecord.session_id == unsigned))
        kept = db.scalars(select(SignedNote).where(SignedNote.session_id == signed)).all()
        assert [n.text for n in kept] == [text]  # the signed note is never deleted
        assert audit.verify(db).ok
    state = ann.get(f"/api/sessions/{signed}/review").json()
    assert state["phase"] == "signed" and state["transcript"] is None
    assert not state["draft"]["available"] and state["metrics"]["flagged_total"] == 3
    assert ann.get(f"/api/sessions/{signed}/note/export?format=markdown").status_code == 200


def test_retention_cli_with_a_given_time(
    make_client: Callable[..., Api],
    store: Store,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from avt_notes.cli import audit as _commands  # noqa: F401  (registers the commands)
    from avt_notes.cli.app import app

    ann = make_client("ann")
    signed = sign_session(ann, store)
    monkeypatch.setenv("AVT_DATA_DIR", str(settings.store.data_dir))
    monkeypatch.setenv("AVT_AUDIO_RETENTION_DAYS", "7")
    if settings.store.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.store.database_url)
    get_settings.cache_clear()
    try:
        later = (retention.utcnow() + timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%S")
        result = CliRunner().invoke(app, ["retention", "run", "--now", later])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "deleted: audio of 1" in result.output and signed in result.output
    assert not store.audio.has_audio(signed)
