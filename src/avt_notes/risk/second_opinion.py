"""The drafting model's second opinion on grey-band patient utterances: it may add, never remove.

Only where the drafting model is already loaded. Patient utterances that no
pattern or exemplar listed, but whose nearest exemplar scores at least
``grey_floor`` (``prompts/risk/second_opinion.yaml``), are shown to the model
one at a time with the clinician's question before them; each concept it names
becomes an extra item (``matched_by="model"``, "model second opinion"). Items
already listed are returned unchanged: nothing here can silence a lexical or
semantic hit. It describes what was said; it never grades or assesses risk.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from avt_notes.errors import TemplateError
from avt_notes.risk.detect import RiskItem
from avt_notes.risk.lexicon import CONCEPTS, RiskLexicon
from avt_notes.risk.negation import whole_utterance_negation
from avt_notes.risk.semantic import SemanticMatcher
from avt_notes.schemas import Transcript, Utterance

SECOND_OPINION_FILE = "risk/second_opinion.yaml"


class Completer(Protocol):
    """The part of the drafting model this needs (`avt_notes.drafting.backend.Drafter`)."""

    def complete(
        self, messages: Sequence[Any], *, max_new_tokens: int, stop: Sequence[str] = ()
    ) -> str: ...


@dataclass(frozen=True)
class SecondOpinionPrompt:
    version: str
    sha256: str
    grey_floor: float
    max_new_tokens: int
    system_prompt: str
    user_prompt: str
    concepts: dict[str, str]


def load_second_opinion_prompt(path: Path) -> SecondOpinionPrompt:
    try:
        data = path.read_bytes()
        raw: Any = yaml.safe_load(data)
        prompt = SecondOpinionPrompt(
            version=str(raw["version"]),
            sha256=hashlib.sha256(data).hexdigest(),
            grey_floor=float(raw["grey_floor"]),
            max_new_tokens=int(raw["max_new_tokens"]),
            system_prompt=str(raw["system_prompt"]),
            user_prompt=str(raw["user_prompt"]),
            concepts={str(k): str(v) for k, v in raw["concepts"].items()},
        )
    except OSError as error:
        raise TemplateError(f"second-opinion prompt not readable at {path}: {error}") from error
    except (KeyError, TypeError, AttributeError, ValueError, yaml.YAMLError) as error:
        raise TemplateError(f"second-opinion prompt {path} is malformed: {error!r}") from error
    if set(prompt.concepts) != set(CONCEPTS):
        raise TemplateError(f"second-opinion prompt {path}: concepts differ from the fixed ids")
    return prompt


def grey_band(
    transcript: Transcript, items: list[RiskItem], matcher: SemanticMatcher, floor: float
) -> list[int]:
    """Indexes of patient utterances nothing listed whose nearest exemplar reaches `floor`."""
    listed = {i.utterance_id for i in items} | {i.answer_utterance_id for i in items}
    candidates = [
        n
        for n, u in enumerate(transcript.utterances)
        if u.role == "patient" and u.id not in listed and len(u.text.split()) >= 3
    ]
    nearest = matcher.nearest([transcript.utterances[n].text for n in candidates])
    return [
        n
        for n, near in zip(candidates, nearest, strict=True)
        if near and max(x.score for x in near) >= floor
    ]


def read_reply(reply: str) -> list[str]:
    """Concept ids named in the model's reply, in order, each once."""
    named = re.findall(r"[a-z_]+", reply.lower())
    return list(dict.fromkeys(n for n in named if n in CONCEPTS))


def _question_before(utterances: list[Utterance], index: int) -> str:
    before = utterances[index - 1] if index else None
    if before and before.role == "clinician" and "?" in before.text:
        return before.text
    return "(no question)"


def second_opinion(
    transcript: Transcript,
    items: list[RiskItem],
    model: Completer,
    matcher: SemanticMatcher,
    prompt: SecondOpinionPrompt,
    lexicon: RiskLexicon,
) -> list[RiskItem]:
    """`items` plus what the model names in grey-band utterances (see the module docstring)."""
    utterances = transcript.utterances
    concepts = "\n".join(f"{k}: {v}" for k, v in prompt.concepts.items())
    added: list[RiskItem] = []
    for index in grey_band(transcript, items, matcher, prompt.grey_floor):
        utterance = utterances[index]
        messages = [
            {"role": "system", "content": prompt.system_prompt},
            {
                "role": "user",
                "content": prompt.user_prompt.format(
                    concepts=concepts,
                    question=_question_before(utterances, index),
                    utterance=utterance.text,
                ),
            },
        ]
        reply = model.complete(messages, max_new_tokens=prompt.max_new_tokens, stop=["\n"])
        cue = whole_utterance_negation(utterance.text, lexicon)
        for concept in read_reply(reply):
            added.append(
                RiskItem.said_in(
                    utterance,
                    category=concept,
                    category_label=lexicon.labels[concept],
                    phrase="",
                    pattern="",
                    polarity="denied" if cue else "reported",
                    cue=cue,
                    matched_by="model",
                )
            )
    order = {u.id: n for n, u in enumerate(utterances)}
    return sorted([*items, *added], key=lambda i: order.get(i.utterance_id, 0))
