"""Prometheus metrics: one registry per app, served at ``GET /metrics``.

Labels only ever take values from small, fixed sets (route templates, status codes, model names the
operator configured, violation kinds), so a client cannot blow up the number of series: unknown paths
are ``<unmatched>``, a per-request model the settings do not name is ``other``.

/metrics itself is open, like the probes: keep it on an internal network (or set
``BULLETGUARD_METRICS_REQUIRE_KEY=true`` so it needs an API key). It serves counts and timings, never
note, evidence or bullet text.

One process = one registry: ``bulletguard serve`` runs a single uvicorn worker, so scale with replicas
(each one scraped) rather than workers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from starlette.routing import BaseRoute
from starlette.types import Scope

# No `*_created` series: they double the output and nothing here needs them.
disable_created_metrics()  # type: ignore[no-untyped-call]

UNMATCHED_ROUTE = "<unmatched>"
OTHER_MODEL = "other"

_HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_LLM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)


class Metrics:
    """Every metric the service exports, registered on its own :class:`CollectorRegistry`."""

    def __init__(self, known_models: Iterable[str] = ()) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.known_models = frozenset(known_models)
        # Labelled children, looked up once per label set (``labels()`` costs more than the increment);
        # bounded like the label values themselves.
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._verdict_children: dict[tuple[str, str], Any] = {}
        self._violation_children: dict[tuple[str, str], Any] = {}
        self._known_paths: frozenset[str] | None = None
        r = self.registry

        self.http_requests = Counter(
            "bulletguard_http_requests", "HTTP requests answered.", ["method", "route", "status"], registry=r
        )
        self.http_duration = Histogram(
            "bulletguard_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            buckets=_HTTP_BUCKETS,
            registry=r,
        )
        self.http_in_flight = Gauge("bulletguard_http_requests_in_flight", "HTTP requests being answered.", registry=r)

        self.llm_calls = Counter(
            "bulletguard_llm_calls",
            "LLM completions asked for by the pipeline (retries inside one call not counted), by outcome.",
            ["model", "outcome"],
            registry=r,
        )
        self.llm_duration = Histogram(
            "bulletguard_llm_call_duration_seconds",
            "Time of one LLM completion, retries included, queueing excluded.",
            ["model"],
            buckets=_LLM_BUCKETS,
            registry=r,
        )
        self.llm_tokens = Counter("bulletguard_llm_tokens", "LLM tokens used.", ["model", "kind"], registry=r)
        self.llm_errors = Counter(
            "bulletguard_llm_errors", "Failed LLM completions, by error (problem slug).", ["model", "error"], registry=r
        )
        self.llm_in_flight = Gauge("bulletguard_llm_calls_in_flight", "LLM completions running now.", registry=r)
        self.llm_waiting = Gauge("bulletguard_llm_calls_waiting", "LLM completions waiting for a slot.", registry=r)
        self.llm_queue_wait = Histogram(
            "bulletguard_llm_queue_wait_seconds",
            "Time an LLM completion waited for a concurrency slot.",
            buckets=(0.001, 0.01, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
            registry=r,
        )

        self.rewrites = Counter("bulletguard_rewrites", "Rewrites finished (HTTP 200).", registry=r)
        self.reasks = Counter("bulletguard_rewrite_reasks", "Re-asks of the LLM after the guard refused.", registry=r)
        self.guard_verdicts = Counter(
            "bulletguard_guard_verdicts", "Bullets judged by the guard.", ["endpoint", "verdict"], registry=r
        )
        self.guard_violations = Counter(
            "bulletguard_guard_violations", "Guard violations found, by kind.", ["endpoint", "kind"], registry=r
        )

        self.auth_failures = Counter(
            "bulletguard_auth_failures", "Requests refused for a missing or invalid API key.", ["reason"], registry=r
        )
        self.rate_limited = Counter(
            "bulletguard_rate_limited", "Requests refused by a rate limit (429).", ["limit"], registry=r
        )
        self.ratelimit_storage_errors = Counter(
            "bulletguard_ratelimit_storage_errors",
            "Rate-limit storage (Redis) failures; the request was counted in local memory instead.",
            registry=r,
        )

    def model_label(self, model: str) -> str:
        """``model`` when the operator configured it, else ``other`` (bounded label values)."""
        return model if model in self.known_models else OTHER_MODEL

    def observe_verdicts(self, endpoint: str, verdicts: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Count guard results: ``(verdict, violation kinds)`` per bullet."""
        for verdict, kinds in verdicts:
            counter = self._verdict_children.get((endpoint, verdict))
            if counter is None:
                counter = self._verdict_children[endpoint, verdict] = self.guard_verdicts.labels(
                    endpoint=endpoint, verdict=verdict
                )
            counter.inc()
            for kind in kinds:
                counter = self._violation_children.get((endpoint, kind))
                if counter is None:
                    counter = self._violation_children[endpoint, kind] = self.guard_violations.labels(
                        endpoint=endpoint, kind=kind
                    )
                counter.inc()

    def observe_request(self, scope: Scope, status: int, seconds: float) -> None:
        """Count and time one answered HTTP request by method, route template and status."""
        method = method_label(scope)
        route = route_label(scope, self._paths(scope))
        children = self._request_children.get((method, route, status))
        if children is None:
            children = self._request_children[method, route, status] = (
                self.http_requests.labels(method=method, route=route, status=str(status)),
                self.http_duration.labels(method=method, route=route),
            )
        children[0].inc()
        children[1].observe(seconds)

    def _paths(self, scope: Scope) -> frozenset[str]:
        """Paths (without parameters) of the app's operations, from its OpenAPI document, built once."""
        if self._known_paths is None:
            app: Any = scope.get("app")
            paths: set[str] = set()
            with contextlib.suppress(Exception):  # no OpenAPI document: label by matched routes only
                paths.update(app.openapi().get("paths", {}))
            paths.update(getattr(route, "path", "") for route in getattr(app, "routes", []))
            self._known_paths = frozenset(path for path in paths if isinstance(path, str) and path and "{" not in path)
        return self._known_paths

    def render(self) -> bytes:
        return generate_latest(self.registry)


