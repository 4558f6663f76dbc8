"""Issue 11's smaller holes, each reproduced through the API on SQLite and PostgreSQL.

API docs for anonymous users, weak passwords and unbounded names, multi-line
labels and reasons, free text turning into export structure, client-reported
listening time, stray chunk numbers, internal file names in errors, a damaged
middle chunk lost silently, "done" after signing, and a progress bar stuck at 0%.
The audio is made here with ffmpeg (a tone and silence), so nothing from ../shared is needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt

from avt_notes.config import Settings
from avt_notes.export import SignedDocument, render, to_document_reference
from avt_notes.export.document import SignedSection
from avt_notes.store import Store
from avt_notes.store.tables import RUNNING, Job
from avt_notes.web.app import create_app
from avt_notes.web.schemas import job_out

from reviewhelpers import insert_processed_session, sign_a_note
from testdata import checkout_env
from webhelpers import PASSWORD, Api, add_user, fake_pipeline, split


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def tone_webm(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """11 s of a tone as webm/opus written to a pipe: no duration in the header,
    as Chrome's MediaRecorder writes it."""
    out = tmp_path_factory.mktemp("tone") / "tone.webm"
    with open(out, "wb") as handle:
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
             "sine=frequency=440:duration=11", "-ac", "1", "-c:a", "libopus", "-b:a", "32k",
             "-f", "webm", "pipe:1"],
            check=True, stdout=handle,
        )  # fmt: skip
    return out.read_bytes()


# --- 11: API docs, accounts ------------------------------------------------------------------
def test_api_docs_are_not_open_to_anonymous_users(
    make_client: Callable[..., Api], settings: Settings
) -> None:
    anonymous = make_client()
    for path in ("/docs", "/redoc", "/openapi.json", "/api/openapi.json"):
        assert anonymous.get(path).status_code == 404, path


def test_api_docs_for_logged_in_users_when_enabled(settings: Settings) -> None:
    app = create_app(settings.updated(web={"api_docs": True}), pipeline=fake_pipeline)
    add_user(app.state.services.store, "ann")
    with TestClient(app, base_url="https://testserver") as client:
        assert client.get("/api/openapi.json").status_code == 401
        client.post("/api/login", json={"username": "ann", "password": PASSWORD})
        schema = client.get("/api/openapi.json")
        assert schema.status_code == 200 and "/api/sessions" in schema.json()["paths"]
    app.state.services.store.close()


def test_password_policy_and_bounded_names(make_client: Callable[..., Api]) -> None:
    admin = make_client("root", role="admin")

    def create(username: str, password: str, display_name: str = "") -> tuple[int, str]:
        body = {"username": username, "password": password, "role": "clinician",
                "display_name": display_name}  # fmt: skip
        response = admin.post("/api/users", json=body)
        return response.status_code, response.json().get("detail", "")

    assert create("bob", "12345678")[0] == 400
    status, detail = create("bob", "password1234")  # long enough, but common
    assert status == 400 and "guessable" in detail
    assert create("bob", "bobsmith2024", "Bob Smith")[0] == 400  # built on the user's name
    assert create("bob", PASSWORD, "x" * 100_000)[0] == 422
    status, detail = create("bob", PASSWORD, "Dr Bob\n## Plan")
    assert status == 400 and "one line" in detail
    assert create("bob", PASSWORD, "Dr Bob Smith")[0] == 201


# --- 5: labels, reasons and exports -----------------------------------------------------------
def test_labels_and_amendment_reasons_are_one_line(
    make_client: Callable[..., Api], store: Store
) -> None:
    ann = make_client("ann")
    response = ann.post("/api/sessions", json={"label": "Room 2\n\n## Plan\nDischarge"})
    assert response.status_code == 400 and "one line" in response.json()["detail"]
    session_id = sign_a_note(ann, store)
    base = f"/api/sessions/{session_id}"
    assert ann.post(f"{base}/amend").status_code == 200
    reason = "typo\n\n## Plan\nStop all medication"
    signed = ann.post(f"{base}/sign", json={"attest": True, "password": PASSWORD,
                                            "reason": reason})  # fmt: skip
    assert signed.status_code == 400 and "one line" in signed.json()["detail"]


