"""Model fallbacks through litellm's Router (``BULLETGUARD_FALLBACK_MODELS``), against respx-stubbed servers."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from service.http.app import create_app
from service.http.llm_client import llm_client_from_settings
from service.rewrite.llm.client import LiteLLMClient
from service.rewrite.llm.errors import LLMBadGateway, LLMUnavailable
from service.rewrite.llm.router import FallbackModel, parse_fallback, parse_fallbacks
from service.rewrite.reply import wire_schema
from service.settings import Settings
from tests.conftest import ACCEPTED_BULLET, NOTES
from tests.fakes import LITELLM_WARNINGS, reply
from tests.openai_stub import completion, stub_client, upstream_error

pytestmark = [LITELLM_WARNINGS]

PRIMARY_BASE = "http://primary.test/v1"
BACKUP_BASE = "http://backup.test/v1"
MODEL = "openai/primary-model"
SECRET = "Zanzibar"
MESSAGES = [{"role": "user", "content": f"helped debug a leak in the {SECRET} worker"}]


def ok(model: str, content: str = '{"bullets": []}') -> httpx.Response:
    return httpx.Response(200, json=completion(content, model, prompt_tokens=11, completion_tokens=5))


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    # assert_all_mocked (the default): a request to any host not stubbed here fails the test
    with respx.mock(assert_all_called=False) as router:
        yield router


def make_client(*fallbacks: str, **overrides: Any) -> LiteLLMClient:
    options = {"api_key": "primary-key", "max_retries": 0, "fallbacks": parse_fallbacks(fallbacks), **overrides}
    return stub_client(PRIMARY_BASE, **options)


async def complete(llm: LiteLLMClient, model: str = MODEL) -> Any:
    return await llm.complete(MESSAGES, model=model, temperature=0.2, response_schema=wire_schema(), timeout=5.0)


# --- the setting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("anthropic/claude-3-5-haiku-latest", FallbackModel("anthropic/claude-3-5-haiku-latest")),
        ("openai/smollm2@http://10.0.0.7:8766/v1", FallbackModel("openai/smollm2", "http://10.0.0.7:8766/v1")),
        (" openai/m @ https://llm.example/v1 ", FallbackModel("openai/m", "https://llm.example/v1")),
        ("vertex_ai/claude-3-5-sonnet@20240620", FallbackModel("vertex_ai/claude-3-5-sonnet@20240620")),
    ],
)
def test_fallback_specs(spec: str, expected: FallbackModel) -> None:
    assert parse_fallback(spec) == expected


def test_settings_build_a_client_with_the_fallbacks_in_order() -> None:
    settings = Settings(fallback_models=f"openai/backup@{BACKUP_BASE}, anthropic/claude-3-5-haiku-latest")
    client = llm_client_from_settings(settings)
    assert client.fallbacks == (
        FallbackModel("openai/backup", BACKUP_BASE),
        FallbackModel("anthropic/claude-3-5-haiku-latest"),
    )
    assert llm_client_from_settings(Settings()).fallbacks == ()


# --- falling back -----------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    "primary_failure",
    [
        upstream_error(500),
        upstream_error(503),
        upstream_error(429),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
    ],
    ids=["500", "503", "429", "connect-error", "timeout"],
)
async def test_a_failing_primary_falls_back(api: respx.MockRouter, primary_failure: Any) -> None:
    primary = api.post(f"{PRIMARY_BASE}/chat/completions")
    if isinstance(primary_failure, httpx.Response):
        primary.mock(return_value=primary_failure)
    else:
        primary.mock(side_effect=primary_failure)
    backup = api.post(f"{BACKUP_BASE}/chat/completions").mock(return_value=ok("backup-model"))

    result = await complete(make_client(f"openai/backup-model@{BACKUP_BASE}"))

    assert result.model == "backup-model"
    assert (result.prompt_tokens, result.completion_tokens) == (11, 5)
    assert primary.call_count == 1
    assert backup.call_count == 1
    sent = json.loads(backup.calls.last.request.content)
    assert sent["model"] == "backup-model"
    assert sent["messages"] == MESSAGES
    assert "response_format" in sent
    assert backup.calls.last.request.headers["authorization"] == "Bearer primary-key"


@pytest.mark.anyio
async def test_fallbacks_are_tried_in_order(api: respx.MockRouter) -> None:
    api.post(f"{PRIMARY_BASE}/chat/completions").mock(return_value=upstream_error(503))
    first = api.post("http://first.test/v1/chat/completions").mock(return_value=upstream_error(500))
    second = api.post("http://second.test/v1/chat/completions").mock(return_value=ok("second-model"))

    result = await complete(make_client("openai/first@http://first.test/v1", "openai/second@http://second.test/v1"))

    assert result.model == "second-model"
    assert (first.call_count, second.call_count) == (1, 1)
    assert first.calls.last.request.url.host == "first.test"


@pytest.mark.anyio
async def test_a_healthy_primary_is_the_only_one_called(api: respx.MockRouter) -> None:
    primary = api.post(f"{PRIMARY_BASE}/chat/completions").mock(return_value=ok("primary-model"))
    backup = api.post(f"{BACKUP_BASE}/chat/completions").mock(return_value=ok("backup-model"))

    llm = make_client(f"openai/backup-model@{BACKUP_BASE}")
    results = [await complete(llm) for _ in range(3)]

    assert {r.model for r in results} == {"primary-model"}
    assert (primary.call_count, backup.call_count) == (3, 0)


@pytest.mark.anyio
async def test_a_provider_fallback_gets_neither_the_primary_endpoint_nor_its_key(
    api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "provider-env-key")
    api.post(f"{PRIMARY_BASE}/chat/completions").mock(return_value=upstream_error(500))
    provider = api.post("https://api.openai.com/v1/chat/completions").mock(return_value=ok("gpt-4o-mini"))

    result = await complete(make_client("openai/gpt-4o-mini"))

    assert result.model == "gpt-4o-mini"
    assert provider.calls.last.request.headers["authorization"] == "Bearer provider-env-key"


@pytest.mark.anyio
async def test_when_every_model_fails_the_primary_error_decides(api: respx.MockRouter) -> None:
    primary = api.post(f"{PRIMARY_BASE}/chat/completions").mock(return_value=upstream_error(503))
    backup = api.post(f"{BACKUP_BASE}/chat/completions").mock(return_value=upstream_error(500))

    with pytest.raises(LLMUnavailable) as caught:
        await complete(make_client(f"openai/backup@{BACKUP_BASE}", max_retries=1))

    assert "fallback model failed too" in str(caught.value)
    assert "HTTP 503" in str(caught.value)
    # each tenacity attempt walks the whole chain: 2 attempts x (primary, backup)
    assert (primary.call_count, backup.call_count) == (2, 2)


@pytest.mark.anyio
async def test_without_fallbacks_a_failure_is_not_rerouted(api: respx.MockRouter) -> None:
    api.post(f"{PRIMARY_BASE}/chat/completions").mock(return_value=upstream_error(500))

    with pytest.raises(LLMBadGateway) as caught:
        await complete(make_client())

    assert "fallback" not in str(caught.value)


@pytest.mark.anyio
async def test_routing_never_logs_the_prompt(api: respx.MockRouter, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.post(f"{PRIMARY_BASE}/chat/completions").mock(return_value=upstream_error(500))
    api.post(f"{BACKUP_BASE}/chat/completions").mock(return_value=upstream_error(500))

    with pytest.raises(LLMBadGateway):
        await complete(make_client(f"openai/backup@{BACKUP_BASE}"))

    assert SECRET not in caplog.text
    assert "upstream says no" not in caplog.text  # the Router's ERROR lines quote provider messages


# --- through the API ----------------------------------------------------------------------------------------


def test_rewrite_answers_from_the_fallback(api: respx.MockRouter) -> None:
    api.post(f"{PRIMARY_BASE}/chat/completions").mock(return_value=upstream_error(502))
    backup = api.post(f"{BACKUP_BASE}/chat/completions").mock(
        return_value=ok("backup-model", reply((ACCEPTED_BULLET, ["notes"], "reliability")))
    )
    settings = Settings(
        model=MODEL,
        api_base=PRIMARY_BASE,
        api_key="primary-key",
        fallback_models=f"openai/backup-model@{BACKUP_BASE}",
        llm_max_retries=0,
        max_reasks=0,
    )
    app = create_app(settings)
    client = TestClient(app)

    response = client.post("/v1/rewrite", json={"notes": NOTES, "options": {"max_bullets": 1}})

    assert response.status_code == 200, response.text
    data = response.json()
    assert data["model"] == "backup-model"
    assert [b["text"] for b in data["bullets"]] == [ACCEPTED_BULLET]
    assert backup.call_count == 1
    assert backup.calls.last.request.headers["authorization"] == "Bearer primary-key"
    assert app.dependency_overrides == {}  # the real client, built from the settings