def metrics_of(request: Request) -> Metrics | None:
    """The app's :class:`Metrics` (None for an app not built by ``create_app``)."""
    metrics = getattr(request.app.state, "metrics", None)
    return metrics if isinstance(metrics, Metrics) else None


def record_verify(request: Request, response: Any) -> None:
    """Count the verdicts and violation kinds of a ``VerifyResponse``."""
    metrics = metrics_of(request)
    if metrics is not None:
        metrics.observe_verdicts(
            "verify", ((r.verdict, (v.kind for v in r.violations)) for r in getattr(response, "results", ()))
        )


def record_rewrite(request: Request, result: Any) -> None:
    """Count a finished ``RewriteResult``: re-asks, accepted bullets, refused ones and their violations."""
    metrics = metrics_of(request)
    if metrics is None:
        return
    metrics.rewrites.inc()
    metrics.reasks.inc(max(0, int(getattr(result, "attempts", 1)) - 1))
    verdicts: list[tuple[str, Iterable[str]]] = [("accepted", ()) for _ in getattr(result, "bullets", ())]
    verdicts += [("rejected", [v.kind for v in r.violations]) for r in getattr(result, "rejected", ())]
    metrics.observe_verdicts("rewrite", verdicts)


# The method label takes its values from this fixed set; a made-up method ("X00000") is `other`, so a
# client cannot grow the metrics with labels of its choosing.
METHOD_LABELS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(scope: Scope) -> str:
    method = scope.get("method", "")
    return method if method in METHOD_LABELS else "other"


def route_label(scope: Scope, known_paths: frozenset[str]) -> str:
    """The matched route's path template (``/v1/verify``), or ``<unmatched>``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(route, BaseRoute) and isinstance(path, str):
        return path or "/"
    raw = scope.get("path", "")
    # answered before routing (401, 429, 413): label it when it is a known route's exact path
    return raw if raw in known_paths else UNMATCHED_ROUTE


router = APIRouter(tags=["observability"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description=(
        "Counters and histograms in the Prometheus text format: requests and latency by route, LLM calls, "
        "latency, tokens and errors, re-asks, guard verdicts and violations by kind, rate limiting."
    ),
    response_class=Response,
    responses={200: {"description": "Prometheus text exposition format.", "content": {"text/plain": {}}}},
)
def metrics_endpoint(request: Request) -> Response:
    metrics = request.app.state.metrics
    assert isinstance(metrics, Metrics)
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
