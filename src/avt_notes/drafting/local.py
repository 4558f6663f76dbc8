"""Drafter backend running a local model in process with transformers.

Serves both the embedded default (SmolLM2-135M-Instruct as a GGUF file carried
by a PyPI package, de-quantised to float32 by transformers) and any local
transformers model folder a user points the settings at. Decoding is greedy
so the same transcript gives the same draft. Small models loop, so generation
also stops when a line repeats itself, besides the caller's stop strings.
Everything is loaded with ``local_files_only``: nothing may reach a model hub.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from avt_notes.drafting.backend import ChatMessage
from avt_notes.errors import DraftingInterrupted, ModelError
from avt_notes.schemas import ModelInfo

logger = logging.getLogger("avt_notes")

DEFAULT_CONTEXT_TOKENS = 8192
SMALL_MODEL_PARAMETERS = 1_000_000_000
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt")


def _gguf_location(path: Path) -> tuple[Path, str | None]:
    """(folder, gguf file name or None) for a model file or folder."""
    if path.is_file():
        if path.suffix != ".gguf":
            raise ModelError(f"{path} is not a .gguf file or a model folder")
        return path.parent, path.name
    if (path / "config.json").exists():
        return path, None
    ggufs = sorted(path.glob("*.gguf"))
    if len(ggufs) == 1:
        return path, ggufs[0].name
    if ggufs:
        names = ", ".join(g.name for g in ggufs)
        raise ModelError(f"{path} holds several GGUF files ({names}); point at one of them")
    raise ModelError(f"{path} holds no transformers model (no config.json and no .gguf file)")


def fingerprint(folder: Path, gguf_file: str | None) -> str:
    """A short, content-based version: sha256 of the GGUF, or of config + weight sizes."""
    digest = hashlib.sha256()
    if gguf_file:
        with open(folder / gguf_file, "rb") as handle:
            for block in iter(lambda: handle.read(8 * 1024 * 1024), b""):
                digest.update(block)
    else:
        digest.update((folder / "config.json").read_bytes())
        for weight in sorted(folder.iterdir()):
            if weight.suffix in WEIGHT_SUFFIXES:
                digest.update(f"{weight.name}:{weight.stat().st_size}".encode())
    return "sha256:" + digest.hexdigest()[:16]


class _StopOnText:
    """Stopping criterion: a stop string appears, or a completed line repeats."""

    def __init__(self, tokenizer: Any, prompt_length: int, stop: Sequence[str]) -> None:
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length
        self.stop = [s for s in stop if s]

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        done = []
        for row in input_ids[:, self.prompt_length :]:
            text = self.tokenizer.decode(row, skip_special_tokens=True)
            stop = any(s in text for s in self.stop)
            if not stop and "\n" in text:
                lines = [line.strip() for line in text.split("\n")[:-1] if line.strip()]
                stop = len(lines) != len(set(lines))
            done.append(stop)
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class _Asked:
    """Stopping criterion: the caller's `should_stop` says so (every row stops)."""

    def __init__(self, should_stop: Callable[[], bool]) -> None:
        self.should_stop = should_stop
        self.fired = False

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        self.fired = self.fired or bool(self.should_stop())
        shape = (input_ids.shape[0],)
        return torch.full(shape, self.fired, dtype=torch.bool, device=input_ids.device)


def _no_repeat_in_reply(prompt_length: int, size: int) -> Any:
    """A logits processor banning any `size`-gram repeat inside the reply (not the prompt).

    transformers' own ``no_repeat_ngram_size`` also counts the prompt, which
    would stop the model from quoting the transcript.
    """
    from transformers import LogitsProcessor

    class NoRepeatInReply(LogitsProcessor):  # type: ignore[misc]
        def __call__(self, input_ids: Any, scores: Any) -> Any:
            for row in range(input_ids.shape[0]):
                reply = input_ids[row, prompt_length:].tolist()
                if len(reply) < size:
                    continue
                tail = tuple(reply[-(size - 1) :])
                banned = {
                    reply[i + size - 1]
                    for i in range(len(reply) - size + 1)
                    if tuple(reply[i : i + size - 1]) == tail
                }
                if banned:
                    scores[row, list(banned)] = float("-inf")
            return scores

    return NoRepeatInReply()


