"""Persistence for the web service: database, encrypted audio, jobs and audit.

`open_store` is the way in for the service: it opens the database
(`db.open_database`, SQLite in the data folder unless ``DATABASE_URL`` is
set), runs the migrations, and opens the audio store (creating the key on
first run). Commands that only read open the database read-only. The web app, the worker and the
CLI all share a `Store`; core stages never import this package.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from avt_notes.config import StoreSettings
from avt_notes.store.audio_store import AudioStore
from avt_notes.store.db import make_sessionmaker, migrate, open_database, transaction


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]
    audio: AudioStore

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with transaction(self.sessions) as db:
            yield db

    def close(self) -> None:
        self.engine.dispose()


def open_store(settings: StoreSettings) -> Store:
    """Connect, migrate to the newest schema and open the audio store."""
    engine = open_database(settings)
    migrate(engine)
    return Store(
        engine=engine,
        sessions=make_sessionmaker(engine),
        audio=AudioStore(settings.data_dir, settings.audio_key_file),
    )


__all__ = ["AudioStore", "Store", "open_store"]
