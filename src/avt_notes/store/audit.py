"""Append-only audit log with a SHA-256 hash chain.

Every entry's hash covers its own fields and the previous entry's hash, so an
edited, deleted, inserted or reordered row breaks the chain at a precise
place, which `verify` names. Entries are appended in the same transaction as
the action they record: an action that rolls back leaves no entry, and an
entry never describes something that did not happen.

Appends are serialised (SQLite: the database write lock taken by
``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock), so two
requests can never both chain onto the same predecessor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from avt_notes.store.tables import AuditEntry, User, utcnow

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 7423002

ACTIONS = (
    "login",
    "login_failed",
    "logout",
    "user_create",
    "session_create",
    "consent",
    "consent_withdrawn",
    "recording_started",
    "recording_finished",
    "upload",
    "process_started",
    "process_done",
    "process_failed",
    "process_retry",
    "delete",
    # review and sign-off (store.review, store.signing, web export routes)
    "view",
    "edit",
    "sign",
    "sign_refused",
    "amend",
    "export",
    "retention_delete",
)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _time_text(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def entry_hash(entry: AuditEntry) -> str:
    """The hash an entry must carry, given its fields and its `prev_hash`."""
    payload = canonical_json(
        {
            "id": entry.id,
            "at": _time_text(entry.at),
            "actor_id": entry.actor_id,
            "actor": entry.actor,
            "action": entry.action,
            "session_id": entry.session_id,
            "detail": entry.detail,
            "prev_hash": entry.prev_hash,
        }
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def append(
    db: Session,
    action: str,
    *,
    actor: User | None = None,
    actor_name: str | None = None,
    session_id: str | None = None,
    **detail: Any,
) -> AuditEntry:
    """Add an entry to the chain inside the caller's transaction (the caller commits)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(_PG_AUDIT_LOCK)))
    last = db.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    entry = AuditEntry(
        id=(last.id + 1) if last else 1,
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor=actor.username if actor else (actor_name or ""),
        action=action,
        session_id=session_id,
        detail=canonical_json(detail),
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_hash(entry)
    db.add(entry)
    db.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_broken_id: int | None = None
    reason: str = ""


def verify(db: Session) -> ChainReport:
    """Walk the chain in id order; report the first entry that does not fit."""
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    for entry in db.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(500):
        count += 1
        if entry.id != expected_id:
            return ChainReport(
                False, count, entry.id, f"entry ids jump from {expected_id - 1} to {entry.id}"
            )
        if entry.prev_hash != prev_hash:
            return ChainReport(
                False, count, entry.id, "previous-hash link does not match the entry before"
            )
        if entry_hash(entry) != entry.hash:
            return ChainReport(False, count, entry.id, "contents do not match the entry's hash")
        prev_hash = entry.hash
        expected_id += 1
    return ChainReport(True, count)


def export_lines(db: Session) -> Iterator[str]:
    """The log as JSON lines, in chain order."""
    for entry in db.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(500):
        yield canonical_json(
            {
                "id": entry.id,
                "at": _time_text(entry.at) + "Z",
                "actor_id": entry.actor_id,
                "actor": entry.actor,
                "action": entry.action,
                "session_id": entry.session_id,
                "detail": json.loads(entry.detail),
                "prev_hash": entry.prev_hash,
                "hash": entry.hash,
            }
        )
