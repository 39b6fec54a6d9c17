"""A wrong LLM setting is reported as what it is (``llm-misconfigured``, naming the setting), never as an
upstream 500 — against litellm's real behaviour: each case below goes through the real library.

Failures before a request leaves need no server at all (respx would see no request: the tests assert
that). Answers from a server come from a respx-stubbed endpoint, as in ``tests/test_llm.py``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from service.http.app import create_app
from service.http.llm_client import get_llm_client
from service.rewrite.llm.client import LiteLLMClient
from service.rewrite.llm.errors import LLMBadGateway, LLMMisconfigured, LLMUnavailable
from service.rewrite.reply import wire_schema
from service.settings import Settings
from tests.conftest import REWRITE_BODY
from tests.fakes import LITELLM_WARNINGS
from tests.openai_stub import FAST_BACKOFF, upstream_error

pytestmark = [pytest.mark.anyio, LITELLM_WARNINGS]

API_BASE = "http://llm.test/v1"
URL = f"{API_BASE}/chat/completions"
MODEL = "openai/test-model"
MESSAGES = [{"role": "user", "content": "helped debug a memory leak in the Zanzibar worker"}]


@pytest.fixture(autouse=True)
def _no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """litellm reads OPENAI_API_KEY & co. from the environment: none may leak in."""
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "COHERE_API_KEY", "CO_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


class Sleeps:
    """A tenacity ``sleep`` that only counts: a misconfiguration must not be retried."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def client(sleeps: Sleeps, **options: Any) -> LiteLLMClient:
    return LiteLLMClient(**{"api_base": API_BASE, "api_key": "test-key", "sleep": sleeps, **FAST_BACKOFF, **options})


async def complete(llm: LiteLLMClient, model: str = MODEL) -> Any:
    return await llm.complete(MESSAGES, model=model, temperature=0.3, response_schema=wire_schema(), timeout=5.0)


# --- before the request leaves ---------------------------------------------------------------------------


LOCAL = [
    pytest.param({"api_key": None}, MODEL, "missing_api_key", "BULLETGUARD_API_KEY", id="no-api-key"),
    pytest.param(
        {"api_key": "sk-pasted\u2019"}, MODEL, "api_key_encoding", "BULLETGUARD_API_KEY", id="key-with-a-curly-quote"
    ),
    pytest.param({}, "test-model", "unknown_provider", "BULLETGUARD_MODEL", id="model-without-a-provider"),
    pytest.param(
        {"api_base": None}, "cohere/command-r", "unsupported_option", "BULLETGUARD_MODEL", id="no-structured-output"
    ),
    pytest.param(
        {"api_key": None, "api_base": None},
        "anthropic/claude-3-5-haiku-latest",
        "missing_api_key",
        "BULLETGUARD_API_KEY",
        id="no-anthropic-key",
    ),
]


# litellm 1.102.4 builds the request's coroutine before it finds the key missing, and drops it unawaited
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize(("options", "model", "reason", "setting"), LOCAL)
async def test_a_request_that_cannot_leave_names_the_setting_and_is_not_retried(
    api: respx.MockRouter, options: dict[str, Any], model: str, reason: str, setting: str
) -> None:
    route = api.route().mock(return_value=httpx.Response(200))
    sleeps = Sleeps()

    with pytest.raises(LLMMisconfigured) as caught:
        await complete(client(sleeps, **options), model=model)

    error = caught.value
    assert (error.reason, error.setting, error.status, error.slug) == (reason, setting, 503, "llm-misconfigured")
    assert setting in error.message
    assert "500" not in error.message
    assert not route.called  # nothing left the process
    assert sleeps.waits == []  # and nothing was retried
    gc.collect()  # that coroutine's warning, here rather than in another test


async def test_an_unreachable_server_is_still_unavailable_not_misconfigured() -> None:
    # a port nobody listens on: a real connection error, retried, then 503 llm-unavailable
    sleeps = Sleeps()
    llm = client(sleeps, api_base="http://127.0.0.1:9/v1", max_retries=1)

    with pytest.raises(LLMUnavailable) as caught:
        await complete(llm)

    assert not isinstance(caught.value, LLMMisconfigured)
    assert len(sleeps.waits) == 1


# --- answers that point at a setting --------------------------------------------------------------------


