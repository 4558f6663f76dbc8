"""The prompts' risk word lists load once per file version and fail with a clear message."""

from __future__ import annotations

import os

import pytest

from avt_notes.errors import TemplateError
from avt_notes.risk.dialect import load_dialect, standard_reading
from avt_notes.risk.sounds import load_soundalikes


def test_a_changed_list_is_read_again(tmp_path):
    path = tmp_path / "dialect.yaml"
    path.write_text('version: "1"\nwords:\n  masel: myself\n')
    assert standard_reading("doing masel in", load_dialect(path)).text == "doing myself in"
    path.write_text('version: "2"\nwords:\n  oot: out\n')
    os.utime(path, ns=(1, 1))  # a new modification time, even within the clock's resolution
    changed = load_dialect(path)
    assert changed.version == "2"
    assert standard_reading("doing masel in", changed).text == "doing masel in"


@pytest.mark.parametrize(
    ("load", "what"), [(load_dialect, "dialect list"), (load_soundalikes, "sound-alike list")]
)
def test_a_missing_or_malformed_list_is_a_clear_error(tmp_path, load, what):
    with pytest.raises(TemplateError, match=f"{what} not readable at"):
        load(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("words: [unclosed\n")
    with pytest.raises(TemplateError, match=f"{what} .*broken.yaml is malformed"):
        load(broken)
