"""Memory and time to measure an uploaded recording: streaming check vs full decode.

Issue 11's attack is a small file that decodes to hours (silence compresses to
almost nothing). Makes an N-hour silent FLAC with ffmpeg, then in a fresh
process each measures it: `check_duration` (frame by frame, what the upload
path uses) and `load_audio` (the whole recording as 16 kHz float32, what the
upload path used). Prints file size, seconds measured, peak RSS and wall time.

    .venv/bin/python benchmarks/upload_memory.py [--hours 1.0] [--skip-full]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
MEASURE = r"""
import re, sys, time
from avt_notes.audio import check_duration, load_audio
started = time.perf_counter()
if sys.argv[2] == "streaming":
    seconds = check_duration(sys.argv[1], 10 * 3600).seconds
else:
    seconds = load_audio(sys.argv[1], 10 * 3600).duration
# VmHWM (peak resident set of this process image; ru_maxrss would include the parent's).
peak = re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read())[1]
print(round(seconds), peak, round(time.perf_counter() - started, 1))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--skip-full", action="store_true", help="only the streaming check")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        flac = Path(folder) / "silence.flac"
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono",
             "-t", str(args.hours * 3600), str(flac)],
            check=True,
        )  # fmt: skip
        print(f"{args.hours:g} h of silence as FLAC: {flac.stat().st_size / 1e6:.1f} MB")
        print(f"{'method':<12} {'seconds':>8} {'peak RSS MiB':>13} {'wall s':>7}")
        for method in ("streaming", *(() if args.skip_full else ("full",))):
            result = subprocess.run(
                [sys.executable, "-c", MEASURE, str(flac), method],
                env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            seconds, peak_kib, wall = result.stdout.split()
            print(f"{method:<12} {seconds:>8} {int(peak_kib) / 1024:>13.0f} {wall:>7}")


if __name__ == "__main__":
    main()
