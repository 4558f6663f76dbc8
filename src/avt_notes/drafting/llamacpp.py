"""Drafter backend running any GGUF model in process with llama.cpp (the `xllamacpp` wheel).

This is the default backend: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) writes a
faithful note on 2 CPU cores, and the same class runs a bigger GGUF on a bigger
machine. `xllamacpp.Server` is llama.cpp's own server core without the HTTP
socket: requests are OpenAI-shaped dicts, so sampling knobs (repeat penalty,
stop strings, token limit) are the server's documented ones.

The server keeps the last prompt's KV cache (``cache_prompt``): section prompts
that start with the same system text and transcript pay for that prefix once.
llama.cpp's OpenMP threads spin while waiting unless ``OMP_WAIT_POLICY=PASSIVE``
is set before the library loads; on a shared 2-core machine the spin collapses
generation to under one token per second, so the backend sets it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from avt_notes.drafting.backend import ChatMessage, estimate_tokens
from avt_notes.errors import DraftingError, DraftingInterrupted, ModelError
from avt_notes.schemas import ModelInfo

logger = logging.getLogger("avt_notes")

DEFAULT_CONTEXT_TOKENS = 4096
DEFAULT_REPEAT_PENALTY = 1.1
# Below this file size a GGUF is a toy model (SmolLM2-135M is 93 MB): it restates
# chosen exchanges far better than it composes sections.
SMALL_MODEL_BYTES = 300_000_000


def gguf_file(path: Path) -> Path:
    """The one .gguf file at `path` (a file, or a folder holding exactly one)."""
    if path.is_file():
        if path.suffix != ".gguf":
            raise ModelError(f"{path} is not a .gguf file")
        return path
    ggufs = sorted(path.glob("*.gguf")) if path.is_dir() else []
    if len(ggufs) == 1:
        return ggufs[0]
    if ggufs:
        names = ", ".join(g.name for g in ggufs)
        raise ModelError(f"{path} holds several GGUF files ({names}); point at one of them")
    raise ModelError(f"{path} holds no .gguf file")


def _short_hash(path: Path) -> str:
    """A cheap content version: sha256 of the size and the first and last MiB."""
    import hashlib

    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(1 << 20))
        handle.seek(max(0, size - (1 << 20)))
        digest.update(handle.read(1 << 20))
    return "sha256-ends:" + digest.hexdigest()[:16]


class LlamaCppDrafter:
    """One GGUF model loaded once; `complete` is serialised (one KV-cache slot)."""

    def __init__(
        self,
        path: Path,
        *,
        threads: int = 2,
        context_tokens: int = DEFAULT_CONTEXT_TOKENS,
        repeat_penalty: float = DEFAULT_REPEAT_PENALTY,
        source: str = "",
    ) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import xllamacpp
        except ImportError as error:
            raise ModelError(
                "the llama.cpp backend needs the xllamacpp wheel: "
                "pip install xllamacpp==2026.10.11549"
            ) from error
        model_file = gguf_file(Path(path))
        params = xllamacpp.CommonParams()
        params.model.path = str(model_file)
        params.n_ctx = context_tokens
        params.n_parallel = 1
        params.warmup = False
        params.verbosity = -1  # llama.cpp's per-request timing lines would flood the log
        params.cpuparams.n_threads = max(1, threads)
        params.cpuparams_batch.n_threads = max(1, threads)
        # Memory (benchmarks/memory.py): read the weights instead of mapping the
        # file, since llama.cpp repacks most of them for the CPU and the mapped pages stayed
        # resident as a second copy (1.82 -> 1.25 GB); and no host-memory prompt cache,
        # which kept ~40 MB per distinct prompt, up to 8 GiB (the slot's own prefix cache
        # still serves section prompts that share the transcript). Speed is unchanged.
        params.load_mode = xllamacpp.llama_load_mode.LLAMA_LOAD_MODE_NONE
        params.cache_ram_mib = 0
        try:
            self._server: Any = xllamacpp.Server(params)
        except Exception as error:  # llama.cpp raises RuntimeError/ValueError variants
            raise ModelError(f"llama.cpp cannot load {model_file}: {error}") from error
        self.context_tokens = context_tokens
        self.repeat_penalty = repeat_penalty
        self.prefers_extract = model_file.stat().st_size < SMALL_MODEL_BYTES
        self.reuses_prompt_prefix = True  # cache_prompt: the slot keeps the common start
        self.info = ModelInfo(
            stage="drafter",
            name=model_file.stem,
            version=_short_hash(model_file),
            source=source or str(model_file),
        )
        self._lock = threading.Lock()

    def busy(self) -> bool:
        return self._lock.locked()

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return estimate_tokens(messages)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int,
        stop: Sequence[str] = (),
        should_stop: Callable[[], bool] | None = None,
    ) -> str:
        request: dict[str, Any] = {
            "messages": list(messages),
            "max_tokens": max_new_tokens,
            "temperature": 0,
            "seed": 0,
            "repeat_penalty": self.repeat_penalty,
            "cache_prompt": True,
        }
        if stop:
            request["stop"] = [s for s in stop if s]
        with self._lock:
            if should_stop is None:
                reply = self._server.handle_chat_completions(request)
            else:
                reply = self._streamed(request, should_stop)
        if not isinstance(reply, dict) or "choices" not in reply:
            message = reply.get("message") if isinstance(reply, dict) else reply
            if isinstance(reply, dict) and isinstance(reply.get("error"), dict):
                message = reply["error"].get("message", message)
            raise DraftingError(f"llama.cpp did not complete the prompt: {message}")
        choice = reply["choices"][0]
        if choice.get("finish_reason") == "length":
            logger.debug("drafter reply hit its %d-token limit", max_new_tokens)
        text = str(choice["message"].get("content") or "")
        for marker in stop:
            if marker and marker in text:
                text = text[: text.index(marker)]
        return text

    def _streamed(self, request: dict[str, Any], should_stop: Callable[[], bool]) -> Any:
        """The reply of `request` token by token, asking `should_stop` after each: the
        server ends the generation when its callback returns True. The same reply as
        without streaming, reassembled in the non-streamed shape.

        Only generation is interrupted: the prompt is read whole before the first token.
        """
        pieces: list[str] = []
        finish: list[str] = []
        failure: list[Any] = []
        raised: list[BaseException] = []
        stopped = False

        def receive(chunk: Any) -> bool:
            # xllamacpp turns an exception here into a silent stop: keep it, raise it after.
            nonlocal stopped
            try:
                if not isinstance(chunk, dict) or "choices" not in chunk:
                    failure.append(chunk)
                    return True
                for choice in chunk["choices"]:
                    pieces.append(str((choice.get("delta") or {}).get("content") or ""))
                    if choice.get("finish_reason"):
                        finish.append(str(choice["finish_reason"]))
                stopped = not finish and should_stop()
            except Exception as error:  # re-raised below
                raised.append(error)
                return True
            return stopped

        reply = self._server.handle_chat_completions({**request, "stream": True}, receive)
        if raised:
            raise raised[0]
        if stopped:
            raise DraftingInterrupted("drafting interrupted during a completion")
        if failure or isinstance(reply, dict):
            return failure[0] if failure else reply
        if not finish:  # ended without saying why: a cut-short reply is never kept as whole
            raise DraftingError("llama.cpp ended a streamed reply without finishing it")
        message = {"role": "assistant", "content": "".join(pieces)}
        return {"choices": [{"message": message, "finish_reason": finish[-1]}]}
