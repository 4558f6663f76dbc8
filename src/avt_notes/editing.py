"""Edit metrics: how much a clinician changed the AI draft before signing it.

This is the project's measure of automation bias (a distribution piled at
zero means drafts go out as written), so the definitions are plain and fixed:

- texts are compared with runs of whitespace collapsed to one space and the
  ends stripped (re-flowing a paragraph is not an edit); case and punctuation
  count, because a clinician who fixes them has edited the note;
- **character distance**: Levenshtein distance (insert, delete, substitute one
  character, each cost 1) from rapidfuzz; its **normalised** form divides by
  the longer text's length (rapidfuzz's ``normalized_distance``: 0 identical,
  1 nothing in common; 0 when both are empty);
- **word distance**: the same over whitespace-separated tokens (so ``well``
  and ``well.`` are different words), with the edit operations counted as
  inserted, deleted and substituted words (rapidfuzz ``editops``);
- a note is its sections' bodies in order, empty sections left out (the break
  between two sections counts as one space, like any whitespace); per
  section, a section missing from one side counts as empty there.

Pure functions over text; the store calls them once, at signing.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from rapidfuzz.distance import Levenshtein


class TextEdit(BaseModel):
    """The difference between a drafted text and the signed one."""

    draft_chars: int
    signed_chars: int
    char_distance: int
    normalised_edit_distance: float
    draft_words: int
    signed_words: int
    word_distance: int
    words_inserted: int
    words_deleted: int
    words_substituted: int
    unchanged: bool


class SectionEdit(TextEdit):
    name: str


class NoteEdit(BaseModel):
    """Edit metrics for a whole note and for each of its sections."""

    note: TextEdit
    sections: list[SectionEdit]


def normalise_space(text: str) -> str:
    """Whitespace runs → one space, ends stripped (layout is not editing)."""
    return " ".join(text.split())


def text_edit(draft: str, signed: str) -> TextEdit:
    """Character and word edit distances between two texts (see the module docstring)."""
    before, after = normalise_space(draft), normalise_space(signed)
    old_words, new_words = before.split(), after.split()
    counts = {"insert": 0, "delete": 0, "replace": 0}
    for op in Levenshtein.editops(old_words, new_words):
        counts[op.tag] += 1
    return TextEdit(
        draft_chars=len(before),
        signed_chars=len(after),
        char_distance=int(Levenshtein.distance(before, after)),
        normalised_edit_distance=float(Levenshtein.normalized_distance(before, after)),
        draft_words=len(old_words),
        signed_words=len(new_words),
        word_distance=sum(counts.values()),
        words_inserted=counts["insert"],
        words_deleted=counts["delete"],
        words_substituted=counts["replace"],
        unchanged=before == after,
    )


def _note_text(sections: Sequence[tuple[str, str]]) -> str:
    bodies = (normalise_space(body) for _name, body in sections)
    return "\n\n".join(body for body in bodies if body)


def note_edit(
    draft_sections: Sequence[tuple[str, str]], signed_sections: Sequence[tuple[str, str]]
) -> NoteEdit:
    """Metrics for the whole note and per section, sections matched by name.

    Each argument is ``[(section name, section body), ...]`` in note order;
    sections only in the signed note are listed after the draft's.
    """
    drafted = dict(draft_sections)
    signed = dict(signed_sections)
    names = [name for name, _ in draft_sections]
    names += [name for name, _ in signed_sections if name not in drafted]
    sections = [
        SectionEdit(
            name=name, **text_edit(drafted.get(name, ""), signed.get(name, "")).model_dump()
        )
        for name in names
    ]
    return NoteEdit(
        note=text_edit(_note_text(draft_sections), _note_text(signed_sections)),
        sections=sections,
    )


def sentences_changed_share(
    drafted: Sequence[tuple[str, str]], signed: Sequence[tuple[str, str]]
) -> float | None:
    """Share of sentences changed, removed or added: (id, text) pairs, draft vs signed.

    A sentence counts as unchanged when the signed note keeps its id with the
    same text (whitespace aside); None when both are empty.
    """
    before = {sid: normalise_space(text) for sid, text in drafted}
    after = {sid: normalise_space(text) for sid, text in signed}
    ids = before.keys() | after.keys()
    if not ids:
        return None
    return sum(1 for sid in ids if before.get(sid) != after.get(sid)) / len(ids)
