"""A web app and N queue workers on this machine, as subprocesses (tests, benchmark).

The same commands an operator runs (`python -m avt_notes.web`, `python -m
avt_notes worker`), started with one shared environment: data folder, database,
broker. Each worker runs in its own process group, so "kill the worker" can
mean the whole worker (main process and pool), as when a machine dies.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from avt_notes.config import WebSettings
from avt_notes.store.recordings import Notice

SRC = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    health_port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def health(self) -> tuple[int, dict[str, object]]:
        try:
            response = httpx.get(f"http://127.0.0.1:{self.health_port}/health", timeout=5)
        except httpx.HTTPError as error:
            return 0, {"error": str(error)}
        return response.status_code, response.json()

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class LocalCluster:
    data_dir: Path
    database_url: str
    broker_url: str
    log_dir: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    web: subprocess.Popen[bytes] | None = None
    web_port: int = 0
    workers: list[WorkerProcess] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
        return {
            **os.environ,
            "PYTHONPATH": path,
            "AVT_DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            "AVT_BROKER_URL": self.broker_url,
            **self.env_extra,
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def _spawn(self, args: list[str], log: Path) -> subprocess.Popen[bytes]:
        with open(log, "ab") as out:
            return subprocess.Popen(
                [sys.executable, *args], env=self.env, stdout=out, stderr=out,
                start_new_session=True,
            )  # fmt: skip

    def start_web(self, timeout: float = 60) -> None:
        self.web_port = free_port()
        log = self.log_dir / "web.log"
        self.web = self._spawn(["-m", "avt_notes.web", "--port", str(self.web_port)], log)
        wait_for_health(f"{self.url}/api/health", self.web, log, timeout)

    def start_worker(self) -> WorkerProcess:
        port = free_port()
        log = self.log_dir / f"worker-{len(self.workers)}.log"
        process = self._spawn(["-m", "avt_notes", "worker", "--health-port", str(port)], log)
        worker = WorkerProcess(process, port, log)
        self.workers.append(worker)
        return worker

    def wait_ready(self, worker: WorkerProcess, timeout: float = 600) -> None:
        """Until the worker's health says its models are loaded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not worker.alive():
                raise RuntimeError(f"worker exited: {worker.log.read_text()[-3000:]}")
            status, _ = worker.health()
            if status == 200:
                return
            time.sleep(1)
        raise RuntimeError(f"worker not ready after {timeout} s: {worker.health()}")

    def worker_by_pid(self, main_pid: int) -> WorkerProcess | None:
        return next((w for w in self.workers if w.pid == main_pid and w.alive()), None)

    def kill(self, worker: WorkerProcess) -> None:
        """SIGKILL the whole worker (main process and pool): no shutdown code runs."""
        os.killpg(worker.pid, signal.SIGKILL)
        worker.process.wait(30)

    def stop(self, worker: WorkerProcess) -> None:
        """SIGTERM: Celery's warm shutdown (finish running tasks, then exit)."""
        worker.process.send_signal(signal.SIGTERM)

    def close(self) -> None:
        for process in [self.web, *(w.process for w in self.workers)]:
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(30)

    def login(self, username: str, password: str) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=120)
        response = client.post("/api/login", json={"username": username, "password": password})
        response.raise_for_status()
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client


def submit_file(client: httpx.Client, audio: bytes, content_type: str, label: str) -> str:
    """Create a consented session and upload a recording to it; returns the session id."""
    web = WebSettings()
    notice = Notice(text=web.consent_notice, version=web.consent_notice_version)
    response = client.post("/api/sessions", json={"label": label})
    response.raise_for_status()
    session_id = str(response.json()["id"])
    client.post(
        f"/api/sessions/{session_id}/consent",
        json={"method": "verbal", "notice_sha256": notice.sha256},
    ).raise_for_status()
    client.post(
        f"/api/sessions/{session_id}/file",
        content=audio,
        headers={"Content-Type": content_type},
    ).raise_for_status()
    return session_id


def wait_for_health(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float, poll: float = 0.1
) -> None:
    """Return once `url` answers 200; raise if `process` exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(poll)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
