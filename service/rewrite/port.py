"""The LLM port: what the rewrite loop needs from a model provider (:class:`LLMClient`) and what one call
returns (:class:`LLMReply`). Providers implement it in :mod:`service.rewrite.llm`; tests with a fake
(``tests/fakes.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class LLMReply:
    """One completion: the raw text, the model that wrote it, and what it cost (when known)."""

    content: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None


class LLMClient(Protocol):
    """What the pipeline needs from a model provider. Transport failures raise ``service.rewrite.llm.errors``."""

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        temperature: float,
        response_schema: dict[str, Any],
        timeout: float,
    ) -> LLMReply: ...
