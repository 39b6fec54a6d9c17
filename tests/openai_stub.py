"""An OpenAI-compatible chat-completions server stubbed with respx: its response bodies, and the real
:class:`LiteLLMClient` pointed at it with near-instant back-off."""

from __future__ import annotations

from typing import Any

import httpx

from service.rewrite.llm.client import LiteLLMClient

# back-off short enough that a test with retries takes milliseconds
FAST_BACKOFF: dict[str, Any] = {"backoff_base_s": 0.001, "backoff_jitter_s": 0.001, "retry_max_wait_s": 0.01}


def completion(
    content: str | None, model: str = "test-model", *, prompt_tokens: int = 42, completion_tokens: int = 7
) -> dict[str, Any]:
    """A chat-completion body whose one choice is the assistant's ``content``."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def upstream_error(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    """An OpenAI-style error answer with ``status``."""
    return httpx.Response(status, json={"error": {"message": "upstream says no", "type": "x"}}, headers=headers)


def stub_client(api_base: str, **options: Any) -> LiteLLMClient:
    """A LiteLLMClient for ``api_base`` with the key ``test-key`` and :data:`FAST_BACKOFF`; ``options`` override."""
    return LiteLLMClient(**{"api_base": api_base, "api_key": "test-key", **FAST_BACKOFF, **options})
