"""One wording of a risk item, wherever it is shown (note, review, Markdown, web view).

``Label (polarity): “words”``: the concept, what happened, and the words said;
for an answered question the words are the patient's answer, so the list
reports what the patient said, not what they were asked. A description, never a
grade. `why` says what made the item fire (pattern, or nearest exemplar and score).
"""

from __future__ import annotations

from avt_notes.risk.detect import RiskItem

POLARITY_WORDS: dict[str, str] = {
    "reported": "mentioned",
    "denied": "denied",
    "asked": "asked, no clear answer",
}


def _quote(text: str) -> str:
    return "“" + " ".join(text.split()) + "”"


def why(item: RiskItem) -> str:
    """Why the item was listed: the pattern, or the nearest exemplar and its score."""
    negation = f', negation "{item.cue}"' if item.cue else ""
    if item.matched_by == "model":
        reason = "model second opinion"
    elif item.matched_by == "context":
        reason = f"reply to a follow-up question on {_quote(item.follows)}"
    elif item.matched_by == "meaning" and item.exemplar:
        reason = f"close in meaning to {_quote(item.exemplar)} ({item.score or 0.0:.2f})"
        if item.model_probability is not None:
            reason += f", concept model {item.model_probability:.2f}"
    elif item.pattern:
        reason = f"pattern {item.pattern!r}"
    else:
        # Never an empty "matched": say at least which words were read as risk.
        reason = f"words {_quote(item.phrase or item.text)}"
    if item.heard:
        reason += f", reading {item.heard}"
    return reason + negation


def describe(item: RiskItem, *, with_reason: bool = False) -> str:
    """The item in words (see the module docstring); `with_reason` appends `why`."""
    label = item.category_label or "Risk language"
    polarity = POLARITY_WORDS.get(item.polarity, item.polarity)
    if item.about:
        polarity += f", said of {item.about}"  # not the patient's own
    if item.answer_utterance_id and item.answer_text:
        line = f"{label} ({polarity}): {_quote(item.answer_text)} (answer to {_quote(item.text)})"
    else:
        line = f"{label} ({polarity}): {_quote(item.text or item.phrase)}"
    return f"{line} — {why(item)}" if with_reason else line
