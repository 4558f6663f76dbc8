"""Shared fixtures: settings and models loaded once per session (test data: tests/data)."""

from __future__ import annotations

import functools
import importlib
import inspect
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

warnings.filterwarnings("ignore", message=".*torchcodec.*")

# Where the package loads model weights: (module, class, method). `make test-fast`
# promises none of them succeeds (`--no-model-loading`).
MODEL_LOADERS = (
    ("avt_notes.asr", "FasterWhisperTranscriber", "__init__"),
    ("avt_notes.diarization", "PyannoteDiarizer", "from_local_checkpoints"),
    ("avt_notes.diarization", "PyannoteDiarizer", "from_pipeline_folder"),
    ("avt_notes.speaker_embedding", "CamPlusPlusEmbedding", "from_state_dict"),
    ("avt_notes.drafting.local", "TransformersDrafter", "__init__"),
    ("avt_notes.drafting.llamacpp", "LlamaCppDrafter", "__init__"),
    ("avt_notes.embeddings", "SentenceTransformerEncoder", "__init__"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak", action="store_true", default=False, help="long kill/restart soak (200 runs)"
    )
    parser.addoption(
        "--no-model-loading",
        action="store_true",
        default=False,
        help="fail any test in which a model loads (such tests must be marked slow)",
    )


def _refusing(name: str, load: Callable[..., Any]) -> Callable[..., Any]:
    """`load`, failing the test when it succeeds (a failed load is what some tests check)."""

    @functools.wraps(load)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        result = load(*args, **kwargs)
        pytest.fail(f"{name} loaded a model in a test not marked slow (--no-model-loading)")
        return result

    return guarded


@pytest.fixture(scope="session", autouse=True)
def _no_model_loading(request: pytest.FixtureRequest) -> Iterator[None]:
    if not request.config.getoption("--no-model-loading"):
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        for module, cls, method in MODEL_LOADERS:
            owner = getattr(importlib.import_module(module), cls)
            load = inspect.getattr_static(owner, method)
            if isinstance(load, classmethod):
                wrapped: Any = classmethod(_refusing(f"{cls}.{method}", load.__func__))
            else:
                wrapped = _refusing(f"{cls}.{method}", load)
            patch.setattr(owner, method, wrapped)
        yield


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