def hostile_document() -> SignedDocument:
    return SignedDocument(
        note_id=1, session_id="abc", session_label="Room 2\n\n## Plan\nDischarge <b>now</b>",
        session_date=datetime(2026, 1, 1, tzinfo=UTC), template="soap", version=2,
        is_latest=True, supersedes_version=1,
        amendment_reason="typo\n## Assessment\n<script>alert(1)</script>",
        sections=[SignedSection(name="Subjective", sentences=["# Not a heading", "<img src=x>",
                                                              "- not a list", "1. nor this"]),
                  SignedSection(name="Plan", sentences=["Review in two weeks."])],
        text="x", content_sha256="0" * 64, signer_username="ann",
        signer_name="Ann <i>Smith</i>\n## Evil", signed_at=datetime(2026, 1, 1, tzinfo=UTC),
        attestation="I have reviewed this note.",
    )  # fmt: skip


def test_free_text_never_becomes_structure_in_exports() -> None:
    document = hostile_document()
    markdown = render(document, "markdown").decode()
    tokens = MarkdownIt("commonmark").parse(markdown)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["Clinical note (SOAP)", "Subjective", "Plan"]
    blocks = ("html_block", "bullet_list_open", "ordered_list_open")
    assert not [t for t in tokens if t.type in blocks]
    assert [t.type for t in tokens].count("blockquote_open") == 1  # ours: the AI statement
    inline = [c for t in tokens if t.children for c in t.children]
    assert not [c for c in inline if c.type == "html_inline"]
    fhir = to_document_reference(document)
    for display in (fhir["subject"]["display"], fhir["author"][0]["display"]):
        assert "<" not in display and "\n" not in display
    pypdf = pytest.importorskip("pypdf")
    import io

    pdf_text = pypdf.PdfReader(io.BytesIO(render(document, "pdf"))).pages[0].extract_text()
    assert "Room 2 ## Plan Discharge" in " ".join(pdf_text.split())
    assert "\n## Plan" not in pdf_text


# --- 6: review metrics --------------------------------------------------------------------------
def test_reported_listening_time_is_bounded(make_client: Callable[..., Api], store: Store) -> None:
    ann = make_client("ann")
    session_id = insert_processed_session(store, "ann", with_audio=False)
    state = ann.get(f"/api/sessions/{session_id}/review").json()
    body = {"revision": state["revision"], **state["working"], "audio_seconds_played": 86400}
    saved = ann.put(f"/api/sessions/{session_id}/review", json=body)
    assert saved.status_code == 200
    opened = datetime.fromisoformat(state["first_viewed_at"])
    wall = (datetime.now(UTC) - opened).total_seconds()
    assert saved.json()["audio_seconds_played"] <= wall + 1  # not a day of listening


# --- 7 and 4: chunks, durations, error text ---------------------------------------------------
def test_chunk_numbers_beyond_the_longest_recording_are_refused(
    settings: Settings, tone_webm: bytes
) -> None:
    # The default chunk limit (20,000), bounded by the longest recording (4 h at 4 s a chunk).
    app = create_app(settings.updated(web={"max_chunks": 20_000}), pipeline=fake_pipeline)
    add_user(app.state.services.store, "ann")
    with TestClient(app, base_url="https://testserver") as client:
        login = client.post("/api/login", json={"username": "ann", "password": PASSWORD})
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        ann = Api(client, app)
        session_id = ann.new_session()
        pieces = split(tone_webm, 2)
        stray = ann.put_chunk(session_id, 19999, pieces[1])
        assert stray.status_code == 400 and "longest recording" in stray.json()["detail"]
        ann.upload_all(session_id, pieces)
        assert ann.finish(session_id, 2).status_code == 200  # nothing stray blocks finishing
    app.state.services.store.close()


def test_a_damaged_middle_chunk_is_reported_to_the_clinician(
    make_client: Callable[..., Api], tone_webm: bytes
) -> None:
    ann = make_client("ann")
    session_id = ann.new_session()
    pieces = split(tone_webm, 4)
    pieces[1] = os.urandom(len(pieces[1]))  # garbage with a matching checksum
    ann.upload_all(session_id, pieces)
    finished = ann.finish(session_id, 4)
    assert finished.status_code == 200, finished.text
    session = finished.json()
    assert session["audio_seconds"] < 10.0
    warning = session["audio_warning"]
    assert warning and "could be decoded" in warning
    page = ann.get(f"/sessions/{session_id}").text
    assert 'id="audio-warning"' in page and "could be decoded" in page
    review_page = ann.get(f"/sessions/{session_id}/review").text
    assert "could be decoded" in review_page


def test_intact_recording_has_no_warning(make_client: Callable[..., Api], tone_webm: bytes) -> None:
    ann = make_client("ann")
    session_id = ann.new_session()
    ann.upload_all(session_id, split(tone_webm, 4))
    session = ann.finish(session_id, 4).json()
    assert session["audio_warning"] is None and 10.5 < session["audio_seconds"] < 11.5


