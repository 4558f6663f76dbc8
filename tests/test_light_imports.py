"""The command line and the web service start without loading the model stack.

`avt-notes --help`, `serve` and `audit` must work (and start fast) on a
machine where torch is broken or absent: the heavy libraries load only when a
stage runs. Each check runs in a fresh interpreter and reads `sys.modules`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testdata import checkout_env

HEAVY = ["torch", "torchaudio", "pyannote", "faster_whisper", "ctranslate2", "transformers"]

REPORT = f"""
import json, sys
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))))
"""

RUN_CLI = """
import sys
from avt_notes.cli import main
from avt_notes.config import StoreSettings
from avt_notes.store import open_store

open_store(StoreSettings()).close()  # a database (in AVT_DATA_DIR) for audit to read
sys.argv = ["avt-notes", *{args!r}]
try:
    main()
except SystemExit:
    pass
"""

START_SERVICE = """
from fastapi.testclient import TestClient
from avt_notes.config import Settings, StoreSettings, WebSettings
from avt_notes.web.app import create_app

# preload_models=False: with it (the default) the models load in a background thread at start.
web = WebSettings(worker=True, preload_models=False)
app = create_app(Settings(store=StoreSettings(data_dir={data!r}), web=web))
with TestClient(app) as client:
    assert client.get("/login").status_code == 200
"""


def heavy_modules_after(code: str, tmp_path: Path) -> list[str]:
    env = checkout_env(AVT_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", code + REPORT],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_model_library(tmp_path: Path) -> None:
    assert heavy_modules_after("import avt_notes.cli", tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [["--help"], ["serve", "--help"], ["audit", "verify"], ["retention", "run", "--dry-run"]],
)
def test_light_commands_load_no_model_library(args: list[str], tmp_path: Path) -> None:
    assert heavy_modules_after(RUN_CLI.format(args=args), tmp_path) == []


def test_the_web_service_starts_without_model_libraries(tmp_path: Path) -> None:
    code = START_SERVICE.format(data=str(tmp_path / "data"))
    assert heavy_modules_after(code, tmp_path) == []