class TransformersDrafter:
    """A causal LM loaded from a local folder or GGUF file; thread-safe `complete`."""

    def __init__(
        self,
        path: Path,
        *,
        threads: int = 2,
        context_tokens: int | None = None,
        source: str = "",
        no_repeat_ngram: int = 3,
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        folder, gguf_file = _gguf_location(Path(path))
        torch.set_num_threads(max(1, threads))
        kwargs: dict[str, Any] = {"local_files_only": True}
        if gguf_file:
            kwargs["gguf_file"] = gguf_file
        try:
            self.tokenizer: Any = AutoTokenizer.from_pretrained(folder, **kwargs)
            self.model: Any = AutoModelForCausalLM.from_pretrained(
                folder, dtype=torch.float32, **kwargs
            )
        except (OSError, ValueError, ImportError) as error:
            raise ModelError(f"cannot load drafting model from {path}: {error}") from error
        self.model.eval()
        limit = int(getattr(self.model.config, "max_position_embeddings", DEFAULT_CONTEXT_TOKENS))
        self.context_tokens = min(limit, context_tokens or DEFAULT_CONTEXT_TOKENS)
        self.prefers_extract = self.model.num_parameters() < SMALL_MODEL_PARAMETERS
        self.reuses_prompt_prefix = False  # every `generate` reads the whole prompt again
        name = Path(gguf_file).stem if gguf_file else folder.name
        self.info = ModelInfo(
            stage="drafter",
            name=name,
            version=fingerprint(folder, gguf_file),
            source=source or str(path),
        )
        self.no_repeat_ngram = no_repeat_ngram
        self._lock = threading.Lock()

    def _prompt_ids(self, messages: Sequence[ChatMessage]) -> list[int]:
        # A final assistant message is a prefix the reply continues ("The patient").
        prefill = bool(messages) and messages[-1]["role"] == "assistant"
        if self.tokenizer.chat_template:
            encoded = self.tokenizer.apply_chat_template(
                list(messages),
                add_generation_prompt=not prefill,
                continue_final_message=prefill,
                tokenize=True,
                return_dict=True,
            )
            return list(encoded["input_ids"])
        text = "".join(f"{m['role']}: {m['content']}\n" for m in messages)
        text = text.rstrip("\n") if prefill else text + "assistant: "
        return list(self.tokenizer(text)["input_ids"])

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return len(self._prompt_ids(messages))

    def busy(self) -> bool:
        return self._lock.locked()

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int,
        stop: Sequence[str] = (),
        should_stop: Callable[[], bool] | None = None,
    ) -> str:
        return self.complete_batch(
            [messages], max_new_tokens=max_new_tokens, stop=stop, should_stop=should_stop
        )[0]

    def complete_batch(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        *,
        max_new_tokens: int,
        stop: Sequence[str] = (),
        should_stop: Callable[[], bool] | None = None,
    ) -> list[str]:
        """Several short completions in one left-padded batch (much faster per reply on CPU).

        `should_stop` is asked after every token; once True, `DraftingInterrupted`."""
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        prompts = [self._prompt_ids(messages) for messages in conversations]
        if not prompts:
            return []
        width = max(len(ids) for ids in prompts)
        if width + max_new_tokens > self.context_tokens:
            logger.warning(
                "drafter prompt of %d tokens + %d new exceeds the %d-token context",
                width,
                max_new_tokens,
                self.context_tokens,
            )
        pad = self.tokenizer.pad_token_id
        pad = self.tokenizer.eos_token_id if pad is None else pad
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in prompts])
        attention = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in prompts])
        processors = (
            [_no_repeat_in_reply(width, self.no_repeat_ngram)] if self.no_repeat_ngram > 1 else []
        )
        asked = _Asked(should_stop) if should_stop is not None else None
        criteria: list[Any] = [_StopOnText(self.tokenizer, width, stop)]
        if asked is not None:
            criteria.append(asked)
        with self._lock, torch.inference_mode():
            output = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                stopping_criteria=StoppingCriteriaList(criteria),
                logits_processor=LogitsProcessorList(processors),
                pad_token_id=pad,
            )
        if asked is not None and asked.fired:  # cut short: never kept as a whole reply
            raise DraftingInterrupted("drafting interrupted during a completion")
        replies = []
        for row in output[:, width:]:
            text = str(self.tokenizer.decode(row, skip_special_tokens=True))
            for marker in stop:
                if marker and marker in text:
                    text = text[: text.index(marker)]
            replies.append(text)
        return replies
