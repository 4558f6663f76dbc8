"""Errors the store and the web service raise on purpose.

They extend the project's one hierarchy (`avt_notes.errors.AvtError`) with the
HTTP-shaped cases a multi-user service adds (not found, conflict, too large),
so the web layer still maps every error to a status in exactly one place.
"""

from __future__ import annotations

from typing import Any

from avt_notes.errors import AvtError, InputError


class NotFoundError(AvtError):
    """No such record, or it belongs to someone else (we never say which)."""

    http_status = 404


class AuthenticationError(AvtError):
    """Not logged in, wrong credentials, or the login session expired."""

    http_status = 401


class PermissionDeniedError(AvtError):
    """Logged in, but the role or a missing CSRF token forbids this action."""

    http_status = 403


class ConflictError(AvtError):
    """The request is valid but the record's state does not allow it now."""

    http_status = 409

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


class PayloadTooLargeError(InputError):
    """A chunk, file or whole session is over its size limit."""

    http_status = 413


class UnsupportedMediaError(InputError):
    """The declared or sniffed content type is not audio we accept."""

    http_status = 415


class ChecksumError(InputError):
    """The bytes that arrived do not match the checksum the client computed."""

    http_status = 422


class StoredDataError(AvtError):
    """Stored audio failed authentication (tampered, corrupted or misplaced)."""

    http_status = 500


class InsecureConnectionError(PermissionDeniedError):
    """The page was reached over plain HTTP from another machine: no cookie would stick."""


class TooManyAttemptsError(AvtError):
    """Too many wrong passwords: wait `retry_after` seconds (HTTP 429 + Retry-After)."""

    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WrongPasswordError(PermissionDeniedError):
    """The password typed to confirm an action (signing) is not the account's."""
