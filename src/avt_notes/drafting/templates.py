"""Note templates: YAML files in ``prompts/templates/``, never strings in code.

A template declares its sections (name, purpose, guidance, what to look for)
and all the prompt text the drafter sees, so a clinic can add or tune a note
type without touching code, and every draft records the sha256 of the exact
file it was made with. Prompts are filled with ``str.format``-style fields;
an unknown field is a template error, not a silent blank.
"""

from __future__ import annotations

import hashlib
import re
import string
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from avt_notes.config import get_settings
from avt_notes.drafting.backend import ChatMessage
from avt_notes.errors import TemplateError

TEMPLATES_SUBDIR = "templates"
COMPOSE_FIELDS = {
    "template_name",
    "section_name",
    "section_purpose",
    "section_guidance",
    "max_sentences",
    "empty_text",
    "transcript",
    "chunk_number",
    "chunk_count",
}
REWRITE_FIELDS = {"template_name", "section_name", "section_purpose", "section_guidance", "lines"}


class SectionFocus(BaseModel):
    """Hints for choosing the utterances a section is most likely about (extractive drafting)."""

    roles: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    # Which half of the session the section's content usually comes from.
    where: Literal["early", "late", "any"] = "any"


class FlagRule(BaseModel):
    """A sentence matching `pattern` is flagged unsupported with `reason` (e.g. risk grading)."""

    pattern: str
    reason: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"flag pattern {value!r} is not a valid regex: {error}") from error
        return value


class TemplateSection(BaseModel):
    name: str
    purpose: str
    guidance: str = ""
    focus: SectionFocus = Field(default_factory=lambda: SectionFocus())
    flag: list[FlagRule] = Field(default_factory=list)
    # This section states what was disclosed and denied about risk (drafting.risk_statements).
    risk_statements: bool = False


class Template(BaseModel):
    """One note type, as loaded from its file."""

    id: str
    name: str
    version: int | str = 1
    description: str = ""
    empty_text: str = "Nothing recorded."
    max_sentences: int = Field(5, ge=1, le=30)
    system_prompt: str
    compose_prompt: str
    rewrite_prompt: str
    rewrite_system_prompt: str = ""
    rewrite_prefix: str = Field(
        "", description="The start of the model's reply in the extract strategy ('The patient')."
    )
    rewrite_stop: list[str] = Field(
        default_factory=lambda: ["\n"],
        description="Where a restatement ends (extract strategy): one sentence is asked for.",
    )
    sections: list[TemplateSection] = Field(min_length=1)
    path: Path | None = None
    sha256: str = ""

    @field_validator("sections")
    @classmethod
    def _unique_names(cls, value: list[TemplateSection]) -> list[TemplateSection]:
        names = [s.name.casefold() for s in value]
        if len(set(names)) != len(names):
            raise ValueError("section names must be unique")
        return value

    def section(self, name: str) -> TemplateSection:
        for section in self.sections:
            if section.name.casefold() == name.casefold():
                return section
        raise KeyError(name)

    def compose_messages(
        self, section: TemplateSection, transcript: str, chunk_number: int, chunk_count: int
    ) -> list[ChatMessage]:
        """Chat messages asking for one section from a chunk of numbered utterances."""
        user = _fill(
            self.compose_prompt,
            self._section_fields(section)
            | {
                "max_sentences": str(self.max_sentences),
                "empty_text": self.empty_text,
                "transcript": transcript,
                "chunk_number": str(chunk_number),
                "chunk_count": str(chunk_count),
            },
            self.id,
        )
        return [
            {"role": "system", "content": self.system_prompt.strip()},
            {"role": "user", "content": user.strip()},
        ]

    def rewrite_messages(self, section: TemplateSection, lines: str) -> list[ChatMessage]:
        """Chat messages asking to restate a few chosen utterances as one note sentence."""
        user = _fill(self.rewrite_prompt, self._section_fields(section) | {"lines": lines}, self.id)
        system = (self.rewrite_system_prompt or self.system_prompt).strip()
        messages: list[ChatMessage] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user.strip()},
        ]
        if self.rewrite_prefix:
            messages.append({"role": "assistant", "content": self.rewrite_prefix})
        return messages

    def _section_fields(self, section: TemplateSection) -> dict[str, str]:
        return {
            "template_name": self.name,
            "section_name": section.name,
            "section_purpose": section.purpose.strip(),
            "section_guidance": section.guidance.strip(),
        }


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _fill(text: str, values: dict[str, str], template_id: str) -> str:
    unknown = _fields(text) - set(values)
    if unknown:
        raise TemplateError(
            f"template '{template_id}' uses unknown placeholder(s) {sorted(unknown)}; "
            f"known: {sorted(values)}"
        )
    return text.format_map(values)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_template(text: str, path: Path | None = None) -> Template:
    """Validate a template's YAML text; errors name the file and the problem."""
    where = str(path) if path else "template"
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise TemplateError(f"{where}: not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: expected a mapping with id, name, prompts and sections")
    try:
        template = Template.model_validate(raw)
    except ValidationError as error:
        raise TemplateError(f"{where}: {error}") from error
    for field, allowed in (("compose_prompt", COMPOSE_FIELDS), ("rewrite_prompt", REWRITE_FIELDS)):
        unknown = _fields(getattr(template, field)) - allowed
        if unknown:
            raise TemplateError(
                f"{where}: {field} uses unknown placeholder(s) {sorted(unknown)}; "
                f"allowed: {sorted(allowed)}"
            )
    if "{transcript}" not in template.compose_prompt:
        raise TemplateError(f"{where}: compose_prompt must contain {{transcript}}")
    if "{lines}" not in template.rewrite_prompt:
        raise TemplateError(f"{where}: rewrite_prompt must contain {{lines}}")
    template.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    template.path = path
    return template


def template_files(directory: Path | None = None) -> list[Path]:
    folder = (directory or get_settings().drafting.prompts_dir) / TEMPLATES_SUBDIR
    if not folder.is_dir():
        raise TemplateError(f"no template folder at {folder}; set AVT_PROMPTS_DIR")
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def list_templates(directory: Path | None = None) -> list[Template]:
    """Every template in the prompts folder, sorted by id."""
    return sorted((_load_path(path) for path in template_files(directory)), key=lambda t: t.id)


def load_template(id_or_path: str | Path, directory: Path | None = None) -> Template:
    """A template by id (``dap``) or by path to a YAML file."""
    candidate = Path(id_or_path)
    if candidate.suffix in {".yaml", ".yml"} and candidate.is_file():
        return _load_path(candidate.resolve())
    templates = list_templates(directory)
    for template in templates:
        if template.id == str(id_or_path):
            return template
    known = ", ".join(t.id for t in templates)
    raise TemplateError(f"unknown template '{id_or_path}'; use one of: {known}, or a .yaml path")


def _load_path(path: Path) -> Template:
    stat = path.stat()
    return _load_cached(path, stat.st_mtime_ns, stat.st_size).model_copy(deep=True)


@lru_cache(maxsize=64)
def _load_cached(path: Path, _mtime: int, _size: int) -> Template:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateError(f"cannot read template {path}: {error}") from error
    return parse_template(text, path)
