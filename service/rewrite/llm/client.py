"""``LiteLLMClient``: the pipeline's :class:`~service.rewrite.port.LLMClient` on top of ``litellm``.

* The response format carries the reply's JSON Schema: OpenAI-style ``json_schema`` (strict) for
  normal providers, or ``{"type": "json_object", "schema": ...}`` for llama-cpp-python's server, which
  refuses ``json_schema`` and enforces the schema with a grammar instead (``schema_mode``).
* Transport faults (timeouts, connection errors, 429, 5xx) are retried here, by tenacity, and only
  here: litellm's and the OpenAI SDK's own retries are off. Back-off is exponential with jitter,
  bounded in attempts and in total time; a ``Retry-After`` (seconds) on 429/503 is honoured, capped.
* When the retries run out, a typed :mod:`service.rewrite.llm.errors` error is raised. A call that failed
  for a wrong setting (no API key, a schema mode the server refuses: :mod:`service.rewrite.llm.diagnosis`)
  is not retried and raises :class:`~service.rewrite.llm.errors.LLMMisconfigured`, naming the setting.
* With ``fallbacks`` (``BULLETGUARD_FALLBACK_MODELS``), each attempt goes through a litellm Router that
  tries the requested model, then each fallback in order (see :mod:`service.rewrite.llm.router`).
* Logs carry model, attempt, latency and token counts only, never message content.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any, Literal

# Must be set before litellm is imported: otherwise it downloads its cost map at import time.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import httpx
import litellm
import openai
import structlog
from litellm.router import Router
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from service.rewrite.llm.diagnosis import answered_by_server, diagnose, exception_chain
from service.rewrite.llm.errors import LLMBadGateway, LLMError, LLMMisconfigured, LLMTimeout, LLMUnavailable
from service.rewrite.llm.router import FallbackModel, build_router
from service.rewrite.port import LLMReply
from service.rewrite.reply import without_text_pattern

litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banners on stdout
litellm.turn_off_message_logging = True  # messages never reach litellm's logging callbacks
# One HTTP stack for every call: httpx, whose errors are classified below (and which respx can stub).
# litellm's default aiohttp transport would put a second one, with its own error types, underneath.
litellm.disable_aiohttp_transport = True
# litellm and the OpenAI SDK log whole request bodies (the prompt: masked notes) at DEBUG, and litellm
# chatters at INFO: keep their loggers at WARNING whatever level the service runs at.
for _name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "openai"):
    logging.getLogger(_name).setLevel(logging.WARNING)
# The Router (model fallbacks) logs each failed fallback at ERROR, quoting the provider's message; the
# service logs its own structured events (model, status, attempt) instead.
logging.getLogger("LiteLLM Router").setLevel(logging.CRITICAL)

_log = structlog.get_logger("bulletguard.llm")

SchemaMode = Literal["json_schema", "json_object"]
_MAX_ROUTERS = 16
_Kind = Literal["timeout", "unavailable", "bad_gateway"]
_ERRORS: dict[_Kind, type[LLMError]] = {
    "timeout": LLMTimeout,
    "unavailable": LLMUnavailable,
    "bad_gateway": LLMBadGateway,
}


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _answer_status(exc: BaseException) -> int | None:
    """The HTTP status a server answered with; None for litellm's own errors, which carry a made-up 500."""
    return _status(exc) if answered_by_server(exc) else None


def classify(exc: BaseException) -> tuple[_Kind, bool] | None:
    """``(kind, retryable)`` of a failed call, or None when it is not an LLM transport error (a bug)."""
    chain = list(exception_chain(exc))
    status = _status(exc)
    if status in (408, 504) or any(
        isinstance(e, openai.APITimeoutError | httpx.TimeoutException | TimeoutError) for e in chain
    ):
        return "timeout", True
    if any(
        isinstance(e, httpx.TransportError | OSError)
        # the SDK raises exactly this class for transport failures; litellm's subclass means "unmapped"
        or type(e) is openai.APIConnectionError
        for e in chain
    ):
        return "unavailable", True
    if status in (429, 503):
        return "unavailable", True
    if status is not None and status >= 500:
        return "bad_gateway", True
    if isinstance(exc, openai.OpenAIError | httpx.HTTPError):
        return "bad_gateway", False
    return None


def retry_after_s(exc: BaseException) -> float | None:
    """Seconds from a ``Retry-After`` header on a 429/503 answer, if there is one."""
    if _status(exc) not in (429, 503):
        return None
    headers = getattr(exc, "litellm_response_headers", None)
    response = getattr(exc, "response", None)
    if headers is None and isinstance(response, httpx.Response):
        headers = response.headers
    value = headers.get("retry-after") if isinstance(headers, httpx.Headers | dict) else None
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)  # "inf" and "1e12" are a server's bug, not a wait


