"""Paths to the real test data in tests/data and small helpers shared by test modules.

A plain module (not conftest) so test files can import it by a unique name:
tests/ and tests/web/ each have a conftest, and `import conftest` finds one.
The data is committed (see tests/data/README.md for sources and licences), so
the suite runs from a clone with nothing beside it.

`ScriptedDrafter` is a deterministic fake drafter for tests about plumbing
(chunk boundaries, merging, evidence); model tests use real models.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np

from avt_notes.drafting.backend import ChatMessage, stop_if_asked
from avt_notes.drafting.schemas import DraftNote, NoteSection
from avt_notes.risk import RiskItem
from avt_notes.schemas import AudioInfo, ModelInfo, Speaker, Transcript, Utterance, Word

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
REAL = DATA / "real"
PRIMOCK = DATA / "primock57"  # three consultations: the ones the tests name
SAMPLE = ROOT / "sample_audio"


def checkout_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess that must run this checkout's code.

    pytest puts `src` on its own path (pyproject); a child Python would import
    whatever the virtualenv's editable install points at instead.
    """
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), **extra}


JFK_TEXT = (
    "And so my fellow Americans ask not what your country can do for you, "
    "ask what you can do for your country."
)
STEREO_TEXT = {
    0: "He began a confused complaint against the wizard, who had vanished behind the "
    "curtain on the left.",
    1: "The horizon seems extremely distant.",
}


def encode_audio(
    samples: np.ndarray, rate: int, path: Path, fmt: str, codec: str, out_rate: int = 48_000
) -> Path:
    """Write mono float32 `samples` with PyAV (FFmpeg) in a given container and codec."""
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=out_rate, layout="mono")
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name, layout="mono", rate=out_rate
        )
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32)[None, :], format="flt", layout="mono"
        )
        frame.sample_rate = rate
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(chunk):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


# --- transcripts and a scripted drafter ------------------------------------------------
CONSULTATION = [
    ("clinician", "Hello, what brings you in today?"),
    ("patient", "I've had a bad cough for two weeks and it keeps me up at night."),
    ("clinician", "Any fever?"),
    ("patient", "No, no fever at all."),
    ("patient", "I take ibuprofen 200 milligrams when it hurts."),
    ("clinician", "It sounds like a viral chest infection that is settling."),
    ("clinician", "Please come back in one week if the cough is not better."),
]


def utterance_of(words: Sequence[Word], role: str, speaker: str | None = None) -> Utterance:
    """Utterance u0001 spanning recognised `words`, said by `role`."""
    return Utterance(
        id="u0001",
        start=words[0].start,
        end=words[-1].end,
        speaker=speaker or role,
        role=role,
        text=" ".join(w.text for w in words),
        confidence=0.9,
        words=list(words),
    )


def make_transcript(rows: Sequence[tuple[str, str]], gap: float = 5.0) -> Transcript:
    """A transcript from (role, text) rows, ids u0001..., `gap` seconds apart."""
    utterances = [
        Utterance(
            id=f"u{i + 1:04d}",
            start=i * gap,
            end=i * gap + gap - 0.5,
            speaker=role,
            role=role,
            text=text,
            confidence=1.0,
        )
        for i, (role, text) in enumerate(rows)
    ]
    return Transcript(
        audio=AudioInfo(source="test.wav", duration=len(rows) * gap),
        language="en",
        utterances=utterances,
        speakers=[Speaker(label=r, role=r) for r in ("clinician", "patient")],
    )


class ScriptedDrafter:
    """A fake drafter: `script(messages)` gives each reply; tokens are chars / 4."""

    def __init__(
        self,
        script: Callable[[Sequence[ChatMessage]], str],
        context_tokens: int = 8192,
        prefers_extract: bool = False,
        reuses_prompt_prefix: bool = False,
    ) -> None:
        self.script = script
        self.context_tokens = context_tokens
        self.prefers_extract = prefers_extract
        self.reuses_prompt_prefix = reuses_prompt_prefix
        self.info = ModelInfo(stage="drafter", name="scripted", version="1", source="test")
        self.calls: list[list[ChatMessage]] = []

    def busy(self) -> bool:
        return False

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return math.ceil(sum(len(m["content"]) for m in messages) / 4) + 4 * len(messages)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int,
        stop: Sequence[str] = (),
        should_stop: Callable[[], bool] | None = None,
    ) -> str:
        self.calls.append(list(messages))
        stop_if_asked(should_stop)  # as a backend does when asked to stop while it generates
        return self.script(messages)


def make_draft(
    sections: Sequence[NoteSection], risk_items: Sequence[RiskItem] = (), **fields: Any
) -> DraftNote:
    """A real `DraftNote` on the SOAP template around `sections`, as if a drafter wrote it."""
    return DraftNote(
        template_id="soap",
        template_name="SOAP note",
        template_version="1",
        template_file="soap.yaml",
        prompt_sha256="0" * 64,
        strategy="compose",
        sections=list(sections),
        risk_items=list(risk_items),
        model=ModelInfo(stage="drafting", name="test-drafter"),
        **fields,
    )
