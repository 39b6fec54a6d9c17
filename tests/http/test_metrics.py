"""Prometheus /metrics: requests and latency by route, LLM calls/latency/tokens/errors, re-asks, guard verdicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.http.app import create_app
from service.http.llm_client import get_llm_client
from service.rewrite.llm.errors import LLMTimeout
from service.settings import Settings
from tests.conftest import ACCEPTED_BULLET, NOTES, REJECTED_BULLET
from tests.fakes import FakeLLM, reply

MODEL = "openai/configured-model"
REWRITE_BODY: dict[str, Any] = {"notes": NOTES, "options": {"max_bullets": 1}}


def samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(client: TestClient, name: str, **labels: str) -> float:
    return samples(client).get((name, frozenset(labels.items())), 0.0)


def rewrite_client(*replies: str | BaseException, **settings: Any) -> tuple[TestClient, FakeLLM]:
    fake = FakeLLM(*replies, prompt_tokens=100, completion_tokens=20)
    app = create_app(Settings(model=MODEL, **settings))
    app.dependency_overrides[get_llm_client] = lambda: fake
    return TestClient(app), fake


def test_metrics_are_prometheus_text_with_process_figures(client: TestClient) -> None:
    found = samples(client)
    names = {name for name, _ in found}
    assert "process_resident_memory_bytes" in names
    assert "python_info" in names
    assert not any(name.endswith("_created") for name in names)


def test_requests_are_counted_and_timed_by_route_template(client: TestClient) -> None:
    client.post("/v1/verify", json={"notes": NOTES, "bullets": [ACCEPTED_BULLET]})
    client.post("/v1/verify", json={"notes": NOTES, "bullets": []})
    client.get("/healthz")

    assert value(client, "bulletguard_http_requests_total", method="POST", route="/v1/verify", status="200") == 1
    assert value(client, "bulletguard_http_requests_total", method="POST", route="/v1/verify", status="422") == 1
    assert value(client, "bulletguard_http_requests_total", method="GET", route="/healthz", status="200") == 1
    count = value(client, "bulletguard_http_request_duration_seconds_count", method="POST", route="/v1/verify")
    assert count == 2
    assert value(client, "bulletguard_http_request_duration_seconds_sum", method="POST", route="/v1/verify") > 0


def test_unknown_paths_do_not_become_labels(client: TestClient) -> None:
    client.get("/v1/secret-looking-path-42")
    client.get("/wp-admin/setup.php")

    text = client.get("/metrics").text
    assert "secret-looking-path" not in text
    assert "wp-admin" not in text
    assert value(client, "bulletguard_http_requests_total", method="GET", route="<unmatched>", status="404") == 2


def test_requests_refused_before_routing_keep_their_route(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=100)
    client.post("/v1/verify", content=b"x" * 500, headers={"Content-Type": "application/json"})
    assert value(client, "bulletguard_http_requests_total", method="POST", route="/v1/verify", status="413") == 1


def test_guard_verdicts_and_violations_by_kind(client: TestClient) -> None:
    client.post("/v1/verify", json={"notes": NOTES, "bullets": [ACCEPTED_BULLET, REJECTED_BULLET]})

    assert value(client, "bulletguard_guard_verdicts_total", endpoint="verify", verdict="accepted") == 1
    assert value(client, "bulletguard_guard_verdicts_total", endpoint="verify", verdict="rejected") == 1
    for kind in ("ownership", "metric", "scope"):
        assert value(client, "bulletguard_guard_violations_total", endpoint="verify", kind=kind) >= 1
    assert value(client, "bulletguard_guard_violations_total", endpoint="verify", kind="tool") == 0


def test_rewrite_counts_llm_calls_tokens_latency_and_reasks() -> None:
    client, fake = rewrite_client(
        reply((REJECTED_BULLET, ["notes"], "performance")),
        reply((ACCEPTED_BULLET, ["notes"], "reliability")),
        max_reasks=2,
    )

    response = client.post("/v1/rewrite", json=REWRITE_BODY)

    assert response.status_code == 200, response.text
    assert len(fake.calls) == 2
    assert value(client, "bulletguard_llm_calls_total", model=MODEL, outcome="ok") == 2
    assert value(client, "bulletguard_llm_tokens_total", model=MODEL, kind="prompt") == 200
    assert value(client, "bulletguard_llm_tokens_total", model=MODEL, kind="completion") == 40
    assert value(client, "bulletguard_llm_call_duration_seconds_count", model=MODEL) == 2
    assert value(client, "bulletguard_rewrite_reasks_total") == 1
    assert value(client, "bulletguard_rewrites_total") == 1
    assert value(client, "bulletguard_guard_verdicts_total", endpoint="rewrite", verdict="accepted") == 1
    assert value(client, "bulletguard_guard_verdicts_total", endpoint="rewrite", verdict="rejected") == 1
    assert value(client, "bulletguard_guard_violations_total", endpoint="rewrite", kind="metric") >= 1
    assert value(client, "bulletguard_llm_calls_in_flight") == 0


def test_llm_errors_are_counted_by_kind() -> None:
    client, _ = rewrite_client(LLMTimeout("The model did not answer in time (after 4 attempts)."))

    assert client.post("/v1/rewrite", json=REWRITE_BODY).status_code == 504

    assert value(client, "bulletguard_llm_calls_total", model=MODEL, outcome="error") == 1
    assert value(client, "bulletguard_llm_errors_total", model=MODEL, error="llm-timeout") == 1
    assert value(client, "bulletguard_http_requests_total", method="POST", route="/v1/rewrite", status="504") == 1


def test_a_model_the_operator_did_not_configure_is_labelled_other() -> None:
    allowed = [MODEL, "openai/client-chosen-9000"]  # allowed for requests, not the model or a fallback
    client, fake = rewrite_client(reply((ACCEPTED_BULLET, ["notes"], "reliability")), allowed_models=allowed)
    body = {**REWRITE_BODY, "options": {"max_bullets": 1, "model": "openai/client-chosen-9000"}}

    assert client.post("/v1/rewrite", json=body).status_code == 200

    assert fake.calls[0].model == "openai/client-chosen-9000"
    assert "client-chosen" not in client.get("/metrics").text
    assert value(client, "bulletguard_llm_calls_total", model="other", outcome="ok") == 1


def test_metrics_never_carry_request_text() -> None:
    secret = "Zanzibar"
    client, _ = rewrite_client(reply((ACCEPTED_BULLET, ["notes"], "reliability")))
    client.post("/v1/rewrite", json={"notes": f"{NOTES} for {secret}", "redact": [secret]})
    client.post("/v1/verify", json={"notes": f"{NOTES} for {secret}", "bullets": [f"Helped {secret}."]})

    text = client.get("/metrics").text
    assert secret not in text
    assert "memory leak" not in text


def test_each_app_has_its_own_registry(make_client: Callable[..., TestClient]) -> None:
    first, second = make_client(), make_client()
    first.post("/v1/verify", json={"notes": NOTES, "bullets": [ACCEPTED_BULLET]})

    labels = {"method": "POST", "route": "/v1/verify", "status": "200"}
    assert value(first, "bulletguard_http_requests_total", **labels) == 1
    assert value(second, "bulletguard_http_requests_total", **labels) == 0


def test_metrics_route_is_documented_as_text(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/metrics"]["get"]
    assert "text/plain" in operation["responses"]["200"]["content"]
