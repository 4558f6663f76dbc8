"""Scoring a draft note against a scripted session (benchmarks/safety/sessions/*.yaml).

- key-fact recall: a fact counts when every keyword group matches the note body
  (any word of a group; words of 4+ letters match as prefixes, shorter ones whole,
  numbers also when a unit follows: "10mg");
- false statements: a note sentence whose MiniLM cosine to a listed false
  statement reaches `FALSE_MATCH`, with the same polarity (both negated or
  neither: "denies thoughts of suicide" does not state "has thoughts of
  suicide") and the same target of any harm (self or others: "denies harming
  themselves" does not state "denies thoughts of harming others"), counts as
  stating it, flagged or not; the closest sentence per
  false statement is kept for a reader to check (embeddings miss numbers, so
  "one panic attack" can match "several panic attacks": read the hits);
- evidence: share of sentences with linked utterances, share flagged
  unsupported, and, for each sentence that states a key fact on its own, whether
  its linked utterances state that fact too (the link is right);
- set aside: sentences the checker kept out of the body (drafting.set_aside).
  Shares are of the body; `evidence_share_written` counts them too, so the body's
  share cannot look better just because sentences were moved out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, Field

from avt_notes.confidence import unsure_words
from avt_notes.drafting import DraftNote
from avt_notes.embeddings import SentenceEncoder, cosine_matrix
from avt_notes.grounding import has_negation, load_grounding_lexicon
from avt_notes.schemas import Transcript

FALSE_MATCH = 0.8


class KeyFact(BaseModel):
    fact: str
    keywords: list[list[str]]


class Turn(BaseModel):
    role: str
    text: str


class RiskMark(BaseModel):
    turn: int
    concept: str


class Session(BaseModel):
    id: str
    setting: str
    template: str
    turns: list[Turn]
    key_facts: list[KeyFact] = Field(default_factory=list)
    false_statements: list[str] = Field(default_factory=list)
    disclosures: list[RiskMark] = Field(default_factory=list)
    denials: list[RiskMark] = Field(default_factory=list)


def load_session(path: Path) -> Session:
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    session = Session.model_validate(raw)
    if session.id != path.stem:
        raise ValueError(f"{path}: id {session.id!r} differs from the file name")
    return session


def _pattern(word: str) -> re.Pattern[str]:
    word = str(word).lower()
    # A number may run into its unit ("10mg"); a short word must end where it ends.
    tail = r"(?!\d)" if word.isdigit() else ("" if len(word) >= 4 else r"\b")
    return re.compile(rf"(?<![\w]){re.escape(word)}{tail}")


def matches(fact: KeyFact, text: str) -> bool:
    lowered = text.lower().replace("’", "'")
    return all(any(_pattern(w).search(lowered) for w in group) for group in fact.keywords)


class SessionScore(BaseModel):
    id: str
    facts: int
    recalled: list[str]
    recalled_supported: list[str]
    sentences: int
    set_aside: int = 0
    with_evidence: int
    unsupported: int
    fact_links: int
    fact_links_correct: int
    false_hits: list[dict[str, Any]]
    closest_false: list[dict[str, Any]]
    seconds_draft: float = 0.0
    seconds_pipeline: float = 0.0
    # Body sentences naming words recognition was unsure of ("— recognition unsure of").
    unsure_noted: int = 0


_SELF = re.compile(
    r"\b(themselves|themself|himself|herself|myself|yourself|self[- ]harm\w*)\b", re.I
)
_OTHERS = re.compile(
    r"\b(others|other people|anyone|anybody|someone else|somebody else|homicid\w*|violen\w*)\b",
    re.I,
)


def harm_target(text: str) -> str | None:
    """ "self" or "others" when the text names whom harm is about (one of them), else None."""
    found = {name for name, rule in (("self", _SELF), ("others", _OTHERS)) if rule.search(text)}
    return found.pop() if len(found) == 1 else None


def score(
    session: Session,
    note: DraftNote,
    transcript: Transcript,
    encoder: SentenceEncoder,
    unsure_below: float = 0.5,
) -> SessionScore:
    sentences = note.sentences()
    body = " ".join(s.text for s in sentences)
    supported = " ".join(s.text for s in sentences if s.status == "supported")
    by_id = {u.id: u for u in transcript.utterances}
    links = correct = 0
    for sentence in sentences:
        stated = [f for f in session.key_facts if matches(f, sentence.text)]
        if not stated:
            continue
        links += 1
        evidence = " ".join(by_id[i].text for i in sentence.evidence if i in by_id)
        correct += any(matches(f, evidence) for f in stated)
    false_hits: list[dict[str, Any]] = []
    closest: list[dict[str, Any]] = []
    lexicon = load_grounding_lexicon()
    if sentences and session.false_statements:
        similarity = cosine_matrix(
            encoder.encode(session.false_statements), encoder.encode([s.text for s in sentences])
        )
        for row, statement in enumerate(session.false_statements):
            j = int(np.argmax(similarity[row]))
            entry = {
                "false_statement": statement,
                "sentence": sentences[j].text,
                "status": sentences[j].status,
                "cosine": round(float(similarity[row, j]), 3),
            }
            closest.append(entry)
            same_polarity = bool(has_negation(statement, lexicon)) == bool(
                has_negation(sentences[j].text, lexicon)
            )
            targets = {harm_target(statement), harm_target(sentences[j].text)}
            same_target = None in targets or len(targets) == 1
            if similarity[row, j] >= FALSE_MATCH and same_polarity and same_target:
                false_hits.append(entry)
    return SessionScore(
        id=session.id,
        facts=len(session.key_facts),
        recalled=[f.fact for f in session.key_facts if matches(f, body)],
        recalled_supported=[f.fact for f in session.key_facts if matches(f, supported)],
        sentences=len(sentences),
        set_aside=len(note.set_aside),
        with_evidence=sum(bool(s.evidence) for s in sentences),
        unsure_noted=sum(
            bool(unsure_words(s.text, [by_id[i] for i in s.evidence if i in by_id], unsure_below))
            for s in sentences
        ),
        unsupported=sum(s.status == "unsupported" for s in sentences),
        fact_links=links,
        fact_links_correct=correct,
        false_hits=false_hits,
        closest_false=closest,
    )


def totals(scores: Sequence[SessionScore]) -> dict[str, float]:
    facts = sum(s.facts for s in scores) or 1
    sentences = sum(s.sentences for s in scores) or 1
    links = sum(s.fact_links for s in scores) or 1
    return {
        "sessions": len(scores),
        "key_fact_recall": sum(len(s.recalled) for s in scores) / facts,
        "key_fact_recall_supported_only": sum(len(s.recalled_supported) for s in scores) / facts,
        "false_statements": sum(len(s.false_hits) for s in scores),
        "sentences": sum(s.sentences for s in scores),
        "evidence_share": sum(s.with_evidence for s in scores) / sentences,
        "set_aside": sum(s.set_aside for s in scores),
        "evidence_share_written": sum(s.with_evidence for s in scores)
        / max(1, sum(s.sentences + s.set_aside for s in scores)),
        "unsupported_share": sum(s.unsupported for s in scores) / sentences,
        "unsure_noted_share": sum(s.unsure_noted for s in scores) / sentences,
        "links_correct": sum(s.fact_links_correct for s in scores) / links,
        "fact_links_scored": sum(s.fact_links for s in scores),
        "seconds_per_note": sum(s.seconds_draft for s in scores) / max(1, len(scores)),
        "pipeline_seconds_per_session": sum(s.seconds_pipeline for s in scores)
        / max(1, len(scores)),
    }
