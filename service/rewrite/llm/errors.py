"""Typed failures of the LLM transport, raised once the retries ran out.

Each error carries the HTTP status the API answers with, a problem title and slug, and a plain message
that names the cause (model, status code, attempts). Messages never quote the prompt or the provider's
response body: those may contain private notes.
"""

from __future__ import annotations

from typing import ClassVar


class LLMError(Exception):
    """Base of the LLM transport errors. ``status``/``title``/``slug`` describe the API's answer."""

    status: ClassVar[int] = 502
    title: ClassVar[str] = "Bad Gateway"
    slug: ClassVar[str] = "llm-error"

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s


class LLMTimeout(LLMError):
    """The model did not answer in time (also an upstream 408/504)."""

    status = 504
    title = "Gateway Timeout"
    slug = "llm-timeout"


class LLMUnavailable(LLMError):
    """The model could not be reached, or it refused for load: connection error, 429 or 503."""

    status = 503
    title = "Service Unavailable"
    slug = "llm-unavailable"


class LLMBadGateway(LLMError):
    """The model's endpoint answered with an error (5xx, or a request it refused)."""

    status = 502
    title = "Bad Gateway"
    slug = "llm-bad-gateway"


class LLMMisconfigured(LLMError):
    """The service's LLM settings are wrong (no API key, an option the model does not take, a schema
    mode the server refuses): no request, retry or wait can succeed until ``setting`` changes. A 503:
    this service cannot serve the request; the model's endpoint did not fail."""

    status = 503
    title = "LLM Misconfigured"
    slug = "llm-misconfigured"

    def __init__(self, message: str, *, reason: str, setting: str | None, value: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.setting = setting
        self.value = value
