"""Persistence for the web service: database, encrypted audio, jobs and audit.

`open_store` is the one way in: it builds the engine (SQLite in the data
folder unless ``DATABASE_URL`` is set), runs the migrations, and opens the
audio store (creating the key on first run). The web app, the worker and the
CLI all share a `Store`; core stages never import this package.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from avt_notes.store.audio_store import AudioStore, FilesystemAudioStore
from avt_notes.store.db import database_url, make_engine, make_sessionmaker, migrate, transaction


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


def open_store(
    data_dir: Path,
    url: str | None = None,
    key_file: Path | None = None,
    scratch_dir: Path | None = None,
) -> Store:
    """Connect, migrate to the newest schema and open the audio store."""
    engine = make_engine(database_url(data_dir, url))
    migrate(engine)
    return Store(
        engine=engine,
        sessions=make_sessionmaker(engine),
        audio=FilesystemAudioStore(data_dir, key_file, scratch_dir),
    )


__all__ = ["AudioStore", "FilesystemAudioStore", "Store", "open_store"]
