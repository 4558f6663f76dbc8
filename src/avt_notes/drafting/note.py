"""Transcript + template + drafter -> a grounded, risk-annotated `DraftNote`.

This is the one function the CLI, the web worker and the benchmark call. It
only composes: risk detection, chunking, prompting per chunk and section,
evidence for uncited sentences, merging, and the grounding check. Progress is
reported through a `progress(message, fraction)` callback so each caller shows
it its own way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Literal

from avt_notes.drafting.backend import Drafter
from avt_notes.drafting.chunking import (
    Chunk,
    chunk_utterances,
    merge_sentences,
    transcript_budget,
)
from avt_notes.drafting.prompting import (
    parse_rewrite,
    parse_sentences,
    select_units,
    utterance_line,
)
from avt_notes.drafting.schemas import DraftNote, DraftSentence, EvidenceMethod, NoteSection
from avt_notes.drafting.templates import Template, TemplateSection
from avt_notes.errors import InputError
from avt_notes.grounding import (
    GroundingLexicon,
    assign_evidence,
    check_sentence,
    load_grounding_lexicon,
)
from avt_notes.progress import Progress, no_progress
from avt_notes.risk import RiskLexicon, detect_risk, load_lexicon
from avt_notes.schemas import StageTiming, Transcript, Utterance

logger = logging.getLogger("avt_notes")

Strategy = Literal["auto", "compose", "extract"]
REWRITE_MAX_NEW_TOKENS = 60


def _compose_section(
    drafter: Drafter,
    template: Template,
    section: TemplateSection,
    chunk: Chunk,
    count: int,
    max_new_tokens: int,
    known: set[str],
    lexicon: GroundingLexicon,
) -> list[DraftSentence]:
    messages = template.compose_messages(section, chunk.text, chunk.number, count)
    output = drafter.complete(messages, max_new_tokens=max_new_tokens)
    logger.debug("draft %s part %d: %r", section.name, chunk.number, output)
    sentences = []
    names = [s.name for s in template.sections]
    for parsed in parse_sentences(
        output, known, empty_text=template.empty_text, section_names=names
    ):
        if parsed.ids:
            sentences.append(
                DraftSentence(text=parsed.text, evidence=parsed.ids, evidence_method="cited")
            )
            continue
        ids = assign_evidence(parsed.text, chunk.utterances, lexicon)
        method: EvidenceMethod = "lexical" if ids else "none"
        sentences.append(DraftSentence(text=parsed.text, evidence=ids, evidence_method=method))
    return sentences


def _restate(
    drafter: Drafter,
    template: Template,
    section: TemplateSection,
    units: Sequence[Sequence[Utterance]],
    max_new_tokens: int,
    warnings: list[str],
) -> list[DraftSentence]:
    """Extract strategy: the model restates each exchange; its ids are the evidence.

    Backends with `complete_batch` (local models) get all of a section's
    exchanges in one batch, which is several times faster per reply on CPU.
    """
    conversations = [
        template.rewrite_messages(section, "\n".join(utterance_line(u) for u in unit))
        for unit in units
    ]
    batch = getattr(drafter, "complete_batch", None)
    if batch is not None and len(conversations) > 1:
        outputs = batch(conversations, max_new_tokens=max_new_tokens, stop=template.rewrite_stop)
    else:
        outputs = [
            drafter.complete(c, max_new_tokens=max_new_tokens, stop=template.rewrite_stop)
            for c in conversations
        ]
    sentences = []
    for unit, output in zip(units, outputs, strict=True):
        evidence = [u.id for u in unit]
        texts = parse_rewrite(
            join_prefix(template.rewrite_prefix, output), unit, template.empty_text
        )
        if not texts:
            warnings.append(f"{section.name}: the model wrote nothing for {', '.join(evidence)}")
        sentences += [
            DraftSentence(text=t, evidence=evidence, evidence_method="extract") for t in texts
        ]
    return sentences


def join_prefix(prefix: str, output: str) -> str:
    """The reply with the prefix the model was asked to continue (if it did not repeat it)."""
    if not prefix or output.lstrip().lower().startswith(prefix.lower()):
        return output.strip()
    if output[:1] in (" ", "'", "’", ",", ".", ""):
        return (prefix + output).strip()
    return f"{prefix} {output}".strip()


def draft_note(
    transcript: Transcript,
    template: Template,
    drafter: Drafter,
    progress: Progress | None = None,
    *,
    strategy: Strategy = "auto",
    max_new_tokens: int = 384,
    rewrite_max_new_tokens: int = REWRITE_MAX_NEW_TOKENS,
    lexicon: GroundingLexicon | None = None,
    risk_lexicon: RiskLexicon | None = None,
) -> DraftNote:
    """Draft `template` from `transcript` with `drafter`; every sentence grounded and flagged.

    `strategy` "compose" asks the model for whole sections with cited ids;
    "extract" has it restate chosen exchanges one at a time; "auto" uses what
    the drafter prefers (extract for small local models).
    """
    report = progress or no_progress
    if not transcript.utterances:
        raise InputError("the transcript has no utterances to draft from")
    ids = [u.id for u in transcript.utterances]
    if len(set(ids)) != len(ids):
        raise InputError("the transcript's utterance ids are not unique")
    chosen = (
        strategy if strategy != "auto" else ("extract" if drafter.prefers_extract else "compose")
    )
    lexicon = lexicon or load_grounding_lexicon()
    risk_lexicon = risk_lexicon or load_lexicon()
    started = time.perf_counter()
    timings: list[StageTiming] = []
    warnings: list[str] = []

    mark = time.perf_counter()
    risk_items = detect_risk(transcript, risk_lexicon)
    timings.append(StageTiming(stage="risk", seconds=round(time.perf_counter() - mark, 3)))

    mark = time.perf_counter()
    report("drafting", 0.0)
    budget = transcript_budget(template, drafter, max_new_tokens)
    chunks = chunk_utterances(transcript.utterances, drafter, budget)
    for chunk in chunks:
        warnings += chunk.warnings
    known = set(ids)
    per_section: dict[str, list[list[DraftSentence]]] = {s.name: [] for s in template.sections}
    if chosen == "compose":
        total = len(chunks) * len(template.sections)
        done = 0
        for chunk in chunks:
            for section in template.sections:
                report(f"drafting {section.name} (part {chunk.number}/{len(chunks)})", done / total)
                per_section[section.name].append(
                    _compose_section(
                        drafter,
                        template,
                        section,
                        chunk,
                        len(chunks),
                        max_new_tokens,
                        known,
                        lexicon,
                    )
                )
                done += 1
    else:
        plans = [
            (chunk, select_units(chunk.utterances, template.sections, template.max_sentences))
            for chunk in chunks
        ]
        total = max(1, sum(len(units) for _, plan in plans for units in plan.values()))
        done = 0
        for chunk, plan in plans:
            for section in template.sections:
                units = plan[section.name]
                report(f"drafting {section.name} (part {chunk.number}/{len(chunks)})", done / total)
                per_section[section.name].append(
                    _restate(
                        drafter,
                        template,
                        section,
                        units,
                        min(rewrite_max_new_tokens, max_new_tokens),
                        warnings,
                    )
                )
                done += len(units)
    report("drafting", 1.0)
    timings.append(StageTiming(stage="drafting", seconds=round(time.perf_counter() - mark, 3)))

    mark = time.perf_counter()
    by_id = {u.id: u for u in transcript.utterances}
    sections: list[NoteSection] = []
    for section in template.sections:
        merged, folded = merge_sentences(per_section[section.name])
        if folded:
            warnings.append(f"{section.name}: {folded} repeated sentence(s) merged")
        rules = [(rule.pattern, rule.reason) for rule in section.flag]
        for sentence in merged:
            result = check_sentence(
                sentence.text, sentence.evidence, by_id, rules=rules, lexicon=lexicon
            )
            sentence.evidence = result.evidence
            if not result.evidence:
                sentence.evidence_method = "none"
            sentence.status = "supported" if result.status == "supported" else "unsupported"
            sentence.reasons = result.reasons
        sections.append(NoteSection(name=section.name, purpose=section.purpose, sentences=merged))
    timings.append(StageTiming(stage="grounding", seconds=round(time.perf_counter() - mark, 3)))
    timings.append(StageTiming(stage="total", seconds=round(time.perf_counter() - started, 3)))

    return DraftNote(
        template_id=template.id,
        template_name=template.name,
        template_version=str(template.version),
        template_file=template.path.name if template.path else "",
        prompt_sha256=template.sha256,
        strategy=chosen,
        sections=sections,
        risk_items=risk_items,
        risk_lexicon_version=risk_lexicon.version,
        risk_lexicon_sha256=risk_lexicon.sha256,
        grounding_version=lexicon.version,
        model=drafter.info.model_copy(),
        chunks=len(chunks),
        source=transcript.audio.source,
        timings=timings,
        warnings=warnings,
    )


def unsupported_sentences(note: DraftNote) -> Sequence[DraftSentence]:
    return [s for s in note.sentences() if s.status == "unsupported"]
