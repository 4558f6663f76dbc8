"""Encrypted audio: the `AudioStore` interface and its filesystem backend.

Every process that handles audio (the web app, each queue worker) goes through
`AudioStore`. `FilesystemAudioStore` keeps the sealed files in a folder that
may be a shared volume (NFS, SMB, a cluster file system) mounted on every
machine: files are written under temporary names and renamed into place, so
a reader on another machine never sees half a file, and nothing but sealed
bytes ever lands there. Plaintext scratch files belong on local disk
(`scratch_dir`), tagged with host and pid so a sweep never removes another
machine's files.

Filesystem layout under ``<data_dir>/audio/<session id>/``::

    chunks/000007-<sha256[:16]>.enc   one uploaded chunk, sealed with (session, "chunk", 7)
    audio.enc                         the whole recording, a sealed segmented stream

A chunk file is written to a temporary name, fsync'd, renamed and its folder
fsync'd before the database row that acknowledges it commits, so an
acknowledged chunk survives a crash. The file name carries the content hash:
two different uploads racing for the same sequence number can never overwrite
the bytes an acknowledgement points at.

MediaRecorder timeslices are not decodable alone (only the first carries the
container header), so chunks are stored raw and the recording is their
concatenation in sequence order. Plaintext only ever exists in short-lived
0600 files under ``<data_dir>/tmp`` (validation, model input), removed after
use and swept at startup.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from avt_notes.store.crypto import Cipher, associated_data, load_or_create_key
from avt_notes.store.errors import NotFoundError, StoredDataError

logger = logging.getLogger("avt_notes.store")

_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class AssembledAudio:
    bytes: int
    sha256: str


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, write: Iterable[bytes] | bytes) -> None:
    """Write to a temp name, fsync, rename over `path`, fsync the folder."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(write, bytes):
                handle.write(write)
            else:
                for piece in write:
                    handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


class AudioStore(Protocol):
    """Seal, store, verify and read back session audio (any backend)."""

    def put_chunk(self, session_id: str, seq: int, data: bytes, sha256: str) -> object: ...
    def discard_chunk(self, session_id: str, seq: int, sha256: str) -> None: ...
    def read_chunk(self, session_id: str, seq: int, sha256: str) -> bytes: ...
    def iter_chunks(
        self, session_id: str, chunks: Iterable[tuple[int, str]]
    ) -> Iterator[bytes]: ...
    def delete_chunks(self, session_id: str) -> None: ...
    def write_audio(
        self, session_id: str, pieces: Iterable[bytes], plain_copy: Path | None = None
    ) -> AssembledAudio: ...
    def has_audio(self, session_id: str) -> bool: ...
    def discard_audio(self, session_id: str) -> None: ...
    def has_session(self, session_id: str) -> bool: ...
    def iter_audio(self, session_id: str) -> Iterator[bytes]: ...
    def decrypt_audio_to(self, session_id: str, dest: Path) -> int: ...
    def delete_session(self, session_id: str) -> None: ...
    def scratch_file(self, suffix: str = "") -> AbstractContextManager[Path]: ...
    def sweep_scratch(self) -> int: ...


# Scratch files carry the host as well as the pid: a pid is only meaningful on its host.
_HOST_TAG = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


