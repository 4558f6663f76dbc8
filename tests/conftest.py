"""Shared fixtures: settings and models loaded once per session (test data: tests/data)."""

from __future__ import annotations

import warnings

import pytest

warnings.filterwarnings("ignore", message=".*torchcodec.*")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak", action="store_true", default=False, help="long kill/restart soak (200 runs)"
    )


@pytest.fixture(scope="session")
def settings():
    from avt_notes.config import Settings

    return Settings()


@pytest.fixture(scope="session")
def transcriber(settings):
    from avt_notes.pipeline import get_transcriber

    return get_transcriber(settings, "base")


@pytest.fixture(scope="session")
def diarizer(settings):
    from avt_notes.pipeline import get_diarizer

    return get_diarizer(settings)
