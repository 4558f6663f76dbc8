"""A processed session for review tests, inserted through the store (no models run).

The transcript is the bundled sample consultation (real utterance times and
text, sample_audio/consultation.reference.json) with word probabilities made
up so that some words are low-confidence; the draft is a real `DraftNote`
whose sentences cite real utterance ids, with two unsupported sentences and
one risk item: three flags to decide.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

from sqlalchemy import select

from avt_notes.drafting.schemas import DraftNote, DraftSentence, NoteSection, SetAsideSentence
from avt_notes.risk import RiskItem
from avt_notes.schemas import AudioInfo, Speaker, Transcript, Utterance, Word
from avt_notes.store import Store
from avt_notes.store.tables import (
    DONE,
    FINISHED,
    ClinicalSession,
    Consent,
    DraftRecord,
    Job,
    TranscriptRecord,
    User,
    utcnow,
)

from testdata import make_draft
from webhelpers import PASSWORD, Api

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_audio"
LABELS = {"clinician": "SPEAKER_00", "patient": "SPEAKER_01"}
FLAGGED = ["s1-0", "s2-0", "r0"]  # in note order


def sample_transcript() -> Transcript:
    reference = json.loads((SAMPLE / "consultation.reference.json").read_text())
    utterances = []
    for number, item in enumerate(reference, start=1):
        tokens = item["text"].split()
        step = (item["end"] - item["start"]) / max(len(tokens), 1)
        words = [
            Word(
                text=token,
                start=round(item["start"] + i * step, 3),
                end=round(item["start"] + (i + 1) * step, 3),
                probability=0.31 if (number + i) % 9 == 0 else 0.94,
            )
            for i, token in enumerate(tokens)
        ]
        utterances.append(
            Utterance(
                id=f"u{number:04d}",
                start=item["start"],
                end=item["end"],
                speaker=LABELS[item["role"]],
                role=item["role"],
                text=item["text"],
                confidence=sum(w.probability for w in words) / max(len(words), 1),
                words=words,
            )
        )
    return Transcript(
        audio=AudioInfo(source="consultation.wav", duration=148.8),
        language="en",
        utterances=utterances,
        speakers=[Speaker(label=label, role=role) for role, label in LABELS.items()],
    )


def _s(text: str, *evidence: str, reasons: tuple[str, ...] = ()) -> DraftSentence:
    if evidence:
        return DraftSentence(text=text, evidence=list(evidence), evidence_method="cited",
                             status="supported")  # fmt: skip
    return DraftSentence(text=text, status="unsupported", reasons=list(reasons))


def sample_draft(transcript: Transcript) -> DraftNote:
    asked = transcript.utterance("u0016")
    return make_draft(
        [
            NoteSection(name="Subjective", sentences=[
                _s("Fever for the past week with feeling hot and sweaty.", "u0010"),
                _s("Aching muscles, nausea and drinking only small amounts.", "u0012"),
                _s("Tired, with night sweats and hot and cold spells.", "u0013", "u0014"),
            ]),
            NoteSection(name="Objective", sentences=[
                _s("Temperature 39.2 degrees in clinic.",
                   reasons=("no utterance mentions a measured temperature",)),
            ]),
            NoteSection(name="Assessment", sentences=[
                _s("Likely viral illness.", reasons=("no utterance supports an assessment",)),
            ]),
            NoteSection(name="Plan", sentences=[
                _s("Continue ibuprofen and paracetamol at the recommended dose.",
                   "u0017", "u0019"),
            ]),
        ],
        [
            RiskItem(
                utterance_id=asked.id, start=asked.start, end=asked.end, speaker=asked.speaker,
                role=asked.role, category="substance", category_label="Medication use",
                phrase="taking your medication", pattern="taking .* medication",
                polarity="asked", text=asked.text,
            )
        ],
        set_aside=[
            SetAsideSentence(text="Vital signs are normal.", section="Objective",
                             reasons=["no utterance in the transcript supports it"]),
        ],
    )  # fmt: skip


def insert_processed_session(
    store: Store, username: str, label: str = "Fever review", with_audio: bool = True
) -> str:
    """A consented, recorded, processed session owned by `username`; returns its id."""
    transcript = sample_transcript()
    draft = sample_draft(transcript)
    session_id = uuid.uuid4().hex
    wav = (SAMPLE / "consultation.wav").read_bytes() if with_audio else b""
    assembled = store.audio.write_audio(session_id, [wav]) if with_audio else None
    with store.transaction() as db:
        user = db.scalar(select(User).where(User.username == username))
        assert user is not None
        now = utcnow()
        session = ClinicalSession(
            id=session_id, owner_id=user.id, label=label, template="soap", status=FINISHED,
            source="file", mime_type="audio/wav",
            audio_bytes=assembled.bytes if assembled else None,
            audio_sha256=assembled.sha256 if assembled else None,
            audio_seconds=148.8, finished_at=now,
        )  # fmt: skip
        session.consent = Consent(
            method="verbal", notice_version="test", notice_sha256="0" * 64,
            notice_text="test notice", recorded_by=user.id,
        )  # fmt: skip
        db.add(session)
        db.flush()
        job = Job(session_id=session_id, kind="process", status=DONE, stage="done", progress=1.0)
        db.add(job)
        db.flush()
        record = TranscriptRecord(session_id=session_id, job_id=job.id,
                                  body=transcript.model_dump_json())  # fmt: skip
        db.add(record)
        db.flush()
        body = draft.model_dump_json()
        digest = hashlib.sha256(body.encode()).hexdigest()
        db.add(DraftRecord(session_id=session_id, transcript_id=record.id, template="soap",
                           body=body, body_sha256=digest))  # fmt: skip
    return session_id


def sign_a_note(ann: Api, store: Store) -> str:
    """Review a processed session through the API, keep every flag and sign; returns its id."""
    session_id = insert_processed_session(store, "ann", with_audio=False)
    state = ann.get(f"/api/sessions/{session_id}/review").json()
    state["working"]["decisions"] = dict.fromkeys(FLAGGED, "keep")
    body = {"revision": state["revision"], **state["working"]}
    assert ann.put(f"/api/sessions/{session_id}/review", json=body).status_code == 200
    signed = ann.post(f"/api/sessions/{session_id}/sign",
                      json={"attest": True, "password": PASSWORD})  # fmt: skip
    assert signed.status_code == 200, signed.text
    return session_id
