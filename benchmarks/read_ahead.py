"""Reading ahead while recording: seconds to draft the last window at stop, with and without.

Why it exists: at stop the last window's whole note prompt (instructions and about
1,000 tokens of transcript) must be read before the drafter writes a word, and on 2
cores llama.cpp reads about 45 tokens a second. `LiveDrafting.read_ahead` has the
drafter read the window's lines while recording; llama.cpp keeps that start of the
prompt, so at stop only the rest is read. This drafts the same window both ways with
the configured drafter and prints the seconds and, for llama.cpp, the tokens read.

    .venv/bin/python benchmarks/read_ahead.py [--consultation day1_consultation07]
        [--start 300] [--seconds 180] [--ahead 0.8]

Transcript: `--seconds` of a PriMock57 consultation's own transcript from `--start`
(needs ../shared); the drafter reads ahead the first `--ahead` share of its lines, as
the live loop would have before stop.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from typing import Any

warnings.filterwarnings("ignore")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class _ReadCounter:
    """Wraps llama.cpp's server object: the prompt tokens each request read and reused."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.requests: list[tuple[int, int, float]] = []  # (reused, read, seconds reading)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.server, name)

    def handle_chat_completions(self, request: dict[str, Any]) -> Any:
        reply = self.server.handle_chat_completions(request)
        timings = reply.get("timings") or {} if isinstance(reply, dict) else {}
        self.requests.append(
            (
                int(timings.get("cache_n", 0)),
                int(timings.get("prompt_n", 0)),
                float(timings.get("prompt_ms", 0.0)) / 1000,
            )
        )
        return reply


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consultation", default="day1_consultation07")
    parser.add_argument("--start", type=float, default=300.0)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--ahead", type=float, default=0.8)
    args = parser.parse_args()

    from avt_notes.bench.primock import default_source_dir, load_consultation
    from avt_notes.config import get_settings
    from avt_notes.drafting import load_template
    from avt_notes.live_drafting import LiveDrafting
    from avt_notes.pipeline import get_drafter
    from avt_notes.schemas import AudioInfo, Transcript, Utterance

    consultation = load_consultation(default_source_dir(), args.consultation)
    end = args.start + args.seconds
    rows = [u for u in consultation.utterances if args.start <= u.start and u.end <= end]
    utterances = [
        Utterance(
            id=f"u{i:04d}",
            start=u.start,
            end=u.end,
            speaker=u.role,
            role=u.role,
            text=u.text,
            confidence=1.0,
        )
        for i, u in enumerate(rows, 1)
    ]
    transcript = Transcript(
        audio=AudioInfo(source=args.consultation, duration=end),
        language="en",
        utterances=utterances,
        speakers=[],
    )
    settings = get_settings()
    drafter = get_drafter(settings)
    counter = _ReadCounter(drafter._server) if hasattr(drafter, "_server") else None
    if counter is not None:
        drafter._server = counter  # type: ignore[attr-defined]
    template = load_template("soap")
    before = utterances[0].start - 0.1
    ahead = utterances[max(0, int(len(utterances) * args.ahead) - 1)]

    def last_window(read_ahead: bool) -> tuple[float, float]:
        # Something else in the slot first, as a window's coverage calls would leave it.
        drafter.complete([{"role": "user", "content": "Say OK."}], max_new_tokens=1)
        drafting = LiveDrafting(
            template,
            drafter,
            max_new_tokens=settings.drafting.drafter_max_new_tokens,
            window_seconds=args.seconds,
        )
        drafting.cut = before
        started = time.perf_counter()
        if read_ahead:
            drafting.read_ahead(transcript, ahead.end)
        reading = time.perf_counter() - started
        started = time.perf_counter()
        drafting.finish(transcript)
        return reading, time.perf_counter() - started

    print(
        f"{args.consultation} {args.start:g}-{end:g} s: {len(utterances)} utterances; "
        f"drafter {drafter.info.name}, template {template.id}"
    )
    for read_ahead in (False, True):
        first = len(counter.requests) if counter else 0
        reading, drafting_seconds = last_window(read_ahead)
        label = (
            f"read ahead {int(args.ahead * 100)}% of the lines ({reading:.1f} s while recording)"
            if read_ahead
            else "nothing read ahead"
        )
        print(f"{label}: last window drafted in {drafting_seconds:.1f} s after stop")
        if counter is not None:
            notes = [r for r in counter.requests[first + 1 :] if r[0] + r[1] > 600]
            for reused, read, seconds in notes[-1:]:
                print(f"  note prompt: {reused} tokens reused, {read} read in {seconds:.1f} s")


if __name__ == "__main__":
    main()
