"""The progress callback every stage takes, defined once and low.

A stage reports ``progress(stage, fraction)`` with ``fraction`` in 0..1 (the
hook pyannote.audio also uses); the CLI draws bars, the job worker turns it
into heartbeats. This module imports nothing heavy, so the CLI and the web
layer can name the type without loading torch or pyannote.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, float], None]


def no_progress(stage: str, fraction: float) -> None:
    """The default callback: report nowhere."""
