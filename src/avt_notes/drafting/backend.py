"""The drafter interface and the factory that picks a backend from the settings.

One small Protocol keeps the drafting logic independent of where the language
model runs: in process with llama.cpp (the default Qwen2.5-1.5B GGUF or any
other GGUF file), in process with transformers (any local model folder) or
behind an OpenAI-compatible HTTP endpoint (vLLM, llama.cpp's server, Ollama).
Loaded local models are kept per process, because loading costs seconds to
tens of seconds and the web worker drafts many notes.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, runtime_checkable

from avt_notes.errors import DraftingInterrupted
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
    # Whether a prompt sharing its start with the previous one skips that start (llama.cpp's
    # slot cache): then `prefill_note` while recording leaves less to read at stop.
    reuses_prompt_prefix: bool

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Prompt tokens the messages take (exact for local models, an estimate over HTTP)."""
        ...

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int,
        stop: Sequence[str] = (),
        should_stop: Callable[[], bool] | None = None,
    ) -> str:
        """The assistant's reply, cut before the first `stop` string.

        `should_stop`, asked while the reply is generated (as often as the backend can),
        ends it early with `DraftingInterrupted` once it returns True.
        """
        ...

    def busy(self) -> bool:
        """Whether a completion is running now: a call made now would wait for it."""
        ...


def stop_if_asked(should_stop: Callable[[], bool] | None) -> None:
    """Raise `DraftingInterrupted` if the caller has asked to stop (a completion's check
    before it starts, for backends and wrappers that cannot stop one midway)."""
    if should_stop is not None and should_stop():
        raise DraftingInterrupted("drafting interrupted before a completion")


class InterruptibleDrafter:
    """`drafter` whose every completion ends with `DraftingInterrupted` once `should_stop()`.

    Drafting a window while recording runs several completions; when the recording stops
    meanwhile, the window is left to the final pass rather than finished first.
    """

    def __init__(self, drafter: Drafter, should_stop: Callable[[], bool]) -> None:
        self._drafter = drafter
        self._should_stop = should_stop

    def __getattr__(self, name: str) -> Any:
        # info, context_tokens, count_tokens, busy: the wrapped drafter's own.
        attribute = getattr(self._drafter, name)
        if name != "complete_batch":
            return attribute

        def complete_batch(
            conversations: Sequence[Sequence[ChatMessage]],
            *,
            max_new_tokens: int,
            stop: Sequence[str] = (),
        ) -> list[str]:
            # A small local model's batch (`note._restate`), interrupted like `complete`.
            stop_if_asked(self._should_stop)
            return list(
                attribute(
                    conversations,
                    max_new_tokens=max_new_tokens,
                    stop=stop,
                    should_stop=self._should_stop,
                )
            )

        return complete_batch

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int,
        stop: Sequence[str] = (),
        should_stop: Callable[[], bool] | None = None,
    ) -> str:
        def asked() -> bool:
            return self._should_stop() or (should_stop is not None and should_stop())

        stop_if_asked(asked)
        return self._drafter.complete(
            messages, max_new_tokens=max_new_tokens, stop=stop, should_stop=asked
        )


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


_loaded: dict[tuple[str, str, int, str, int], Drafter] = {}
_lock = threading.Lock()


def _is_gguf(path: Path) -> bool:
    return path.suffix == ".gguf" or (
        path.is_dir() and not (path / "config.json").exists() and any(path.glob("*.gguf"))
    )


def load_drafter(settings: Settings, drafter: str | None = None) -> Drafter:
    """The drafter `settings.drafting.drafter` (or `drafter`) names: registry name, file or URL.

    GGUF files run with llama.cpp (unless `drafting.drafter_backend` says
    transformers), transformers folders with transformers, URLs over HTTP.
    Local models load once per process: call this when a service starts so
    the first draft does not wait for the model.
    """
    from avt_notes import models

    target = drafter or settings.drafting.drafter
    if is_url(target):
        from avt_notes.drafting.http import HttpDrafter

        drafting = settings.drafting
        return HttpDrafter(
            target,
            model=drafting.drafter_http_model,
            context_tokens=drafting.drafter_context_tokens,
        )
    drafting, models_settings = settings.drafting, settings.models
    key = (
        target,
        str(models_settings.model_cache),
        models_settings.cpu_threads,
        drafting.drafter_backend,
        drafting.drafter_context_tokens,
    )
    with _lock:
        if key not in _loaded:
            path = models.resolve(
                target, "drafter", models_settings.model_cache, models_settings.extra_models
            )
            packaged = models.REGISTRY.get(target)
            source = f"PyPI ({packaged.install_hint})" if packaged else str(path)
            backend = drafting.drafter_backend
            if backend == "llamacpp" or (backend == "auto" and _is_gguf(path)):
                from avt_notes.drafting.llamacpp import LlamaCppDrafter

                _loaded[key] = LlamaCppDrafter(
                    path,
                    threads=models_settings.cpu_threads,
                    context_tokens=drafting.drafter_context_tokens,
                    repeat_penalty=drafting.drafter_repeat_penalty,
                    source=source,
                )
            else:
                from avt_notes.drafting.local import TransformersDrafter

                _loaded[key] = TransformersDrafter(
                    path, threads=models_settings.stage_threads, source=source
                )
        return _loaded[key]


# Qwen/Llama tokenizers average ~4 characters per English token; 3 over-counts on
# purpose so chunks stay inside the context without a tokenizer round trip.
CHARS_PER_TOKEN = 3.0
TOKENS_PER_MESSAGE = 6


def estimate_tokens(messages: Sequence[ChatMessage]) -> int:
    """An upper estimate of a chat's prompt tokens, for backends without a local tokenizer."""
    chars = sum(len(m["content"]) for m in messages)
    return math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * len(messages)
