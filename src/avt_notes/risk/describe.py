"""One way to say a risk item in words, for the review list, exports and the web view."""

from __future__ import annotations

from avt_notes.risk.detect import RiskItem


def _quote(text: str) -> str:
    return "“" + " ".join(text.split()) + "”"


def why(item: RiskItem) -> str:
    """Why the item was listed: the pattern, or the nearest exemplar and its score."""
    if item.matched_by == "meaning":
        return f"close in meaning to {_quote(item.exemplar)} ({item.score:.2f})"
    return f"pattern {item.pattern!r}" + (f', negation "{item.cue}"' if item.cue else "")


def describe(item: RiskItem, *, with_reason: bool = True) -> str:
    """The item as one line: concept, what happened, the words said, and (optionally) why."""
    speaker = "the patient" if item.role == "patient" else f"the {item.role}"
    if item.polarity == "asked":
        what = f"asked by {speaker}, no clear answer: {_quote(item.text)}"
    elif item.answer_utterance_id:
        verb = "denied" if item.polarity == "denied" else "answered"
        what = f"asked by {speaker} ({_quote(item.text)}); {verb}: {_quote(item.answer_text)}"
    elif item.polarity == "denied":
        what = f"denied by {speaker}: {_quote(item.text)}"
    else:
        what = f"said by {speaker}: {_quote(item.text)}"
    line = f"{item.category_label} — {what}"
    return f"{line} [{why(item)}]" if with_reason else line
