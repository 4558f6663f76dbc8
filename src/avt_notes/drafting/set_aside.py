"""Sentences kept out of the note body, and shown beside it: what nothing said supports.

A fluent wrong sentence in the body is worse than no sentence: a clinician
skimming the draft reads it as fact. Four kinds are therefore moved out of the
sections into `DraftNote.set_aside` (with the section they were written for and
why), where the review page and every export still show them:

- a sentence no utterance supports at all (no evidence found by the linker);
- a fragment that states nothing: a title and a name alone ("Doctor Dean.",
  the coverage pass restating an introduction); "NKDA." states something and stays;
- a denial of risk nobody gave: the sentence says the patient denies a risk
  concept ("denies suicidal thoughts"), but no utterance of the session denies
  that concept (each concept it names is checked on its own). An invented
  denial is the most dangerous reversal a draft can make;
- a sentence its own evidence contradicts (a reason starting with
  `grounding.MISSTATES`): who did what swapped, an allergy stated as a current
  finding, a risk the patient's words deny stated as said, or the opposite of a
  disclosure.

Sentences with evidence that fails a specific check (a number, a day) stay in
the body, flagged: they are mostly right and the clinician corrects them there.
A misstatement is not mostly right: read as fact, it says the opposite.
"""

from __future__ import annotations

import re

from avt_notes.drafting.schemas import DraftNote, DraftSentence, NoteSection, SetAsideSentence
from avt_notes.grounding import MISSTATES
from avt_notes.risk import RiskItem, RiskLexicon, detect_in_text

NO_EVIDENCE = "no utterance in the transcript supports it"
FRAGMENT = "a fragment, not a sentence that states something"
INVENTED_DENIAL = "says the patient denied {concepts}, but nobody denied it in the session"
_TITLE_AND_NAME = re.compile(
    r"(?:Doctor|Dr|Mr|Mrs|Ms|Miss|Nurse|Professor|Prof)\.?\s+[A-Z][\w'’-]*\.?"
)


# A title and a name left hanging on a preposition or conjunction: "Doctor Dean from."
# (`make demo`). Only after a title and a name: "Nobody to talk to.", "Knives handed in."
# and "Hepatitis A." state something.
_TITLE_AND_NAME_HANGING = re.compile(
    _TITLE_AND_NAME.pattern + r"\s+(?:from|of|and|or|at|with|here|speaking)\W*", re.IGNORECASE
)


def is_fragment(text: str) -> bool:
    """A title and a name alone ("Doctor Dean.") or left hanging ("Doctor Dean from."), or
    no word at all.

    Terse entries state something and stay: "NKDA.", "Afebrile.", "Allergies: none."
    """
    if not re.search(r"[A-Za-z0-9]", text):
        return True
    stripped = text.strip()
    return any(
        pattern.fullmatch(stripped) is not None
        for pattern in (_TITLE_AND_NAME, _TITLE_AND_NAME_HANGING)
    )


def _invented_denial(sentence: DraftSentence, denied: set[str], lexicon: RiskLexicon) -> str | None:
    """The concepts a sentence says were denied that nobody denied in the session.

    Each concept counts on its own: "denied any thoughts of suicide or self-harm"
    invents a denial of self-harm when only suicide was denied.
    """
    found = detect_in_text(sentence.text, lexicon, by_meaning=False)
    invented = [i for i in found if i.polarity == "denied" and i.category not in denied]
    if not invented:
        return None
    return ", ".join(dict.fromkeys(item.category_label.lower() for item in invented))


def set_aside(
    note: DraftNote, risk_items: list[RiskItem], lexicon: RiskLexicon, empty_text: str
) -> DraftNote:
    """`note` with unsupported sentences, fragments, invented denials and misstatements
    moved to `set_aside`.

    A section left with no sentence shows the template's `empty_text`.
    """
    denied = {item.category for item in risk_items if item.polarity == "denied" and not item.about}
    sections: list[NoteSection] = []
    moved: list[SetAsideSentence] = list(note.set_aside)
    for section in note.sections:
        kept: list[DraftSentence] = []
        for sentence in section.sentences:
            # Any sentence, restatements included ("Doctor Dean." restated an introduction).
            reasons: list[str] = [FRAGMENT] if is_fragment(sentence.text) else []
            if sentence.evidence_method != "extract" or sentence.status != "supported":
                if not sentence.evidence:
                    reasons.append(NO_EVIDENCE)
                if concepts := _invented_denial(sentence, denied, lexicon):
                    reasons.append(INVENTED_DENIAL.format(concepts=concepts))
                reasons += [r for r in sentence.reasons if r.startswith(MISSTATES)]
            if not reasons:
                kept.append(sentence)
                continue
            moved.append(
                SetAsideSentence(
                    **sentence.model_dump(exclude={"status", "reasons"}),
                    status="unsupported",
                    reasons=list(dict.fromkeys([*reasons, *sentence.reasons])),
                    section=section.name,
                )
            )
        update = {"sentences": kept, "empty_text": "" if kept else empty_text}
        sections.append(section.model_copy(update=update))
    return note.model_copy(update={"sections": sections, "set_aside": moved})
