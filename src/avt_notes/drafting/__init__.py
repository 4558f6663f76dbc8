"""Draft clinical notes from a transcript: templates, drafter backends, chunking, assembly.

The public surface is small: `load_template`/`list_templates`, `load_drafter`,
`draft_note` and `write_draft`. Everything a draft claims is traceable to
utterance ids and checked by `avt_notes.grounding`; risk language is listed
by `avt_notes.risk` for the clinician, never assessed.
"""

from __future__ import annotations

from avt_notes.drafting.backend import ChatMessage, Drafter, load_drafter
from avt_notes.drafting.note import Progress, Strategy, draft_note
from avt_notes.drafting.render import parse_markdown, to_markdown, write_draft
from avt_notes.drafting.schemas import (
    DRAFT_MARKER,
    DraftNote,
    DraftSentence,
    NoteSection,
    SetAsideSentence,
)
from avt_notes.drafting.templates import Template, list_templates, load_template

__all__ = [
    "DRAFT_MARKER",
    "ChatMessage",
    "DraftNote",
    "DraftSentence",
    "Drafter",
    "NoteSection",
    "Progress",
    "SetAsideSentence",
    "Strategy",
    "Template",
    "draft_note",
    "list_templates",
    "load_drafter",
    "load_template",
    "parse_markdown",
    "to_markdown",
    "write_draft",
]
