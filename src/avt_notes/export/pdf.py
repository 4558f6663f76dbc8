"""A signed note as PDF, with fpdf2 (pure Python).

The text is set in DejaVu Sans, which matplotlib (already a dependency)
ships, so quotes, dashes and non-English names print as written; without it
the built-in Helvetica is used and characters outside Latin-1 become "?".
The creation date is the signing time, so the same version always gives the
same document.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fpdf import FPDF

from avt_notes.export.document import SignedDocument
from avt_notes.export.text import one_line

logger = logging.getLogger("avt_notes")


def _font_dir() -> Path | None:
    try:
        import matplotlib
    except ImportError:
        return None
    folder = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"
    return folder if (folder / "DejaVuSans.ttf").is_file() else None


class _Pdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.font_name = "Helvetica"
        self.has_unicode = False
        folder = _font_dir()
        if folder is not None:
            self.add_font("DejaVu", "", str(folder / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(folder / "DejaVuSans-Bold.ttf"))
            self.add_font("DejaVu", "I", str(folder / "DejaVuSans-Oblique.ttf"))
            self.font_name = "DejaVu"
            self.has_unicode = True
        else:
            logger.warning("DejaVu Sans not found; the PDF uses Helvetica (Latin-1 only)")

    def clean(self, value: str) -> str:
        return value if self.has_unicode else value.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.font_name, "I", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 8, self.clean(f"{self.footer_text} · page {self.page_no()}/{{nb}}"))

    def para(self, value: str, size: float = 11, style: str = "", gap: float = 2) -> None:
        self.set_font(self.font_name, style, size)
        self.multi_cell(0, size * 0.5, self.clean(value), new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)


def to_pdf(document: SignedDocument) -> bytes:
    when = document.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    pdf = _Pdf(f"{document.title}, version {document.version}, signed {when}")
    pdf.set_title(f"{document.title} — version {document.version}")
    pdf.set_author(one_line(document.signer_name))
    label = one_line(document.session_label or document.session_id)
    pdf.set_subject(label)
    pdf.set_creator("avt-notes")
    pdf.set_creation_date(document.signed_at)
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.para(document.title, 17, "B")
    pdf.para(document.status_line(), 11, "B", 0)
    pdf.para(f"Session: {label} · {document.session_date.strftime('%Y-%m-%d')}", 10)
    pdf.set_fill_color(242, 244, 245)
    pdf.set_font(pdf.font_name, "I", 9.5)
    pdf.multi_cell(0, 4.8, pdf.clean(document.ai_statement), fill=True, new_x="LMARGIN",
                   new_y="NEXT")  # fmt: skip
    pdf.ln(3)
    for section in document.sections:
        pdf.para(section.name, 13, "B", 1)
        body = " ".join(section.sentences) if section.sentences else "Nothing recorded."
        pdf.para(body, 11, "" if section.sentences else "I", 3)
    pdf.ln(2)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(3)
    signer = one_line(document.signer_name)
    pdf.para(f"Signed by {signer} ({document.signer_username}) on {when}.", 11, "B")
    pdf.para(f"Attestation: “{document.attestation}”", 10)
    if document.amendment_reason:
        pdf.para(f"Reason for amendment: {one_line(document.amendment_reason)}", 10)
    pdf.para(f"SHA-256 of the signed text: {document.content_sha256}", 8)
    return bytes(pdf.output())
