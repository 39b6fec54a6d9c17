"""Hypothesis generators for the inputs issue 18 found breaking the service: lone surrogates, deep
nesting, huge integers, made-up methods, and hostile model replies (played by the fake model). Whatever
they generate, the real app answers with a documented status, never a 5xx."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from service.http.app import create_app
from service.http.llm_client import get_llm_client
from service.http.metrics import METHOD_LABELS
from service.rewrite.port import LLMReply
from service.settings import Settings

FUZZ = hypothesis_settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
NOTES = "helped debug a memory leak in the notification worker"


class ScriptedLLM:
    """The fake model of this suite: answers whatever the current example set in ``content``."""

    content = ""

    async def complete(self, messages: list[dict[str, str]], **_: Any) -> LLMReply:
        return LLMReply(content=self.content, model="hostile-model", prompt_tokens=1, completion_tokens=1)


LLM = ScriptedLLM()


def _client() -> TestClient:
    app = create_app(Settings(rate_limit="", llm_rate_limit="", max_reasks=0))
    app.dependency_overrides[get_llm_client] = lambda: LLM
    return TestClient(app)


CLIENT = _client()

# --- generators -------------------------------------------------------------------------------------

surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
# text with at least one lone surrogate somewhere in it
surrogate_text = st.builds(lambda a, s, b: a + s + b, st.text(max_size=20), surrogates, st.text(max_size=20))
depths = st.integers(min_value=1_000, max_value=200_000)
huge_integers = st.integers(min_value=4_301, max_value=50_000).map(lambda digits: "9" * digits)
methods = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=12)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _bullet(text: str) -> str:
    return json.dumps({"bullets": [{"text": text, "sources": ["notes"], "proof_area": "api"}]})


hostile_replies = st.one_of(
    surrogate_text.map(_bullet),
    depths.map(_nested),
    depths.map(lambda d: '{"bullets": ' + _nested(d) + "}"),
    huge_integers.map(lambda n: '{"bullets": [], "n": ' + n + "}"),
    st.integers(min_value=1_001, max_value=60_000).map(lambda n: _bullet("Helped debug " + "a" * n)),
    st.text(max_size=300),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda kids: st.lists(kids) | st.dictionaries(st.text(max_size=10), kids),
        max_leaves=20,
    ).map(json.dumps),
)


def _post(path: str, raw: str) -> int:
    response = CLIENT.post(path, content=raw.encode("utf-8"), headers={"Content-Type": "application/json"})
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(("application/problem+json", "application/json"))
    return response.status_code


# --- properties -------------------------------------------------------------------------------------


@FUZZ
@given(text=surrogate_text, where=st.sampled_from(["notes", "bullet", "redact", "evidence"]))
def test_a_lone_surrogate_anywhere_is_a_422(text: str, where: str) -> None:
    body: dict[str, Any] = {"notes": NOTES, "bullets": [NOTES]}
    if where == "notes":
        body["notes"] = text
    elif where == "bullet":
        body["bullets"] = [text]
    elif where == "redact":
        body["redact"] = [text]
    else:
        body["evidence"] = [{"id": "E-1", "text": text}]
    raw = json.dumps(body)  # ensure_ascii: the surrogate travels as a "\\udxxx" escape, as an attacker sends it

    assert _post("/v1/verify", raw) == 422
    assert _post("/v1/questions", json.dumps({"notes": body["notes"], "evidence": body.get("evidence", [])})) in {
        200,
        422,
    }


@FUZZ
@given(depth=depths)
def test_deeply_nested_bodies_are_a_400_413_or_422(depth: int) -> None:
    assert _post("/v1/verify", _nested(depth)) in {400, 413, 422}  # 413: deeper than the body limit
    assert _post("/v1/rewrite", '{"notes": ' + _nested(depth) + "}") in {400, 413, 422}


@FUZZ
@given(number=huge_integers)
def test_huge_integers_are_a_400_or_422(number: str) -> None:
    assert _post("/v1/rewrite", '{"notes": "x", "options": {"max_bullets": ' + number + "}}") in {400, 422}


@FUZZ
@given(method=methods)
def test_made_up_methods_never_break_the_service_or_its_metrics(method: str) -> None:
    response = CLIENT.request(method, "/nowhere")

    assert response.status_code < 500
    assert method in METHOD_LABELS or f'method="{method}"' not in CLIENT.get("/metrics").text


@FUZZ
@given(content=hostile_replies)
def test_a_hostile_model_reply_is_never_a_500(content: str) -> None:
    LLM.content = content

    response = CLIENT.post("/v1/rewrite", json={"notes": NOTES})

    assert response.status_code == 200, response.text
    data = response.json()
    for bullet in data["bullets"]:
        assert len(bullet["text"]) <= 1_000
        bullet["text"].encode("utf-8")  # every accepted bullet is valid Unicode text
