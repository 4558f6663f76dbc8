"""A small report document (headings, paragraphs, tables, images) → Markdown and HTML.

Built once and rendered twice, so the Markdown (for a repository or a ticket)
and the HTML (for a browser or an email) never disagree. No Markdown library
is needed for four block types; HTML text is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from avt_notes.bench.summary import Interval


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Image:
    path: str  # relative to the report
    alt: str


Block = Heading | Paragraph | Table | Image


@dataclass
class Document:
    """A report as a list of blocks, rendered to Markdown or HTML."""

    title: str
    blocks: list[Block] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self.blocks.append(Heading(text))

    def paragraph(self, text: str) -> None:
        self.blocks.append(Paragraph(text))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        self.blocks.append(Table(list(headers), [[cell(c) for c in r] for r in rows]))

    def image(self, path: str, alt: str) -> None:
        self.blocks.append(Image(path, alt))

    def markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for block in self.blocks:
            if isinstance(block, Heading):
                out += [f"## {block.text}", ""]
            elif isinstance(block, Paragraph):
                out += [block.text, ""]
            elif isinstance(block, Table):
                out.append("| " + " | ".join(block.headers) + " |")
                out.append("|" + "|".join(" --- " for _ in block.headers) + "|")
                out += [
                    "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
                    for row in block.rows
                ]
                out.append("")
            else:
                out += [f"![{block.alt}]({block.path})", ""]
        return "\n".join(out)

    def html(self) -> str:
        e = html.escape
        parts = [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{e(self.title)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{e(self.title)}</h1>",
        ]
        for block in self.blocks:
            if isinstance(block, Heading):
                parts.append(f"<h2>{e(block.text)}</h2>")
            elif isinstance(block, Paragraph):
                parts.append(f"<p>{e(block.text)}</p>")
            elif isinstance(block, Table):
                head = "".join(f"<th>{e(h)}</th>" for h in block.headers)
                body = "".join(
                    "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>"
                    for row in block.rows
                )
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            else:
                parts.append(f"<figure><img src='{e(block.path)}' alt='{e(block.alt)}'></figure>")
        parts.append("</body></html>")
        return "\n".join(parts)

    def write(self, out_dir: Path, stem: str) -> tuple[Path, Path]:
        md, page = out_dir / f"{stem}.md", out_dir / f"{stem}.html"
        md.write_text(self.markdown(), encoding="utf-8")
        page.write_text(self.html(), encoding="utf-8")
        return md, page


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "color:#222}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;"
    "padding:.25rem .6rem;text-align:left;font-size:.9rem}th{background:#f3f3f3}"
    "img{max-width:100%}"
)


def cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def ci(interval: Interval, digits: int = 1) -> str:
    """'12.3% [9.8–15.1]' (percentages)."""
    if interval.value is None:
        return "–"
    if interval.low is None or interval.high is None:
        return pct(interval.value, digits)
    return (
        f"{pct(interval.value, digits)} [{interval.low * 100:.{digits}f}–"
        f"{interval.high * 100:.{digits}f}]"
    )


def ratio_text(interval: Interval) -> str:
    if interval.value is None:
        return "–"
    if interval.value == float("inf"):
        return "∞ (best group has no errors)"
    bounds = (
        f" [{interval.low:.2f}–{interval.high:.2f}]"
        if interval.low is not None and interval.high is not None
        else ""
    )
    return f"{interval.value:.2f}{bounds}"
