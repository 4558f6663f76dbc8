"""Consent gate, chunk intake, assembly and file upload, on SQLite and PostgreSQL.

Bad input gets a clear 4xx and never costs an acknowledged chunk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select

from avt_notes.config import Settings
from avt_notes.store import Store, audit
from avt_notes.store.tables import AuditEntry

from webhelpers import Api, split

WEBM = "audio/webm;codecs=opus"


def chunk_files(settings: Settings, session_id: str) -> list[Path]:
    return sorted((settings.store.data_dir / "audio" / session_id / "chunks").glob("*.enc"))


def test_consent_gate_blocks_recording_until_recorded(clinician: Api, jfk_webm: bytes) -> None:
    session_id = clinician.new_session(consent=None)
    assert clinician.get(f"/api/sessions/{session_id}").json()["state"] == "consent"
    refused = clinician.put_chunk(session_id, 0, jfk_webm[:1000])
    assert refused.status_code == 409 and "consent" in refused.json()["detail"]
    stale = clinician.post(
        f"/api/sessions/{session_id}/consent", json={"method": "verbal", "notice_sha256": "0" * 64}
    )
    assert stale.status_code == 409 and "notice" in stale.json()["detail"]
    bad = clinician.post(
        f"/api/sessions/{session_id}/consent",
        json={"method": "maybe", "notice_sha256": clinician.notice_sha()},
    )
    assert bad.status_code == 422 and "method" in bad.json()["detail"]
    ok = clinician.post(
        f"/api/sessions/{session_id}/consent",
        json={"method": "written", "notice_sha256": clinician.notice_sha()},
    )
    assert ok.status_code == 200 and ok.json()["state"] == "ready"
    assert ok.json()["consent"]["method"] == "written"
    again = clinician.post(
        f"/api/sessions/{session_id}/consent",
        json={"method": "verbal", "notice_sha256": clinician.notice_sha()},
    )
    assert again.status_code == 409


def test_declined_session_never_takes_audio(clinician: Api, jfk_webm: bytes) -> None:
    session_id = clinician.new_session(consent="declined")
    assert clinician.get(f"/api/sessions/{session_id}").json()["state"] == "declined"
    response = clinician.put_chunk(session_id, 0, jfk_webm[:1000])
    assert response.status_code == 409 and "declined" in response.json()["detail"]


def test_chunks_assemble_in_order_and_queue_processing(
    clinician: Api, jfk_webm: bytes, settings: Settings, store: Store
) -> None:
    session_id = clinician.new_session(label="Room 2")
    pieces = split(jfk_webm, 5)
    for seq in (3, 0, 4, 1, 2):  # arrival order does not matter
        response = clinician.put_chunk(session_id, seq, pieces[seq])
        assert response.status_code == 201, response.text
    assert clinician.get(f"/api/sessions/{session_id}/chunks").json()["received"] == [0, 1, 2, 3, 4]
    assert len(chunk_files(settings, session_id)) == 5
    finished = clinician.finish(session_id, 5)
    assert finished.status_code == 200, finished.text
    body = finished.json()
    assert body["state"] == "queued" and body["total_chunks"] == 5
    assert 10.5 < body["audio_seconds"] < 11.5
    assert chunk_files(settings, session_id) == []  # replaced by the sealed recording
    assert clinician.get(f"/api/sessions/{session_id}/audio").content == jfk_webm
    again = clinician.finish(session_id, 5)  # a lost response, "stop" pressed again
    assert again.status_code == 200 and again.json()["state"] == "queued"


def test_mp4_aac_chunks_from_safari(clinician: Api, jfk_m4a: bytes) -> None:
    session_id = clinician.new_session()
    pieces = split(jfk_m4a, 4)
    for seq, piece in enumerate(pieces):
        assert clinician.put_chunk(session_id, seq, piece, "audio/mp4").status_code == 201
    response = clinician.finish(session_id, len(pieces))
    assert response.status_code == 200, response.text
    assert 10.5 < response.json()["audio_seconds"] < 11.5


def test_resend_is_idempotent_and_conflicts_keep_the_original(
    clinician: Api, jfk_webm: bytes, store: Store
) -> None:
    session_id = clinician.new_session()
    pieces = split(jfk_webm, 3)
    assert clinician.put_chunk(session_id, 0, pieces[0]).status_code == 201
    again = clinician.put_chunk(session_id, 0, pieces[0])
    assert again.status_code == 200 and again.json()["duplicate"] is True
    other = clinician.put_chunk(session_id, 0, pieces[1])
    assert other.status_code == 409 and "different content" in other.json()["detail"]
    assert (
        store.audio.read_chunk(session_id, 0, hashlib.sha256(pieces[0]).hexdigest()) == (pieces[0])
    )
    assert clinician.get(f"/api/sessions/{session_id}").json()["chunks"] == 1


def test_bad_chunks_get_clear_4xx(clinician: Api, jfk_webm: bytes) -> None:
    session_id = clinician.new_session()
    piece = jfk_webm[:5000]
    url = f"/api/sessions/{session_id}/chunks/0"
    cases = {
        "checksum": (clinician.put_chunk(session_id, 0, piece, sha256="ab" * 32), 422),
        "no checksum": (clinician.put(url, content=piece, headers={"Content-Type": WEBM}), 400),
        "content type": (clinician.put_chunk(session_id, 0, piece, "text/plain"), 415),
        "not audio": (clinician.put_chunk(session_id, 0, b"hello, this is text" * 10), 415),
        "empty": (clinician.put_chunk(session_id, 0, b""), 400),
        "negative seq": (clinician.put_chunk(session_id, -1, piece), 400),
        "seq too big": (clinician.put_chunk(session_id, 5000, piece), 400),
        "too large": (clinician.put_chunk(session_id, 0, b"\x1a\x45\xdf\xa3" * 70000), 413),
    }
    for name, (response, status) in cases.items():
        assert response.status_code == status, (name, response.text)
        assert response.json()["detail"], name
    assert clinician.put_chunk(session_id, 0, piece).status_code == 201
    assert clinician.put_chunk(session_id, 1, piece, "audio/mp4").status_code == 415
    assert clinician.get(f"/api/sessions/{session_id}/chunks").json()["received"] == [0]


def test_session_size_limit(make_client: Callable[..., Api], app: FastAPI, jfk_webm: bytes) -> None:
    api = make_client("ann")
    app.state.services.limits.__dict__["max_session_bytes"] = 30_000  # frozen dataclass
    session_id = api.new_session()
    pieces = split(jfk_webm, 4)  # ~12 kB each
    assert api.put_chunk(session_id, 0, pieces[0]).status_code == 201
    assert api.put_chunk(session_id, 1, pieces[1]).status_code == 201
    over = api.put_chunk(session_id, 2, pieces[2])
    assert over.status_code == 413 and "new session" in over.json()["detail"]


def test_finish_names_missing_chunks_and_loses_nothing(clinician: Api, jfk_webm: bytes) -> None:
    session_id = clinician.new_session()
    pieces = split(jfk_webm, 6)
    for seq in (0, 1, 3, 5):
        assert clinician.put_chunk(session_id, seq, pieces[seq]).status_code == 201
    response = clinician.finish(session_id, 6)
    assert response.status_code == 409
    assert response.json()["missing"] == [2, 4]
    assert "2, 4" in response.json()["detail"]
    too_few = clinician.finish(session_id, 2)
    assert too_few.status_code == 409 and too_few.json()["extra"] == [3, 5]
    for seq in (2, 4):
        assert clinician.put_chunk(session_id, seq, pieces[seq]).status_code == 201
    assert clinician.finish(session_id, 6).status_code == 200
    late = clinician.put_chunk(session_id, 6, pieces[0])
    assert late.status_code == 409 and "finished" in late.json()["detail"]
    resent = clinician.put_chunk(session_id, 5, pieces[5])  # an ack lost before the stop
    assert resent.status_code == 200


def test_finish_with_undecodable_audio_keeps_chunks(clinician: Api, jfk_webm: bytes) -> None:
    session_id = clinician.new_session()
    garbage = [jfk_webm[:4] + bytes(range(256)) * 20, bytes(range(256)) * 20]
    clinician.upload_all(session_id, garbage)
    response = clinician.finish(session_id, 2)
    assert response.status_code == 422, response.text
    assert "decod" in response.json()["detail"] or "audio" in response.json()["detail"]
    assert clinician.get(f"/api/sessions/{session_id}/chunks").json()["received"] == [0, 1]
    assert clinician.get(f"/api/sessions/{session_id}").json()["state"] == "recording"


def test_no_audio_yet_cannot_finish(clinician: Api) -> None:
    session_id = clinician.new_session()
    response = clinician.finish(session_id, 1)
    assert response.status_code == 409 and "no audio" in response.json()["detail"]


def test_malformed_and_unknown_json(clinician: Api) -> None:
    response = clinician.post(
        "/api/sessions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "malformed JSON" in response.json()["detail"]
    extra = clinician.post("/api/sessions", json={"label": "x", "colour": "red"})
    assert extra.status_code == 422 and "colour" in extra.json()["detail"]
    template = clinician.post("/api/sessions", json={"template": "haiku"})
    assert template.status_code == 400 and "template" in template.json()["detail"]


def test_upload_existing_file(clinician: Api, jfk_wav: Path) -> None:
    session_id = clinician.new_session()
    response = clinician.post(
        f"/api/sessions/{session_id}/file",
        content=jfk_wav.read_bytes(),
        headers={"Content-Type": "audio/wav", "X-Filename": "jfk.wav"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["source"] == "file" and response.json()["state"] == "queued"
    assert 10.5 < response.json()["audio_seconds"] < 11.5
    twice = clinician.post(
        f"/api/sessions/{session_id}/file",
        content=jfk_wav.read_bytes(),
        headers={"Content-Type": "audio/wav"},
    )
    assert twice.status_code == 409


def test_bad_file_uploads(clinician: Api, settings: Settings, jfk_wav: Path) -> None:
    def send(data: bytes, content_type: str) -> tuple[int, str]:
        session_id = clinician.new_session()
        response = clinician.post(
            f"/api/sessions/{session_id}/file", content=data, headers={"Content-Type": content_type}
        )
        return response.status_code, response.json()["detail"]

    assert send(b"%PDF-1.7 not audio at all" * 50, "application/octet-stream")[0] == 415
    assert send(jfk_wav.read_bytes(), "text/html")[0] == 415
    assert send(b"", "audio/wav")[0] == 422
    status, detail = send(b"RIFF" + b"\x00" * 4000, "audio/wav")
    assert status == 422 and detail
    settings.audio.max_upload_bytes = 1000
    assert send(jfk_wav.read_bytes(), "audio/wav")[0] == 413
    leftovers = list((settings.store.data_dir / "tmp").glob("plain-*"))
    assert leftovers == []  # plaintext scratch never outlives a request


def test_withdrawal_deletes_audio_and_derived_text(
    app: FastAPI, clinician: Api, jfk_webm: bytes, settings: Settings
) -> None:
    session_id = clinician.new_session()
    clinician.upload_all(session_id, split(jfk_webm, 3))
    assert clinician.finish(session_id, 3).status_code == 200
    assert app.state.worker.run_once()
    assert clinician.get(f"/api/sessions/{session_id}/draft").status_code == 200
    response = clinician.post(f"/api/sessions/{session_id}/withdraw")
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"
    assert response.json()["consent"]["withdrawn_at"] is not None
    assert not (settings.store.data_dir / "audio" / session_id).exists()
    assert clinician.get(f"/api/sessions/{session_id}/draft").status_code == 404
    assert clinician.get(f"/api/sessions/{session_id}/transcript").status_code == 404
    assert clinician.get(f"/api/sessions/{session_id}/audio").status_code == 404
    assert clinician.put_chunk(session_id, 0, jfk_webm[:100]).status_code == 409


def test_withdrawal_mid_recording(clinician: Api, jfk_webm: bytes, settings: Settings) -> None:
    session_id = clinician.new_session()
    clinician.upload_all(session_id, split(jfk_webm, 3)[:2])
    assert clinician.post(f"/api/sessions/{session_id}/withdraw").status_code == 200
    assert chunk_files(settings, session_id) == []
    resent = clinician.put_chunk(session_id, 0, split(jfk_webm, 3)[0])
    assert resent.status_code == 409 and "withdrew" in resent.json()["detail"]


def test_delete_removes_session_but_not_its_audit_trail(
    clinician: Api, jfk_webm: bytes, settings: Settings, store: Store
) -> None:
    session_id = clinician.new_session()
    clinician.upload_all(session_id, split(jfk_webm, 2))
    assert clinician.delete(f"/api/sessions/{session_id}").status_code == 204
    assert clinician.get(f"/api/sessions/{session_id}").status_code == 404
    assert not (settings.store.data_dir / "audio" / session_id).exists()
    with store.sessions() as db:
        actions = db.scalars(
            select(AuditEntry.action).where(AuditEntry.session_id == session_id)
        ).all()
        assert audit.verify(db).ok
    assert actions == ["session_create", "consent", "recording_started", "delete"]


def test_pages_render_for_owner_only(make_client: Callable[..., Api]) -> None:
    owner, other = make_client("ann"), make_client("bob")
    session_id = owner.new_session(label="Room <b>2</b>")
    page = owner.get(f"/sessions/{session_id}")
    assert page.status_code == 200
    assert "Room &lt;b&gt;2&lt;/b&gt;" in page.text  # escaped
    assert "Read this notice" in page.text
    assert other.get(f"/sessions/{session_id}").status_code == 404
    index = owner.get("/")
    assert index.status_code == 200 and session_id in index.text
    assert "content-security-policy" in index.headers


def test_a_live_drafter_learns_that_the_recording_stopped(
    clinician: Api, store: Store, jfk_webm: bytes
) -> None:
    """Asked between a drafter's tokens (`jobs.live.RecordingStopped`): the session's status,
    read from the store at most once per interval, so the asking costs nothing per token."""
    from avt_notes.jobs.live import RecordingStopped

    session_id = clinician.new_session(template="soap")
    pieces = split(jfk_webm, 2)
    assert clinician.put_chunk(session_id, 0, pieces[0]).status_code == 201
    stopped = RecordingStopped(store, session_id, every=0.0)
    assert not stopped()  # recording: read from the store
    stopped.every = 3600.0
    assert clinician.put_chunk(session_id, 1, pieces[1]).status_code == 201
    assert clinician.finish(session_id, len(pieces)).status_code == 200
    assert not stopped()  # "stop" was pressed, but the last reading is not an hour old
    stopped.every = 0.0
    assert stopped()  # read again: stopped
    assert RecordingStopped(store, "no-such-session", every=0.0)()  # deleted: stopped too
