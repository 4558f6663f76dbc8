"""Write a `DraftNote` as ``draft.json`` and a readable ``draft.md``, and read sections back.

The Markdown is for the clinician's eyes: the draft marker first, then each
section with every sentence followed by its evidence (``[u0003 00:01:02]``), the
words it rests on that recognition was unsure of, and a visible ⚠ flag with the
reasons when the transcript does not support it, then "For clinician review"
with the risk language found. `parse_markdown` reads the sections back
(sentences without their evidence, notes and flags), so an edited draft can be
compared with the original section by section.
"""

from __future__ import annotations

import re
from pathlib import Path

from avt_notes.confidence import unsure_words
from avt_notes.drafting.schemas import DraftNote, DraftSentence
from avt_notes.risk import REVIEW_NOTICE, RiskItem, describe
from avt_notes.schemas import Transcript

UNSUPPORTED_FLAG = "⚠ unsupported"
SET_ASIDE_HEADING = "Left out of the draft"
SET_ASIDE_NOTICE = (
    "The model wrote these, but nothing said in the session supports them: they are not in "
    "the note. Add one back only if you know it is right."
)
NOT_NOTE_SECTIONS = {"For clinician review", SET_ASIDE_HEADING, "Drafting warnings"}
_EVIDENCE = re.compile(r"\s*\[(?:u\d+(?: \d{2}:\d{2}:\d{2})?(?:, )?)+\]")
_NO_EVIDENCE = re.compile(r"\s*\[no evidence\]")
_FLAG = re.compile(r"\s*— ⚠ unsupported:.*$")
UNSURE_NOTE = "recognition unsure of"
_UNSURE = re.compile(rf"\s*— {UNSURE_NOTE} .*$")


def clock(seconds: float) -> str:
    whole = max(0, int(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _evidence(sentence: DraftSentence, transcript: Transcript | None) -> str:
    if not sentence.evidence:
        return "[no evidence]"
    starts = {u.id: u.start for u in transcript.utterances} if transcript else {}
    parts = [f"{i} {clock(starts[i])}" if i in starts else i for i in sentence.evidence]
    return "[" + ", ".join(parts) + "]"


def _risk_line(item: RiskItem) -> str:
    """`risk.describe(item)` with where it was said and why it was listed."""
    answer = f" (answered in {item.answer_utterance_id})" if item.answer_utterance_id else ""
    return (
        f"- [{item.utterance_id} {clock(item.start)}] {item.role}: "
        f"{describe(item, with_reason=True)}{answer}"
    )


def _unsure(sentence: DraftSentence, transcript: Transcript | None, below: float | None) -> str:
    if transcript is None or below is None:
        return ""
    by_id = {u.id: u for u in transcript.utterances}
    evidence = [by_id[i] for i in sentence.evidence if i in by_id]
    words = unsure_words(sentence.text, evidence, below)
    return f" — {UNSURE_NOTE} " + ", ".join(f"“{w}”" for w in words) if words else ""


def to_markdown(
    note: DraftNote, transcript: Transcript | None = None, unsure_below: float | None = None
) -> str:
    """The draft as Markdown for review (see the module docstring for the layout).

    With `unsure_below` (a word probability), a sentence resting on words recognition
    was less sure of names them: the clinician listens before signing.
    """
    lines = [
        f"# {note.template_name} — DRAFT",
        "",
        f"> **{note.marker}**",
        "",
        f"Status: {note.status} · Template: {note.template_id} v{note.template_version} "
        f"(sha256 {note.prompt_sha256[:12]}) · Model: {note.model.name} {note.model.version} · "
        f"Created: {note.created_at.strftime('%Y-%m-%d %H:%M UTC')}",
        "",
    ]
    flagged = sum(s.status == "unsupported" for s in note.sentences())
    if flagged:
        lines += [
            f"{flagged} sentence(s) are not supported by the transcript and are marked "
            f"{UNSUPPORTED_FLAG}: check them against the cited lines or delete them.",
            "",
        ]
    for section in note.sections:
        lines += [f"## {section.name}", ""]
        if not section.sentences:
            lines += [f"_{section.empty_text or 'Nothing drafted for this section.'}_", ""]
            continue
        for sentence in section.sentences:
            line = f"- {sentence.text} {_evidence(sentence, transcript)}"
            line += _unsure(sentence, transcript, unsure_below)
            if sentence.status == "unsupported":
                line += f" — {UNSUPPORTED_FLAG}: " + "; ".join(sentence.reasons)
            lines.append(line)
        lines.append("")
    lines += ["## For clinician review", "", f"_{REVIEW_NOTICE}_", ""]
    groups = (
        ("reported", "Mentioned"),
        ("asked", "Asked, no clear answer"),
        ("denied", "Denied / negated"),
    )
    if not note.risk_items:
        lines += ["No risk language found by the lexicon.", ""]
    for polarity, title in groups:
        items = [i for i in note.risk_items if i.polarity == polarity]
        if items:
            lines += [f"### {title}", "", *(_risk_line(i) for i in items), ""]
    if note.set_aside:
        lines += [f"## {SET_ASIDE_HEADING}", "", f"_{SET_ASIDE_NOTICE}_", ""]
        lines += [f"- ({s.section}) {s.text} — " + "; ".join(s.reasons) for s in note.set_aside]
        lines.append("")
    if note.warnings:
        lines += ["## Drafting warnings", "", *(f"- {w}" for w in note.warnings), ""]
    return "\n".join(lines).rstrip() + "\n"


def parse_markdown(text: str) -> dict[str, list[str]]:
    """Section name -> sentences, from a (possibly edited) draft.md.

    Evidence brackets and flags are removed; "For clinician review" and
    warnings are not note sections and are left out.
    """
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        heading = re.match(r"^##\s+(.+?)\s*$", raw)
        if heading:
            name = heading.group(1)
            current = None if name in NOT_NOTE_SECTIONS else name
            if current is not None:
                sections[current] = []
            continue
        if current is None or not raw.startswith("- "):
            continue
        sentence = _UNSURE.sub("", _FLAG.sub("", raw[2:]))
        sentence = _NO_EVIDENCE.sub("", _EVIDENCE.sub("", sentence)).strip()
        if sentence:
            sections[current].append(sentence)
    return sections


def write_draft(
    note: DraftNote,
    out_dir: Path,
    transcript: Transcript | None = None,
    unsure_below: float | None = None,
) -> list[Path]:
    """Write ``draft.json`` and ``draft.md`` into `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "draft.json"
    md_path = out_dir / "draft.md"
    json_path.write_text(note.model_dump_json(indent=2), encoding="utf-8")
    md_path.write_text(to_markdown(note, transcript, unsure_below), encoding="utf-8")
    return [json_path, md_path]
