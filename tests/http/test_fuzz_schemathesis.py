"""Schemathesis (v4) fuzzes every operation in the app's own OpenAPI document, with the LLM faked.

Whatever routes exist when the suite runs are covered: the operations come from ``/openapi.json``.
For each generated request (schema-valid and schema-violating ones) the response must

* not be a 5xx (``not_a_server_error``),
* have a status code the operation documents (``status_code_conformance``),
* have the documented media type (``content_type_conformance``) and headers (``response_headers_conformance``),
* match the documented schema for that status (``response_schema_conformance``).

Four deployments are fuzzed, so every error the safeguards add is seen and must be documented: the
defaults (rate limits off so requests reach the handlers), API keys on (401 without a key), a tiny body
limit (413) and an exhausted rate limit (429).

Stock checks off, on purpose (besides ``unsupported_method`` with the tiny body limit, which answers
before routing):

* ``positive_data_acceptance``: the limits on sizes and counts are settings (``BULLETGUARD_MAX_*``),
  not part of the static schema, so a schema-valid request may rightly get a 422;
* ``negative_data_rejection``: pydantic's lax mode accepts some schema-violating values it can coerce
  (``false`` for a number, ``"3"`` for an integer), which is the request models' choice, not a fault.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from service.http.app import create_app
from service.http.auth import hash_api_key
from service.http.llm_client import get_llm_client
from service.rewrite.port import LLMReply
from service.settings import Settings
from tests.fakes import reply

# A well-formed reply with one bullet the notes may support and one full of invented facts.
STUB_REPLY = reply(
    ("Helped debug a memory leak in the notification worker.", ["notes"], "reliability"),
    ("Led a 90% cut in latency across all services with Kafka.", ["notes"], "performance"),
)


class StubLLM:
    """Answers every call, forever, with :data:`STUB_REPLY` (no network, no queue to run out of)."""

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        temperature: float,
        response_schema: dict[str, Any],
        timeout: float,
    ) -> LLMReply:
        return LLMReply(content=STUB_REPLY, model="stub-model", prompt_tokens=50, completion_tokens=20)


def fuzzed_app(**settings: Any) -> FastAPI:
    base: dict[str, Any] = {
        "rate_limit": "",
        "llm_rate_limit": "",
        # chat-ops routes configured, so their signature/token checks run on fuzzed input (nothing is sent out)
        "slack_signing_secret": "fuzz-signing-secret",
        "mattermost_token": "fuzz-token",
    }
    app = create_app(Settings(**{**base, **settings}))
    app.dependency_overrides[get_llm_client] = StubLLM
    return app


CHECKS: dict[str, Any] = {
    "positive_data_acceptance": {"enabled": False},
    "negative_data_rejection": {"enabled": False},
}


def load(app: FastAPI, max_examples: int, **checks: Any) -> Any:
    config = schemathesis.Config.from_dict(
        {"generation": {"max-examples": max_examples, "deterministic": True}, "checks": {**CHECKS, **checks}}
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


FUZZ_SETTINGS = hypothesis_settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], database=None
)

defaults = load(fuzzed_app(), max_examples=30)
with_keys = load(fuzzed_app(api_keys=hash_api_key("fuzz-key")), max_examples=10)
# The body limit answers before routing, so a large body on an undeclared method gets 413, not 405.
tiny_bodies = load(fuzzed_app(max_body_bytes=64), max_examples=10, unsupported_method={"enabled": False})
exhausted = load(fuzzed_app(rate_limit="1/hour", llm_rate_limit="1/hour"), max_examples=10)


@defaults.parametrize()
@FUZZ_SETTINGS
def test_fuzz_defaults(case: schemathesis.Case) -> None:
    case.call_and_validate()


@with_keys.parametrize()
@FUZZ_SETTINGS
def test_fuzz_without_an_api_key(case: schemathesis.Case) -> None:
    response = case.call_and_validate()
    if case.path.startswith("/v1/") and not case.path.startswith("/v1/chatops/"):
        assert response.status_code == 401


@tiny_bodies.parametrize()
@FUZZ_SETTINGS
def test_fuzz_with_a_tiny_body_limit(case: schemathesis.Case) -> None:
    case.call_and_validate()


@exhausted.parametrize()
@FUZZ_SETTINGS
def test_fuzz_over_the_rate_limit(case: schemathesis.Case) -> None:
    case.call_and_validate()


# --- what the fuzzing found, pinned as plain tests ------------------------------------------------------------


@pytest.mark.parametrize("body", [b"\xff\xfet", b"\x80", b'{"notes": "\xe9"}'])
def test_a_body_that_is_not_utf8_is_the_documented_400(body: bytes) -> None:
    client = TestClient(fuzzed_app())

    response = client.post("/v1/verify", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:bulletguard:problem:malformed-json"
    assert problem["errors"] == [{"loc": ["body"], "msg": "The body could not be decoded.", "type": "json_invalid"}]


def test_every_operation_is_fuzzed() -> None:
    operations = {
        f"{method.upper()} {path}"
        for path, item in TestClient(fuzzed_app()).get("/openapi.json").json()["paths"].items()
        for method in item
    }
    assert {"POST /v1/verify", "POST /v1/rewrite", "GET /healthz", "GET /metrics"} <= operations
