"""Database engine, sessions and migrations.

SQLite in the data folder by default (nothing to install), PostgreSQL when
``DATABASE_URL`` says so; the same Alembic migrations build both, run
programmatically at startup so a fresh machine needs no separate step.

On SQLite every transaction starts with ``BEGIN IMMEDIATE``: writers queue on
the lock (``busy_timeout``) instead of failing with "database is locked" when
a read transaction later tries to write, which the audit hash chain and the
job claim both do. ``synchronous=FULL`` in WAL mode makes a commit durable
before the server acknowledges a chunk.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from avt_notes.config import StoreSettings
from avt_notes.errors import InputError

logger = logging.getLogger("avt_notes.store")

DATABASE_FILE = "avt-notes.db"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions (a test checks this against Alembic).
# Lets a start-up on an up-to-date database skip importing Alembic (~0.4 s).
HEAD_REVISION = "0004"
# Alembic keeps its migration context in module globals: one migration at a time per process.
_MIGRATION_LOCK = threading.Lock()


def database_file(settings: StoreSettings) -> Path:
    """The embedded SQLite file in the data folder (used unless ``DATABASE_URL`` is set)."""
    return (settings.data_dir / DATABASE_FILE).resolve()


def open_database(settings: StoreSettings, *, read_only: bool = False) -> Engine:
    """The one way to the database: ``DATABASE_URL``, else SQLite in the data folder.

    Read-write creates the SQLite file (owner-only) when absent. Read-only, for
    commands that only read (audit, reports): nothing is created, a missing
    SQLite file is an `InputError`, and the backend itself refuses writes.
    """
    url = settings.database_url
    if url:
        # Plain postgresql:// means psycopg 2 to SQLAlchemy; we ship psycopg 3.
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        if read_only:
            engine = create_engine(url, pool_pre_ping=True)
            return engine.execution_options(postgresql_readonly=True)
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    path = database_file(settings)
    if read_only:
        if not path.is_file():
            raise InputError(
                f"no database in {settings.data_dir} (set AVT_DATA_DIR or DATABASE_URL)"
            )
        return _sqlite_engine(f"sqlite:///file:{path}?mode=ro&uri=true", read_only=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Transcripts and drafts are health data: owner-only from the first byte (SQLite gives
    # its -wal and -shm files the database file's permissions).
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    return _sqlite_engine(f"sqlite:///{path}", read_only=False)


def _sqlite_engine(url: str, *, read_only: bool) -> Engine:
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
    )

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the driver (SQLAlchemy's recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not read_only:  # a read-only connection cannot switch the journal mode
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        # Writers take the lock up front; readers need none.
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent, safe to run at every start)."""
    if current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with _MIGRATION_LOCK, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes starting together must not both create the tables.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7423001)")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with factory() as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise
