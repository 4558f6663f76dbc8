"""Review and sign-off through the API, on SQLite and PostgreSQL.

Sign-off rules: no signature without the attestation and the right password;
flags need decisions; the signed text cannot change through any route (nor
directly in the database); a change is an amendment, a new version. Edit
metrics stored at signing match what was edited. Nothing exports before signing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from avt_notes.config import Settings
from avt_notes.store import Store, signing
from avt_notes.store.tables import (
    AuditEntry,
    DraftRecord,
    ReviewDraft,
    SignedNote,
    SignoffMetrics,
    utcnow,
)

from reviewhelpers import FLAGGED, insert_processed_session
from webhelpers import PASSWORD, Api

EDITED = "Fever for the past week with feeling very hot and sweaty."


@pytest.fixture
def ann(make_client: Callable[..., Api]) -> Api:
    return make_client("ann")


@pytest.fixture
def session_id(ann: Api, store: Store) -> str:
    return insert_processed_session(store, "ann", with_audio=False)


def review(api: Api, session_id: str) -> dict[str, Any]:
    response = api.get(f"/api/sessions/{session_id}/review")
    assert response.status_code == 200, response.text
    return dict(response.json())


def save(api: Api, session_id: str, state: dict[str, Any], **extra: Any) -> Any:
    body = {"revision": state["revision"], **state["working"], **extra}
    return api.put(f"/api/sessions/{session_id}/review", json=body)


def sign(api: Api, session_id: str, password: str = PASSWORD, **extra: Any) -> Any:
    return api.post(
        f"/api/sessions/{session_id}/sign", json={"attest": True, "password": password, **extra}
    )


def edit_and_decide(api: Api, session_id: str) -> dict[str, Any]:
    """One sentence edited; flags: risk kept, Objective removed, Assessment edited."""
    state = review(api, session_id)
    sections = state["working"]["sections"]
    sections[0]["sentences"][0]["text"] = EDITED
    sections[2]["sentences"][0]["text"] = "Possible viral illness."
    state["working"]["decisions"] = {"r0": "keep", "s1-0": "remove", "s2-0": "edit"}
    # The review has been open a minute: the server believes no more listening than that.
    store: Store = api.app.state.services.store
    with store.transaction() as db:
        db.execute(
            update(ReviewDraft)
            .where(ReviewDraft.session_id == session_id)
            .values(first_viewed_at=utcnow() - timedelta(minutes=1))
        )
    response = save(api, session_id, state, audio_seconds_played=12.5)
    assert response.status_code == 200, response.text
    return review(api, session_id)


def test_review_state_has_draft_flags_transcript(ann: Api, session_id: str) -> None:
    state = review(ann, session_id)
    assert state["phase"] == "editing" and state["flagged"] == FLAGGED
    names = [s["name"] for s in state["draft"]["sections"]]
    assert names == ["Subjective", "Objective", "Assessment", "Plan", "For clinician review"]
    first = state["draft"]["sections"][0]["sentences"][0]
    assert first["id"] == "s0-0" and first["evidence"] == ["u0010"] and first["flagged"] is None
    utterances = state["transcript"]["utterances"]
    assert len(utterances) == 25 and utterances[0]["role"] == "clinician"
    assert any(p < state["low_confidence"] for u in utterances for _w, p in u["words"])
    # "fever" and "hot" come from words of u0010 recognition was unsure of.
    assert state["unsure"]["s0-0"] == ["fever", "hot"]
    assert state["versions"] == [] and state["metrics"] is None


def test_autosave_revisions_and_stale_tab(ann: Api, session_id: str) -> None:
    state = review(ann, session_id)
    state["working"]["sections"][0]["sentences"][0]["text"] = EDITED
    first = save(ann, session_id, state)
    assert first.status_code == 200 and first.json()["revision"] == state["revision"] + 1
    stale = save(ann, session_id, state)  # another tab still on the old revision
    assert stale.status_code == 409 and stale.json()["revision"] == first.json()["revision"]
    again = review(ann, session_id)  # a reload gets the saved text
    assert again["working"]["sections"][0]["sentences"][0]["text"] == EDITED
    # Sections cannot be renamed; ids must be well formed; decisions only for flags.
    bad = review(ann, session_id)
    bad["working"]["sections"][0]["name"] = "Renamed"
    assert save(ann, session_id, bad).status_code == 400
    bad = review(ann, session_id)
    bad["working"]["decisions"] = {"s0-0": "keep"}
    assert save(ann, session_id, bad).status_code == 400


def test_no_sign_without_attestation_password_and_decisions(
    ann: Api, session_id: str, store: Store
) -> None:
    review(ann, session_id)
    url = f"/api/sessions/{session_id}/sign"
    assert ann.post(url, json={"attest": False, "password": PASSWORD}).status_code == 400
    assert ann.post(url, json={"attest": True}).status_code == 422
    assert sign(ann, session_id, "not my password").status_code == 403
    undecided = sign(ann, session_id)
    assert undecided.status_code == 409 and undecided.json()["unresolved"] == FLAGGED
    with store.sessions() as db:
        assert db.scalar(select(SignedNote)) is None
        refused = db.scalars(select(AuditEntry).where(AuditEntry.action == "sign_refused")).all()
    assert len(refused) == 1
    assert ann.get(f"/api/sessions/{session_id}/note/export").status_code == 409


def test_sign_stores_frozen_text_and_metrics(
    ann: Api, session_id: str, store: Store, settings: Settings
) -> None:
    edit_and_decide(ann, session_id)
    response = sign(ann, session_id)
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["phase"] == "signed" and len(state["versions"]) == 1
    version = state["versions"][0]
    assert version["signer_username"] == "ann" and version["amendment_reason"] is None
    assert version["sha256"] == hashlib.sha256(version["text"].encode()).hexdigest()
    assert "Temperature" not in version["text"]  # removed on decision
    assert EDITED in version["text"] and "Possible viral illness." in version["text"]

    metrics = state["metrics"]  # shown to the clinician after signing
    assert metrics["flagged_total"] == 3
    assert (metrics["flagged_kept_unedited"], metrics["flagged_edited"],
            metrics["flagged_removed"]) == (1, 1, 1)  # fmt: skip
    assert metrics["signed_unchanged"] is False and metrics["char_distance"] > 0
    assert metrics["audio_seconds_played"] == 12.5 and metrics["review_seconds"] >= 0
    by_name = {s["name"]: s for s in metrics["sections"]}
    assert by_name["Plan"]["unchanged"] and by_name["Objective"]["signed_chars"] == 0
    subjective = by_name["Subjective"]
    assert (subjective["words_inserted"], subjective["words_substituted"]) == (1, 0)
    assert subjective["char_distance"] == len("very ")
    outcomes = {d["id"]: (d["decision"], d["outcome"]) for d in metrics["decisions"]}
    assert outcomes == {"r0": ("keep", "kept"), "s1-0": ("remove", "removed"),
                        "s2-0": ("edit", "edited")}  # fmt: skip

    records = _records(store)
    assert len(records) == 1 and records[0]["clinician"] == "ann"
    from avt_notes.bench.automation_bias import SignedNoteRecord

    record = SignedNoteRecord.model_validate(records[0])
    assert record.flagged_kept_unedited == 1 and record.signed_unchanged is False
    from avt_notes.bench.automation_bias import load_signed_notes

    loaded = load_signed_notes(
        settings.store.data_dir, settings.store.database_url
    )  # SELECT * FROM table
    assert [(r.clinician, r.flagged_total, r.review_seconds) for r in loaded] == [
        (record.clinician, 3, record.review_seconds)
    ]
    with store.sessions() as db:  # the generated draft is kept unchanged beside the note
        draft = db.scalar(select(DraftRecord))
        assert draft is not None
        assert hashlib.sha256(draft.body.encode()).hexdigest() == draft.body_sha256


def _records(store: Store) -> list[dict[str, Any]]:
    with store.sessions() as db:
        return signing.signed_note_records(db)


def test_signed_text_is_immutable_through_every_route(
    ann: Api, session_id: str, store: Store
) -> None:
    state = edit_and_decide(ann, session_id)
    assert sign(ann, session_id).status_code == 200
    with store.sessions() as db:
        before = db.scalar(select(SignedNote))
        assert before is not None
    base = f"/api/sessions/{session_id}"
    assert save(ann, session_id, review(ann, session_id)).status_code == 409
    roles = {"roles": {"SPEAKER_00": "patient"}}
    assert ann.post(f"{base}/review/roles", json=roles).status_code == 409
    assert sign(ann, session_id).status_code == 409
    assert ann.post(f"{base}/amend/cancel").status_code == 409
    assert ann.delete(base).status_code == 409
    assert ann.post(f"{base}/withdraw").status_code == 200  # consent withdrawn: note stays
    assert state["working"]  # (the state before signing is irrelevant now)
    with store.sessions() as db:
        after = db.scalars(select(SignedNote)).all()
        assert [(n.text, n.content_sha256) for n in after] == [(before.text, before.content_sha256)]
    # The database itself refuses, whatever the code path.
    for statement in (
        update(SignedNote).values(text="overwritten"),
        update(SignoffMetrics).values(signed_unchanged=True),
        text("DELETE FROM signed_notes"),
    ):
        with pytest.raises(DBAPIError, match="immutable"), store.transaction() as db:
            db.execute(statement)


def test_amendment_is_a_new_version(ann: Api, session_id: str, store: Store) -> None:
    edit_and_decide(ann, session_id)
    assert sign(ann, session_id).status_code == 200
    base = f"/api/sessions/{session_id}"
    state = ann.post(f"{base}/amend").json()
    assert state["phase"] == "amending" and state["flagged"] == []
    plan = next(s for s in state["working"]["sections"] if s["name"] == "Plan")
    plan["sentences"].append({"id": "nadd-1", "text": "Blood tests to exclude malaria."})
    assert save(ann, session_id, state).status_code == 200
    assert sign(ann, session_id).status_code == 400  # an amendment needs a reason
    response = sign(ann, session_id, reason="Added the plan for blood tests")
    assert response.status_code == 200, response.text
    versions = response.json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert "Blood tests" not in versions[0]["text"] and "Blood tests" in versions[1]["text"]
    assert versions[1]["amendment_reason"] == "Added the plan for blood tests"
    assert len(_records(store)) == 1  # metrics are about the AI draft: first signature only
    old = ann.get(f"{base}/note/export", params={"format": "fhir", "version": 1}).json()
    new = ann.get(f"{base}/note/export", params={"format": "fhir"}).json()
    assert (old["status"], old["docStatus"]) == ("superseded", "final")
    assert (new["status"], new["docStatus"]) == ("current", "amended")
    assert new["relatesTo"][0]["target"]["reference"].endswith(f"{session_id}-v1")
    with store.sessions() as db:
        actions = db.scalars(select(AuditEntry.action)).all()
    assert {"view", "edit", "sign", "amend", "export"} <= set(actions)


def test_role_swap_changes_the_view_not_the_stored_transcript(ann: Api, session_id: str) -> None:
    review(ann, session_id)
    swap = {"roles": {"SPEAKER_00": "patient", "SPEAKER_01": "clinician"}}
    state = ann.post(f"/api/sessions/{session_id}/review/roles", json=swap).json()
    assert state["transcript"]["utterances"][0]["role"] == "patient"
    assert state["roles"] == swap["roles"]
    stored = ann.get(f"/api/sessions/{session_id}/transcript").json()["transcript"]
    assert stored["utterances"][0]["role"] == "clinician"
    bad = {"roles": {"SPEAKER_09": "patient"}}
    assert ann.post(f"/api/sessions/{session_id}/review/roles", json=bad).status_code == 400


def test_audio_byte_ranges(ann: Api, store: Store) -> None:
    session_id = insert_processed_session(store, "ann", with_audio=True)
    url = f"/api/sessions/{session_id}/audio"
    whole = ann.get(url)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    size = len(whole.content)
    part = ann.get(url, headers={"Range": "bytes=1048570-1048600"})  # across a segment edge
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 1048570-1048600/{size}"
    assert part.content == whole.content[1048570:1048601]
    tail = ann.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    assert ann.get(url, headers={"Range": f"bytes={size}-"}).status_code == 416
