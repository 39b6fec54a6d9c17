"""LiteLLMClient against a stubbed OpenAI-compatible HTTP API (respx): request shape, retries, errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
import structlog

from service.guard import EvidenceItem
from service.rewrite.llm.client import LiteLLMClient, classify
from service.rewrite.llm.errors import LLMBadGateway, LLMTimeout, LLMUnavailable
from service.rewrite.pipeline import rewrite
from service.rewrite.reply import request_schema, wire_schema
from service.rewrite.wording import text_pattern
from tests.fakes import LITELLM_WARNINGS, reply
from tests.openai_stub import completion, stub_client, upstream_error

pytestmark = [pytest.mark.anyio, LITELLM_WARNINGS]

API_BASE = "http://llm.test/v1"
URL = f"{API_BASE}/chat/completions"
MODEL = "openai/test-model"
SECRET_NOTE = "helped debug a memory leak in the Zanzibar worker"
MESSAGES = [{"role": "system", "content": "rules"}, {"role": "user", "content": SECRET_NOTE}]


def ok(content: str = '{"bullets": []}', model: str = "test-model") -> httpx.Response:
    return httpx.Response(200, json=completion(content, model))


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def client(**overrides: Any) -> LiteLLMClient:
    return stub_client(API_BASE, **{"max_retries": 2, **overrides})


async def complete(llm: LiteLLMClient, model: str = MODEL) -> Any:
    return await llm.complete(MESSAGES, model=model, temperature=0.3, response_schema=wire_schema(), timeout=5.0)


# --- the request -------------------------------------------------------------------------------------


async def test_json_schema_mode_sends_the_schema_strictly(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(return_value=ok('{"bullets": []}'))

    result = await complete(client(schema_mode="json_schema", max_tokens=128))

    body = json.loads(route.calls.last.request.content)
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "rewrite_reply", "schema": wire_schema(), "strict": True},
    }
    assert body["model"] == "test-model"
    assert body["messages"] == MESSAGES
    assert body["temperature"] == 0.3
    assert body["max_tokens"] == 128
    assert route.calls.last.request.headers["authorization"] == "Bearer test-key"
    assert (result.content, result.model, result.prompt_tokens, result.completion_tokens) == (
        '{"bullets": []}',
        "test-model",
        42,
        7,
    )
    assert result.cost_usd is None  # an unknown model has no price: None, not an error


async def test_json_object_mode_sends_the_schema_for_a_grammar(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(return_value=ok())

    await complete(client(schema_mode="json_object"))

    body = json.loads(route.calls.last.request.content)
    assert body["response_format"] == {"type": "json_object", "schema": wire_schema()}
    assert "max_tokens" not in body


WORDS_SCHEMA = request_schema(["notes"], text_pattern(["migrated", "the", "billing", "cron", "jobs"]))


async def test_json_object_mode_sends_the_input_words_pattern(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(return_value=ok())

    await client(schema_mode="json_object").complete(
        MESSAGES, model=MODEL, temperature=0.3, response_schema=WORDS_SCHEMA, timeout=5.0
    )

    sent = json.loads(route.calls.last.request.content)["response_format"]["schema"]
    assert sent == WORDS_SCHEMA
    assert sent["properties"]["bullets"]["items"]["properties"]["text"]["pattern"].startswith("^(Migrated)")


async def test_json_schema_mode_leaves_the_input_words_pattern_out(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(return_value=ok())

    await client(schema_mode="json_schema").complete(
        MESSAGES, model=MODEL, temperature=0.3, response_schema=WORDS_SCHEMA, timeout=5.0
    )

    sent = json.loads(route.calls.last.request.content)["response_format"]["json_schema"]["schema"]
    assert sent == request_schema(["notes"])
    assert "pattern" in WORDS_SCHEMA["properties"]["bullets"]["items"]["properties"]["text"]  # not mutated


async def test_cost_is_reported_for_a_priced_model(api: respx.MockRouter) -> None:
    api.post(URL).mock(return_value=ok(model="gpt-4o-mini"))

    result = await complete(client(), model="openai/gpt-4o-mini")

    assert result.cost_usd is not None and result.cost_usd > 0


async def test_a_missing_content_is_an_empty_reply(api: respx.MockRouter) -> None:
    body = completion("x")
    body["choices"][0]["message"]["content"] = None
    api.post(URL).mock(return_value=httpx.Response(200, json=body))

    assert (await complete(client())).content == ""


def test_an_unknown_schema_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="schema_mode"):
        LiteLLMClient(schema_mode="tools")  # type: ignore[arg-type]


def test_repr_never_shows_the_key() -> None:
    assert "test-key" not in repr(client())


# --- retries -------------------------------------------------------------------------------------------


async def test_429_with_retry_after_is_retried_and_succeeds(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(side_effect=[upstream_error(429, {"Retry-After": "0"}), ok('{"bullets": []}')])

    result = await complete(client())

    assert route.call_count == 2
    assert result.content == '{"bullets": []}'


async def test_retry_after_is_honoured_and_capped(api: respx.MockRouter) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    api.post(URL).mock(
        side_effect=[upstream_error(503, {"Retry-After": "2"}), upstream_error(429, {"Retry-After": "30"}), ok()]
    )

    await complete(client(sleep=sleep, retry_max_wait_s=5.0))

    assert slept == [2.0, 5.0]


async def test_no_retry_starts_past_the_retry_budget(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(side_effect=[upstream_error(503, {"Retry-After": "3"}), ok()])

    with pytest.raises(LLMUnavailable, match="HTTP 503") as caught:
        await complete(client(retry_budget_s=1.0, retry_max_wait_s=10.0))

    assert route.call_count == 1
    assert caught.value.retry_after_s == 3.0


async def test_persistent_500_is_a_bad_gateway(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(return_value=upstream_error(500))

    with pytest.raises(LLMBadGateway, match=r"HTTP 500, after 3 attempts") as caught:
        await complete(client(max_retries=2))

    assert route.call_count == 3
    assert caught.value.status == 502
    assert "upstream says no" not in str(caught.value)


async def test_persistent_429_is_unavailable(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(return_value=upstream_error(429))

    with pytest.raises(LLMUnavailable, match="rate limited") as caught:
        await complete(client(max_retries=1))

    assert route.call_count == 2
    assert caught.value.status == 503


async def test_a_refused_request_is_not_retried(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(return_value=upstream_error(400))

    with pytest.raises(LLMBadGateway, match="refused the request"):
        await complete(client())

    assert route.call_count == 1


async def test_timeout_is_retried_then_raised_as_llm_timeout(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(LLMTimeout, match="did not answer in time") as caught:
        await complete(client(max_retries=1))

    assert route.call_count == 2
    assert caught.value.status == 504


async def test_connection_error_is_unavailable(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(LLMUnavailable, match="could not be reached"):
        await complete(client(max_retries=1))

    assert route.call_count == 2


async def test_connection_refused_by_a_real_socket_is_unavailable() -> None:
    # port 9 (discard) on loopback is closed on test machines: a real ECONNREFUSED, no stub involved
    llm = LiteLLMClient(api_base="http://127.0.0.1:9/v1", api_key="k", max_retries=0)
    with pytest.raises(LLMUnavailable, match="could not be reached"):
        await complete(llm)


def test_a_programming_error_is_not_an_llm_error() -> None:
    assert classify(TypeError("bug")) is None


# --- logs and the whole pipeline ------------------------------------------------------------------------


async def test_logs_carry_no_message_content(api: respx.MockRouter) -> None:
    api.post(URL).mock(
        side_effect=[upstream_error(503, {"Retry-After": "0"}), ok(reply(("Zanzibar bullet", ["notes"], "api")))]
    )

    with structlog.testing.capture_logs() as logs:
        await complete(client())

    events = [entry["event"] for entry in logs]
    assert events == ["llm_call_failed", "llm_retry", "llm_call"]
    assert "zanzibar" not in json.dumps(logs, default=str).lower()
    assert logs[-1]["prompt_tokens"] == 42 and logs[-1]["model"] == MODEL


async def test_the_pipeline_runs_through_litellm(api: respx.MockRouter) -> None:
    good = "Helped debug a memory leak in the notification worker."
    route = api.post(URL).mock(return_value=ok(reply((good, ["notes", "PR-1"], "reliability"))))

    result = await rewrite(
        client(schema_mode="json_object"),
        "helped debug a memory leak in the notification worker",
        [EvidenceItem("PR-1", "leak fix")],
        model=MODEL,
        max_bullets=1,
    )

    assert [(b.text, b.sources) for b in result.bullets] == [(good, ("notes", "PR-1"))]
    assert result.usage.prompt_tokens == 42
    assert route.call_count == 1


async def test_litellm_never_logs_the_prompt_even_at_debug(
    api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    api.post(URL).mock(return_value=ok())
    caplog.set_level(logging.DEBUG)

    logging.getLogger("some.library").debug("canary")

    await complete(client())

    assert "canary" in caplog.text  # DEBUG records are captured ...
    assert "zanzibar" not in caplog.text.lower()  # ... and none carries the notes (litellm's and openai's would)
