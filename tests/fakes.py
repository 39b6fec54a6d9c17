"""Test doubles for the rewrite pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections import deque
from dataclasses import dataclass
from typing import Any

import pytest

from service.rewrite.port import LLMReply

# litellm makes pydantic build a schema for one of its TypedDicts at its first completion, and pydantic
# warns about it; warnings are errors in this project. Third-party, not ours to fix: belongs in
# pyproject's filterwarnings, until then every test module that calls litellm carries this mark.
LITELLM_WARNINGS = pytest.mark.filterwarnings("ignore:Item .* is using the `ReadOnly` qualifier:UserWarning")


@dataclass(frozen=True)
class Call:
    """One recorded ``complete`` call (messages are a deep copy, as they were sent)."""

    messages: list[dict[str, str]]
    model: str
    temperature: float
    response_schema: dict[str, Any]
    timeout: float

    @property
    def text(self) -> str:
        """Every message's content, for "does this string reach the model" assertions."""
        return "\n".join(m["content"] for m in self.messages)

    @property
    def size(self) -> int:
        return sum(len(m["content"]) for m in self.messages)


class FakeLLM:
    """An ``LLMClient`` that replays queued replies and records every call.

    A queued item is a reply text, a full :class:`LLMReply`, or an exception to raise. Running out of
    replies is a test failure (``AssertionError``), so a test states exactly how many calls it expects.
    ``delay_s`` makes every call take that long (for time-budget tests).
    """

    def __init__(
        self,
        *replies: str | LLMReply | BaseException,
        model: str = "fake-model",
        prompt_tokens: int = 100,
        completion_tokens: int = 20,
        cost_usd: float | None = None,
        delay_s: float = 0.0,
    ) -> None:
        self._queue: deque[str | LLMReply | BaseException] = deque(replies)
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.cost_usd = cost_usd
        self.delay_s = delay_s
        self.calls: list[Call] = []

    @property
    def remaining(self) -> int:
        return len(self._queue)

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        temperature: float,
        response_schema: dict[str, Any],
        timeout: float,
    ) -> LLMReply:
        self.calls.append(Call(copy.deepcopy(messages), model, temperature, copy.deepcopy(response_schema), timeout))
        if not self._queue:
            raise AssertionError(f"FakeLLM: no reply queued for call {len(self.calls)}")
        item = self._queue.popleft()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, LLMReply):
            return item
        return LLMReply(
            content=item,
            model=self.model,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost_usd=self.cost_usd,
        )


class SlowLLM:
    """An ``LLMClient`` whose every call takes ``takes_s`` - unless the test sets ``released`` earlier - then
    answers ``content``. Counts the calls and the most running at once; ``started`` is set by the first call."""

    def __init__(self, content: str, *, takes_s: float = 10.0) -> None:
        self.content = content
        self.takes_s = takes_s
        self.started = asyncio.Event()
        self.released = asyncio.Event()
        self.calls = 0
        self.running = 0
        self.peak = 0

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        temperature: float,
        response_schema: dict[str, Any],
        timeout: float,
    ) -> LLMReply:
        self.calls += 1
        self.running += 1
        self.peak = max(self.peak, self.running)
        self.started.set()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.released.wait(), timeout=self.takes_s)
        finally:
            self.running -= 1
        return LLMReply(content=self.content, model="slow-model")


def reply(*bullets: tuple[str, list[str], str]) -> str:
    """A well-formed reply: ``reply(("Helped ...", ["notes"], "reliability"), ...)``."""
    return json.dumps(
        {"bullets": [{"text": text, "sources": sources, "proof_area": area} for text, sources, area in bullets]}
    )
