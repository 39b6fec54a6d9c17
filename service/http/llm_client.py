"""The LLM client dependencies of the LLM routes.

* :func:`get_llm_client` is the raw model client: one :class:`LiteLLMClient` per app, built from the
  settings. Tests swap it: ``app.dependency_overrides[get_llm_client] = lambda: fake``.
* :data:`LLMClientDep` (what routes ask for) wraps it per request in a
  :class:`~service.http.llm_gate.GatedLLMClient`: the client's LLM rate limit (on API-key routes, not on the
  chat-ops webhooks), the per-process cap on concurrent LLM calls, and the LLM metrics. So a faked client
  is gated and measured like the real one.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from service.http.deps import SettingsDep
from service.http.llm_gate import GatedLLMClient, LLMGate
from service.http.metrics import Metrics
from service.http.ratelimit import RateLimiter, client_identity, is_protected_path
from service.rewrite.llm.client import LiteLLMClient
from service.rewrite.llm.router import parse_fallbacks
from service.rewrite.port import LLMClient
from service.settings import Settings


def llm_client_from_settings(settings: Settings) -> LiteLLMClient:
    """A :class:`LiteLLMClient` configured from the ``BULLETGUARD_*`` settings."""
    return LiteLLMClient(
        api_base=settings.api_base,
        api_key=settings.api_key.get_secret_value() if settings.api_key is not None else None,
        schema_mode=settings.llm_schema_mode,
        max_tokens=settings.llm_max_tokens,
        max_retries=settings.llm_max_retries,
        retry_max_wait_s=settings.llm_retry_max_wait_s,
        retry_budget_s=settings.rewrite_timeout_s,
        fallbacks=parse_fallbacks(settings.fallback_models),
    )


def llm_gate_from_settings(settings: Settings, metrics: Metrics | None = None) -> LLMGate:
    return LLMGate(
        max_concurrency=settings.llm_max_concurrency,
        max_queue=settings.llm_max_queue,
        queue_timeout_s=settings.llm_queue_timeout_s,
        metrics=metrics,
    )


def get_llm_client(request: Request, settings: SettingsDep) -> LLMClient:
    """The app's model client (built on first use, then shared: it caches its litellm Routers). A client
    set in ``app.state.llm_client`` beforehand is used as it is (the load script's stub: unlike
    ``dependency_overrides``, which makes FastAPI re-read every dependency's signature on every request
    of every route, it costs nothing on the routes that do not call the LLM)."""
    state = request.app.state
    client = getattr(state, "llm_client", None)
    if client is None:
        client = llm_client_from_settings(settings)
        state.llm_client = client
    return cast(LLMClient, client)


def get_gated_llm_client(
    request: Request, settings: SettingsDep, llm: Annotated[LLMClient, Depends(get_llm_client)]
) -> LLMClient:
    """``llm`` behind the app's rate limiter, concurrency gate and metrics (see module docs)."""
    state = request.app.state
    metrics = getattr(state, "metrics", None)
    metrics = metrics if isinstance(metrics, Metrics) else None
    gate = getattr(state, "llm_gate", None)
    if not isinstance(gate, LLMGate):  # an app not built by create_app
        gate = llm_gate_from_settings(settings, metrics)
        state.llm_gate = gate
    limiter = getattr(state, "rate_limiter", None)
    # The per-client LLM limit is for API clients; the chat-ops webhooks (one platform address for all
    # of its users) have their own cap on jobs. The concurrency gate applies to every LLM call.
    limited = isinstance(limiter, RateLimiter) and is_protected_path(request.url.path)
    return GatedLLMClient(
        llm,
        gate,
        metrics,
        limiter=limiter if limited else None,
        identity=client_identity(request.scope),
    )


LLMClientDep = Annotated[LLMClient, Depends(get_gated_llm_client)]
