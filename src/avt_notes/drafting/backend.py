"""The drafter interface and the factory that picks a backend from the settings.

One small Protocol keeps the drafting logic independent of where the language
model runs: in process with transformers (the embedded SmolLM2 or any local
model folder) or behind an OpenAI-compatible HTTP endpoint (vLLM, llama.cpp's
server, Ollama). Loaded local models are kept per process, because loading
costs tens of seconds and the web worker drafts many notes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypedDict, runtime_checkable

from avt_notes.schemas import ModelInfo

if TYPE_CHECKING:
    from avt_notes.config import Settings


class ChatMessage(TypedDict):
    role: str
    content: str


@runtime_checkable
class Drafter(Protocol):
    """A chat model that completes deterministically (greedy / temperature 0)."""

    info: ModelInfo
    context_tokens: int
    # Small models follow "restate these lines" far better than "write a section
    # with citations"; the drafting strategy defaults to what the backend prefers.
    prefers_extract: bool

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Prompt tokens the messages take (exact for local models, an estimate over HTTP)."""
        ...

    def complete(
        self, messages: Sequence[ChatMessage], *, max_new_tokens: int, stop: Sequence[str] = ()
    ) -> str:
        """The assistant's reply, cut before the first `stop` string."""
        ...


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


_loaded: dict[tuple[str, str, int], Drafter] = {}
_lock = threading.Lock()


def load_drafter(settings: Settings, drafter: str | None = None) -> Drafter:
    """The drafter `settings.drafting.drafter` (or `drafter`) names: registry name, folder, URL."""
    from avt_notes import models

    target = drafter or settings.drafting.drafter
    if is_url(target):
        from avt_notes.drafting.http import HttpDrafter

        return HttpDrafter(target, model=settings.drafting.drafter_http_model)
    key = (target, str(settings.models.model_cache), settings.models.cpu_threads)
    with _lock:
        if key not in _loaded:
            from avt_notes.drafting.local import TransformersDrafter

            path = models.resolve(
                target, "drafter", settings.models.model_cache, settings.models.extra_models
            )
            packaged = models.REGISTRY.get(target)
            source = f"PyPI ({packaged.install_hint})" if packaged else str(path)
            _loaded[key] = TransformersDrafter(
                path, threads=settings.models.cpu_threads, source=source
            )
        return _loaded[key]
