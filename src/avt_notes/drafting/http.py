"""Drafter backend for an OpenAI-compatible ``/v1/chat/completions`` endpoint.

This is how a deployment uses a bigger model than the embedded one: vLLM,
llama.cpp's server and Ollama all expose this API on a trusted network.
Requests ask for temperature 0 so drafts are as repeatable as the server
allows. Token counts are estimated (about 3 characters per token, rounded up),
which over-counts English on purpose so chunks stay inside the context.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from avt_notes.drafting.backend import ChatMessage, estimate_tokens, stop_if_asked
from avt_notes.errors import DraftingError
from avt_notes.schemas import ModelInfo

logger = logging.getLogger("avt_notes")

DEFAULT_CONTEXT_TOKENS = 4096


def chat_completions_url(base_url: str) -> str:
    """``http://host:8000`` or ``http://host:8000/v1`` -> ``.../v1/chat/completions``."""
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + "/chat/completions"


class HttpDrafter:
    """Talks to one OpenAI-compatible server; one `httpx.Client` per drafter."""

    prefers_extract = False
    # A remote server may or may not cache prefixes: no speculative prompts sent to it.
    reuses_prompt_prefix = False

    def __init__(
        self,
        base_url: str,
        *,
        model: str = "default",
        context_tokens: int = DEFAULT_CONTEXT_TOKENS,
        timeout: float = 300.0,
        api_key: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = chat_completions_url(base_url)
        self.model = model
        self.context_tokens = context_tokens
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers, transport=transport)
        self.info = ModelInfo(stage="drafter", name=model, version="", source=base_url)

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return estimate_tokens(messages)

    def busy(self) -> bool:
        return False  # the server queues requests; nothing here waits on a lock

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int,
        stop: Sequence[str] = (),
        should_stop: Callable[[], bool] | None = None,
    ) -> str:
        # A request in flight is not cut short (no streaming here): asked before it only.
        stop_if_asked(should_stop)
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": max_new_tokens,
            "temperature": 0,
            "seed": 0,
        }
        if stop:
            body["stop"] = list(stop)[:4]  # the API allows at most four
        try:
            response = self._client.post(self.url, json=body)
        except httpx.HTTPError as error:
            raise DraftingError(f"drafter server {self.url} did not answer: {error}") from error
        if response.status_code != 200:
            raise DraftingError(
                f"drafter server {self.url} answered {response.status_code}: {response.text[:300]}"
            )
        try:
            payload = response.json()
            text = payload["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise DraftingError(
                f"drafter server {self.url} sent no chat completion: {response.text[:300]}"
            ) from error
        served = payload.get("model") or ""
        fingerprint = payload.get("system_fingerprint") or ""
        version = " ".join(v for v in (served, fingerprint) if v)
        if version and version != self.info.version:
            self.info = self.info.model_copy(update={"version": version})
        for marker in stop:
            if marker and marker in text:
                text = text[: text.index(marker)]
        return str(text)

    def close(self) -> None:
        self._client.close()
