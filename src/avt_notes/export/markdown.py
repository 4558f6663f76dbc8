"""A signed note as Markdown: readable as plain text, pasteable into a record system.

Every free-text value is escaped (`export.text`): only this module makes headings."""

from __future__ import annotations

from avt_notes.export.document import SignedDocument
from avt_notes.export.text import markdown_text as md


def _when(document: SignedDocument) -> str:
    return document.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC")


def to_markdown(document: SignedDocument) -> str:
    lines = [
        f"# {document.title}",
        "",
        f"**{document.status_line()}**  ",
        f"Session: {md(document.session_label or document.session_id)} · "
        f"{document.session_date.strftime('%Y-%m-%d')}",
        "",
        f"> {document.ai_statement}",
        "",
    ]
    for section in document.sections:
        lines += [f"## {md(section.name)}", ""]
        body = " ".join(md(s) for s in section.sentences)
        lines += [body if section.sentences else "_Nothing recorded._", ""]
    lines += [
        "---",
        "",
        f"Signed by **{md(document.signer_name)}** ({md(document.signer_username)}) "
        f"on {_when(document)}.",
        "",
        f"Attestation: “{document.attestation}”",
        "",
    ]
    if document.amendment_reason:
        lines += [f"Reason for amendment: {md(document.amendment_reason)}", ""]
    lines += [f"SHA-256 of the signed text: `{document.content_sha256}`", ""]
    return "\n".join(lines)
