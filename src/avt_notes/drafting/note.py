"""Transcript + template + drafter -> a grounded, risk-annotated `DraftNote`.

This is the one function the CLI, the web worker and the benchmark call. It
only composes: risk detection, chunking, prompting per chunk (one bounded call
for the whole note, or per section, or per exchange for tiny models), evidence
linking verified against the chunk (`avt_notes.evidence`), merging, the
deterministic grounding check, and an optional second model pass asking
whether each sentence's evidence supports it. Progress is reported through a
`progress(message, fraction)` callback so each caller shows it its own way.

`draft_note` works on any window of a transcript (the live path drafts windows
while recording and merges their sections with `chunking.merge_sentences`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from avt_notes.drafting.backend import ChatMessage, Drafter
from avt_notes.drafting.chunking import (
    SAFETY_TOKENS,
    Chunk,
    chunk_utterances,
    merge_sentences,
    transcript_budget,
)
from avt_notes.drafting.coverage import (
    Gap,
    find_gaps,
    keeps_the_facts,
    lines_about,
    states_any,
)
from avt_notes.drafting.prompting import (
    ParsedSentence,
    parse_rewrite,
    parse_sentences,
    select_units,
    utterance_line,
)
from avt_notes.drafting.redundancy import drop_restatements
from avt_notes.drafting.risk_statements import risk_statements
from avt_notes.drafting.schemas import DraftNote, DraftSentence, EvidenceMethod, NoteSection
from avt_notes.drafting.set_aside import set_aside
from avt_notes.drafting.templates import Template, TemplateSection
from avt_notes.drafting.verbatim import quoted_if_copied
from avt_notes.drafting.verify import verify_support
from avt_notes.drafting.whole_note import (
    DraftingPrompts,
    coverage_messages,
    coverage_prefix,
    coverage_retry_messages,
    load_drafting_prompts,
    note_messages,
    note_prefix_messages,
    note_token_limit,
    parse_note,
)
from avt_notes.embeddings import SentenceEncoder
from avt_notes.errors import InputError
from avt_notes.evidence import EvidenceLinker, Link
from avt_notes.grounding import (
    GroundingLexicon,
    GroundingResult,
    check_sentence,
    load_grounding_lexicon,
)
from avt_notes.progress import Progress, no_progress
from avt_notes.risk import RiskItem, RiskLexicon, detect_risk, load_lexicon
from avt_notes.schemas import StageTiming, Transcript, Utterance

logger = logging.getLogger("avt_notes")

Strategy = Literal["auto", "note", "compose", "extract"]
REWRITE_MAX_NEW_TOKENS = 60


def _compose_section(
    drafter: Drafter,
    template: Template,
    section: TemplateSection,
    chunk: Chunk,
    count: int,
    max_new_tokens: int,
    known: set[str],
    linker: EvidenceLinker,
) -> list[DraftSentence]:
    messages = template.compose_messages(section, chunk.text, chunk.number, count)
    output = drafter.complete(messages, max_new_tokens=max_new_tokens)
    logger.debug("draft %s part %d: %r", section.name, chunk.number, output)
    names = [s.name for s in template.sections]
    parsed = parse_sentences(output, known, empty_text=template.empty_text, section_names=names)
    return [_linked(p, linker) for p in parsed]


def _linked(parsed: ParsedSentence, linker: EvidenceLinker) -> DraftSentence:
    """A parsed sentence with its evidence verified and (re)linked against the window."""
    link = linker.link(parsed.text, parsed.ids)
    if link.method == "cited" and not _supports(parsed.text, link.ids, linker):
        # The model cited a neighbour ("harming others" for "harming yourself"): if other
        # lines that fit by meaning and words support the sentence, take the best of those.
        for ids in linker.alternatives(parsed.text):
            if _supports(parsed.text, ids, linker):
                link = Link(ids, "semantic", link.score, [*link.dropped_citations, *parsed.ids])
                break
    method: EvidenceMethod = "cited" if link.method == "cited" else "lexical"
    if not link.ids:
        method = "none"
    return DraftSentence(text=parsed.text, evidence=link.ids, evidence_method=method)


def _supports(text: str, ids: Sequence[str], linker: EvidenceLinker) -> bool:
    by_id = {u.id: u for u in linker.utterances}
    return check_sentence(text, ids, by_id, lexicon=linker.lexicon).status == "supported"


def _draft_whole_note(
    drafter: Drafter,
    template: Template,
    chunk: Chunk,
    count: int,
    known: set[str],
    linker: EvidenceLinker,
    prompts: DraftingPrompts,
    warnings: list[str],
) -> dict[str, list[DraftSentence]]:
    """Note strategy: every section from one bounded call over the chunk."""
    messages = note_messages(template, chunk.text, prompts)
    output = drafter.complete(
        messages, max_new_tokens=note_token_limit(template, prompts), stop=prompts.stop
    )
    logger.debug("draft part %d/%d: %r", chunk.number, count, output)
    parsed, problems = parse_note(output, template, known)
    warnings += [f"part {chunk.number}: {p}" for p in problems] if count > 1 else problems
    return {name: [_linked(p, linker) for p in items] for name, items in parsed.items()}


@dataclass(frozen=True)
class _Part:
    """What the steps after a part's whole-note draft work with: the model, the template,
    the part's lines, the checks' lexicon, the prompts, the draft's warnings and, when
    the draft is due (`draft_note`'s `past_due`), whether it is past due."""

    drafter: Drafter
    template: Template
    utterances: Sequence[Utterance]
    lexicon: GroundingLexicon
    prompts: DraftingPrompts
    warnings: list[str]
    past_due: Callable[[], bool] | None = None

    def out_of_time(self, skipped: str) -> bool:
        """Whether no more model calls may start; says what was `skipped` once."""
        if self.past_due is None or not self.past_due():
            return False
        if skipped not in self.warnings:
            self.warnings.append(skipped)
        return True


# What a clinician is told when a step is skipped to have the draft ready on time.
COVERAGE_SKIPPED = (
    "Facts of the last minutes of the session may be missing from the draft: the check for "
    "left-out facts was skipped to have it ready on time. The transcript holds them."
)
REWORDING_SKIPPED = (
    "Some flagged sentences were not reworded from their lines, to have the draft ready on "
    "time: they stay flagged."
)


def _cover_gaps(part: _Part, drafted: dict[str, list[DraftSentence]]) -> None:
    """Restate exchanges whose facts the drafted sections leave out (`drafting.coverage`)."""
    drafter, template, utterances = part.drafter, part.template, part.utterances
    lexicon, prompts, warnings = part.lexicon, part.prompts, part.warnings
    # Only a sentence that passes the checks states a fact: a flagged "in 2 weeks" must
    # not hide the "twice a week" nobody wrote down.
    by_id = {u.id: u for u in utterances}
    written = [
        s.text
        for sentences in drafted.values()
        for s in sentences
        if check_sentence(s.text, s.evidence, by_id, lexicon=lexicon).status == "supported"
    ]
    gaps = find_gaps(
        written,
        utterances,
        template.sections,
        lexicon,
        prompts.coverage_cues,
        prompts.coverage_max_units,
        lexicon.identity_check,
    )
    retries = prompts.coverage_retries
    for gap in gaps:
        if part.out_of_time(COVERAGE_SKIPPED):
            return
        lines = "\n".join(utterance_line(u) for u in gap.unit)
        prefix = coverage_prefix(prompts, gap.said_by)
        messages = coverage_messages(lines, prompts, prefix)
        kept, failed = _restatement(drafter, messages, prefix, gap, by_id, lexicon, prompts)
        # One more try with the checks' reasons, when every sentence of the first failed one:
        # "a home visit for the patient" where the clinician said "for her" is often fixed.
        if (
            not kept
            and retries > 0
            and any(check.rewordable for check in failed.values())
            and not part.out_of_time(COVERAGE_SKIPPED)
        ):
            retries -= 1
            reasons = {text: check.reasons for text, check in failed.items()}
            retry = coverage_retry_messages(messages, reasons, prompts, prefix)
            kept, failed = _restatement(drafter, retry, prefix, gap, by_id, lexicon, prompts)
        if failed:
            warnings.append(f"{gap.section}: a restatement that failed the checks left out")
        elif not kept:
            warnings.append(f"{gap.section}: a restatement that stated no missing fact left out")
        evidence = [u.id for u in gap.unit]
        drafted.setdefault(gap.section, []).extend(
            DraftSentence(text=t, evidence=evidence, evidence_method="extract") for t in kept
        )


def _reword_flagged(part: _Part, drafted: dict[str, list[DraftSentence]]) -> None:
    """Ask again, from the sentences of its lines about it, for a drafted sentence that
    fails the checks; a rewording that passes them takes its place.

    The whole-note call reads the session at once and sometimes turns a line around
    ("Please don't stop suddenly on your own" became "advised the patient to stop
    drinking alcohol immediately"); shown only its lines, the model mostly says them
    right. A rewording that fails too leaves the sentence as it was, to be flagged.
    """
    drafter, template, utterances = part.drafter, part.template, part.utterances
    lexicon, prompts, warnings = part.lexicon, part.prompts, part.warnings
    budget = prompts.flagged_rewordings
    by_id = {u.id: u for u in utterances}
    for section in template.sections:
        sentences = drafted.get(section.name, [])
        rules = [(rule.pattern, rule.reason) for rule in section.flag]
        for sentence in list(sentences):
            if budget <= 0:
                return
            check = check_sentence(
                sentence.text, sentence.evidence, by_id, rules=rules, lexicon=lexicon
            )
            cited = sorted((by_id[i] for i in check.evidence if i in by_id), key=lambda u: u.start)
            unit = lines_about(sentence.text, cited, utterances)
            if check.status == "supported" or not unit or not check.rewordable:
                continue
            if part.out_of_time(REWORDING_SKIPPED):
                return
            budget -= 1
            prefix = _prefix_for(sentence.text, unit, prompts)
            lines = "\n".join(utterance_line(u) for u in unit)
            # Shown its failed sentence with the reasons, the model mostly wrote it again
            # word for word (18 of 21 tries in the safety benchmark); shown whole turns, it
            # restated all of them, once wrongly ("advises the patient to continue their
            # morning shakes"). Shown the sentences of its lines about it, it says those.
            messages = coverage_messages(lines, prompts, prefix)
            output = drafter.complete(
                messages, max_new_tokens=prompts.coverage_tokens, stop=["\n\n"]
            )
            evidence = [u.id for u in unit]
            reworded = parse_rewrite(join_prefix(prefix, output), unit)
            if (
                not reworded
                or any(
                    check_sentence(text, evidence, by_id, rules=rules, lexicon=lexicon).status
                    != "supported"
                    for text in reworded
                )
                or not keeps_the_facts(reworded, sentence.text, unit, lexicon)
            ):
                logger.debug("rewording left out: %r for %r", reworded, sentence.text)
                continue
            logger.debug("reworded %r (%s): %r", sentence.text, "; ".join(check.reasons), reworded)
            position = sentences.index(sentence)
            sentences[position : position + 1] = [
                DraftSentence(text=text, evidence=evidence, evidence_method="extract")
                for text in reworded
            ]
            warnings.append(
                f"{section.name}: a sentence failing the checks reworded from its lines"
            )


def _prefix_for(text: str, unit: Sequence[Utterance], prompts: DraftingPrompts) -> str:
    """The clinician's prefix for what the clinician alone said, or for a sentence about
    the clinician resting partly on the clinician's lines; the patient's otherwise."""
    roles = {u.role for u in unit}
    about_clinician = bool(prompts.coverage_clinician_prefix) and text.startswith(
        prompts.coverage_clinician_prefix
    )
    clinician = roles == {"clinician"} or (about_clinician and "clinician" in roles)
    return coverage_prefix(prompts, "clinician" if clinician else "patient")


def _restatement(
    drafter: Drafter,
    messages: list[ChatMessage],
    prefix: str,
    gap: Gap,
    by_id: Mapping[str, Utterance],
    lexicon: GroundingLexicon,
    prompts: DraftingPrompts,
) -> tuple[list[str], dict[str, GroundingResult]]:
    """The restated sentences that pass, and those that fail with the checks' reasons.

    An added sentence must carry a missing fact and pass every check on its own lines:
    a restatement that needs a flag adds risk, not coverage.
    """
    output = drafter.complete(messages, max_new_tokens=prompts.coverage_tokens, stop=["\n\n"])
    evidence = [u.id for u in gap.unit]
    kept: list[str] = []
    failed: dict[str, GroundingResult] = {}
    for text in parse_rewrite(join_prefix(prefix, output), gap.unit):
        check = check_sentence(text, evidence, by_id, lexicon=lexicon)
        if check.status != "supported":
            failed[text] = check
        elif states_any(text, gap.missing, lexicon, prompts.coverage_cues):
            kept.append(text)
    for text, check in failed.items():
        logger.debug("restatement left out: %r (%s)", text, "; ".join(check.reasons))
    return kept, failed


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
    encoder: SentenceEncoder | None = None,
    verify: bool = False,
    state_risk: bool = True,
    past_due: Callable[[], bool] | None = None,
) -> DraftNote:
    """Draft `template` from `transcript` with `drafter`; every sentence linked, checked, flagged.

    `strategy` "note" asks for the whole note in one bounded call (cheapest:
    the transcript is read once); "compose" asks per section; "extract" has
    the model restate chosen exchanges; "auto" picks extract for tiny models
    and note otherwise. `encoder` (default: the configured MiniLM) links
    evidence by meaning; `verify` adds a second short model pass per sentence.
    `state_risk=False` leaves the risk statements out (a window drafted while
    recording: they are stated once, on the whole session, at the merge).
    Once `past_due()` (drafting while recording: a minute after stop is near), no
    rewording or coverage call starts; the draft says what it skipped.
    """
    report = progress or no_progress
    if not transcript.utterances:
        raise InputError("the transcript has no utterances to draft from")
    ids = [u.id for u in transcript.utterances]
    if len(set(ids)) != len(ids):
        raise InputError("the transcript's utterance ids are not unique")
    chosen = strategy if strategy != "auto" else ("extract" if drafter.prefers_extract else "note")
    lexicon = lexicon or load_grounding_lexicon()
    risk_lexicon = risk_lexicon or load_lexicon()
    prompts = load_drafting_prompts()
    if encoder is None:
        from avt_notes.config import get_settings
        from avt_notes.embeddings import load_encoder

        encoder = load_encoder(get_settings())
    started = time.perf_counter()
    timings: list[StageTiming] = []
    warnings: list[str] = []

    mark = time.perf_counter()
    risk_items = detect_risk(transcript, risk_lexicon)
    timings.append(StageTiming(stage="risk", seconds=round(time.perf_counter() - mark, 3)))

    mark = time.perf_counter()
    report("drafting", 0.0)
    if chosen == "note":
        budget = note_budget(template, drafter, prompts)
    else:
        budget = transcript_budget(template, drafter, max_new_tokens)
    chunks = chunk_utterances(transcript.utterances, drafter, budget)
    for chunk in chunks:
        warnings += chunk.warnings
    known = set(ids)
    per_section: dict[str, list[list[DraftSentence]]] = {s.name: [] for s in template.sections}
    if chosen == "note":
        for chunk in chunks:
            report(
                f"drafting (part {chunk.number}/{len(chunks)})", (chunk.number - 1) / len(chunks)
            )
            linker = EvidenceLinker(chunk.utterances, encoder, lexicon)
            drafted = _draft_whole_note(
                drafter, template, chunk, len(chunks), known, linker, prompts, warnings
            )
            report(
                f"checking coverage (part {chunk.number}/{len(chunks)})", chunk.number / len(chunks)
            )
            part = _Part(drafter, template, chunk.utterances, lexicon, prompts, warnings, past_due)
            for step in (_reword_flagged, _cover_gaps):
                step(part, drafted)
            for name, sentences in drafted.items():
                per_section[name].append(sentences)
    elif chosen == "compose":
        total = len(chunks) * len(template.sections)
        done = 0
        for chunk in chunks:
            linker = EvidenceLinker(chunk.utterances, encoder, lexicon)
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
                        linker,
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
    sections = merge_and_check(template, per_section, transcript, lexicon, warnings)
    timings.append(StageTiming(stage="grounding", seconds=round(time.perf_counter() - mark, 3)))

    if verify:
        mark = time.perf_counter()
        report("checking evidence", 0.0)
        verify_support(sections, by_id, drafter, prompts)
        timings.append(StageTiming(stage="verify", seconds=round(time.perf_counter() - mark, 3)))
    timings.append(StageTiming(stage="total", seconds=round(time.perf_counter() - started, 3)))

    note = DraftNote(
        template_id=template.id,
        template_name=template.name,
        template_version=str(template.version),
        template_file=template.path.name if template.path else "",
        prompt_sha256=template.sha256,
        drafting_prompts_sha256=prompts.sha256 if chosen == "note" or verify else "",
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
    if not state_risk:
        return note
    return finish_note(note, risk_items, transcript, template, risk_lexicon)


def note_budget(template: Template, drafter: Drafter, prompts: DraftingPrompts) -> int:
    """Transcript tokens one whole-note call can take, beside its instructions and reply."""
    output_tokens = note_token_limit(template, prompts)
    fixed = drafter.count_tokens(note_messages(template, "", prompts))
    return drafter.context_tokens - fixed - output_tokens - SAFETY_TOKENS


def prefill_note(transcript: Transcript, template: Template, drafter: Drafter) -> bool:
    """Have the drafter read, ahead of time, the start of the prompt `draft_note` will send.

    While recording, the window due next grows line by line; each call here reads only
    the lines added since the last (the drafter keeps the common start), so at stop the
    last window's prompt is mostly read already. False when there is nothing to gain: a
    drafter that keeps no prefix, or one drafting by restatement.
    """
    if not drafter.reuses_prompt_prefix or drafter.prefers_extract or not transcript.utterances:
        return False
    if drafter.busy():
        return False  # another session's draft: never make it wait, nor evict its prompt
    prompts = load_drafting_prompts()
    chunks = chunk_utterances(
        transcript.utterances, drafter, note_budget(template, drafter, prompts)
    )
    drafter.complete(note_prefix_messages(template, chunks[0].text, prompts), max_new_tokens=1)
    return True


def finish_note(
    note: DraftNote,
    risk_items: list[RiskItem],
    transcript: Transcript,
    template: Template,
    risk_lexicon: RiskLexicon,
) -> DraftNote:
    """The last steps of every draft, whole or merged from live windows.

    The body states what was disclosed and denied, linked to the same utterances
    as the review list; then what nothing supports is set aside, still shown.
    """
    stated = risk_statements(note, risk_items, transcript, template, risk_lexicon)
    return set_aside(stated, risk_items, risk_lexicon, template.empty_text)


def merge_and_check(
    template: Template,
    per_section: dict[str, list[list[DraftSentence]]],
    transcript: Transcript,
    lexicon: GroundingLexicon,
    warnings: list[str],
) -> list[NoteSection]:
    """Each section's parts merged (repeats folded) and every sentence checked on `transcript`.

    Used for the chunks of one draft and for the windows drafted while recording,
    so both end with the same grounding on the whole session's utterance ids.
    """
    by_id = {u.id: u for u in transcript.utterances}
    sections: list[NoteSection] = []
    for section in template.sections:
        merged, folded = merge_sentences(per_section.get(section.name, []))
        if folded:
            warnings.append(f"{section.name}: {folded} repeated sentence(s) merged")
        rules = [(rule.pattern, rule.reason) for rule in section.flag]
        for sentence in merged:
            sentence.text = quoted_if_copied(sentence, by_id)
            result = check_sentence(
                sentence.text, sentence.evidence, by_id, rules=rules, lexicon=lexicon
            )
            sentence.evidence = result.evidence
            if not result.evidence:
                sentence.evidence_method = "none"
            sentence.status = "supported" if result.status == "supported" else "unsupported"
            sentence.reasons = result.reasons
        sections.append(NoteSection(name=section.name, purpose=section.purpose, sentences=merged))
    sections, repeated = drop_restatements(sections, lexicon, load_drafting_prompts().coverage_cues)
    if repeated:
        warnings.append(
            f"{repeated} sentence(s) repeating earlier ones about the same lines left out"
        )
    return [
        s.model_copy(update={"empty_text": "" if s.sentences else template.empty_text})
        for s in sections
    ]


def unsupported_sentences(note: DraftNote) -> Sequence[DraftSentence]:
    return [s for s in note.sentences() if s.status == "unsupported"]
