"""A risk item is worded in one place (`risk.describe`): draft API, review and Markdown agree."""

from __future__ import annotations

from collections.abc import Callable

from avt_notes.drafting import to_markdown
from avt_notes.risk import describe
from avt_notes.store import Store

from reviewhelpers import insert_processed_session, sample_draft, sample_transcript
from webhelpers import Api


def test_risk_items_read_the_same_in_the_draft_review_and_markdown(
    make_client: Callable[..., Api], store: Store
) -> None:
    ann = make_client("ann")
    session_id = insert_processed_session(store, "ann")
    transcript = sample_transcript()
    (item,) = sample_draft(transcript).risk_items
    wording = describe(item)
    assert wording == f"Medication use (asked, no clear answer): “{' '.join(item.text.split())}”"

    draft = ann.get(f"/api/sessions/{session_id}/draft").json()
    assert draft["for_review"] == [wording]
    review = ann.get(f"/api/sessions/{session_id}/review").json()
    sections = review["draft"]["sections"]
    (risk_section,) = [s for s in sections if s["name"] == "For clinician review"]
    assert [s["text"] for s in risk_section["sentences"]] == [wording]
    assert wording in to_markdown(sample_draft(transcript), transcript)
