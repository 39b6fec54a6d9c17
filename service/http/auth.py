"""Optional API keys for the service's own routes.

* Off while ``BULLETGUARD_API_KEYS`` is empty (the local quick start); on as soon as one key hash is set.
* A key is sent as ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``.
* The service stores no keys, only their hashes: ``sha256:`` + the hex SHA-256 of the key, made by
  ``bulletguard hash-key``. Keys are long random tokens, so a plain (unsalted, fast) hash is enough: it
  cannot be brute-forced, and it lets the check hash the presented key once and compare digests.
* The presented key's digest is compared with *every* configured hash with :func:`hmac.compare_digest`
  (no early exit), so the time taken does not tell how close a guess was.
* Protected: every ``/v1/...`` route except the chat-ops webhooks (``/v1/chatops/...``, which check
  their own signature or token), plus ``/metrics`` when ``BULLETGUARD_METRICS_REQUIRE_KEY`` is on.
  Open: the probes (``/healthz``, ``/readyz``), the docs and OpenAPI document, and the static pages
  (``/`` and its assets), so a browser can load the review page, which then sends the key on its API calls.
* A refused request gets a 401 problem+json with ``WWW-Authenticate: Bearer``. Keys are never logged;
  an accepted request's log lines carry ``api_key_id``, the first 12 hex digits of its hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from service.http.metrics import Metrics
from service.http.problems import problem_response, problem_type
from service.http.ratelimit import (
    RateLimited,
    RateLimiter,
    client_identity,
    is_protected_path,
    rate_limited_response,
)

HASH_PREFIX = "sha256:"
KEY_ID_HEX_DIGITS = 12
API_KEY_HEADER = b"x-api-key"
AUTHORIZATION_HEADER = b"authorization"
# The review page's API calls and other clients may send the key in either header.
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "BearerKey": {"type": "http", "scheme": "bearer"},
}

_log = structlog.get_logger("bulletguard.auth")


def hash_api_key(key: str) -> str:
    """The value to put in ``BULLETGUARD_API_KEYS`` for ``key``: ``sha256:<hex>``."""
    return HASH_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_api_key() -> str:
    """A new random API key (256 bits, URL-safe), prefixed so it is recognisable in a secret scanner."""
    return "bg_" + secrets.token_urlsafe(32)


def key_id(key_hash: str) -> str:
    """A short, non-secret id for a key hash, for logs and rate-limit buckets."""
    return key_hash.removeprefix(HASH_PREFIX)[:KEY_ID_HEX_DIGITS]


def presented_key(scope: Scope) -> str | None:
    """The key in ``X-API-Key``, else in ``Authorization: Bearer``; None when neither is there. An empty
    ``X-API-Key`` counts as absent (it does not hide a valid bearer token)."""
    bearer: str | None = None
    for name, value in scope.get("headers", []):
        lowered = name.lower()
        if lowered == API_KEY_HEADER:
            key = bytes(value).decode("latin-1").strip()
            if key:
                return key
        if lowered == AUTHORIZATION_HEADER and bearer is None:
            scheme, _, token = bytes(value).decode("latin-1").strip().partition(" ")
            if scheme.lower() == "bearer":
                bearer = token.strip()
    return bearer


class ApiKeyChecker:
    """Holds the configured key hashes and matches a presented key against all of them."""

    def __init__(self, key_hashes: Sequence[str]) -> None:
        self._digests = [bytes.fromhex(h.removeprefix(HASH_PREFIX)) for h in key_hashes]
        self._hashes = [h.lower() for h in key_hashes]

    @property
    def enabled(self) -> bool:
        return bool(self._digests)

    def match(self, key: str) -> str | None:
        """The matching configured hash, or None. Compares with every hash, in constant time each."""
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        found: str | None = None
        for configured, key_hash in zip(self._digests, self._hashes, strict=True):
            if hmac.compare_digest(digest, configured):
                found = key_hash
        return found


class ApiKeyMiddleware:
    """Pure ASGI middleware: 401 problem+json on a protected path without a valid key.

    On success it stores ``api_key_id`` in ``scope["state"]`` (the rate limiter buckets by it) and binds
    it to the log context. Does nothing when no keys are configured.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        key_hashes: Sequence[str],
        metrics_require_key: bool = False,
        metrics: Metrics | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.checker = ApiKeyChecker(key_hashes)
        self.metrics_require_key = metrics_require_key
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self.checker.enabled
            or not is_protected_path(scope.get("path", ""), metrics_require_key=self.metrics_require_key)
        ):
            await self.app(scope, receive, send)
            return
        key = presented_key(scope)
        matched = self.checker.match(key) if key else None
        if matched is None:
            reason = "missing" if not key else "invalid"
            _log.warning("api_key_refused", reason=reason)
            if self.metrics is not None:
                self.metrics.auth_failures.labels(reason=reason).inc()
            if self.limiter is not None:  # refusals count too: guessing keys is rate limited per address
                try:
                    await self.limiter.hit("requests", client_identity(scope))
                except RateLimited as exc:
                    await rate_limited_response(exc, scope, receive, send)
                    return
            detail = (
                "This route needs an API key: send it as `X-API-Key: KEY` or `Authorization: Bearer KEY`."
                if reason == "missing"
                else "The API key is not valid."
            )
            await problem_response(
                scope,
                status=401,
                title="Unauthorized",
                detail=detail,
                type=problem_type("unauthorized"),
                headers={"WWW-Authenticate": 'Bearer realm="bulletguard"'},
            )(scope, receive, send)
            return
        identity = key_id(matched)
        scope.setdefault("state", {})["api_key_id"] = identity
        with structlog.contextvars.bound_contextvars(api_key_id=identity):
            await self.app(scope, receive, send)
