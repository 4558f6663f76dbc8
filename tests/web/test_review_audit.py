"""`avt-notes audit verify|export` over a history that includes review, signing and export.

One row is edited, deleted, inserted or moved directly in the database, and
`verify` must name the exact first entry that no longer fits. An inserted row
made by someone who knows the scheme (right link, right hash, ids shifted to
make room) is itself consistent: the chain breaks at the entry after it, whose
link no longer matches, and that is the entry reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from avt_notes.config import Settings
from avt_notes.store import Store, audit
from avt_notes.store.tables import AuditEntry

from reviewhelpers import FLAGGED, insert_processed_session
from webhelpers import PASSWORD, Api

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
    session_id = insert_processed_session(store, "ann", with_audio=False)
    state = ann.get(f"/api/sessions/{session_id}/review").json()
    state["working"]["decisions"] = dict.fromkeys(FLAGGED, "keep")
    body = {"revision": state["revision"], **state["working"]}
    assert ann.put(f"/api/sessions/{session_id}/review", json=body).status_code == 200
    signed = ann.post(f"/api/sessions/{session_id}/sign",
                      json={"attest": True, "password": PASSWORD})  # fmt: skip
    assert signed.status_code == 200
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
