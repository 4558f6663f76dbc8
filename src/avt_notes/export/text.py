"""Free text in an export is data, never structure.

Labels, names, reasons and the signed sentences are typed by people; in an
export they must not become a heading, a list, a link or HTML. Each goes
through one of these before it is placed in a document: one line always (the
structure of the document is ours, not the text's), Markdown punctuation
backslash-escaped, and plain text (no markup) where FHIR expects a display.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that make inline markup (emphasis, code, links, HTML, entities, tables);
# CommonMark lets any ASCII punctuation be backslash-escaped, so escaping is always safe.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&])")
# What makes a block when it starts a line: a list item, a setext underline, a quote.
_BLOCK_START = re.compile(r"^(\d+)([.)])|^([-+=>])")
_TAG = re.compile(r"<[^<>]*>")


def one_line(value: str) -> str:
    """Whitespace (line breaks included) collapsed to single spaces; control characters gone."""
    visible = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in value
        if unicodedata.category(ch) != "Cf"
    )
    return " ".join(visible.split())


def markdown_text(value: str) -> str:
    """`value` as literal Markdown text on one line: every markup character escaped."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(value))
    return _BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", escaped)


def plain_display(value: str) -> str:
    """`value` for a FHIR display: one line, tags removed, stray angle brackets dropped."""
    return one_line(_TAG.sub(" ", value).replace("<", "").replace(">", ""))
