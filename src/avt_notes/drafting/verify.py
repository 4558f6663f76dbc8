"""Second pass: ask the drafting model whether a sentence's evidence supports it.

The deterministic rules catch wrong numbers, drugs, dates, names and people;
they cannot tell "the patient's sister stays with her" from "the patient stays
with her sister". A short yes/no question per sentence ("do these lines say
what the statement says?") costs a few prompt tokens and one output token per
sentence, and a "no" flags the sentence. A "yes" never clears a sentence the
rules flagged: the model is a second opinion against, never for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from avt_notes.drafting.backend import ChatMessage, Drafter
from avt_notes.drafting.prompting import utterance_line
from avt_notes.drafting.schemas import NoteSection
from avt_notes.drafting.whole_note import DraftingPrompts
from avt_notes.schemas import Utterance

VERIFY_MAX_NEW_TOKENS = 3
MODEL_SAYS_NO = "the drafting model, asked again, says its evidence does not support it"


def verify_messages(
    statement: str, evidence: Sequence[Utterance], prompts: DraftingPrompts
) -> list[ChatMessage]:
    lines = "\n".join(utterance_line(u) for u in evidence)
    return [
        {"role": "system", "content": prompts.verify_system_prompt.strip()},
        {
            "role": "user",
            "content": prompts.verify_prompt.format(line=lines, statement=statement).strip(),
        },
    ]


def read_verdict(reply: str) -> str:
    """'yes', 'no', or '' when the reply is neither."""
    word = reply.strip().strip("*.!\"'").split()[:1]
    first = word[0].lower().strip(".,!") if word else ""
    return first if first in ("yes", "no") else ""


def verify_support(
    sections: Sequence[NoteSection],
    utterances: Mapping[str, Utterance],
    drafter: Drafter,
    prompts: DraftingPrompts,
) -> None:
    """Ask about every sentence that has evidence; a "no" marks it unsupported, in place."""
    for section in sections:
        for sentence in section.sentences:
            evidence = [utterances[i] for i in sentence.evidence if i in utterances]
            if not evidence:
                continue
            reply = drafter.complete(
                verify_messages(sentence.text, evidence, prompts),
                max_new_tokens=VERIFY_MAX_NEW_TOKENS,
            )
            verdict = read_verdict(reply)
            sentence.model_check = "yes" if verdict == "yes" else "no" if verdict == "no" else ""
            if verdict == "no":
                sentence.status = "unsupported"
                sentence.reasons = [*sentence.reasons, MODEL_SAYS_NO]
