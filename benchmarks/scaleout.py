"""Sessions per hour and mean wait with 1 and 2 queue workers on this machine.

Starts the real scale-out deployment (web app + N Celery workers, PostgreSQL,
the broker), waits until every worker has its models loaded, then uploads a
burst of sessions at once and reads the job table: throughput is sessions
finished per hour from the first upload to the last draft; wait is the time a
session spent queued before a worker took it; turnaround is upload to draft.

    .venv/bin/python benchmarks/scaleout.py [--workers 1 2] [--sessions 8]
        [--clip-seconds 30] [--asr-model tiny.en] [--drafter smollm2-135m]
        [--broker amqp://guest:guest@127.0.0.1:5672//]
        [--pg postgresql://postgres@127.0.0.1:5432/test] [--out out/scaleout.json]

The clip is the start of `sample_audio/consultation.wav` (in the repository).
Each run gets its own PostgreSQL schema and data folder, removed afterwards.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import soundfile as sf
from sqlalchemy import select

from avt_notes.config import StoreSettings
from avt_notes.store import accounts, open_store
from avt_notes.store.tables import Job
from avt_notes.tasks.local_cluster import LocalCluster, submit_file

SAMPLE = Path(__file__).resolve().parents[1] / "sample_audio" / "consultation.wav"
PASSWORD = "benchmark password 1"


def clip_bytes(seconds: float) -> bytes:
    samples, rate = sf.read(SAMPLE, frames=int(seconds * 16_000), dtype="int16")
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def run(args: argparse.Namespace, workers: int, schema: str, root: Path) -> dict[str, float]:
    url = f"{args.pg}?options=-csearch_path%3D{schema}"
    cluster = LocalCluster(
        data_dir=root / "data",
        database_url=url,
        broker_url=args.broker,
        log_dir=root,
        env_extra={
            "AVT_ASR_MODEL": args.asr_model,
            "AVT_DRAFTER": args.drafter,
            "AVT_CPU_THREADS": str(args.cpu_threads),
            "AVT_TEMPLATES": '["soap"]',
            "AVT_LIVE_JOBS": "false",
            "OMP_WAIT_POLICY": "PASSIVE",
            "HF_HUB_OFFLINE": "1",
            "PYANNOTE_METRICS_ENABLED": "false",
        },
    )
    try:
        cluster.start_web()
        store = open_store(StoreSettings(data_dir=cluster.data_dir, database_url=url))
        with store.transaction() as db:
            accounts.create_user(db, "bench", PASSWORD, "clinician")
        started = [cluster.start_worker() for _ in range(workers)]
        for worker in started:
            cluster.wait_ready(worker)
        client = cluster.login("bench", PASSWORD)
        audio = clip_bytes(args.clip_seconds)
        first = time.time()
        for n in range(args.sessions):
            submit_file(client, audio, "audio/wav", f"bench {n}")
        while True:
            with store.sessions() as db:
                jobs = list(db.scalars(select(Job)))
            if len(jobs) == args.sessions and all(j.status in ("done", "failed") for j in jobs):
                break
            time.sleep(1)
        failed = [j.id for j in jobs if j.status != "done"]
        if failed:
            raise SystemExit(f"jobs failed: {failed}; logs in {root}")
        last = max(j.finished_at.timestamp() for j in jobs if j.finished_at)
        spans = [(j.created_at, j.started_at, j.finished_at) for j in jobs]
        waits = [(start - made).total_seconds() for made, start, _ in spans if start]
        service = [(end - start).total_seconds() for _, start, end in spans if start and end]
        turnaround = [(end - made).total_seconds() for made, _, end in spans if end]
        store.close()
        return {
            "workers": workers,
            "sessions": args.sessions,
            "clip_seconds": args.clip_seconds,
            "sessions_per_hour": round(args.sessions / (last - first) * 3600, 1),
            "mean_wait_s": round(statistics.mean(waits), 1),
            "mean_service_s": round(statistics.mean(service), 1),
            "mean_turnaround_s": round(statistics.mean(turnaround), 1),
            "makespan_s": round(last - first, 1),
        }
    finally:
        cluster.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--clip-seconds", type=float, default=30.0)
    parser.add_argument("--asr-model", default="tiny.en")
    parser.add_argument("--drafter", default="smollm2-135m")
    parser.add_argument("--cpu-threads", type=int, default=1)
    parser.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672//")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if not SAMPLE.exists():
        sys.exit(f"{SAMPLE} is missing")
    results = []
    for workers in args.workers:
        schema = f"avt_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            with tempfile.TemporaryDirectory(prefix="avt-scaleout-") as root:
                result = run(args, workers, schema, Path(root))
        finally:
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        results.append(result)
        print(json.dumps(result), flush=True)
    keys = ("workers", "sessions_per_hour", "mean_wait_s", "mean_service_s", "mean_turnaround_s")
    print("\n" + " ".join(f"{key:>18}" for key in keys))
    for result in results:
        print(" ".join(f"{result[key]:>18}" for key in keys))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
