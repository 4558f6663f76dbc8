"""Templates are data: each renders its prompts and parses back into all its sections."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from avt_notes.config import get_settings
from avt_notes.drafting import (
    draft_note,
    list_templates,
    load_template,
    parse_markdown,
    to_markdown,
)
from avt_notes.drafting.backend import ChatMessage
from avt_notes.errors import TemplateError

from testdata import CONSULTATION, ScriptedDrafter, make_transcript

TEMPLATE_IDS = ["birp", "dap", "girp", "mental-health-progress", "soap"]


def test_all_templates_are_listed():
    assert [t.id for t in list_templates()] == TEMPLATE_IDS


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_template_prompts_render(template_id):
    template = load_template(template_id)
    assert template.path is not None
    assert template.sha256 == hashlib.sha256(template.path.read_bytes()).hexdigest()
    for section in template.sections:
        assert section.purpose and section.focus.keywords
        messages = template.compose_messages(section, "u0001 Patient: hello", 1, 2)
        user = messages[-1]["content"]
        assert "u0001 Patient: hello" in user and section.name in user
        assert "{" not in user and "}" not in user
        rewrite = template.rewrite_messages(section, "u0001 Patient: hello")
        assert "u0001 Patient: hello" in rewrite[1]["content"]
        assert rewrite[-1] == {"role": "assistant", "content": template.rewrite_prefix}


@pytest.mark.slow  # links evidence with the real MiniLM encoder
@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_template_draft_renders_and_parses_into_all_sections(template_id):
    template = load_template(template_id)
    transcript = make_transcript(CONSULTATION)

    def script(messages: Sequence[ChatMessage]) -> str:
        section = next(s for s in template.sections if f'"{s.name}"' in messages[-1]["content"])
        return (
            f"{section.name} sentence about a cough for two weeks. [u0002]\n{template.empty_text}"
        )

    note = draft_note(transcript, template, ScriptedDrafter(script), strategy="compose")
    assert [s.name for s in note.sections] == [s.name for s in template.sections]
    parsed = parse_markdown(to_markdown(note, transcript))
    assert list(parsed) == [s.name for s in template.sections]
    for section in template.sections:
        assert parsed[section.name] == [f"{section.name} sentence about a cough for two weeks."]


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_a_new_template_file_needs_no_code(tmp_path):
    text = (get_settings().drafting.prompts_dir / "templates" / "dap.yaml").read_text()
    text = text.replace("id: dap", "id: brief").replace("name: DAP note", "name: Brief note")
    path = tmp_path / "brief.yaml"
    path.write_text(text)
    template = load_template(path)
    assert template.id == "brief" and template.name == "Brief note"
    note = draft_note(
        make_transcript(CONSULTATION),
        template,
        ScriptedDrafter(lambda m: "Cough for two weeks. [u0002]"),
        strategy="compose",
    )
    assert note.template_id == "brief" and note.prompt_sha256 == template.sha256


def test_template_errors_name_the_problem(tmp_path):
    good = (get_settings().drafting.prompts_dir / "templates" / "soap.yaml").read_text()
    cases = {
        "unknown.yaml": good.replace("{transcript}", "{transcript} {patient_name}"),
        "notranscript.yaml": good.replace("{transcript}", ""),
        "nosections.yaml": good.split("sections:")[0] + "sections: []\n",
        "notyaml.yaml": "id: [unclosed",
    }
    messages = {}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(TemplateError) as error:
            load_template(tmp_path / name)
        messages[name] = str(error.value)
    assert "patient_name" in messages["unknown.yaml"]
    assert "{transcript}" in messages["notranscript.yaml"]
    assert "sections" in messages["nosections.yaml"]
    with pytest.raises(TemplateError, match="unknown template 'nope'"):
        load_template("nope")


def test_cli_lists_templates():
    from typer.testing import CliRunner

    import avt_notes.cli.draft  # noqa: F401  (registers the commands)
    from avt_notes.cli.app import app

    result = CliRunner().invoke(app, ["templates"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for template_id in TEMPLATE_IDS:
        assert template_id in result.output
