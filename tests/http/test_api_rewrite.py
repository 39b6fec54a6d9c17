"""``POST /v1/rewrite`` through the real app, with a FakeLLM behind the ``get_llm_client`` dependency."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.http.app import create_app
from service.http.llm_client import get_llm_client, llm_client_from_settings
from service.http.routes import rewrite as rewrite_route
from service.rewrite.llm.client import LiteLLMClient
from service.rewrite.llm.errors import LLMBadGateway, LLMTimeout, LLMUnavailable
from service.settings import Settings
from tests.conftest import ACCEPTED_BULLET, REJECTED_BULLET, REWRITE_BODY, REWRITE_NOTES, RUNBOOK_BULLET
from tests.fakes import FakeLLM, reply


def _app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    # until service/http/app.py includes the rewrite router, include it here (and never twice)
    if not any(getattr(route, "path", None) == "/v1/rewrite" for route in app.routes):
        app.include_router(rewrite_route.router)
    return app


@pytest.fixture
def rewrite_client() -> Callable[..., tuple[TestClient, FakeLLM]]:
    def factory(*replies: str | BaseException, **settings: Any) -> tuple[TestClient, FakeLLM]:
        fake = FakeLLM(*replies)
        app = _app(Settings(**settings))
        app.dependency_overrides[get_llm_client] = lambda: fake
        return TestClient(app), fake

    return factory


def test_happy_path(rewrite_client: Callable[..., tuple[TestClient, FakeLLM]]) -> None:
    client, fake = rewrite_client(
        reply(
            (ACCEPTED_BULLET, ["notes"], "reliability"),
            (REJECTED_BULLET, ["notes"], "performance"),
            (RUNBOOK_BULLET, ["PR-1423"], "ownership"),
        ),
        model="openai/default-model",
        max_reasks=0,
    )

    response = client.post("/v1/rewrite", json=REWRITE_BODY, headers={"X-Request-ID": "req-123"})

    assert response.status_code == 200, response.text
    data = response.json()
    assert data["bullets"] == [
        {"text": ACCEPTED_BULLET, "sources": ["notes"], "proof_area": "reliability", "warnings": [], **MODEL},
        {"text": RUNBOOK_BULLET, "sources": ["PR-1423"], "proof_area": "ownership", "warnings": [], **MODEL},
    ]
    (rejected,) = data["rejected"]
    assert rejected["text"] == REJECTED_BULLET
    assert {v["kind"] for v in rejected["violations"]} == {"ownership", "metric", "scope"}
    assert data["reply_errors"] == []
    assert data["attempts"] == 1
    assert data["model"] == "fake-model"
    assert data["prompt_version"] == "v1"
    assert data["usage"] == {"prompt_tokens": 100, "completion_tokens": 20, "cost_usd": None}
    assert data["request_id"] == "req-123" == response.headers["x-request-id"]
    (call,) = fake.calls
    assert call.model == "openai/default-model"  # the settings' model by default
    assert call.temperature == 0.2


def test_options_reach_the_model(rewrite_client: Callable[..., tuple[TestClient, FakeLLM]]) -> None:
    client, fake = rewrite_client(
        reply((ACCEPTED_BULLET, ["notes"], "reliability")), llm_timeout_s=7.0, allowed_models=["openai/other"]
    )
    body = {**REWRITE_BODY, "options": {"max_bullets": 1, "model": "openai/other", "temperature": 1.5, "prompt": "v1"}}

    response = client.post("/v1/rewrite", json=body)

    assert response.status_code == 200, response.text
    assert [b["text"] for b in response.json()["bullets"]] == [ACCEPTED_BULLET]
    (call,) = fake.calls
    assert (call.model, call.temperature, call.timeout) == ("openai/other", 1.5, 7.0)
    assert "Dana" not in call.text


MODEL = {"origin": "model", "original": None, "original_violations": []}


def test_all_refused_gives_empty_bullets_with_reasons(
    rewrite_client: Callable[..., tuple[TestClient, FakeLLM]],
) -> None:
    client, fake = rewrite_client(
        reply((REJECTED_BULLET, ["notes"], "performance")), "not json at all", max_reasks=1, rewrite_repair=False
    )

    response = client.post("/v1/rewrite", json=REWRITE_BODY)

    assert response.status_code == 200
    data = response.json()
    assert data["bullets"] == []  # without BULLETGUARD_REWRITE_REPAIR, no fallback to the notes' sentences
    assert [r["text"] for r in data["rejected"]] == [REJECTED_BULLET]
    assert all(r["violations"] for r in data["rejected"])
    assert data["reply_errors"] and "not valid JSON" in data["reply_errors"][0]
    assert data["attempts"] == 2 == len(fake.calls)


@pytest.mark.parametrize(
    ("error", "status", "slug"),
    [
        (LLMBadGateway("The model m's endpoint failed (HTTP 500, after 4 attempts)."), 502, "llm-bad-gateway"),
        (LLMUnavailable("The model m is rate limited (HTTP 429, after 4 attempts)."), 503, "llm-unavailable"),
        (LLMTimeout("The model m did not answer in time (after 4 attempts)."), 504, "llm-timeout"),
    ],
)
def test_llm_errors_are_problems(
    rewrite_client: Callable[..., tuple[TestClient, FakeLLM]], error: Exception, status: int, slug: str
) -> None:
    client, _ = rewrite_client(error)

    response = client.post("/v1/rewrite", json=REWRITE_BODY)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == f"urn:bulletguard:problem:{slug}"
    assert problem["status"] == status
    assert problem["detail"] == str(error)
    assert problem["instance"] == "/v1/rewrite"
    assert problem["request_id"] == response.headers["x-request-id"]
    assert "retry-after" not in response.headers


def test_unavailable_passes_retry_after_on(rewrite_client: Callable[..., tuple[TestClient, FakeLLM]]) -> None:
    client, _ = rewrite_client(LLMUnavailable("The model m is unavailable (HTTP 503).", retry_after_s=2.5))

    response = client.post("/v1/rewrite", json=REWRITE_BODY)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "3"


@pytest.mark.parametrize(
    ("options", "loc"),
    [
        ({"max_bullets": 0}, ["body", "options", "max_bullets"]),
        ({"max_bullets": 9}, ["body", "options", "max_bullets"]),
        ({"temperature": 2.5}, ["body", "options", "temperature"]),
        ({"temperature": -0.1}, ["body", "options", "temperature"]),
        ({"prompt": "v99"}, ["body", "options", "prompt"]),
        ({"model": ""}, ["body", "options", "model"]),
        ({"surprise": True}, ["body", "options", "surprise"]),
    ],
)
def test_bad_options_are_422(
    rewrite_client: Callable[..., tuple[TestClient, FakeLLM]], options: dict[str, Any], loc: list[str]
) -> None:
    client, fake = rewrite_client()

    response = client.post("/v1/rewrite", json={**REWRITE_BODY, "options": options})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["loc"] for e in response.json()["errors"]] == [loc]
    assert fake.calls == []


def test_unknown_prompt_names_the_known_versions(rewrite_client: Callable[..., tuple[TestClient, FakeLLM]]) -> None:
    client, _ = rewrite_client()

    response = client.post("/v1/rewrite", json={**REWRITE_BODY, "options": {"prompt": "v99"}})

    (error,) = response.json()["errors"]
    assert error["type"] == "unknown_prompt_version"
    assert "v1" in error["msg"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({**REWRITE_BODY, "notes": "   "}, ["body", "notes"]),
        ({**REWRITE_BODY, "evidence": [{"id": "notes", "text": "x"}]}, ["body", "evidence", 0, "id"]),
        (
            {**REWRITE_BODY, "evidence": [{"id": "e1", "text": "x"}, {"id": "e1", "text": "y"}]},
            ["body", "evidence", 1, "id"],
        ),
        ({**REWRITE_BODY, "notes": "x" * (len(REWRITE_NOTES) + 1)}, ["body", "notes"]),
    ],
)
def test_bad_input_is_422(
    rewrite_client: Callable[..., tuple[TestClient, FakeLLM]], body: dict[str, Any], loc: list[str | int]
) -> None:
    client, fake = rewrite_client(max_notes_chars=len(REWRITE_NOTES))

    response = client.post("/v1/rewrite", json=body)

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [loc]
    assert fake.calls == []


def test_no_note_or_bullet_text_is_logged(rewrite_client: Callable[..., tuple[TestClient, FakeLLM]]) -> None:
    client, _ = rewrite_client(
        reply((ACCEPTED_BULLET, ["notes"], "reliability"), (REJECTED_BULLET, ["notes"], "performance")), max_reasks=0
    )

    with structlog.testing.capture_logs() as logs:
        response = client.post("/v1/rewrite", json=REWRITE_BODY)

    assert response.status_code == 200
    dumped = json.dumps(logs, default=str).lower()
    assert "rewritten" in dumped
    for private in ("memory leak", "runbook", "dana", "retry queue", "70%"):
        assert private not in dumped


def test_the_default_client_is_built_from_settings() -> None:
    settings = Settings(api_base="http://llm.test/v1", api_key="sekret", llm_max_retries=5)
    client = llm_client_from_settings(settings)
    assert isinstance(client, LiteLLMClient)
    assert (client.api_base, client.max_retries, client.schema_mode) == ("http://llm.test/v1", 5, "json_schema")
    assert "sekret" not in repr(client)
