"""The `process` job: decrypt the recording to scratch, run the pipeline, store the results."""

from __future__ import annotations

import hashlib
import logging

from avt_notes.jobs.runner import JobCancelled, Worker
from avt_notes.progress import Progress
from avt_notes.store import audit, jobs
from avt_notes.store.intake import suffix_for
from avt_notes.store.tables import ClinicalSession, DraftRecord, Job, TranscriptRecord

logger = logging.getLogger("avt_notes.worker")


def process_session(worker: Worker, job: Job, beat: Progress) -> None:
    """Handler of `process` jobs: transcript and draft of a finished recording, stored once."""
    store = worker.store
    with store.sessions() as db:
        session = db.get(ClinicalSession, job.session_id)
        if session is None:
            raise JobCancelled
        template, num_speakers, mime = session.template, session.num_speakers, session.mime_type
    beat("preparing audio", 0.0)
    with store.audio.scratch_file(suffix_for(mime)) as plain:
        store.audio.decrypt_audio_to(job.session_id, plain)
        with store.transaction() as db:
            audit.append(db, "process_started", session_id=job.session_id, job=job.id)
        # Work done while the session was recording, if a live job followed it here.
        beat("finishing live work", 0.0)
        live = worker.live_sessions.take(job.session_id)
        result = worker.pipeline(
            plain,
            worker.settings,
            template=template,
            num_speakers=num_speakers,
            live=live,
            progress=beat,
        )
    beat("saving", 1.0)
    with store.transaction() as db:
        current = jobs.still_ours(db, job.id, worker.worker_id)
        if current is None:
            raise JobCancelled
        transcript = TranscriptRecord(
            session_id=job.session_id, job_id=job.id, body=result.transcript.model_dump_json()
        )
        db.add(transcript)
        db.flush()
        if result.draft is not None:
            body = result.draft.model_dump_json()
            db.add(
                DraftRecord(
                    session_id=job.session_id,
                    transcript_id=transcript.id,
                    template=template,
                    body=body,
                    body_sha256=hashlib.sha256(body.encode()).hexdigest(),
                )
            )
        jobs.complete(db, current)
        audit.append(db, "process_done", session_id=job.session_id, job=job.id)
    logger.info("job %d done", job.id)
