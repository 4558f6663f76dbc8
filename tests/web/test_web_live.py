"""Processing while recording, end to end: the live job hands its work to the process job.

Real audio (sample_audio/consultation.wav, 149 s, encoded as the browser
uploads it) through the real models (Whisper tiny.en, the default pyannote
pipeline, the tiny SmolLM2 drafter for plumbing): chunks arrive while the
live job follows them; after "stop" the process job must take over the live
work (ASR windows, diarisation chunks, drafted windows, the decoded stream)
rather than start again, and the stored draft must cite the final
transcript's utterances.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from avt_notes.audio import load_audio
from avt_notes.config import Settings
from avt_notes.live import LiveSession
from avt_notes.metrics.asr import word_error_rate
from avt_notes.store import jobs
from avt_notes.web.app import create_app
from test_live_stream import webm_opus

from testdata import SAMPLE
from webhelpers import PASSWORD, Api, add_user, split

pytestmark = pytest.mark.slow


@pytest.fixture
def live_app(settings: Settings) -> Iterator[FastAPI]:
    real = settings.updated(
        models={"asr_model": "tiny.en"},
        drafting={"drafter_max_new_tokens": 64, "live_draft_window_seconds": 45.0},
        web={"live_jobs": True, "worker_poll_seconds": 0.2},
    )
    application = create_app(real, start_worker=False)  # the real pipeline
    yield application
    application.state.services.store.close()


def wait_until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


@pytest.mark.parametrize("backend", ["sqlite"])  # real models: one backend is enough
def test_live_work_is_handed_over_to_processing(live_app: FastAPI, tmp_path: Path) -> None:
    reference = (SAMPLE / "consultation.reference.txt").read_text()
    reference_text = " ".join(line.split(":", 1)[1] for line in reference.splitlines() if line)
    recording = webm_opus(
        load_audio(SAMPLE / "consultation.wav").samples, tmp_path / "consultation.webm"
    )
    pieces = split(recording, 40)  # ~4 s each, as MediaRecorder's timeslice gives
    live_worker = live_app.state.live_worker
    assert (
        live_worker is not None and live_worker.live_sessions is live_app.state.worker.live_sessions
    )
    store = live_app.state.services.store
    add_user(store, "zoe")
    with TestClient(live_app, base_url="https://testserver") as client:
        login = client.post("/api/login", json={"username": "zoe", "password": PASSWORD})
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        api = Api(client, live_app)
        session_id = api.new_session(template="soap")
        assert api.put_chunk(session_id, 0, pieces[0]).status_code == 201
        follower = threading.Thread(target=live_worker.run_once)  # claims the live job
        follower.start()

        def live() -> LiveSession:
            found = live_worker.live_sessions.current(session_id)
            assert found is not None
            return found  # type: ignore[no-any-return]

        wait_until(lambda: live_worker.live_sessions.current(session_id), 300, "the live job")
        # The first half arrives; the live job transcribes and drafts a window of it.
        half = len(pieces) // 2
        for seq in range(1, half):
            assert api.put_chunk(session_id, seq, pieces[seq]).status_code == 201
            time.sleep(0.1)
        wait_until(lambda: live().drafting.windows, 900, "a window drafted while recording")
        for seq in range(half, len(pieces)):
            assert api.put_chunk(session_id, seq, pieces[seq]).status_code == 201
        following = live()
        assert api.finish(session_id, len(pieces)).status_code == 200

        # "Stop": the process job waits for the live job's hand-over, then finishes its work.
        assert live_app.state.worker.run_once() is True
        follower.join(60)
        assert not follower.is_alive()
        with store.sessions() as db:
            for kind in (jobs.LIVE, jobs.PROCESS):
                job = jobs.latest(db, session_id, kind)
                assert job is not None and job.status == "done", (kind, job and job.error)
        assert live_worker.live_sessions.current(session_id) is None  # taken, not left behind

        # The stream decoded every byte of the sealed recording, once, without error.
        assert following.stream is not None and following.stream.error is None
        assert following.stream.fed == len(recording)

        transcript = api.get(f"/api/sessions/{session_id}/transcript").json()["transcript"]
        stages = {t["stage"]: t["seconds"] for t in transcript["timings"]}
        assert stages["live_asr"] > 0 and stages["live_diarization"] > 0  # work done before stop
        assert transcript["audio"]["duration"] == pytest.approx(148.8, abs=0.2)
        text = " ".join(u["text"] for u in transcript["utterances"])
        assert word_error_rate(reference_text, text) < 0.3
        assert {s["role"] for s in transcript["speakers"]} == {"clinician", "patient"}

        draft = api.get(f"/api/sessions/{session_id}/draft").json()["draft"]
        windows = len(following.drafting.windows)  # type: ignore[union-attr]
        assert windows >= 1
        assert any(f"drafted in {windows + 1} window(s)" in w for w in draft["warnings"])
        draft_stages = {t["stage"]: t["seconds"] for t in draft["timings"]}
        assert draft_stages["live_drafting"] > 0
        # Evidence ids are the final transcript's, however the windows' provisional ids ran.
        final_ids = {u["id"] for u in transcript["utterances"]}
        sentences = [s for section in draft["sections"] for s in section["sentences"]]
        assert sentences
        assert all(set(s["evidence"]) <= final_ids for s in sentences)
        assert all(s["status"] == "unsupported" for s in sentences if not s["evidence"])
        assert any(s["evidence"] for s in sentences)
