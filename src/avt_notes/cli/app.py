"""The Typer application object that every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="avt-notes",
    help="Local-first ambient voice notes: transcribe, diarise, draft, review, sign.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
