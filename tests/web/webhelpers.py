"""Helpers shared by the web tests (imported by conftest and by test modules)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from avt_notes.config import Settings
from avt_notes.drafting.schemas import DraftNote, DraftSentence, NoteSection
from avt_notes.pipeline_result import PipelineResult
from avt_notes.progress import Progress
from avt_notes.schemas import AudioInfo, Speaker, Transcript, Utterance
from avt_notes.store import Store, accounts

from testdata import make_draft

JFK = Path(__file__).resolve().parents[1] / "data" / "real" / "jfk.flac"
PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


# --- pipeline ----------------------------------------------------------------------------
def fake_transcript(seconds: float = 11.0) -> Transcript:
    """A one-utterance transcript of the real type (what the pipeline returns)."""
    return Transcript(
        audio=AudioInfo(source="x", duration=seconds),
        language="en",
        utterances=[
            Utterance(id="u0001", start=0.0, end=seconds, speaker="SPEAKER_00",
                      role="clinician", text="ask not what your country can do for you",
                      confidence=0.9)
        ],
        speakers=[Speaker(label="SPEAKER_00", role="clinician")],
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )  # fmt: skip


def fake_draft() -> DraftNote:
    """A two-section draft of the real type, one sentence supported and one not."""
    return make_draft(
        [
            NoteSection(name="Subjective", sentences=[
                DraftSentence(text="Patient reports feeling well.", evidence=["u0001"],
                              evidence_method="cited", status="supported"),
            ]),
            NoteSection(name="Plan", sentences=[
                DraftSentence(text="Review in two weeks.", status="unsupported",
                              reasons=["no utterance mentions a review"]),
            ]),
        ],
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )  # fmt: skip


def fake_pipeline(
    audio_path: Path,
    settings: Settings,
    *,
    template: str,
    num_speakers: int | None,
    live: object | None,
    progress: Progress,
) -> PipelineResult:
    """Plumbing stand-in: checks the audio file it is given, reports progress, returns text."""
    assert audio_path.stat().st_size > 0
    progress("transcribing", 0.5)
    progress("drafting", 0.9)
    return PipelineResult(transcript=fake_transcript(), draft=fake_draft())


def soak_enabled(config: pytest.Config) -> bool:
    """`--soak` (registered in tests/conftest.py) or AVT_SOAK=1."""
    return bool(config.getoption("--soak", default=False)) or bool(os.environ.get("AVT_SOAK"))


def add_user(store: Store, username: str, role: str = "clinician") -> None:
    with store.transaction() as db:
        accounts.create_user(db, username, PASSWORD, role)


@dataclass
class Api:
    """A logged-in (or anonymous) TestClient with the CSRF header set."""

    client: TestClient
    app: FastAPI

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def notice_sha(self) -> str:
        return str(self.app.state.services.notice.sha256)

    def new_session(self, consent: str | None = "verbal", **body: Any) -> str:
        response = self.client.post("/api/sessions", json=body)
        assert response.status_code == 201, response.text
        session_id = str(response.json()["id"])
        if consent:
            response = self.client.post(
                f"/api/sessions/{session_id}/consent",
                json={"method": consent, "notice_sha256": self.notice_sha()},
            )
            assert response.status_code == 200, response.text
        return session_id

    def put_chunk(
        self,
        session_id: str,
        seq: int,
        data: bytes,
        content_type: str = "audio/webm;codecs=opus",
        sha256: str | None = None,
    ) -> Any:
        return self.client.put(
            f"/api/sessions/{session_id}/chunks/{seq}",
            content=data,
            headers={
                "Content-Type": content_type,
                "X-Chunk-SHA256": sha256 or hashlib.sha256(data).hexdigest(),
            },
        )

    def upload_all(self, session_id: str, pieces: list[bytes]) -> None:
        for seq, piece in enumerate(pieces):
            response = self.put_chunk(session_id, seq, piece)
            assert response.status_code == 201, response.text

    def finish(self, session_id: str, total: int) -> Any:
        return self.client.post(f"/api/sessions/{session_id}/finish", json={"total_chunks": total})


def split(data: bytes, pieces: int) -> list[bytes]:
    size = -(-len(data) // pieces)
    return [data[i : i + size] for i in range(0, len(data), size)]