def refusal(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message, "type": "invalid_request_error"}})


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            httpx.Response(
                422,
                json={
                    "detail": [
                        {
                            "loc": ["body", "response_format", "type"],
                            "msg": "Input should be 'text' or 'json_object'",
                            "type": "literal_error",
                        }
                    ]
                },
            ),
            id="pydantic-422-like-llama-cpp-python",
        ),
        pytest.param(refusal(400, "'response_format' of type 'json_schema' is not supported"), id="400"),
        pytest.param(refusal(500, "Unrecognized response_format type json_schema"), id="500"),
    ],
)
async def test_a_server_refusing_json_schema_is_told_to_use_json_object(
    api: respx.MockRouter, answer: httpx.Response
) -> None:
    route = api.post(URL).mock(return_value=answer)
    sleeps = Sleeps()

    with pytest.raises(LLMMisconfigured) as caught:
        await complete(client(sleeps, schema_mode="json_schema"))

    error = caught.value
    assert (error.reason, error.setting, error.value) == ("schema_mode", "BULLETGUARD_LLM_SCHEMA_MODE", "json_object")
    assert "BULLETGUARD_LLM_SCHEMA_MODE=json_object" in error.message
    assert route.call_count == 1 and sleeps.waits == []


async def test_a_refusal_in_json_object_mode_stays_a_bad_gateway(api: respx.MockRouter) -> None:
    # switching to json_object cannot be the advice when json_object is what was sent
    api.post(URL).mock(return_value=refusal(400, "response_format is invalid"))

    with pytest.raises(LLMBadGateway):
        await complete(client(Sleeps(), schema_mode="json_object"))


async def test_a_refused_key_names_the_key_setting(api: respx.MockRouter) -> None:
    api.post(URL).mock(return_value=refusal(401, "Incorrect API key provided"))

    with pytest.raises(LLMMisconfigured) as caught:
        await complete(client(Sleeps()))

    assert (caught.value.reason, caught.value.setting) == ("api_key_refused", "BULLETGUARD_API_KEY")


async def test_an_upstream_500_is_still_a_bad_gateway(api: respx.MockRouter) -> None:
    api.post(URL).mock(return_value=upstream_error(500))

    with pytest.raises(LLMBadGateway) as caught:
        await complete(client(Sleeps(), max_retries=0))

    assert not isinstance(caught.value, LLMMisconfigured)
    assert "HTTP 500" in caught.value.message


# --- /v1/rewrite: the problem document, the log line and the metric -------------------------------------


def test_rewrite_without_an_api_key_is_a_503_problem_naming_the_setting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(rate_limit="", llm_rate_limit="", model=MODEL, api_base="http://127.0.0.1:9/v1")
    app = create_app(settings)
    app.dependency_overrides[get_llm_client] = lambda: LiteLLMClient(api_base=settings.api_base, **FAST_BACKOFF)

    with TestClient(app) as http:
        response = http.post("/v1/rewrite", json=REWRITE_BODY)
        metrics = http.get("/metrics").text

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:bulletguard:problem:llm-misconfigured"
    assert problem["setting"] == "BULLETGUARD_API_KEY"
    assert "BULLETGUARD_API_KEY" in problem["detail"] and "500" not in problem["detail"]
    assert "Retry-After" not in response.headers
    assert f'bulletguard_llm_calls_total{{model="{MODEL}",outcome="misconfigured"}} 1.0' in metrics
    assert f'bulletguard_llm_errors_total{{error="llm-misconfigured",model="{MODEL}"}} 1.0' in metrics
    logged = capsys.readouterr().err
    assert '"llm_misconfigured"' in logged and '"setting": "BULLETGUARD_API_KEY"' in logged
    assert "Zanzibar" not in logged and "notification worker" not in logged


async def test_a_cut_off_answer_is_a_bad_gateway_without_a_status_no_server_sent(api: respx.MockRouter) -> None:
    # litellm labels its own JSON error "InternalServerError, status 500"; the server said 200
    api.post(URL).mock(return_value=httpx.Response(200, content=b'{"id": "chatcmpl-1", "choi'))

    with pytest.raises(LLMBadGateway) as caught:
        await complete(client(Sleeps(), max_retries=0))

    assert not isinstance(caught.value, LLMMisconfigured)
    assert "HTTP 500" not in caught.value.message
    assert "failed (InternalServerError from " in caught.value.message