# The longest Retry-After read from a server (an hour); the API relays at most service.http's cap.
MAX_RETRY_AFTER_S = 3600.0


class _RetryAfterOrBackoff(wait_base):
    """Wait what the server asked for (capped), else exponential back-off with jitter."""

    def __init__(self, backoff: wait_base, cap_s: float) -> None:
        self.backoff = backoff
        self.cap_s = cap_s

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome is not None else None
        asked = retry_after_s(exc) if exc is not None else None
        return min(asked, self.cap_s) if asked is not None else self.backoff(retry_state)


def _is_retryable(exc: BaseException) -> bool:
    kind = classify(exc)
    return kind is not None and kind[1]


def _describe(kind: _Kind, exc: BaseException, model: str, attempts: int) -> str:
    status = _answer_status(exc)
    tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
    if kind == "timeout":
        return f"The model {model} did not answer in time ({tries})."
    if kind == "unavailable":
        if status == 429:
            return f"The model {model} is rate limited (HTTP 429, {tries})."
        if status == 503:
            return f"The model {model} is unavailable (HTTP 503, {tries})."
        return f"The model {model} could not be reached (connection error, {tries})."
    if status is not None and status >= 500:
        return f"The model {model}'s endpoint failed (HTTP {status}, {tries})."
    if status is not None:
        return f"The model {model}'s endpoint refused the request (HTTP {status})."
    cause = list(exception_chain(exc))[-1]
    return f"The call to model {model} failed ({type(exc).__name__} from {type(cause).__name__}, {tries})."


