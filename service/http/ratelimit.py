"""Rate limits per API key (or per client IP without keys), with the ``limits`` library.

Two limits, both in ``limits`` notation (``60/minute``, ``10/second;600/minute``), empty to switch off:

* ``BULLETGUARD_RATE_LIMIT`` counts every request to a protected route (``/v1/...`` except the chat-ops
  webhooks), in :class:`RateLimitMiddleware`, before the body is read;
* ``BULLETGUARD_LLM_RATE_LIMIT`` counts requests that call the LLM, charged once per request at its first
  LLM call by :class:`service.http.llm_gate.GatedLLMClient` (what ``LLMClientDep`` gives a route), so every
  LLM route pays it without being listed here, and a request refused by validation costs nothing.

A refused request gets a 429 problem+json with ``Retry-After`` (whole seconds). The bucket is
``key:<api key id>`` when the request was authenticated, else ``ip:<client address>`` (the address
uvicorn reports: behind a load balancer, set ``FORWARDED_ALLOW_IPS`` so it trusts ``X-Forwarded-For``).

The strategy is the sliding window counter (O(1) per bucket, smooth at window edges). Counters live in
process memory (:class:`MemoryWindows`, a plain dict read without awaiting anything: ``limits``' own
in-memory storage takes a lock and starts an expiry task per hit), or in Redis when
``BULLETGUARD_REDIS_URL`` is set (``limits``' Redis storage), so a limit holds across replicas.

**Redis down: fail open to local limits.** When a Redis call fails (or times out after
``BULLETGUARD_REDIS_TIMEOUT_S``), the request is counted in this process's memory instead, and Redis is
left alone for :data:`REDIS_RETRY_AFTER_S` seconds before it is tried again. Limits then hold per
replica rather than globally, and no request waits on a dead Redis. Each outage is logged
(``ratelimit_storage_unavailable``, error type only, at most once per retry period) and counted in
``bulletguard_ratelimit_storage_errors_total``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Literal

import structlog
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from service.http.metrics import Metrics
from service.http.problems import ProblemError, problem_response
from service.settings import Settings

LimitName = Literal["requests", "llm"]
REDIS_RETRY_AFTER_S = 5.0
KEY_PREFIX = "bulletguard"

_log = structlog.get_logger("bulletguard.ratelimit")


def client_identity(scope: Scope) -> str:
    """The rate-limit bucket of a request: its API key id, else its client address."""
    state = scope.get("state")
    if isinstance(state, dict) and isinstance(state.get("api_key_id"), str):
        return f"key:{state['api_key_id']}"
    client = scope.get("client")
    host = client[0] if client else "unknown"
    return f"ip:{host}"


def wall_clock() -> float:
    """The time the in-memory windows count in (a module function, so a test can hold it still: a request
    pair that straddles a window's end is otherwise weighed differently)."""
    return time.time()


class RateLimited(Exception):
    """A request went over a limit; ``retry_after_s`` is when the next one would be allowed."""

    def __init__(self, limit: LimitName, retry_after_s: int) -> None:
        super().__init__(f"rate limited ({limit})")
        self.limit = limit
        self.retry_after_s = retry_after_s


def rate_limited_problem(exc: RateLimited) -> ProblemError:
    return ProblemError(
        429,
        "Too Many Requests",
        _detail(exc),
        type="rate-limited",
        headers={"Retry-After": str(exc.retry_after_s)},
    )


def _detail(exc: RateLimited) -> str:
    what = "requests that call the LLM" if exc.limit == "llm" else "requests"
    return f"Too many {what} from this client; retry in {exc.retry_after_s} s."


class MemoryWindows:
    """Sliding window counters in this process's memory, as ``limits`` computes them.

    A limit of ``amount`` per ``expiry`` seconds counts hits in fixed windows (``now // expiry``); a hit is
    allowed while ``floor(previous window's count x the share of the current window still to run +
    current count) + 1 <= amount``. Buckets idle for two windows are dropped (swept at most once per
    second), so memory stays bounded by the clients of the last two windows.
    """

    _SWEEP_EVERY_S = 1.0

    def __init__(self) -> None:
        # (limit, identity, item index) -> [window number, count in it, count in the window before, window length]
        self._buckets: dict[tuple[str, str, int], list[int]] = {}
        self._next_sweep = 0.0

    def __len__(self) -> int:
        return len(self._buckets)

    def hit(self, items: Sequence[RateLimitItem], limit: str, identity: str, now: float) -> int | None:
        """Count a hit against every item in turn; at the first refusal return the seconds to wait (>= 1)
        and count no further item, else None."""
        if now >= self._next_sweep:
            self._sweep(now)
        for index, item in enumerate(items):
            key = (limit, identity, index)
            expiry = item.get_expiry()
            share = now / expiry  # windows since the epoch; the same float arithmetic as limits'
            number = int(share)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = [number, 0, 0, expiry]
            elif bucket[0] != number:
                bucket[2] = bucket[1] if bucket[0] == number - 1 else 0
                bucket[1] = 0
                bucket[0] = number
            left_s = (1 - share % 1) * expiry  # of the current window
            weighted = bucket[2] * left_s / expiry + bucket[1]
            if math.floor(weighted) + 1 > item.amount:
                return self._retry_after(bucket, expiry, left_s)
            bucket[1] += 1
        return None

    @staticmethod
    def _retry_after(bucket: list[int], expiry: int, left_s: float) -> int:
        """When the weighted count next drops by one (``limits``' ``reset_time``), in whole seconds."""
        wait = math.inf
        if bucket[2]:
            wait = left_s % (expiry / bucket[2])
        if bucket[1]:
            wait = min(wait, left_s)
        return max(1, math.ceil(wait)) if wait != math.inf else 1

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self._SWEEP_EVERY_S
        stale = [key for key, bucket in self._buckets.items() if bucket[0] < now // bucket[3] - 1]
        for key in stale:
            del self._buckets[key]


class RateLimiter:
    """Both limits of one app, over Redis (when configured) with an in-memory fallback."""

    def __init__(self, settings: Settings, metrics: Metrics | None = None) -> None:
        self.limits: dict[LimitName, list[RateLimitItem]] = {
            "requests": parse_many(settings.rate_limit) if settings.rate_limit else [],
            "llm": parse_many(settings.llm_rate_limit) if settings.llm_rate_limit else [],
        }
        self.metrics = metrics
        self._memory = MemoryWindows()
        self._redis_storage: Storage | None = None
        self._redis: SlidingWindowCounterRateLimiter | None = None
        if settings.redis_url is not None:
            self._redis_storage = RedisStorage(
                settings.redis_url.get_secret_value(),
                implementation="redispy",
                key_prefix=KEY_PREFIX,
                wrap_exceptions=True,
                socket_timeout=settings.redis_timeout_s,
                socket_connect_timeout=settings.redis_timeout_s,
            )
            self._redis = SlidingWindowCounterRateLimiter(self._redis_storage)
        self._redis_down_until = 0.0
        self.redis_retry_after_s = REDIS_RETRY_AFTER_S

    @property
    def uses_redis(self) -> bool:
        return self._redis is not None

    def enabled(self, limit: LimitName) -> bool:
        return bool(self.limits[limit])

    async def hit(self, limit: LimitName, identity: str) -> None:
        """Count one request of ``identity`` against ``limit``; raise :class:`RateLimited` when over it."""
        items = self.limits[limit]
        if not items:
            return
        retry_after: int | None = None
        if self._redis is not None and time.monotonic() >= self._redis_down_until:
            try:
                retry_after = await self._hit(self._redis, items, limit, identity)
            except Exception as exc:  # any storage failure: fail open to the local counters
                self._redis_failed(exc)
            else:
                if retry_after is not None:
                    self._refuse(limit, retry_after)
                return
        retry_after = self._memory.hit(items, limit, identity, wall_clock())
        if retry_after is not None:
            self._refuse(limit, retry_after)

    @staticmethod
    async def _hit(
        limiter: SlidingWindowCounterRateLimiter, items: Sequence[RateLimitItem], limit: LimitName, identity: str
    ) -> int | None:
        for item in items:
            if not await limiter.hit(item, limit, identity):
                stats = await limiter.get_window_stats(item, limit, identity)
                return max(1, math.ceil(stats.reset_time - time.time()))
        return None

    def _refuse(self, limit: LimitName, retry_after: int) -> None:
        if self.metrics is not None:
            self.metrics.rate_limited.labels(limit=limit).inc()
        _log.info("rate_limited", limit=limit, retry_after_s=retry_after)
        raise RateLimited(limit, retry_after)

    def _redis_failed(self, exc: BaseException) -> None:
        if self.metrics is not None:
            self.metrics.ratelimit_storage_errors.inc()
        self._redis_down_until = time.monotonic() + self.redis_retry_after_s
        # the cause's type only: a message could carry the URL
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        _log.warning(
            "ratelimit_storage_unavailable",
            error=type(cause).__name__,
            fallback="memory",
            retry_in_s=self.redis_retry_after_s,
        )

    async def aclose(self) -> None:
        """Close the Redis connections (at app shutdown)."""
        if self._redis_storage is not None:
            bridge = getattr(self._redis_storage, "bridge", None)
            client = getattr(bridge, "storage", None)
            close = getattr(client, "aclose", None)
            if close is not None:
                await close()


async def rate_limited_response(exc: RateLimited, scope: Scope, receive: Receive, send: Send) -> None:
    """Send the 429 problem+json of ``exc``."""
    problem = rate_limited_problem(exc)
    await problem_response(
        scope,
        status=problem.status,
        title=problem.title,
        detail=problem.detail,
        type=problem.type,
        extra=problem.extra,
        headers=problem.headers,
    )(scope, receive, send)


def is_protected_path(path: str, *, metrics_require_key: bool = False) -> bool:
    """Whether ``path`` needs an API key (when keys are configured) and counts against the request limit."""
    if path.startswith("/v1/"):
        return not path.startswith("/v1/chatops/")
    return metrics_require_key and path == "/metrics"


class RateLimitMiddleware:
    """Pure ASGI middleware: the per-client request limit on protected routes (429 problem+json)."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, metrics_require_key: bool = False) -> None:
        self.app = app
        self.limiter = limiter
        self.metrics_require_key = metrics_require_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and self.limiter.enabled("requests")
            and is_protected_path(scope.get("path", ""), metrics_require_key=self.metrics_require_key)
        ):
            try:
                await self.limiter.hit("requests", client_identity(scope))
            except RateLimited as exc:
                await rate_limited_response(exc, scope, receive, send)
                return
        await self.app(scope, receive, send)
