"""SIGKILL the server at random moments during chunk uploads; nothing acknowledged is lost.

One recording, one data folder, many lives of the server: each iteration
starts it, uploads the remaining chunks from two client threads, kills it
(SIGKILL, no shutdown code runs) after a random delay, then checks with the
server down that every chunk the server acknowledged is recorded in the
database and decrypts to exactly the bytes sent. Finally the recording is
finished and the assembled audio must equal the original file. 20 kill points
by default; ``--soak`` (or AVT_SOAK=1) runs 200.
"""

from __future__ import annotations

import hashlib
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from avt_notes.config import StoreSettings
from avt_notes.store import Store, open_store
from avt_notes.store.tables import AudioChunk
from avt_notes.tasks.local_cluster import wait_for_health

from testdata import checkout_env
from webhelpers import PASSWORD, add_user, soak_enabled

CHUNK_BYTES = 12 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`python -m avt_notes.web` in a subprocess, on one data folder."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = checkout_env(AVT_DATA_DIR=str(self.data_dir), AVT_WORKER="0")
        env["AVT_TEMPLATES"] = '["soap"]'  # skip listing prompt files: faster restarts
        env.pop("DATABASE_URL", None)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "avt_notes.web", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=log,
            )
        # A cold start on a loaded 2-core machine is slow.
        wait_for_health(f"{self.url}/api/health", self.process, self.log, 90, poll=0.03)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def upload(
    client: httpx.Client, session_id: str, todo: queue.Queue[int], pieces: list[bytes],
    acked: set[int], lock: threading.Lock,
) -> None:  # fmt: skip
    """Send chunks until the queue is empty or the server is gone; record every 2xx."""
    while True:
        try:
            seq = todo.get_nowait()
        except queue.Empty:
            return
        piece = pieces[seq]
        try:
            response = client.put(
                f"/api/sessions/{session_id}/chunks/{seq}",
                content=piece,
                headers={
                    "Content-Type": "audio/wav",
                    "X-Chunk-SHA256": hashlib.sha256(piece).hexdigest(),
                },
            )
        except httpx.HTTPError:
            return  # killed mid-request: unacknowledged, will be re-sent
        if response.status_code in (200, 201):
            with lock:
                acked.add(seq)
        else:
            raise AssertionError(f"chunk {seq}: {response.status_code} {response.text}")


def check_acknowledged(store: Store, session_id: str, pieces: list[bytes], acked: set[int]) -> None:
    with store.sessions() as db:
        rows = {c.seq: c.sha256 for c in db.scalars(
            select(AudioChunk).where(AudioChunk.session_id == session_id))}  # fmt: skip
    missing = acked - set(rows)
    assert not missing, f"acknowledged chunks lost: {sorted(missing)}"
    for seq, sha in rows.items():
        assert store.audio.read_chunk(session_id, seq, sha) == pieces[seq]


def run_lane(root: Path, iterations: int, seed: int, data: bytes) -> int:
    """Kill/restart one server `iterations` times on its own data folder; returns how many
    kills landed while an upload was in flight."""
    rng = random.Random(seed)
    pieces = [data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)]
    server = Server(root / "data", root / "server.log")
    store = open_store(
        StoreSettings(data_dir=server.data_dir)
    )  # the test's own view of the database and key
    add_user(store, "ann")
    server.start()
    client = httpx.Client(base_url=server.url, timeout=10)
    acked: set[int] = set()
    lock = threading.Lock()
    kills_mid_upload = 0
    try:
        login = client.post("/api/login", json={"username": "ann", "password": PASSWORD})
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        session_id = client.post("/api/sessions", json={"label": "crash test"}).json()["id"]
        page = client.get(f"/sessions/{session_id}").text
        notice = page.split('data-notice-sha="')[1][:64]
        consent = client.post(
            f"/api/sessions/{session_id}/consent",
            json={"method": "verbal", "notice_sha256": notice},
        )
        assert consent.status_code == 200, consent.text

        for _ in range(iterations):
            if server.process is None or server.process.poll() is not None:
                server.start()  # the restart: resume where the last life ended
            todo: queue.Queue[int] = queue.Queue()
            remaining = [s for s in range(len(pieces)) if s not in acked]
            # After everything is in, keep killing during idempotent re-sends.
            for seq in remaining or rng.sample(range(len(pieces)), 40):
                todo.put(seq)
            threads = [
                threading.Thread(
                    target=upload, args=(client, session_id, todo, pieces, acked, lock)
                )
                for _ in range(2)
            ]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.0, 0.25))
            kills_mid_upload += any(t.is_alive() for t in threads)
            server.kill()
            for thread in threads:
                thread.join(15)
            check_acknowledged(store, session_id, pieces, acked)  # with the server down

        server.start()
        todo = queue.Queue()
        for seq in range(len(pieces)):
            if seq not in acked:
                todo.put(seq)
        upload(client, session_id, todo, pieces, acked, lock)
        assert acked == set(range(len(pieces)))
        finished = client.post(
            f"/api/sessions/{session_id}/finish", json={"total_chunks": len(pieces)}
        )
        assert finished.status_code == 200, finished.text
        assert 10.5 < finished.json()["audio_seconds"] < 11.5
        assert client.get(f"/api/sessions/{session_id}/audio").content == data
    finally:
        client.close()
        server.kill()
        store.close()
    return kills_mid_upload


@pytest.mark.slow  # 20 server lives, minutes on a busy machine
@pytest.mark.parametrize("backend", ["sqlite"])  # the embedded default; fsync is ours there
def test_sigkill_during_upload_loses_no_acknowledged_chunk(
    tmp_path: Path, jfk_wav: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """Two independent lanes run side by side (one restarts while the other uploads)."""
    iterations = 200 if soak_enabled(request.config) else 20
    seed = int(os.environ.get("AVT_KILL_SEED", "4"))
    data = jfk_wav.read_bytes()
    results: dict[int, int | BaseException] = {}

    def lane(index: int) -> None:
        try:
            results[index] = run_lane(
                tmp_path / f"lane{index}", iterations // 2, seed + index, data
            )
        except BaseException as error:  # re-raised in the test thread below
            results[index] = error

    threads = [threading.Thread(target=lane, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results.values():
        if isinstance(result, BaseException):
            raise result
    mid_upload = sum(int(r) for r in results.values())  # type: ignore[call-overload]
    assert mid_upload >= iterations // 2, "most kills should land during an upload"
