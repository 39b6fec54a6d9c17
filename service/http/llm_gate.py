"""A cap on concurrent LLM calls, and per-call metrics: :class:`GatedLLMClient` wraps any ``LLMClient``.

A burst of rewrites must not pile onto the model server. Each process lets at most
``BULLETGUARD_LLM_MAX_CONCURRENCY`` completions run at once; further calls wait in a FIFO queue of at
most ``BULLETGUARD_LLM_MAX_QUEUE`` for at most ``BULLETGUARD_LLM_QUEUE_TIMEOUT_S``. A call that finds the
queue full, or waits too long, raises :class:`LLMBusy`: the API answers 503 problem+json
(``llm-overloaded``) with ``Retry-After``, and the model server never sees the call.

The cap is per process (per replica): with N replicas the model server sees at most N x the cap.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from service.http.metrics import Metrics
from service.http.ratelimit import RateLimited, RateLimiter
from service.rewrite.llm.errors import LLMError, LLMMisconfigured, LLMUnavailable
from service.rewrite.port import LLMClient, LLMReply


class LLMBusy(LLMUnavailable):
    """Too many LLM calls in flight in this process: refused before reaching the model server."""

    slug = "llm-overloaded"


class LLMRateLimited(LLMError):
    """The client went over ``BULLETGUARD_LLM_RATE_LIMIT``: answered 429 with Retry-After."""

    status = 429
    title = "Too Many Requests"
    slug = "rate-limited"


class LLMGate:
    """A semaphore with a bounded, timed queue. One per app (per process)."""

    def __init__(
        self, *, max_concurrency: int, max_queue: int, queue_timeout_s: float, metrics: Metrics | None = None
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        self.max_concurrency = max_concurrency
        self.max_queue = max_queue
        self.queue_timeout_s = queue_timeout_s
        self.metrics = metrics
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._in_flight = 0
        self._waiting = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def retry_after_s(self) -> float:
        return float(max(1, math.ceil(self.queue_timeout_s)))

    def _busy(self, why: str) -> LLMBusy:
        return LLMBusy(
            f"The service is running its maximum of {self.max_concurrency} LLM calls and {why}; retry later.",
            retry_after_s=self.retry_after_s,
        )

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the ``max_concurrency`` slots for the body; raise :class:`LLMBusy` when refused."""
        if self._semaphore.locked():
            if self._waiting >= self.max_queue:
                raise self._busy(f"{self._waiting} more are queued")
            started = time.perf_counter()
            self._set_waiting(+1)
            try:
                async with asyncio.timeout(self.queue_timeout_s):
                    await self._semaphore.acquire()
            except TimeoutError:
                raise self._busy(f"none was free within {self.queue_timeout_s:g} s") from None
            finally:
                self._set_waiting(-1)
            if self.metrics is not None:
                self.metrics.llm_queue_wait.observe(time.perf_counter() - started)
        else:
            await self._semaphore.acquire()
        self._set_in_flight(+1)
        try:
            yield
        finally:
            self._set_in_flight(-1)
            self._semaphore.release()

    def _set_waiting(self, delta: int) -> None:
        self._waiting += delta
        if self.metrics is not None:
            self.metrics.llm_waiting.set(self._waiting)

    def _set_in_flight(self, delta: int) -> None:
        self._in_flight += delta
        if self.metrics is not None:
            self.metrics.llm_in_flight.set(self._in_flight)


class GatedLLMClient:
    """An ``LLMClient`` for one request: charges the client's LLM rate limit once, at the first call
    (so a request refused by validation costs nothing), takes a slot of ``gate`` for each call, and
    records each call in ``metrics``."""

    def __init__(
        self,
        inner: LLMClient,
        gate: LLMGate,
        metrics: Metrics | None = None,
        *,
        limiter: RateLimiter | None = None,
        identity: str = "",
    ) -> None:
        self.inner = inner
        self.gate = gate
        self.metrics = metrics
        self.limiter = limiter
        self.identity = identity
        self._charged = False

    async def charge(self) -> None:
        """Charge the client's LLM rate limit now (once per request), before the request's CPU work, so a
        client over its limit costs no guard work: :class:`LLMRateLimited` when it is over."""
        await self._charge()

    async def _charge(self) -> None:
        if self.limiter is None or self._charged:
            return
        self._charged = True
        try:
            await self.limiter.hit("llm", self.identity)
        except RateLimited as exc:
            raise LLMRateLimited(
                f"Too many requests that call the LLM from this client; retry in {exc.retry_after_s} s.",
                retry_after_s=float(exc.retry_after_s),
            ) from exc

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        temperature: float,
        response_schema: dict[str, Any],
        timeout: float,
    ) -> LLMReply:
        await self._charge()
        label = self.metrics.model_label(model) if self.metrics is not None else model
        try:
            async with self.gate.slot():
                started = time.perf_counter()
                try:
                    reply = await self.inner.complete(
                        messages,
                        model=model,
                        temperature=temperature,
                        response_schema=response_schema,
                        timeout=timeout,
                    )
                finally:
                    if self.metrics is not None:
                        self.metrics.llm_duration.labels(model=label).observe(time.perf_counter() - started)
        except LLMError as exc:
            # a wrong setting is not the model failing: its own outcome, so an alert can tell them apart
            self._record_error(label, exc.slug, "misconfigured" if isinstance(exc, LLMMisconfigured) else "error")
            raise
        except TimeoutError:
            self._record_error(label, "timeout")
            raise
        except asyncio.CancelledError:  # the rewrite's time budget ran out, or the client went away
            self._record_error(label, "cancelled")
            raise
        except Exception as exc:  # a bug in a client: counted, then left to the 500 handler
            self._record_error(label, type(exc).__name__)
            raise
        if self.metrics is not None:
            self.metrics.llm_calls.labels(model=label, outcome="ok").inc()
            self.metrics.llm_tokens.labels(model=label, kind="prompt").inc(reply.prompt_tokens)
            self.metrics.llm_tokens.labels(model=label, kind="completion").inc(reply.completion_tokens)
        return reply

    def _record_error(self, label: str, error: str, outcome: str = "error") -> None:
        if self.metrics is not None:
            self.metrics.llm_calls.labels(model=label, outcome=outcome).inc()
            self.metrics.llm_errors.labels(model=label, error=error).inc()
