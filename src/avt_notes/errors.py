"""One error hierarchy for the whole project.

Every error a user can cause or fix derives from `AvtError`. The CLI prints
`str(error)` on one line and exits non-zero; the web layer maps each class to
an HTTP status once (see `http_status`).
"""

from __future__ import annotations


class AvtError(Exception):
    """Base of every error avt-notes raises on purpose."""

    http_status: int = 500


class AudioError(AvtError):
    """The audio cannot be used."""

    http_status = 422


class EmptyAudioError(AudioError):
    """The file is empty or holds no samples."""


class CorruptAudioError(AudioError):
    """The file claims to be audio but cannot be decoded."""


class NotAudioError(AudioError):
    """The file is not audio at all (whatever its name says)."""


class AudioTooLongError(AudioError):
    """The recording is longer than the configured limit."""

    http_status = 413


class ModelError(AvtError):
    """A model is missing, broken or misconfigured; the message says how to fix it."""


class ModelNotFoundError(ModelError):
    """No weights where the registry or settings say they should be."""


class ConfigError(AvtError):
    """Settings are inconsistent or invalid."""

    http_status = 500


class TemplateError(AvtError):
    """A note template file is missing or malformed."""

    http_status = 422


class DraftingError(AvtError):
    """The drafting backend failed or returned something unusable."""

    http_status = 502


class DraftingInterrupted(DraftingError):
    """A completion stopped early because its caller asked (`should_stop`): the recording
    it was drafting while recording has stopped, and the final pass drafts those lines."""


class InputError(AvtError):
    """A request or file has the wrong shape (bad JSON, wrong type, missing field)."""

    http_status = 400
