"""`avt-notes serve` (the web service) and `avt-notes user add` (accounts).

Both work on a fresh machine with embedded defaults: SQLite and the encrypted
audio store in ``AVT_DATA_DIR``, the job worker inside the server process.
"""

from __future__ import annotations

import os
import sys

import typer

from avt_notes.cli.app import app

user_app = typer.Typer(help="Manage accounts of the web service.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 for the LAN)."),
    port: int = typer.Option(8000, help="TCP port."),
) -> None:
    """Run the clinician recording service (pages at /, JSON API under /api/)."""
    from avt_notes.web.app import run_server

    print(f"avt-notes: serving on http://{host}:{port}/  (Ctrl+C stops)", file=sys.stderr)
    run_server(host, port)


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option("clinician", help="clinician, evaluator or admin."),
    display_name: str = typer.Option("", help="Name shown on pages (default: the username)."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (scripts)."
    ),
) -> None:
    """Create an account. The password is prompted for (or read from AVT_NEW_PASSWORD/stdin)."""
    from avt_notes.config import get_settings
    from avt_notes.store import accounts, open_store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif os.environ.get("AVT_NEW_PASSWORD"):
        password = os.environ["AVT_NEW_PASSWORD"]
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = get_settings()
    store = open_store(settings.store)
    try:
        with store.transaction() as db:
            user = accounts.create_user(db, username, password, role, display_name)
            print(f"created {user.role} {user.username!r}")
    finally:
        store.close()
