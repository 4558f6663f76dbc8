"""Export of a signed note: Markdown, PDF and a FHIR R4 DocumentReference.

Every format carries the same things: the signed sections, the AI-assistance
statement, the signer, the signing time, the version (and, for an amendment,
its reason) and the SHA-256 of the signed text, so a copy can be checked
against the record. Only signed notes reach this package: the web layer
refuses an export before signing. Pure functions over `SignedDocument`; no
database, no web.
"""

from __future__ import annotations

from avt_notes.export.document import AI_STATEMENT, SignedDocument
from avt_notes.export.fhir import to_document_reference, validate_document_reference
from avt_notes.export.markdown import to_markdown
from avt_notes.export.pdf import to_pdf

FORMATS = {
    "markdown": ("text/markdown; charset=utf-8", "md"),
    "pdf": ("application/pdf", "pdf"),
    "fhir": ("application/fhir+json", "json"),
}


def render(document: SignedDocument, format: str) -> bytes:
    """The document in one of `FORMATS` as bytes."""
    import json

    if format == "markdown":
        return to_markdown(document).encode()
    if format == "pdf":
        return to_pdf(document)
    if format == "fhir":
        resource = to_document_reference(document)
        validate_document_reference(resource)
        return json.dumps(resource, indent=2, ensure_ascii=False).encode()
    raise ValueError(f"unknown export format {format!r}")


__all__ = [
    "AI_STATEMENT",
    "FORMATS",
    "SignedDocument",
    "render",
    "to_document_reference",
    "to_markdown",
    "to_pdf",
    "validate_document_reference",
]
