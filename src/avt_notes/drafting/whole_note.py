"""The "note" strategy: one bounded call writes every section as headed plain text.

A 1.5B model on 2 cores reads prompt text at 35-63 tokens/s, so reading the
transcript once for the whole note is the cheapest way to draft; plain headed
text is what it writes reliably (free-length JSON loops). The reply is bounded
three ways: a token limit of `tokens_per_section` per template section, the
backend's repeat penalty, and stop strings; then each section keeps at most the
template's `max_sentences` lines, and a line the model repeats is dropped.

Prompt text lives in ``prompts/drafting.yaml``; the sections come from the template.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from avt_notes.drafting.backend import ChatMessage
from avt_notes.drafting.prompting import ParsedSentence, parse_sentences
from avt_notes.drafting.templates import Template
from avt_notes.errors import TemplateError

DRAFTING_FILE = "drafting.yaml"


class DraftingPrompts(BaseModel):
    """The contents of ``prompts/drafting.yaml``."""

    version: str
    system_prompt: str
    note_prompt: str
    section_line: str
    tokens_per_section: int
    heading_tokens: int
    stop: list[str]
    verify_system_prompt: str
    verify_prompt: str
    coverage_max_units: int = 4
    coverage_prompt: str = "{lines}"
    coverage_prefix: str = ""
    # The prefix when the clinician says the missing facts (a plan, a referral): "The
    # patient ..." made the model write "The patient reports that the clinician needs to".
    coverage_clinician_prefix: str = ""
    coverage_tokens: int = 70
    # A restatement failing a check is asked for again with the reasons, this often per call.
    coverage_retries: int = 0
    coverage_retry_prompt: str = "{reasons}"
    # A drafted sentence failing a check is asked for again from its own lines, this often
    # per call (`drafting.note._reword_flagged`).
    flagged_rewordings: int = 0
    coverage_cues: dict[str, list[str]] = {}
    sha256: str = ""


def load_drafting_prompts(directory: Path | None = None) -> DraftingPrompts:
    from avt_notes.config import get_settings

    path = (directory or get_settings().drafting.prompts_dir) / DRAFTING_FILE
    try:
        stat = path.stat()
    except OSError as error:
        raise TemplateError(f"drafting prompts not found at {path}: {error}") from error
    return _load(path, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _load(path: Path, _mtime: int) -> DraftingPrompts:
    text = path.read_text(encoding="utf-8")
    try:
        prompts = DraftingPrompts.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as error:
        raise TemplateError(f"{path}: {error}") from error
    prompts.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return prompts


def note_messages(
    template: Template, transcript: str, prompts: DraftingPrompts
) -> list[ChatMessage]:
    """System + user messages asking for the whole note from numbered utterance lines."""
    sections = "\n".join(
        prompts.section_line.format(name=s.name, purpose=s.purpose.strip())
        for s in template.sections
    )
    user = prompts.note_prompt.format(
        template_name=template.name,
        sections=sections,
        transcript=transcript,
        empty_text=template.empty_text,
        max_sentences=template.max_sentences,
    )
    return [
        {"role": "system", "content": prompts.system_prompt.strip()},
        {"role": "user", "content": user.strip()},
    ]


def note_prefix_messages(
    template: Template, transcript: str, prompts: DraftingPrompts
) -> list[ChatMessage]:
    """`note_messages` cut right after the transcript: the start every later note prompt
    over a longer transcript shares, to read ahead of time (`prefill_note`)."""
    messages = note_messages(template, transcript, prompts)
    user = messages[-1]["content"]
    end = user.index(transcript) + len(transcript) if transcript else 0
    return [*messages[:-1], {"role": "user", "content": user[:end]}]


def coverage_prefix(prompts: DraftingPrompts, speaker_role: str | None) -> str:
    """How a restatement starts: with the clinician when the clinician said the facts."""
    if speaker_role == "clinician" and prompts.coverage_clinician_prefix:
        return prompts.coverage_clinician_prefix
    return prompts.coverage_prefix


def coverage_messages(lines: str, prompts: DraftingPrompts, prefix: str) -> list[ChatMessage]:
    """Messages asking to restate one exchange, keeping its facts (drafting.coverage)."""
    messages: list[ChatMessage] = [
        {"role": "system", "content": prompts.system_prompt.strip()},
        {"role": "user", "content": prompts.coverage_prompt.format(lines=lines).strip()},
    ]
    if prefix:
        messages.append({"role": "assistant", "content": prefix})
    return messages


def coverage_retry_messages(
    messages: Sequence[ChatMessage],
    failed: Mapping[str, Sequence[str]],
    prompts: DraftingPrompts,
    prefix: str,
) -> list[ChatMessage]:
    """`messages` (a restatement request) continued: what the model wrote, why each
    sentence failed the checks, and the same request again."""
    asked = [m for m in messages if m["role"] != "assistant"]
    reasons = "\n".join(
        f"- {text} ({'; '.join(why) or 'not supported'})" for text, why in failed.items()
    )
    retry: list[ChatMessage] = [
        *asked,
        {"role": "assistant", "content": " ".join(failed)},
        {"role": "user", "content": prompts.coverage_retry_prompt.format(reasons=reasons).strip()},
    ]
    if prefix:
        retry.append({"role": "assistant", "content": prefix})
    return retry


def note_token_limit(template: Template, prompts: DraftingPrompts) -> int:
    return len(template.sections) * (prompts.tokens_per_section + prompts.heading_tokens)


def _section_of(line: str, names: dict[str, str]) -> tuple[str, str] | None:
    """(section name, rest of the line) when `line` is a heading of one of the sections."""
    stripped = line.strip()
    marked = stripped.startswith(("#", "**"))
    if stripped.startswith(("-", "•")) or (stripped.startswith("*") and not marked):
        return None
    body = stripped.lstrip("#").strip().replace("**", "")
    name, colon, rest = body.partition(":")
    key = name.strip().casefold()
    if key not in names or not (marked or colon):
        return None
    return names[key], rest.strip()


def parse_note(
    output: str, template: Template, known_ids: set[str]
) -> tuple[dict[str, list[ParsedSentence]], list[str]]:
    """Sentences per section from a headed reply, and warnings about what was cut.

    Text before the first heading, lines repeated (in the same or an earlier
    section) and lines past the template's `max_sentences` are left out, each
    with a warning, so nothing vanishes silently.
    """
    names = {s.name.casefold(): s.name for s in template.sections}
    lines_by_section: dict[str, list[str]] = {s.name: [] for s in template.sections}
    current: str | None = None
    warnings: list[str] = []
    for raw in output.splitlines():
        heading = _section_of(raw, names)
        if heading is not None:
            current, rest = heading
            if rest and not _is_purpose_echo(rest, template, current):
                lines_by_section[current].append(rest)
            continue
        if raw.strip() and current is None:
            warnings.append(f"text before the first section heading left out: {raw.strip()[:80]!r}")
            continue
        if current is not None and raw.strip():
            lines_by_section[current].append(raw)
    parsed: dict[str, list[ParsedSentence]] = {}
    seen: set[str] = set()  # a small model copies a section's lines into the next one
    for name, lines in lines_by_section.items():
        sentences = parse_sentences(
            "\n".join(lines), known_ids, empty_text=template.empty_text, section_names=list(names)
        )
        unique = _drop_repeats(sentences, seen)
        if len(unique) < len(sentences):
            warnings.append(f"{name}: {len(sentences) - len(unique)} repeated line(s) left out")
        if len(unique) > template.max_sentences:
            warnings.append(
                f"{name}: {len(unique) - template.max_sentences} line(s) past the "
                f"{template.max_sentences}-sentence limit left out"
            )
            unique = unique[: template.max_sentences]
        parsed[name] = unique
    return parsed, warnings


def _is_purpose_echo(text: str, template: Template, section: str) -> bool:
    purpose = template.section(section).purpose.strip().casefold()
    return text.casefold().rstrip(".") == purpose.rstrip(".") or text.casefold() in purpose


def _drop_repeats(sentences: Sequence[ParsedSentence], seen: set[str]) -> list[ParsedSentence]:
    """Sentences not written before, in this section or an earlier one (`seen` is updated)."""
    kept = []
    for sentence in sentences:
        key = re.sub(r"[^a-z0-9]", "", sentence.text.lower())
        if key in seen:
            continue
        seen.add(key)
        kept.append(sentence)
    return kept
