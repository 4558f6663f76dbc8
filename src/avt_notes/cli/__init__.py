"""The `avt-notes` command. The only place in the package that prints.

Each command group lives in its own module and registers on the shared `app`.
Project errors (`AvtError`) become one line on stderr and a non-zero exit,
never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings

from pydantic import ValidationError
from pydantic_settings import SettingsError

from avt_notes.config import ModelSettings
from avt_notes.errors import AvtError
from avt_notes.process_memory import limit_malloc_arenas


def main() -> None:
    # First, before any thread allocates (see process_memory). Settings that do not
    # validate are reported by the command that reads them.
    with contextlib.suppress(ValidationError, SettingsError):
        limit_malloc_arenas(ModelSettings().malloc_arenas)
    # torchcodec (pulled by pyannote) cannot load beside CPU torch; we pass audio in memory.
    warnings.filterwarnings("ignore", message=".*torchcodec.*")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")

    from avt_notes.cli import (  # noqa: F401  (register commands)
        audit,
        bench,
        corpus,
        draft,
        serve,
        tls,
        transcribe,
        worker,
    )
    from avt_notes.cli.app import app

    try:
        app(standalone_mode=True)
    except AvtError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