class LiteLLMClient:
    """An :class:`~service.rewrite.port.LLMClient` for any provider litellm supports.

    ``max_retries`` retries follow a failed first attempt; all attempts together stay within
    ``retry_budget_s`` (no retry starts that would wait past it). Back-off waits are
    ``backoff_base_s * 2**n`` plus up to ``backoff_jitter_s``, at most ``retry_max_wait_s``, which also
    caps a server's ``Retry-After``.
    """

    def __init__(
        self,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        schema_mode: SchemaMode = "json_schema",
        schema_name: str = "rewrite_reply",
        max_tokens: int | None = None,
        max_retries: int = 3,
        retry_budget_s: float = 120.0,
        backoff_base_s: float = 0.5,
        backoff_jitter_s: float = 0.5,
        retry_max_wait_s: float = 20.0,
        sleep: Callable[[float], Any] | None = None,
        fallbacks: Sequence[FallbackModel] = (),
    ) -> None:
        if schema_mode not in ("json_schema", "json_object"):
            raise ValueError(f"unknown schema_mode {schema_mode!r}")
        self.api_base = api_base
        self._api_key = api_key
        self.schema_mode: SchemaMode = schema_mode
        self.schema_name = schema_name
        self.max_tokens = max_tokens
        self.max_retries = max_retries
        self.retry_budget_s = retry_budget_s
        self._wait = _RetryAfterOrBackoff(
            wait_exponential_jitter(multiplier=backoff_base_s, max=retry_max_wait_s, jitter=backoff_jitter_s),
            cap_s=retry_max_wait_s,
        )
        self._sleep = sleep
        self.fallbacks: tuple[FallbackModel, ...] = tuple(fallbacks)
        self._routers: dict[str, Router] = {}

    def __repr__(self) -> str:  # never shows the api key
        return (
            f"LiteLLMClient(api_base={self.api_base!r}, schema_mode={self.schema_mode!r}, "
            f"fallbacks={[str(f) for f in self.fallbacks]!r})"
        )

    def router_for(self, model: str) -> Router:
        """The Router of ``model`` + the fallbacks (built once per model; a few models at most)."""
        router = self._routers.get(model)
        if router is None:
            if len(self._routers) >= _MAX_ROUTERS:
                self._routers.clear()
            router = build_router(model, self.fallbacks, api_base=self.api_base, api_key=self._api_key)
            self._routers[model] = router
        return router

    def response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.schema_mode == "json_object":
            return {"type": "json_object", "schema": schema}
        # Strict modes differ in what patterns they take, and a model able to follow the rules should not be
        # held to the input's words: the text pattern is for grammar-following servers (llama.cpp).
        strict = without_text_pattern(schema)
        return {"type": "json_schema", "json_schema": {"name": self.schema_name, "schema": strict, "strict": True}}

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        temperature: float,
        response_schema: dict[str, Any],
        timeout: float,
    ) -> LLMReply:
        kwargs: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "temperature": temperature,
            "response_format": self.response_format(response_schema),
            "timeout": timeout,
            "num_retries": 0,  # tenacity is the one retry layer
            "max_retries": 0,  # ... and the OpenAI SDK's own retries are off too
        }
        if self.api_base is not None:
            kwargs["api_base"] = self.api_base
        if self._api_key is not None:
            kwargs["api_key"] = self._api_key
        if self.max_tokens is not None:
            kwargs["max_tokens"] = self.max_tokens

        retrying_kwargs: dict[str, Any] = {}
        if self._sleep is not None:
            retrying_kwargs["sleep"] = self._sleep
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_retries + 1) | stop_before_delay(self.retry_budget_s),
            wait=self._wait,
            retry=retry_if_exception(
                lambda exc: _is_retryable(exc) and diagnose(exc, model=model, schema_mode=self.schema_mode) is None
            ),
            before_sleep=lambda state: self._log_retry(state, model),
            reraise=True,
            **retrying_kwargs,
        )
        attempt_no = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempt_no = attempt.retry_state.attempt_number
                    return await self._call_once(kwargs, attempt_no, timeout)
        except Exception as exc:
            problem = diagnose(exc, model=model, schema_mode=self.schema_mode)
            if problem is not None:
                _log.warning(
                    "llm_misconfigured",
                    model=model,
                    reason=problem.reason,
                    setting=problem.setting,
                    error=type(exc).__name__,
                    status=_answer_status(exc),
                )
                raise LLMMisconfigured(
                    problem.message, reason=problem.reason, setting=problem.setting, value=problem.value
                ) from exc
            kind = classify(exc)
            if kind is None:
                raise
            message = _describe(kind[0], exc, model, attempt_no)
            if self.fallbacks:
                n = len(self.fallbacks)
                message += f" Its {n} fallback model{'s' if n != 1 else ''} failed too."
            error = _ERRORS[kind[0]](message, retry_after_s=retry_after_s(exc))
            _log.warning(
                "llm_gave_up", model=model, attempts=attempt_no, error=type(exc).__name__, status=_answer_status(exc)
            )
            raise error from exc
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def _call_once(self, kwargs: dict[str, Any], attempt: int, timeout: float) -> LLMReply:
        model = str(kwargs["model"])
        started = time.perf_counter()
        try:
            # litellm's own timeout should fire first; this bounds anything it does not cover
            async with asyncio.timeout(timeout + 1.0):
                if self.fallbacks:
                    # the Router holds each model's endpoint and key: they are not per-call arguments
                    routed = {k: v for k, v in kwargs.items() if k not in ("api_base", "api_key")}
                    response = await self.router_for(model).acompletion(**routed)
                else:
                    response = await litellm.acompletion(**kwargs)
        except Exception as exc:
            _log.info(
                "llm_call_failed",
                model=model,
                attempt=attempt,
                latency_ms=round((time.perf_counter() - started) * 1000, 1),
                error=type(exc).__name__,
                status=_answer_status(exc),
            )
            raise
        reply = _to_reply(response, model)
        _log.info(
            "llm_call",
            model=model,
            answered_by=reply.model,
            attempt=attempt,
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
        )
        return reply

    def _log_retry(self, state: RetryCallState, model: str) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        _log.info(
            "llm_retry",
            model=model,
            attempt=state.attempt_number,
            wait_s=round(state.upcoming_sleep, 3),
            error=type(exc).__name__ if exc is not None else None,
            status=_answer_status(exc) if exc is not None else None,
        )


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _cost(response: Any) -> float | None:
    # litellm prices every response it returns (``_hidden_params["response_cost"]``, None when it knows
    # no price); pricing it again costs about half a millisecond per call, so that figure is used
    hidden = getattr(response, "_hidden_params", None)
    if isinstance(hidden, dict) and "response_cost" in hidden:
        cost = hidden["response_cost"]
    else:
        try:
            cost = litellm.completion_cost(completion_response=response)
        except Exception:  # unknown model or provider: litellm raises; a missing cost is not an error
            return None
    return float(cost) if isinstance(cost, int | float) and cost > 0 else None


def _to_reply(response: Any, requested_model: str) -> LLMReply:
    choices = getattr(response, "choices", None) or []
    message = getattr(choices[0], "message", None) if choices else None
    content = getattr(message, "content", None)
    usage = getattr(response, "usage", None)
    return LLMReply(
        content=content if isinstance(content, str) else "",
        model=str(getattr(response, "model", None) or requested_model),
        prompt_tokens=_int(getattr(usage, "prompt_tokens", 0)),
        completion_tokens=_int(getattr(usage, "completion_tokens", 0)),
        cost_usd=_cost(response),
    )
