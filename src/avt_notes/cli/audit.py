"""`avt-notes audit verify|export` and `avt-notes retention run`.

`audit verify` reads the database only (no migration, no key file): it is what
an auditor runs on a copy. It exits 0 when the chain is intact and 1 naming
the first broken entry otherwise. `retention run` applies the retention
policy (``AVT_AUDIO_RETENTION_DAYS`` …) and is meant for a daily timer.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from avt_notes.cli.app import app

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

audit_app = typer.Typer(help="Check and export the tamper-evident audit log.", no_args_is_help=True)
retention_app = typer.Typer(
    help="Delete audio, transcripts and drafts after signing.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")
app.add_typer(retention_app, name="retention")


def _read_only_sessions() -> tuple[Engine, sessionmaker[Session]]:
    from avt_notes.config import get_settings
    from avt_notes.store.db import make_sessionmaker, open_database

    engine = open_database(get_settings().store, read_only=True)
    return engine, make_sessionmaker(engine)


@audit_app.command("verify")
def verify() -> None:
    """Check every entry's hash and link; name the first broken entry."""
    from avt_notes.store import audit

    engine, sessions = _read_only_sessions()
    try:
        with sessions() as db:
            report = audit.verify(db)
    finally:
        engine.dispose()
    if report.ok:
        print(f"audit log intact: {report.entries} entries, hash chain verified")
        return
    print(
        f"audit log BROKEN at entry {report.first_broken_id}: {report.reason} "
        f"({report.entries} entries read)",
        file=sys.stderr,
    )
    raise typer.Exit(1)


@audit_app.command("export")
def export(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Write the audit log as JSON lines, in chain order."""
    from avt_notes.store import audit

    engine, sessions = _read_only_sessions()
    count = 0
    try:
        with sessions() as db:
            handle = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
            try:
                for line in audit.export_lines(db):
                    handle.write(line + "\n")
                    count += 1
            finally:
                if out:
                    handle.close()
    finally:
        engine.dispose()
    if out:
        print(f"wrote {count} audit entries to {out}", file=sys.stderr)


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be deleted.")
    ] = False,
    now: Annotated[
        datetime | None,
        typer.Option(help="Act as if it were this UTC time (ISO 8601); for checks and tests."),
    ] = None,
) -> None:
    """Delete audio, transcripts and drafts whose retention period after signing has passed."""
    from avt_notes.config import get_settings
    from avt_notes.store import open_store, retention

    settings = get_settings()
    store = open_store(settings.store)
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    try:
        report = retention.run(store, settings.retention, now=now, dry_run=dry_run)
    finally:
        store.close()
    verb = "would delete" if dry_run else "deleted"
    print(
        f"retention {verb}: audio of {len(report.audio)}, transcripts of "
        f"{len(report.transcripts)}, drafts of {len(report.drafts)} signed session(s)"
    )
    for kind, ids in (("audio", report.audio), ("transcript", report.transcripts),
                      ("draft", report.drafts)):  # fmt: skip
        for session_id in ids:
            print(f"  {kind}\t{session_id}")
