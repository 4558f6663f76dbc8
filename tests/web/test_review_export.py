"""Exports of a signed note: Markdown, PDF (read back with pypdf) and FHIR R4 DocumentReference
(checked against R4's required fields and code sets; broken resources are refused)."""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from avt_notes.export import AI_STATEMENT, SignedDocument, render, to_document_reference
from avt_notes.export.document import SignedSection
from avt_notes.export.fhir import FhirValidationError, problems_in, validate_document_reference
from avt_notes.store import Store

from reviewhelpers import FLAGGED, insert_processed_session
from webhelpers import PASSWORD, Api

TEXT = "Subjective\nFever for a week — “hot and sweaty”.\n\nPlan\nBloods: CRP, ESR.\n"


def document(**changes: Any) -> SignedDocument:
    base = SignedDocument(
        note_id=7,
        session_id="a" * 32,
        session_label="Fever, Zoë Ó Briain",
        session_date=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
        template="soap",
        version=1,
        is_latest=True,
        sections=[
            SignedSection(name="Subjective", sentences=["Fever for a week — “hot and sweaty”."]),
            SignedSection(name="Objective", sentences=[]),
            SignedSection(name="Plan", sentences=["Bloods: CRP, ESR."]),
        ],
        text=TEXT,
        content_sha256=hashlib.sha256(TEXT.encode()).hexdigest(),
        signer_username="ann",
        signer_name="Dr Ann Ñúñez",
        signed_at=datetime(2025, 3, 1, 10, 5, 7, tzinfo=UTC),
        attestation="I have reviewed this note against the session and take responsibility.",
    )
    return base.model_copy(update=changes)


def test_markdown_carries_statement_signer_and_hash() -> None:
    markdown = render(document(), "markdown").decode()
    assert AI_STATEMENT in markdown
    assert "Signed by **Dr Ann Ñúñez** (ann) on 2025-03-01 10:05:07 UTC" in markdown
    assert document().content_sha256 in markdown
    assert "## Objective\n\n_Nothing recorded._" in markdown
    amended = render(document(version=2, supersedes_version=1, amendment_reason="typo"),
                     "markdown").decode()  # fmt: skip
    assert "Amendment of version 1" in amended and "Reason for amendment: typo" in amended


def test_pdf_reads_back() -> None:
    pypdf = pytest.importorskip("pypdf")
    data = render(document(), "pdf")
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join((page.extract_text() or "") for page in reader.pages)
    flat = " ".join(text.split())
    for expected in ("AI assistance", "Dr Ann Ñúñez", "Subjective", "Bloods: CRP, ESR.",
                     "“hot and sweaty”", document().content_sha256[:32]):  # fmt: skip
        assert expected in flat, expected
    assert reader.metadata is not None and reader.metadata.author == "Dr Ann Ñúñez"
    assert render(document(), "pdf") == data  # the same version always gives the same file


def test_fhir_document_reference_is_valid_and_checkable() -> None:
    resource = to_document_reference(document())
    validate_document_reference(resource)
    assert resource["resourceType"] == "DocumentReference"
    assert (resource["status"], resource["docStatus"]) == ("current", "final")
    assert resource["date"] == "2025-03-01T10:05:07Z"
    assert resource["authenticator"]["display"] == "Dr Ann Ñúñez"
    assert resource["author"][0]["identifier"]["value"] == "ann"
    assert resource["description"] == AI_STATEMENT
    assert resource["extension"][0]["valueString"] == AI_STATEMENT
    assert resource["type"]["coding"][0]["code"] == "11506-3"
    attachment = resource["content"][0]["attachment"]
    data = base64.b64decode(attachment["data"])
    assert data.decode() == TEXT and attachment["size"] == len(data)
    assert hashlib.sha256(data).hexdigest() == resource["identifier"][0]["value"]
    old = to_document_reference(document(is_latest=False))
    assert old["status"] == "superseded"
    new = to_document_reference(document(version=2, supersedes_version=1))
    assert new["docStatus"] == "amended" and new["relatesTo"][0]["code"] == "replaces"
    json.dumps(resource)  # plain JSON


def _broken(change: Callable[[dict[str, Any]], None]) -> list[str]:
    resource = copy.deepcopy(to_document_reference(document()))
    change(resource)
    return problems_in(resource)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("status"), "status: required"),
        (lambda r: r.update(status="final"), "status: required"),
        (lambda r: r.pop("content"), "content: required"),
        (lambda r: r.update(content=[]), "content: required"),
        (lambda r: r["content"][0].pop("attachment"), "attachment is required"),
        (lambda r: r["content"][0]["attachment"].update(hash="AAAA"), "hash"),
        (lambda r: r["content"][0]["attachment"].update(data="not base64!"), "not base64"),
        (lambda r: r.update(docStatus="signed"), "docStatus"),
        (lambda r: r.update(date="2025-03-01"), "date"),
        (lambda r: r.update(subject={}), "subject"),
        (lambda r: r.update(resourceType="Composition"), "resourceType"),
        (lambda r: r.update(signer="ann"), "unknown element"),
        (lambda r: r.update(relatesTo=[{"code": "amends", "target": {}}]), "relatesTo"),
    ],
)
def test_fhir_validation_refuses_broken_resources(
    change: Callable[[dict[str, Any]], None], message: str
) -> None:
    problems = _broken(change)
    assert any(message in p for p in problems), problems
    with pytest.raises(FhirValidationError):
        resource = copy.deepcopy(to_document_reference(document()))
        change(resource)
        validate_document_reference(resource)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_export_through_the_api(make_client: Callable[..., Api], store: Store) -> None:
    ann = make_client("ann")
    session_id = insert_processed_session(store, "ann", label="Export test", with_audio=False)
    base = f"/api/sessions/{session_id}"
    state = ann.get(f"{base}/review").json()
    for fmt in ("markdown", "pdf", "fhir"):  # nothing leaves before signing
        assert ann.get(f"{base}/note/export", params={"format": fmt}).status_code == 409
    state["working"]["decisions"] = dict.fromkeys(FLAGGED, "keep")
    body = {"revision": state["revision"], **state["working"]}
    assert ann.put(f"{base}/review", json=body).status_code == 200
    signed = ann.post(f"{base}/sign", json={"attest": True, "password": PASSWORD}).json()
    sha = signed["versions"][0]["sha256"]
    pdf = ann.get(f"{base}/note/export", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "attachment;" in pdf.headers["content-disposition"]
    fhir = ann.get(f"{base}/note/export", params={"format": "fhir"})
    assert fhir.headers["content-type"].startswith("application/fhir+json")
    resource = fhir.json()
    validate_document_reference(resource)
    data = base64.b64decode(resource["content"][0]["attachment"]["data"])
    assert hashlib.sha256(data).hexdigest() == sha
    assert ann.get(f"{base}/note/export", params={"format": "docx"}).status_code == 422
    assert ann.get(f"{base}/note/export", params={"version": 9}).status_code == 404
