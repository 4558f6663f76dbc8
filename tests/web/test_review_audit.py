"""`avt-notes audit verify|export` over a history that includes review, signing and export.

One row is edited, deleted, inserted or moved directly in the database, and
`verify` must name the exact first entry that no longer fits. An inserted row
made by someone who knows the scheme (right link, right hash, ids shifted to
make room) is itself consistent: the chain breaks at the entry after it, whose
link no longer matches, and that is the entry reported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from typer.testing import CliRunner

from avt_notes.config import Settings
from avt_notes.store import Store, audit
from avt_notes.store.tables import AuditEntry, SignedNote

from reviewhelpers import sign_a_note
from webhelpers import Api

Invoke = Callable[..., tuple[int, str]]


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    from avt_notes.cli import audit as _commands  # noqa: F401  (registers the commands)
    from avt_notes.cli.app import app
    from avt_notes.config import get_settings

    monkeypatch.setenv("AVT_DATA_DIR", str(settings.store.data_dir))
    if settings.store.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.store.database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, list(args))
        return result.exit_code, result.output

    yield invoke
    get_settings.cache_clear()


def signed_history(make_client: Callable[..., Api], store: Store) -> int:
    """Log in, review, decide, sign, export; returns the id of the "sign" entry."""
    ann = make_client("ann")
    session_id = sign_a_note(ann, store)
    assert ann.get(f"/api/sessions/{session_id}/note/export?format=pdf").status_code == 200
    with store.sessions() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "sign"))
        assert entry is not None
        return entry.id


def test_verify_and_export_an_intact_log(
    make_client: Callable[..., Api], store: Store, cli: Invoke, tmp_path: Path
) -> None:
    signed_history(make_client, store)
    code, output = cli("audit", "verify")
    assert code == 0 and "intact" in output, output
    out = tmp_path / "audit.jsonl"
    code, output = cli("audit", "export", "--out", str(out))
    assert code == 0, output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    with store.sessions() as db:
        assert len(lines) == audit.verify(db).entries
    actions = [line["action"] for line in lines]
    for expected in ("user_create", "login", "view", "edit", "sign", "export"):
        assert expected in actions
    assert [line["id"] for line in lines] == list(range(1, len(lines) + 1))
    assert lines[1]["prev_hash"] == lines[0]["hash"]
    code, output = cli("audit", "export")  # to stdout
    assert code == 0 and len(output.splitlines()) == len(lines)


@pytest.mark.parametrize("tamper", ["edit", "delete", "insert", "reorder"])
def test_verify_names_the_first_broken_entry(
    make_client: Callable[..., Api], store: Store, cli: Invoke, tamper: str
) -> None:
    k = signed_history(make_client, store)
    with store.transaction() as db:
        if tamper == "edit":  # quietly change what the signature recorded
            db.execute(update(AuditEntry).where(AuditEntry.id == k).values(detail='{"version":2}'))
            expected = k
        elif tamper == "delete":  # remove the signature entry
            db.execute(delete(AuditEntry).where(AuditEntry.id == k))
            expected = k + 1
        elif tamper == "insert":  # a well-made entry slipped in before the signature
            before = db.get(AuditEntry, k - 1)
            assert before is not None
            db.execute(
                update(AuditEntry).where(AuditEntry.id >= k).values(id=AuditEntry.id + 10**6)
            )
            db.execute(
                update(AuditEntry)
                .where(AuditEntry.id >= 10**6)
                .values(id=AuditEntry.id - 10**6 + 1)
            )
            fake = AuditEntry(
                id=k, at=before.at, actor_id=None, actor="mallory", action="view",
                session_id=before.session_id, detail="{}", prev_hash=before.hash,
            )  # fmt: skip
            fake.hash = audit.entry_hash(fake)
            db.add(fake)
            expected = k + 1
        else:  # swap the signature with the entry after it
            a, b = db.get(AuditEntry, k), db.get(AuditEntry, k + 1)
            assert a is not None and b is not None
            fields = ("at", "actor_id", "actor", "action", "session_id", "detail", "prev_hash")
            values_a = {f: getattr(a, f) for f in fields} | {"hash": a.hash}
            values_b = {f: getattr(b, f) for f in fields} | {"hash": b.hash}
            db.execute(update(AuditEntry).where(AuditEntry.id == k).values(hash="x" * 64))
            db.execute(update(AuditEntry).where(AuditEntry.id == k + 1).values(**values_a))
            db.execute(update(AuditEntry).where(AuditEntry.id == k).values(**values_b))
            expected = k
    code, output = cli("audit", "verify")
    assert code == 1, output
    assert f"BROKEN at entry {expected}:" in output, output
    with store.sessions() as db:
        assert audit.verify(db).first_broken_id == expected


@pytest.mark.parametrize("forge", ["text only", "text and hash"])
def test_verify_rehashes_signed_notes_after_the_triggers_are_dropped(
    make_client: Callable[..., Api], store: Store, cli: Invoke, forge: str
) -> None:
    """Someone with database access drops the immutability triggers and rewrites a note."""
    signed_history(make_client, store)
    forged = "S: Patient is well. P: No follow-up."
    with store.transaction() as db:
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text("DROP TRIGGER signed_notes_frozen ON signed_notes"))
        else:
            db.execute(text("DROP TRIGGER signed_notes_no_update"))
        values: dict[str, str] = {"text": forged}
        if forge == "text and hash":
            values["content_sha256"] = hashlib.sha256(forged.encode()).hexdigest()
        db.execute(update(SignedNote).values(**values))
    code, output = cli("audit", "verify")
    assert code == 1, output
    assert "ALTERED" in output
    expected = "does not match its stored" if forge == "text only" else "audited at signing"
    assert expected in output
