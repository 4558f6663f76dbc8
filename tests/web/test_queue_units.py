"""Pieces of the scale-out deployment on the real PostgreSQL and broker, without models:
the per-session lock, claiming by id, audit entries once per job, publishing queued
jobs, scratch files on a shared folder, the worker command's refusals, JSON logs."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from brokerhelpers import broker_url
from sqlalchemy import select
from typer.testing import CliRunner

from avt_notes.store import Store, audit, jobs
from avt_notes.store.audio_store import FilesystemAudioStore
from avt_notes.store.job_locks import claim_by_id, session_lock, session_lock_key
from avt_notes.store.tables import AuditEntry, Job
from avt_notes.tasks.logs import JsonFormatter, job_context

from webhelpers import Api

__all__ = ["broker_url"]  # a fixture
postgres_only = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)]
)


def _queued_job(store: Store, clinician: Api) -> Job:
    session_id = clinician.new_session()
    with store.transaction() as db:
        job = jobs.enqueue(db, session_id)
    return job


@postgres_only
def test_session_lock_is_exclusive_and_freed_when_its_process_dies(
    store: Store, clinician: Api, pg_url: str
) -> None:
    job = _queued_job(store, clinician)
    with session_lock(store.engine, job.session_id) as held:
        assert held
        with session_lock(store.engine, job.session_id) as again:
            assert not again  # a second worker must not run this session now
    # Another process takes the lock and is killed without any clean-up.
    key = session_lock_key(job.session_id)
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys, time, psycopg; c = psycopg.connect(sys.argv[1], autocommit=True); "
            "c.execute('SELECT pg_advisory_lock(%s)', (int(sys.argv[2]),)); "
            "print('locked', flush=True); time.sleep(600)"
        ), pg_url.replace("+psycopg", ""), str(key)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        with session_lock(store.engine, job.session_id) as held:
            assert not held
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        deadline = time.monotonic() + 10
        while True:  # the server notices the closed connection at once
            with session_lock(store.engine, job.session_id) as held:
                if held:
                    break
            assert time.monotonic() < deadline, "lock of a killed process was not released"
            time.sleep(0.1)
    finally:
        if holder.poll() is None:
            holder.kill()


@postgres_only
def test_claim_takes_queued_resumes_orphaned_and_skips_finished(
    store: Store, clinician: Api
) -> None:
    job = _queued_job(store, clinician)
    with store.sessions() as db:
        first = claim_by_id(db, job.id, "host/1/2", max_attempts=2)
    assert first.job is not None and not first.taken_over and first.job.attempts == 1
    # Its worker died with the row `running`; the next claimant (holding the lock) resumes it.
    with store.sessions() as db:
        second = claim_by_id(db, job.id, "host/3/4", max_attempts=2)
    assert second.job is not None and second.taken_over
    assert (second.job.worker_id, second.job.attempts) == ("host/3/4", 2)
    # A job whose worker died at every attempt is failed, not retried forever.
    with store.sessions() as db:
        third = claim_by_id(db, job.id, "host/5/6", max_attempts=2)
        assert third.job is None and "2 attempts" in third.reason
        assert db.get(Job, job.id, populate_existing=True).status == "failed"  # type: ignore[union-attr]
    done = _queued_job(store, clinician)
    with store.transaction() as db:
        row = db.get(Job, done.id)
        assert row is not None
        jobs.complete(db, row)
    with store.sessions() as db:
        assert claim_by_id(db, done.id, "host/7/8", max_attempts=2).reason == "already done"


def test_audit_entry_with_a_job_id_is_written_once(store: Store, clinician: Api) -> None:
    job = _queued_job(store, clinician)
    for _ in range(2):  # the job's first worker died after logging; the second logs again
        with store.transaction() as db:
            audit.append(db, "process_started", session_id=job.session_id, job=job.id)
    with store.transaction() as db:
        audit.append(db, "process_started", session_id=job.session_id, job=job.id + 10)
        audit.append(db, "process_retry", session_id=job.session_id)
        audit.append(db, "process_retry", session_id=job.session_id)
    with store.sessions() as db:
        started = db.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "process_started")
        ).all()
        assert sorted(json.loads(d)["job"] for d in started) == [job.id, job.id + 10]
        retries = db.scalars(select(AuditEntry).where(AuditEntry.action == "process_retry"))
        assert len(retries.all()) == 2  # entries without a job id are never merged
        assert audit.verify(db).ok


def _drain(url: str, queue: str) -> list[tuple[str, list[int]]]:
    from kombu import Connection

    with Connection(url) as connection:
        channel = connection.channel()
        channel.queue_declare(queue, durable=True, auto_delete=False)  # as Celery declares it
        published = []
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            published.append((message.headers["task"], json.loads(message.body)[0]))
    return published


REDIS_URL = os.environ.get("AVT_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture(params=["rabbitmq", "redis"])
def any_broker(request: pytest.FixtureRequest) -> str:
    """Both brokers the deployment supports (Redis: a database index kept for tests)."""
    if request.param == "rabbitmq":
        return str(request.getfixturevalue("broker_url"))
    from kombu import Connection

    try:
        with Connection(REDIS_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception:
        pytest.skip(f"no Redis at {REDIS_URL}")
    return REDIS_URL


@postgres_only
def test_dispatcher_publishes_each_queued_job_once_and_again_when_lost(
    store: Store, clinician: Api, any_broker: str
) -> None:
    from datetime import timedelta

    from avt_notes.tasks.dispatch import TaskDispatcher
    from avt_notes.tasks.queues import PROCESS_QUEUE

    _drain(any_broker, PROCESS_QUEUE)  # a message an earlier run left (Redis keeps none)
    queued = [_queued_job(store, clinician).id for _ in range(3)]
    dispatcher = TaskDispatcher(store, any_broker)
    assert dispatcher.publish_queued() == 3
    assert dispatcher.publish_queued() == 0  # already published by this web process
    assert dispatcher.republish_lost(timedelta(0)) == 0  # the broker still holds them
    expected = [("avt.process_session", [job_id]) for job_id in queued]
    assert _drain(any_broker, PROCESS_QUEUE) == expected  # consumed: as if the broker lost them
    assert dispatcher.republish_lost(timedelta(hours=1)) == 0  # not waiting long yet
    assert dispatcher.republish_lost(timedelta(0)) == 3
    assert _drain(any_broker, PROCESS_QUEUE) == expected


def test_scratch_sweep_keeps_other_hosts_files(tmp_path: Path) -> None:
    shared = tmp_path / "scratch"
    store = FilesystemAudioStore(tmp_path / "data", scratch_dir=shared)
    other_host = shared / "plain-1-0badc0de-abc.wav"  # pid 1 of another machine
    stale_here = shared / f"plain-99999999-{_host_tag(store)}-abc.wav"  # a dead local pid
    for path in (other_host, stale_here):
        path.write_bytes(b"x")
    assert store.sweep_scratch() == 1
    assert other_host.exists() and not stale_here.exists()
    with store.scratch_file(".wav") as plain:
        assert plain.parent == shared


def _host_tag(store: FilesystemAudioStore) -> str:
    with store.scratch_file() as plain:
        return plain.name.split("-")[2]


def test_worker_command_refuses_without_broker_or_postgres(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from avt_notes.cli import serve, worker  # noqa: F401  (register commands)
    from avt_notes.cli.app import app

    monkeypatch.setenv("AVT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AVT_BROKER_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["worker"])
    assert "AVT_BROKER_URL" in str(result.exception)
    monkeypatch.setenv("AVT_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
    result = runner.invoke(app, ["worker"])
    assert "PostgreSQL" in str(result.exception)


def test_json_log_lines_carry_job_and_session() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("avt_notes.test_json")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        with job_context(42, "a" * 32):
            log.info("stage %s", "diarising")
        log.info("outside")
    finally:
        log.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (inside["job_id"], inside["session_id"], inside["message"]) == (
        42,
        "a" * 32,
        "stage diarising",
    )
    assert "job_id" not in outside and "session_id" not in outside