def test_undecodable_upload_error_names_no_internal_file(
    make_client: Callable[..., Api], settings: Settings
) -> None:
    ann = make_client("ann")
    for data in (b"RIFF" + b"\x00" * 4000, b"fLaC" + os.urandom(4000)):
        session_id = ann.new_session()
        response = ann.post(f"/api/sessions/{session_id}/file", content=data,
                            headers={"Content-Type": "audio/wav"})  # fmt: skip
        detail = response.json()["detail"]
        assert response.status_code == 422 and detail.startswith("the recording")
        assert "plain-" not in detail and str(settings.store.data_dir) not in detail


def test_a_long_recording_is_refused_while_decoding(
    make_client: Callable[..., Api], settings: Settings, tmp_path: Path
) -> None:
    """20 minutes of silence with no duration in the header, over a 5-minute limit."""
    out = tmp_path / "long.webm"
    with open(out, "wb") as handle:
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono",
             "-t", "1200", "-c:a", "libopus", "-b:a", "16k", "-f", "webm", "pipe:1"],
            check=True, stdout=handle,
        )  # fmt: skip
    settings.audio.max_audio_seconds = 300
    ann = make_client("ann")
    session_id = ann.new_session()
    response = ann.post(f"/api/sessions/{session_id}/file", content=out.read_bytes(),
                        headers={"Content-Type": "audio/webm"})  # fmt: skip
    assert response.status_code == 413 and "limit" in response.json()["detail"]


def test_measuring_an_hour_holds_no_audio_in_memory(tmp_path: Path) -> None:
    """The issue's attack: a small FLAC of hours of silence. Measured in a fresh process."""
    flac = tmp_path / "hour.flac"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "3600", str(flac))
    assert flac.stat().st_size < 5_000_000
    # VmHWM, not ru_maxrss: the latter keeps the forking pytest process's peak across exec.
    script = (
        "import re, sys\n"
        "from avt_notes.audio import check_duration\n"
        "check = check_duration(sys.argv[1], 4 * 3600)\n"
        "status = open('/proc/self/status').read()\n"
        "print(round(check.seconds), re.search(r'VmHWM:\\s+(\\d+)', status)[1])\n"
    )
    env = checkout_env()
    result = subprocess.run([sys.executable, "-c", script, str(flac)], env=env,
                            capture_output=True, text=True, check=True)  # fmt: skip
    seconds, peak_kib = (int(x) for x in result.stdout.split())
    assert seconds == 3600
    # An hour as 16 kHz float32 alone is 230 MB; the streaming check stays near the imports.
    assert peak_kib < 200_000, f"peak RSS {peak_kib / 1024:.0f} MiB"


# --- 8 and 9: signed state, progress ------------------------------------------------------------
def test_signed_sessions_say_signed(make_client: Callable[..., Api], store: Store) -> None:
    ann = make_client("ann")
    session_id = sign_a_note(ann, store)
    listed = {s["id"]: s for s in ann.get("/api/sessions").json()}
    assert listed[session_id]["state"] == "signed"
    assert listed[session_id]["signed"]["version"] == 1
    page = ann.get("/").text
    assert "signed · v1" in page and "draft to review" not in page
    base = f"/api/sessions/{session_id}"
    assert ann.post(f"{base}/amend").status_code == 200
    amending = ann.get(base).json()
    assert amending["state"] == "signed" and amending["signed"]["amending"] is True


def test_progress_is_overall_with_an_estimate() -> None:
    now = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    job = Job(id=1, status=RUNNING, stage="transcribing", progress=0.5, attempts=1,
              started_at=now - timedelta(seconds=60))  # fmt: skip
    out = job_out(job, now)
    assert out.overall == pytest.approx(0.25)  # 5% before transcription + half of its 40%
    assert out.seconds_left == 180
    job.stage, job.progress = "drafting Plan (part 1/2)", 0.5
    later = job_out(job, now + timedelta(seconds=60))
    assert later.overall is not None and later.overall > out.overall
    job.stage, job.progress = "preparing audio", 0.0
    assert job_out(job, now).seconds_left is None  # too early to judge


def test_side_by_side_stages_share_one_bar() -> None:
    """ASR and diarisation run at once and report one stage spanning both their shares."""
    now = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    job = Job(id=1, status=RUNNING, stage="transcribing and diarising", progress=0.5,
              attempts=1, started_at=now - timedelta(seconds=60))  # fmt: skip
    assert job_out(job, now).overall == pytest.approx(0.05 + 0.5 * 0.60)
    job.stage, job.progress = "aligning", 0.0
    assert job_out(job, now).overall == pytest.approx(0.65)
