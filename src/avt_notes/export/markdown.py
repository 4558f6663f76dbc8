"""A signed note as Markdown: readable as plain text, pasteable into a record system."""

from __future__ import annotations

from avt_notes.export.document import SignedDocument


def _when(document: SignedDocument) -> str:
    return document.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC")


def to_markdown(document: SignedDocument) -> str:
    lines = [
        f"# {document.title}",
        "",
        f"**{document.status_line()}**  ",
        f"Session: {document.session_label or document.session_id} · "
        f"{document.session_date.strftime('%Y-%m-%d')}",
        "",
        f"> {document.ai_statement}",
        "",
    ]
    for section in document.sections:
        lines += [f"## {section.name}", ""]
        lines += [" ".join(section.sentences) if section.sentences else "_Nothing recorded._", ""]
    lines += [
        "---",
        "",
        f"Signed by **{document.signer_name}** ({document.signer_username}) on {_when(document)}.",
        "",
        f"Attestation: “{document.attestation}”",
        "",
    ]
    if document.amendment_reason:
        lines += [f"Reason for amendment: {document.amendment_reason}", ""]
    lines += [f"SHA-256 of the signed text: `{document.content_sha256}`", ""]
    return "\n".join(lines)
