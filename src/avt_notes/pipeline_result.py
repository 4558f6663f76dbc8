"""What processing one recording yields, and the interface of whatever produces it.

Kept apart from `pipeline.py` (which imports torch through its stages) so that
the job runner, the web app and the tests can name these types without loading
any model library.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from avt_notes.config import Settings
from avt_notes.drafting.schemas import DraftNote
from avt_notes.progress import Progress
from avt_notes.schemas import Transcript

if TYPE_CHECKING:
    from avt_notes.live import LiveSession


@dataclass
class PipelineResult:
    transcript: Transcript
    draft: DraftNote | None


class Pipeline(Protocol):
    """Audio file -> transcript and draft; `live` is the work done while it was recorded."""

    def __call__(
        self,
        audio_path: Path,
        settings: Settings,
        *,
        template: str,
        num_speakers: int | None,
        live: LiveSession | None,
        progress: Progress,
    ) -> PipelineResult: ...
