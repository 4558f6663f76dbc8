"""Encryption at rest, the audit hash chain, migrations and the `user add` command."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import delete, select, text, update
from typer.testing import CliRunner

from avt_notes.audio import AUDIO_MAGIC
from avt_notes.config import Settings, StoreSettings
from avt_notes.store import Store, audit, open_store
from avt_notes.store.audio_store import AudioStore
from avt_notes.store.crypto import SEGMENT_BYTES, Cipher, associated_data, load_or_create_key
from avt_notes.store.db import DATABASE_FILE, HEAD_REVISION, MIGRATIONS_DIR
from avt_notes.store.errors import StoredDataError
from avt_notes.store.tables import AuditEntry, Base, User

from webhelpers import Api, split

SID_A = "a" * 32
SID_B = "b" * 32


@pytest.fixture
def audio_store(tmp_path: Path) -> AudioStore:
    return AudioStore(tmp_path / "data")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- encryption ------------------------------------------------------------------------------
def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "audio.key"
    key = load_or_create_key(key_file)
    assert len(key) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert load_or_create_key(key_file) == key
    store = open_store(StoreSettings(data_dir=tmp_path / "fresh"))
    store.close()
    assert stat.S_IMODE((tmp_path / "fresh" / DATABASE_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "fresh" / "audio").stat().st_mode) == 0o700
    key_file.write_bytes(b"short")
    with pytest.raises(StoredDataError, match="expected 32"):
        load_or_create_key(key_file)


def test_chunks_round_trip_and_bind_session_and_position(audio_store: AudioStore) -> None:
    first, second = b"\x1a\x45\xdf\xa3 first chunk" * 50, b"second chunk" * 50
    path0 = audio_store.put_chunk(SID_A, 0, first, sha(first))
    path1 = audio_store.put_chunk(SID_A, 1, second, sha(second))
    assert audio_store.read_chunk(SID_A, 0, sha(first)) == first

    # Swap the two files on disk: both fail, because the position is authenticated.
    blob0, blob1 = path0.read_bytes(), path1.read_bytes()
    path0.write_bytes(blob1)
    with pytest.raises(StoredDataError, match="failed authentication"):
        audio_store.read_chunk(SID_A, 0, sha(first))
    path0.write_bytes(blob0)

    # The same bytes moved to another session do not open there.
    moved = audio_store.chunk_path(SID_B, 0, sha(first))
    moved.parent.mkdir(parents=True)
    moved.write_bytes(blob0)
    with pytest.raises(StoredDataError, match="failed authentication"):
        audio_store.read_chunk(SID_B, 0, sha(first))


def test_flipped_byte_fails_anywhere_in_a_chunk(audio_store: AudioStore) -> None:
    data = os.urandom(3000)
    path = audio_store.put_chunk(SID_A, 0, data, sha(data))
    original = path.read_bytes()
    for position in (0, 5, 20, len(original) // 2, len(original) - 1):
        damaged = bytearray(original)
        damaged[position] ^= 0x01
        path.write_bytes(bytes(damaged))
        with pytest.raises(StoredDataError):
            audio_store.read_chunk(SID_A, 0, sha(data))
    path.write_bytes(original)
    assert audio_store.read_chunk(SID_A, 0, sha(data)) == data


def test_assembled_stream_detects_flips_reorder_and_truncation(audio_store: AudioStore) -> None:
    data = os.urandom(2 * SEGMENT_BYTES + 12345)  # three segments
    assembled = audio_store.write_audio(SID_A, split(data, 7))
    assert assembled.bytes == len(data) and assembled.sha256 == sha(data)
    assert b"".join(audio_store.iter_audio(SID_A)) == data
    path = audio_store.audio_path(SID_A)
    original = path.read_bytes()

    def fails(blob: bytes) -> None:
        path.write_bytes(blob)
        with pytest.raises(StoredDataError):
            b"".join(audio_store.iter_audio(SID_A))

    flipped = bytearray(original)
    flipped[SEGMENT_BYTES + 100] ^= 0x80
    fails(bytes(flipped))
    record = 12 + 4 + SEGMENT_BYTES + 16
    head = original[:8]
    seg0 = original[8 : 8 + record]
    seg1 = original[8 + record : 8 + 2 * record]
    rest = original[8 + 2 * record :]
    fails(head + seg1 + seg0 + rest)  # segments swapped
    fails(head + seg0 + seg1)  # last segment cut off
    fails(original + b"x")  # trailing garbage
    path.write_bytes(original)
    other = audio_store.audio_path(SID_B)  # the same file under another session
    other.parent.mkdir(parents=True)
    other.write_bytes(original)
    with pytest.raises(StoredDataError):
        b"".join(audio_store.iter_audio(SID_B))
    assert b"".join(audio_store.iter_audio(SID_A)) == data


def test_sealed_blob_rejects_wrong_associated_data() -> None:
    cipher = Cipher(os.urandom(32))
    blob = cipher.seal(b"audio", associated_data(SID_A, "chunk", 3))
    assert cipher.open(blob, associated_data(SID_A, "chunk", 3), "x") == b"audio"
    for aad in (associated_data(SID_A, "chunk", 4), associated_data(SID_B, "chunk", 3)):
        with pytest.raises(StoredDataError):
            cipher.open(blob, aad, "x")


def test_no_audio_magic_bytes_on_disk(
    clinician: Api, jfk_webm: bytes, jfk_m4a: bytes, settings: Settings
) -> None:
    webm = clinician.new_session()
    clinician.upload_all(webm, split(jfk_webm, 4))
    m4a = clinician.new_session()
    for seq, piece in enumerate(split(jfk_m4a, 4)):
        assert clinician.put_chunk(m4a, seq, piece, "audio/mp4").status_code == 201
    assert clinician.finish(m4a, 4).status_code == 200  # chunks + an assembled stream on disk
    files = [p for p in (settings.store.data_dir / "audio").rglob("*") if p.is_file()]
    assert len(files) == 5
    markers = {magic for _, magic in AUDIO_MAGIC if len(magic) >= 4} | {b"webm", b"Opus", b"mp4a"}
    for path in files:
        blob = path.read_bytes()
        # A random 4-byte match somewhere in ~100 kB of ciphertext has odds below 1e-4.
        assert not any(marker in blob for marker in markers), path
    plain = b"".join(split(jfk_webm, 4))
    assert plain.startswith(b"\x1a\x45\xdf\xa3")  # the plaintext does have them


# --- audit chain -----------------------------------------------------------------------------
def _audited_history(make_client: Callable[..., Api], jfk_webm: bytes) -> None:
    api = make_client("ann")
    make_client("bob", login=False).post(
        "/api/login", json={"username": "bob", "password": "wrong password!"}
    )
    session_id = api.new_session()
    api.upload_all(session_id, split(jfk_webm, 2))
    assert api.finish(session_id, 2).status_code == 200


def test_audit_chain_verifies_and_exports(
    make_client: Callable[..., Api], store: Store, jfk_webm: bytes
) -> None:
    _audited_history(make_client, jfk_webm)
    with store.sessions() as db:
        report = audit.verify(db)
        lines = list(audit.export_lines(db))
    assert report.ok and report.entries == len(lines) >= 8
    actions = [line.split('"action":"')[1].split('"')[0] for line in lines]
    for expected in ("user_create", "login", "login_failed", "session_create", "consent",
                     "recording_started", "recording_finished"):  # fmt: skip
        assert expected in actions


@pytest.mark.parametrize("tamper", ["edit", "delete", "insert", "reorder"])
def test_audit_tampering_names_first_broken_entry(
    make_client: Callable[..., Api], store: Store, jfk_webm: bytes, tamper: str
) -> None:
    _audited_history(make_client, jfk_webm)
    with store.transaction() as db:
        if tamper == "edit":
            db.execute(update(AuditEntry).where(AuditEntry.id == 4).values(actor="mallory"))
            expected = 4
        elif tamper == "delete":
            db.execute(delete(AuditEntry).where(AuditEntry.id == 4))
            expected = 5
        elif tamper == "insert":
            last = db.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
            assert last is not None
            db.execute(update(AuditEntry).where(AuditEntry.id >= 4).values(id=AuditEntry.id + 1000))
            fake = AuditEntry(
                id=4, at=last.at, actor="mallory", action="login", detail="{}",
                prev_hash=last.prev_hash, hash="f" * 64,
            )  # fmt: skip
            db.add(fake)
            expected = 4
        else:
            a, b = (db.get(AuditEntry, i) for i in (4, 5))
            assert a is not None and b is not None
            fields = ("at", "actor_id", "actor", "action", "session_id", "detail", "prev_hash")
            values_a = {f: getattr(a, f) for f in fields} | {"hash": a.hash}
            values_b = {f: getattr(b, f) for f in fields} | {"hash": b.hash}
            db.execute(update(AuditEntry).where(AuditEntry.id == 4).values(hash="x" * 64))
            db.execute(update(AuditEntry).where(AuditEntry.id == 5).values(**values_a))
            db.execute(update(AuditEntry).where(AuditEntry.id == 4).values(**values_b))
            expected = 4
    with store.sessions() as db:
        report = audit.verify(db)
    assert not report.ok and report.first_broken_id == expected, report


# --- schema ------------------------------------------------------------------------------------
def test_migrations_match_the_models(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    script = ScriptDirectory.from_config(_alembic_config())
    assert version == script.get_current_head() == HEAD_REVISION, (
        "update store.db.HEAD_REVISION when adding a migration"
    )


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def test_open_store_twice_is_idempotent(settings: Settings, app: FastAPI) -> None:
    again = open_store(settings.store)
    try:
        with again.sessions() as db:
            assert db.scalar(select(User).limit(1)) is None
    finally:
        again.close()


def test_cli_user_add(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from avt_notes.cli import serve  # noqa: F401  (registers the commands)
    from avt_notes.cli.app import app as cli
    from avt_notes.config import get_settings

    monkeypatch.setenv("AVT_DATA_DIR", str(settings.store.data_dir))
    if settings.store.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.store.database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(
            cli, ["user", "add", "dr-who", "--role", "clinician", "--password-stdin"],
            input="a long password\n",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "created clinician 'dr-who'" in result.output
        duplicate = runner.invoke(
            cli, ["user", "add", "dr-who", "--password-stdin"], input="a long password\n"
        )
        assert duplicate.exit_code != 0
        assert "already exists" in str(duplicate.exception)
    finally:
        get_settings.cache_clear()
    store = open_store(settings.store)
    try:
        with store.sessions() as db:
            user = db.scalar(select(User).where(User.username == "dr-who"))
            assert user is not None and user.role == "clinician"
            assert user.password_hash.startswith("$argon2id$")
    finally:
        store.close()
