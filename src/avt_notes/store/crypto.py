"""AES-GCM encryption of audio at rest, with the session and position bound in.

Why AES-GCM from `cryptography`: authenticated encryption, so a flipped byte
is an error rather than silently different audio. Every sealed blob carries
associated data naming the session, the kind of object and its index, so a
chunk copied to another session or swapped with its neighbour fails to open
even though both were encrypted with the same key.

Large audio is sealed as a sequence of fixed-size segments (each its own
nonce and tag, the index and a last-segment flag in the associated data), so
a file of any size streams in bounded memory and a truncated file is
detected. The 256-bit key lives in a file created on first run with 0600
permissions; losing it loses the audio, by design.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from avt_notes.store.errors import StoredDataError

logger = logging.getLogger("avt_notes.store")

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
BLOB_MAGIC = b"AVE1"  # one sealed blob: magic, nonce, ciphertext+tag
STREAM_MAGIC = b"AVS1"  # segmented stream: magic, segment size, then records
SEGMENT_BYTES = 1024 * 1024
_RECORD_HEADER = struct.Struct(">12sI")  # nonce, ciphertext length


def load_or_create_key(path: Path) -> bytes:
    """The key in `path`, created (0600, parent 0700) if the file does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            logger.warning("audio key %s is readable by others (mode %o); chmod 600 it", path, mode)
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise StoredDataError(
                f"audio key {path} holds {len(key)} bytes, expected {KEY_BYTES}; "
                "restore the original key file (audio sealed with another key cannot be read)"
            ) from None
        return key
    key = AESGCM.generate_key(bit_length=8 * KEY_BYTES)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    logger.info("created audio encryption key %s", path)
    return key


def associated_data(session_id: str, kind: str, index: int, last: bool = False) -> bytes:
    """What a sealed object is and where it belongs; tampering with any part fails."""
    return f"avt-notes/v1|{session_id}|{kind}|{index}|{int(last)}".encode()


class Cipher:
    """Seal and open bytes with one AES-256-GCM key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return BLOB_MAGIC + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, blob: bytes, aad: bytes, what: str) -> bytes:
        if len(blob) < len(BLOB_MAGIC) + NONCE_BYTES + TAG_BYTES or not blob.startswith(BLOB_MAGIC):
            raise StoredDataError(f"{what}: not a sealed audio object (truncated or replaced)")
        nonce = blob[len(BLOB_MAGIC) : len(BLOB_MAGIC) + NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, blob[len(BLOB_MAGIC) + NONCE_BYTES :], aad)
        except InvalidTag:
            raise StoredDataError(
                f"{what}: failed authentication (tampered, corrupted, or not this "
                "session's / position's data)"
            ) from None

    def seal_stream(
        self, pieces: Iterable[bytes], out: BinaryIO, session_id: str, kind: str
    ) -> int:
        """Write `pieces` (any sizes) as authenticated segments; returns plaintext bytes."""
        out.write(STREAM_MAGIC + struct.pack(">I", SEGMENT_BYTES))
        buffer = bytearray()
        index = total = 0
        pending: bytes | None = None  # hold one segment back to know which is last

        def emit(segment: bytes, last: bool) -> None:
            nonce = os.urandom(NONCE_BYTES)
            sealed = self._aead.encrypt(
                nonce, segment, associated_data(session_id, kind, index, last)
            )
            out.write(_RECORD_HEADER.pack(nonce, len(sealed)) + sealed)

        for piece in pieces:
            buffer += piece
            total += len(piece)
            while len(buffer) >= SEGMENT_BYTES:
                if pending is not None:
                    emit(pending, last=False)
                    index += 1
                pending = bytes(buffer[:SEGMENT_BYTES])
                del buffer[:SEGMENT_BYTES]
        if buffer or pending is None:
            if pending is not None:
                emit(pending, last=False)
                index += 1
            emit(bytes(buffer), last=True)
        else:
            emit(pending, last=True)
        return total

    def open_stream(
        self, handle: BinaryIO, session_id: str, kind: str, what: str
    ) -> Iterator[bytes]:
        """Yield the plaintext segments of a sealed stream, verifying each and the end."""
        head = handle.read(len(STREAM_MAGIC) + 4)
        if len(head) < len(STREAM_MAGIC) + 4 or not head.startswith(STREAM_MAGIC):
            raise StoredDataError(f"{what}: not a sealed audio stream (truncated or replaced)")
        index = 0
        while True:
            header = handle.read(_RECORD_HEADER.size)
            if len(header) < _RECORD_HEADER.size:
                raise StoredDataError(f"{what}: ends before its last segment (truncated)")
            nonce, length = _RECORD_HEADER.unpack(header)
            if length > SEGMENT_BYTES + TAG_BYTES:
                raise StoredDataError(f"{what}: segment {index} has an impossible length")
            sealed = handle.read(length)
            plain = None
            for last in (False, True):
                try:
                    plain = self._aead.decrypt(
                        nonce, sealed, associated_data(session_id, kind, index, last)
                    )
                except InvalidTag:
                    continue
                if last:
                    if handle.read(1):
                        raise StoredDataError(f"{what}: data after the last segment")
                    yield plain
                    return
                break
            if plain is None:
                raise StoredDataError(
                    f"{what}: segment {index} failed authentication (tampered, corrupted, "
                    "reordered, or not this session's audio)"
                )
            yield plain
            index += 1
