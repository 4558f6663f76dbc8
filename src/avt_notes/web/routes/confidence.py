"""Recognition confidence of a session's transcript, for the low-confidence notice."""

from __future__ import annotations

from fastapi import APIRouter

from avt_notes.confidence import transcript_confidence
from avt_notes.store import recordings
from avt_notes.store.generated import load_transcript
from avt_notes.web.deps import ClinicianAuth, DbDep, ServicesDep

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


@router.get("/{session_id}/confidence")
def get_confidence(
    session_id: str, auth: ClinicianAuth, db: DbDep, services: ServicesDep
) -> dict[str, object]:
    """Marked-word share of the newest transcript and the notice to show, if any.

    Before the transcript exists the answer is `ready: false` (not a 404): the page
    asks again, and a browser would log every 404 as an error.
    """
    recordings.get_owned(db, auth.user, session_id)
    transcript = load_transcript(db, session_id)
    if transcript is None:
        return {"ready": False, "notice": None}
    found = transcript_confidence(transcript, services.settings)
    return found.model_dump() | {"ready": True, "notice": found.notice}
