"""Seconds from "stop" to draft, with and without processing while recording.

Replays a recording through the real web service the way the recording page
uploads it: webm/opus (what Chrome's MediaRecorder makes) sent in 4-second
chunks at real-time pace, then "stop". Prints the seconds from stop to the
transcript being stored (the drafting stage starting) and to the draft, beside
the same recording uploaded and processed only after stop, and the service's
peak RSS with every model loaded. The service loads its models at startup
(as `avt-notes serve` does); the benchmark waits for them, then a short
warm-up session runs, as on a server that is already running.

The recording is PriMock57 consultations (from `--source`, default
../shared/data/primock57) spoken with two TTS voices (needs espeak-ng and
flite) and joined end to end, longest first, until `--minutes` is reached.
The rendered audio is kept in `--cache` so later runs start at once.

    .venv/bin/python benchmarks/live.py [--minutes 10] [--speed 1.0] [--template soap]
        [--modes after,live] [--source PRIMOCK57_FOLDER] [--cache DIR]

`--speed 2` replays twice as fast as real time (quicker, but then the live
worker has less time than a real session gives it).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import av
import numpy as np

warnings.filterwarnings("ignore", message=".*torchcodec.*")

from fastapi.testclient import TestClient  # noqa: E402

from avt_notes.audio import SAMPLE_RATE  # noqa: E402
from avt_notes.bench.primock import (  # noqa: E402
    default_source_dir,
    list_consultations,
    load_consultation,
    render_consultation,
)
from avt_notes.config import Settings, StoreSettings, WebSettings  # noqa: E402
from avt_notes.errors import ConfigError  # noqa: E402
from avt_notes.process_memory import limit_malloc_arenas  # noqa: E402
from avt_notes.store import accounts  # noqa: E402
from avt_notes.web.app import create_app  # noqa: E402

CHUNK_SECONDS = 4.0
PASSWORD = "benchmark password 1"
VOICES = {"clinician": "espeak-en-gb-rp", "patient": "flite-slt"}


def webm_opus(samples: np.ndarray) -> bytes:
    """Encode like Chrome's MediaRecorder: Opus in WebM, 48 kHz mono."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm") as out:
        stream = out.add_stream("libopus", rate=48_000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(chunk):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def recording(minutes: float, source: Path, cache: Path) -> tuple[str, np.ndarray]:
    """`minutes` of spoken consultations, joined longest first with 2 s between them."""
    cached = cache / f"primock-joined-{minutes:g}min.npy"
    names_file = cached.with_suffix(".txt")
    if cached.exists() and names_file.exists():
        return names_file.read_text().strip(), np.load(cached)
    consultations = [load_consultation(source, name) for name in list_consultations(source)]
    consultations.sort(key=lambda c: -max(u.end for u in c.utterances))
    target = int(minutes * 60 * SAMPLE_RATE)
    pause = np.zeros(2 * SAMPLE_RATE, dtype=np.float32)
    parts: list[np.ndarray] = []
    names: list[str] = []
    for consultation in consultations:
        rendered = render_consultation(consultation, VOICES, max_gap=1.5)
        parts += [rendered.samples.astype(np.float32), pause]
        names.append(consultation.id)
        if sum(len(p) for p in parts) >= target:
            break
    samples = np.concatenate(parts)[:target]
    cache.mkdir(parents=True, exist_ok=True)
    np.save(cached, samples)
    names_file.write_text("+".join(names))
    return "+".join(names), samples


def rss_mb() -> tuple[float, float]:
    """(current, peak since `reset_peak`) resident memory of this process, in MB."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


class RssTrace:
    """Resident memory sampled every half second, so the peak can be placed in the run."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self.marks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.samples.append((time.monotonic(), rss_mb()[0]))

    def mark(self, name: str) -> None:
        self.marks[name] = time.monotonic()

    def close(self) -> str:
        """'peak X GB at Ys after stop; ...' over the marked stretches."""
        self._stop.set()
        self._thread.join()
        edges = sorted(self.marks.items(), key=lambda item: item[1])
        parts = []
        ends = [*edges[1:], ("end", float("inf"))]
        for (name, start), (_, end) in zip(edges, ends, strict=True):
            inside = [rss for t, rss in self.samples if start <= t < end]
            if inside:
                parts.append(f"{name} {max(inside) / 1024:.2f} GB")
        when, top = max(self.samples, key=lambda s: s[1], default=(0.0, 0.0))
        stop = self.marks.get("after stop", when)
        return (
            f"RSS peaks by stretch: {', '.join(parts)}; "
            f"highest {top / 1024:.2f} GB at {when - stop:+.0f} s from stop"
        )


def reset_peak() -> bool:
    """Start the peak afresh (Linux clear_refs), so that it is the service's own peak.

    Building the replayed recording (render, resample, encode) peaks at about half a
    gigabyte in this process before the service exists; a clinic's service never holds it.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def run(
    data: bytes, seconds: float, *, live: bool, speed: float, template: str, workdir: Path
) -> dict[str, Any]:
    settings = Settings(
        store=StoreSettings(data_dir=workdir / ("live" if live else "after")),
        web=WebSettings(worker=True, worker_poll_seconds=0.2, live_jobs=live),
    )
    trace = RssTrace()
    trace.mark("loading")
    app = create_app(settings)
    store = app.state.services.store
    loading = time.monotonic()
    with store.transaction() as db:
        accounts.create_user(db, "bench", PASSWORD, "clinician")
    pieces = int(np.ceil(seconds / CHUNK_SECONDS))
    size = -(-len(data) // pieces)
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    with TestClient(app, base_url="https://testserver") as client:
        login = client.post("/api/login", json={"username": "bench", "password": PASSWORD})
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        notice = app.state.services.notice.sha256
        if not app.state.warmup.wait(900):  # loaded from startup, as `avt-notes serve` does
            raise SystemExit(f"models failed to load: {app.state.warmup.status()}")
        load_seconds = time.monotonic() - loading
        trace.mark("loaded")

        def session() -> str:
            created = client.post("/api/sessions", json={"template": template}).json()["id"]
            client.post(
                f"/api/sessions/{created}/consent",
                json={"method": "verbal", "notice_sha256": notice},
            )
            return str(created)

        def upload(session_id: str, seq: int, piece: bytes) -> None:
            response = client.put(
                f"/api/sessions/{session_id}/chunks/{seq}",
                content=piece,
                headers={
                    "Content-Type": "audio/webm;codecs=opus",
                    "X-Chunk-SHA256": hashlib.sha256(piece).hexdigest(),
                },
            )
            response.raise_for_status()

        def wait(session_id: str) -> tuple[float, float]:
            stopped = time.monotonic()
            transcript_at = None
            while True:
                state = client.get(f"/api/sessions/{session_id}").json()
                stage = (state.get("job") or {}).get("stage", "")
                if transcript_at is None and "draft" in stage:
                    transcript_at = time.monotonic() - stopped
                if state["state"] in ("done", "failed"):
                    if state["state"] == "failed":
                        raise SystemExit(f"processing failed: {state['job']['error']}")
                    done = time.monotonic() - stopped
                    return transcript_at or done, done
                time.sleep(0.2)

        # Warm-up: a short session loads every model, as on a server that is already running.
        warm = session()
        warm_chunks = chunks[:3]
        for seq, piece in enumerate(warm_chunks):
            upload(warm, seq, piece)
        client.post(f"/api/sessions/{warm}/finish", json={"total_chunks": len(warm_chunks)})
        wait(warm)

        timed = session()
        trace.mark("recording")
        started = time.monotonic()
        for seq, piece in enumerate(chunks):
            if live:  # a phone sends each chunk when its 4 s have been recorded
                due = started + (seq + 1) * CHUNK_SECONDS / speed
                time.sleep(max(0.0, due - time.monotonic()))
            upload(timed, seq, piece)
        client.post(f"/api/sessions/{timed}/finish", json={"total_chunks": len(chunks)})
        trace.mark("after stop")
        to_transcript, to_draft = wait(timed)
        draft = client.get(f"/api/sessions/{timed}/draft").json()["draft"]
        transcript = client.get(f"/api/sessions/{timed}/transcript").json()["transcript"]
    store.close()
    stages = [*transcript["timings"], *draft["timings"]]
    print(
        f"{'live' if live else 'after'}: "
        + ", ".join(f"{t['stage']} {t['seconds']:.1f}s" for t in stages)
    )
    print(trace.close())
    windows = next((w for w in draft.get("warnings", []) if "window(s)" in w), "")
    return {
        "to_transcript": to_transcript,
        "to_draft": to_draft,
        "load_seconds": load_seconds,
        "sentences": sum(len(s["sentences"]) for s in draft["sections"]),
        "windows": windows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--template", default="soap")
    parser.add_argument("--modes", default="after,live", help="after, live, or both")
    parser.add_argument(
        "--source", type=Path, default=None, help="PriMock57 folder (default ../shared/...)"
    )
    parser.add_argument("--cache", type=Path, default=Path("out/live-cache"))
    args = parser.parse_args()
    # As `avt-notes serve` does, before any thread allocates.
    limit_malloc_arenas(Settings().models.malloc_arenas)

    try:
        name, samples = recording(args.minutes, args.source or default_source_dir(), args.cache)
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None
    seconds = len(samples) / SAMPLE_RATE
    data = webm_opus(samples)
    del samples
    print(
        f"recording: {name}, {seconds / 60:.1f} min, webm/opus {len(data) / 1e6:.1f} MB, "
        f"{int(np.ceil(seconds / CHUNK_SECONDS))} chunks of {CHUNK_SECONDS:.0f} s, "
        f"replayed at {args.speed:g}x real time"
    )
    _, recording_peak = rss_mb()
    peak_reset = reset_peak()
    baseline, _ = rss_mb()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="avt-live-bench-") as tmp:
        for mode in args.modes.split(","):
            results[mode] = run(
                data,
                seconds,
                live=mode == "live",
                speed=args.speed,
                template=args.template,
                workdir=Path(tmp),
            )
    _, peak = rss_mb()
    labels = {"after": "processed after stop", "live": "processed while recording"}
    print(f"{'mode':<28}{'stop→transcript s':>19}{'stop→draft s':>14}{'models loaded s':>17}")
    for mode, result in results.items():
        print(
            f"{labels[mode]:<28}{result['to_transcript']:>19.1f}{result['to_draft']:>14.1f}"
            f"{result['load_seconds']:>17.1f}  {result['sentences']:.0f} sentences "
            f"{result['windows']}"
        )
    since = "since the recording was built" if peak_reset else "whole process"
    print(
        f"peak RSS {peak / 1024:.2f} GB (service with every model loaded, in this process, "
        f"{since}; {baseline / 1024:.2f} GB before the service started; building the "
        f"recording peaked at {recording_peak / 1024:.2f} GB)"
    )
    if "live" in results:
        print(
            f"target: draft <= 60 s after stop for a 30-minute session on 2 cores; "
            f"{seconds / 60:.0f} min -> {results['live']['to_draft']:.0f} s"
        )


if __name__ == "__main__":
    main()