class FilesystemAudioStore:
    """`AudioStore` on a local or shared folder (``<data_dir>/audio``)."""

    def __init__(
        self, data_dir: Path, key_file: Path | None = None, scratch_dir: Path | None = None
    ) -> None:
        self.root = data_dir / "audio"
        self.tmp = scratch_dir or data_dir / "tmp"
        for folder in (self.root, self.tmp):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.key_file = key_file or data_dir / "keys" / "audio.key"
        self._cipher = Cipher(load_or_create_key(self.key_file))

    # --- paths -----------------------------------------------------------------
    def session_dir(self, session_id: str) -> Path:
        if not _SESSION_ID.match(session_id):
            raise NotFoundError("no such session")
        return self.root / session_id

    def chunk_path(self, session_id: str, seq: int, sha256: str) -> Path:
        if seq < 0 or not _SHA256.match(sha256):
            raise ValueError("bad chunk address")
        return self.session_dir(session_id) / "chunks" / f"{seq:06d}-{sha256[:16]}.enc"

    def audio_path(self, session_id: str) -> Path:
        return self.session_dir(session_id) / "audio.enc"

    # --- chunks ----------------------------------------------------------------
    def put_chunk(self, session_id: str, seq: int, data: bytes, sha256: str) -> Path:
        """Seal and durably write one chunk (idempotent for the same content)."""
        path = self.chunk_path(session_id, seq, sha256)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_durably(path, self._cipher.seal(data, associated_data(session_id, "chunk", seq)))
        return path

    def discard_chunk(self, session_id: str, seq: int, sha256: str) -> None:
        """Remove a chunk written but never acknowledged."""
        self.chunk_path(session_id, seq, sha256).unlink(missing_ok=True)

    def read_chunk(self, session_id: str, seq: int, sha256: str) -> bytes:
        """The plaintext of an acknowledged chunk, verified against key, position and hash."""
        path = self.chunk_path(session_id, seq, sha256)
        what = f"session {session_id} chunk {seq}"
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise StoredDataError(f"{what}: acknowledged but missing on disk") from None
        plain = self._cipher.open(blob, associated_data(session_id, "chunk", seq), what)
        if hashlib.sha256(plain).hexdigest() != sha256:
            raise StoredDataError(f"{what}: content does not match its recorded checksum")
        return plain

    def iter_chunks(self, session_id: str, chunks: Iterable[tuple[int, str]]) -> Iterator[bytes]:
        """Plaintext of (seq, sha256) chunks in the order given."""
        for seq, sha256 in chunks:
            yield self.read_chunk(session_id, seq, sha256)

    def delete_chunks(self, session_id: str) -> None:
        shutil.rmtree(self.session_dir(session_id) / "chunks", ignore_errors=True)

    # --- the assembled recording ------------------------------------------------
    def write_audio(
        self, session_id: str, pieces: Iterable[bytes], plain_copy: Path | None = None
    ) -> AssembledAudio:
        """Seal `pieces` (in order) as the session's recording; optionally tee plaintext."""
        digest = hashlib.sha256()
        copy = open(plain_copy, "wb") if plain_copy is not None else None  # noqa: SIM115

        def tee() -> Iterator[bytes]:
            for piece in pieces:
                digest.update(piece)
                if copy is not None:
                    copy.write(piece)
                yield piece

        path = self.audio_path(session_id)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                total = self._cipher.seal_stream(tee(), handle, session_id, "audio")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        finally:
            if copy is not None:
                copy.close()
        _fsync_dir(path.parent)
        return AssembledAudio(bytes=total, sha256=digest.hexdigest())

    def has_audio(self, session_id: str) -> bool:
        return self.audio_path(session_id).is_file()

    def discard_audio(self, session_id: str) -> None:
        """Remove an assembled recording that was not accepted."""
        self.audio_path(session_id).unlink(missing_ok=True)

    def has_session(self, session_id: str) -> bool:
        """Whether any byte of the session (chunks or recording) is stored."""
        return self.session_dir(session_id).exists()

    def iter_audio(self, session_id: str) -> Iterator[bytes]:
        """The recording's plaintext, segment by segment, each verified."""
        path = self.audio_path(session_id)
        what = f"session {session_id} audio"
        try:
            handle = open(path, "rb")  # noqa: SIM115  (closed when the generator ends)
        except FileNotFoundError:
            raise NotFoundError("this session has no stored audio") from None
        with handle:
            yield from self._cipher.open_stream(handle, session_id, "audio", what)

    def decrypt_audio_to(self, session_id: str, dest: Path) -> int:
        """Write the verified plaintext recording to `dest`; returns its size."""
        total = 0
        with open(dest, "wb") as out:
            for piece in self.iter_audio(session_id):
                out.write(piece)
                total += len(piece)
        return total

    def delete_session(self, session_id: str) -> None:
        """Remove every stored byte of a session's audio (withdrawal, deletion)."""
        shutil.rmtree(self.session_dir(session_id), ignore_errors=True)

    # --- plaintext scratch -------------------------------------------------------
    @contextmanager
    def scratch_file(self, suffix: str = "") -> Iterator[Path]:
        """A private temp path for plaintext, always removed afterwards."""
        prefix = f"plain-{os.getpid()}-{_HOST_TAG}-"
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=self.tmp)
        os.close(fd)
        os.chmod(name, 0o600)
        try:
            yield Path(name)
        finally:
            Path(name).unlink(missing_ok=True)

    def sweep_scratch(self) -> int:
        """Remove plaintext left behind by crashed processes; returns how many files."""
        removed = 0
        for path in self.tmp.glob("plain-*"):
            _, pid, host = [*path.name.split("-"), "", ""][:3]
            if len(host) == len(_HOST_TAG) and host != _HOST_TAG:
                continue  # another machine's file on a shared scratch folder
            if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
                continue
            path.unlink(missing_ok=True)
            removed += 1
        if removed:
            logger.info("removed %d leftover plaintext scratch files", removed)
        return removed
