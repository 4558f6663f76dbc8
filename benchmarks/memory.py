"""Memory of the service's models: resident memory as each loads, and while processing.

Prints the process's resident set (anonymous and file-backed pages) after each
model loads the way the service loads them (`pipeline.get_*`), after whole-file
processing of a recording, and after a run of distinct drafting prompts (the
drafter's memory must not grow with the number of prompts a long session sends).

    .venv/bin/python benchmarks/memory.py [RECORDING] [--prompts 6]

RECORDING defaults to sample_audio/consultation.wav. The figures are for this
process alone; `benchmarks/live.py` reports the peak of a 30-minute live session.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def resident() -> str:
    """'total GB (anonymous + file-backed)' from /proc/self/status."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile"):
            fields[name] = int(value.split()[0]) / 1024**2
    return f"{fields['VmRSS']:.2f} GB ({fields['RssAnon']:.2f} anon + {fields['RssFile']:.2f} file)"


def peak() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "recording", nargs="?", type=Path, default=ROOT / "sample_audio" / "consultation.wav"
    )
    parser.add_argument("--prompts", type=int, default=6)
    parser.add_argument("--template", default="soap")
    args = parser.parse_args()

    from avt_notes.config import Settings
    from avt_notes.embeddings import load_encoder
    from avt_notes.pipeline import get_diarizer, get_drafter, get_transcriber, process_recording
    from avt_notes.process_memory import limit_malloc_arenas

    settings = Settings()
    limit_malloc_arenas(settings.models.malloc_arenas)  # as `avt-notes serve` does
    print(f"{'step':<36} resident")
    print(f"{'start':<36} {resident()}")
    get_transcriber(settings)
    print(f"{'ASR loaded':<36} {resident()}")
    get_diarizer(settings)
    print(f"{'diarisation loaded':<36} {resident()}")
    drafter = get_drafter(settings)
    print(f"{'drafter loaded':<36} {resident()}")
    load_encoder(settings)
    print(f"{'sentence encoder loaded':<36} {resident()}")
    started = time.perf_counter()
    process_recording(args.recording, settings, template=args.template)
    seconds = time.perf_counter() - started
    print(f"{'processed ' + args.recording.name:<36} {resident()}  ({seconds:.1f} s)")
    text = (ROOT / "README.md").read_text()
    for index in range(args.prompts):
        drafter.complete(
            [
                {
                    "role": "user",
                    "content": f"Prompt {index}. Summarise:\n{text[index * 500 :][:5000]}",
                }
            ],
            max_new_tokens=20,
        )
    print(f"{f'{args.prompts} more distinct prompts':<36} {resident()}")
    print(f"peak resident {peak():.2f} GB")


if __name__ == "__main__":
    main()
