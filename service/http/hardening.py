"""Wires the production safeguards into an app: API keys, rate limits, the LLM gate, metrics.

:func:`install_hardening` is called by :func:`service.http.app.create_app` between the body-size limit and
the request-context middleware (which also counts and times every request in the app's metrics), so the
request path is (outermost first):

    request id + access log + metrics -> API key (401) -> rate limit (429) -> body limit (413) -> routes

The OpenAPI document is completed to match: the API-key security schemes and a 401 on protected
operations (when keys are configured), a 429 wherever a rate limit applies, and a 413 on every
operation that takes a body, all as ``application/problem+json`` with the ``Problem`` schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI

from service.http import metrics as metrics_module
from service.http.auth import SECURITY_SCHEMES, ApiKeyMiddleware
from service.http.llm_client import llm_gate_from_settings
from service.http.metrics import Metrics
from service.http.problems import PROBLEM_MEDIA_TYPE
from service.http.ratelimit import RateLimiter, RateLimitMiddleware, is_protected_path
from service.rewrite.llm.router import parse_fallbacks
from service.settings import Settings

_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "options", "head", "trace"})


def known_models(settings: Settings) -> list[str]:
    return [settings.model, *(fallback.model for fallback in parse_fallbacks(settings.fallback_models))]


def install_hardening(app: FastAPI, settings: Settings) -> None:
    """Add the metrics route, the shared state (``app.state.metrics`` and the rest) and the middlewares
    (call before the outermost one)."""
    metrics = Metrics(known_models=known_models(settings))
    limiter = RateLimiter(settings, metrics)
    app.state.metrics = metrics
    app.state.rate_limiter = limiter
    app.state.llm_gate = llm_gate_from_settings(settings, metrics)
    app.include_router(metrics_module.router)

    # add_middleware: the last added runs first
    app.add_middleware(RateLimitMiddleware, limiter=limiter, metrics_require_key=settings.metrics_require_key)
    app.add_middleware(
        ApiKeyMiddleware,
        key_hashes=settings.api_keys,
        metrics_require_key=settings.metrics_require_key,
        metrics=metrics,
        limiter=limiter,
    )

    _close_on_shutdown(app, limiter)
    _document(app, settings, limiter)


def _close_on_shutdown(app: FastAPI, limiter: RateLimiter) -> None:
    inner: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(target: Any) -> AsyncIterator[Any]:
        async with inner(target) as state:
            try:
                yield state
            finally:
                await limiter.aclose()

    app.router.lifespan_context = lifespan


def _problem_response(
    description: str, schema: dict[str, Any], headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}}
}
_WWW_AUTHENTICATE = {"WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}}}


def document_hardening(schema: dict[str, Any], settings: Settings, limiter: RateLimiter) -> None:
    """Add security schemes and the 401/413/429 responses to an OpenAPI document, in place."""
    components = schema.setdefault("components", {})
    problem_ref = (
        {"$ref": "#/components/schemas/Problem"} if "Problem" in components.get("schemas", {}) else {"type": "object"}
    )
    keys_on = bool(settings.api_keys)
    if keys_on:
        components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    for path, path_item in schema.get("paths", {}).items():
        protected = is_protected_path(path, metrics_require_key=settings.metrics_require_key)
        for method, operation in path_item.items():
            if method not in _HTTP_METHODS or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses.setdefault(
                    "413", _problem_response("The request body is larger than `max_body_bytes`.", problem_ref)
                )
            if not protected:
                continue
            if keys_on:
                operation["security"] = [{name: []} for name in SECURITY_SCHEMES]
                responses.setdefault(
                    "401",
                    _problem_response(
                        "No API key, or not a valid one (`X-API-Key` or `Authorization: Bearer`).",
                        problem_ref,
                        _WWW_AUTHENTICATE,
                    ),
                )
            if limiter.enabled("requests") or limiter.enabled("llm"):
                responses.setdefault(
                    "429",
                    _problem_response(
                        "Too many requests from this API key (or client address); see `Retry-After`.",
                        problem_ref,
                        _RETRY_AFTER,
                    ),
                )


def _document(app: FastAPI, settings: Settings, limiter: RateLimiter) -> None:
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = default_openapi()
        document_hardening(schema, settings, limiter)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
