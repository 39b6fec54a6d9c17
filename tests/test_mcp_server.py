"""``bulletguard mcp`` end to end: the server started from the README's host snippet, driven by the
``mcp`` SDK's own stdio client. It lists the four tools with the HTTP models' schemas, answers each call
with the HTTP answer as structured content, and turns a bad argument or a failed model call into a tool
error while it keeps serving.

``rewrite_notes`` reaches a real OpenAI-compatible server on a loopback port (tests/stub_llm_server.py),
named to the server process by the ``BULLETGUARD_*`` settings in the snippet's ``env``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from service.contract.coach import QuestionsRequest
from service.contract.models import VerifyRequest, VerifyResponse
from service.contract.resume import CheckEditRequest, ResumeCheckResponse
from service.contract.rewrite import RewriteRequest
from tests.fakes import reply
from tests.resume.expectations import CASES, assert_honest, assert_inflated, read
from tests.stub_llm_server import stub_llm_server

ROOT = Path(__file__).resolve().parent.parent


def readme_server() -> dict[str, Any]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(m.group(1) for m in re.finditer(r"```json\n(.*?)```", text, re.DOTALL) if "mcpServers" in m.group(1))
    server: dict[str, Any] = json.loads(block)["mcpServers"]["bulletguard"]
    return server


async def _session_calls(params: StdioServerParameters, errlog: Any) -> dict[str, Any]:
    """Everything the test asserts on, gathered in one session of the server."""
    seen: dict[str, Any] = {}
    async with (
        stdio_client(params, errlog=errlog) as (read_stream, write_stream),
        ClientSession(read_stream, write_stream) as session,
    ):
        await session.initialize()
        seen["tools"] = {tool.name: tool for tool in (await session.list_tools()).tools}
        before, honest, inflated = CASES["rendercv"]
        calls = {
            "verify": ("verify_bullets", {"notes": "helped debug a leak in the worker", "bullets": ["Led a 70% cut."]}),
            "inflated": ("check_edit", {"before": read(before), "after": read(inflated)}),
            "honest": ("check_edit", {"before": read(before), "after": read(honest)}),
            "questions": ("questions", {"notes": "moved the session store to postgres"}),
            "rewrite": (
                "rewrite_notes",
                {"notes": "helped debug a memory leak in the notification worker for Acme", "redact": ["Acme"]},
            ),
            "bad_type": ("verify_bullets", {"notes": 3}),
            "bad_resume": ("check_edit", {"before": {"work": []}, "after": {"work": "Acme"}}),
            "model_down": ("rewrite_notes", {"notes": "wrote a runbook"}),  # the stub has no reply left: a 500
            "unknown": ("write_my_resume", {}),
            "still_serving": ("verify_bullets", {"notes": "wrote a runbook", "bullets": ["Wrote a runbook."]}),
        }
        for key, (name, arguments) in calls.items():
            seen[key] = await session.call_tool(name, arguments)
    return seen


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    snippet = readme_server()
    bullets = reply(
        ("Helped debug a memory leak in the notification worker.", ["notes"], "reliability"),
        ("Led a 60% cut in memory use across all services.", ["notes"], "performance"),
    )
    with stub_llm_server(bullets) as stub:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETGUARD_")}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # `bulletguard`, as installed
        params = StdioServerParameters(
            command=snippet["command"], args=snippet["args"], env={**env, **snippet["env"], **stub.env}
        )
        log = tmp_path_factory.mktemp("mcp") / "server.log"
        with log.open("w") as errlog:
            seen = anyio.run(_session_calls, params, errlog)
        seen["llm_requests"] = stub.requests
        seen["server_log"] = log.read_text(encoding="utf-8")
    return seen


def test_the_tools_are_listed_with_the_http_models_as_schemas(session: dict[str, Any]) -> None:
    tools = session["tools"]

    assert list(tools) == ["verify_bullets", "rewrite_notes", "check_edit", "questions"]
    for name, model in [
        ("verify_bullets", VerifyRequest),
        ("rewrite_notes", RewriteRequest),
        ("check_edit", CheckEditRequest),
        ("questions", QuestionsRequest),
    ]:
        assert tools[name].input_schema == model.model_json_schema()
        assert tools[name].output_schema is not None and tools[name].description
    assert tools["check_edit"].output_schema == ResumeCheckResponse.model_json_schema(mode="serialization")


def test_verify_bullets_answers_what_v1_verify_answers(session: dict[str, Any]) -> None:
    result = session["verify"]

    assert not result.is_error
    answer = VerifyResponse.model_validate(result.structured_content)
    assert [v.kind for v in answer.results[0].violations] == ["ownership", "metric"]
    assert json.loads(result.content[0].text) == result.structured_content


def test_check_edit_passes_an_honest_edit_and_fails_an_inflating_one_with_lines(session: dict[str, Any]) -> None:
    assert not session["honest"].is_error and not session["inflated"].is_error
    assert_honest(session["honest"].structured_content)
    assert_inflated(session["inflated"].structured_content, CASES["rendercv"][2])


def test_questions_asks_for_the_missing_proof(session: dict[str, Any]) -> None:
    result = session["questions"]

    assert not result.is_error
    assert {q["proof_area"] for q in result.structured_content["questions"]} >= {"data"}


def test_rewrite_notes_runs_the_guarded_pipeline_on_the_configured_model(session: dict[str, Any]) -> None:
    result = session["rewrite"]

    assert not result.is_error, result.content
    answer = result.structured_content
    assert [b["text"] for b in answer["bullets"]] == ["Helped debug a memory leak in the notification worker."]
    assert [b["text"] for b in answer["rejected"]] == ["Led a 60% cut in memory use across all services."]
    first = session["llm_requests"][0]
    assert first["model"] == "stub-model"
    assert "Acme" not in json.dumps(first["messages"])  # redacted before the model sees it


def test_a_bad_argument_is_a_tool_error_that_names_the_field(session: dict[str, Any]) -> None:
    bad_type, bad_resume = session["bad_type"], session["bad_resume"]

    assert bad_type.is_error and bad_type.structured_content is None
    assert "notes: Input should be a valid string" in bad_type.content[0].text
    assert "bullets: Field required" in bad_type.content[0].text
    assert bad_resume.is_error
    assert bad_resume.content[0].text == "after: not a valid JSON Resume: work: must be a list, not a string"
    assert session["unknown"].is_error


def test_a_failed_model_call_is_a_tool_error_and_the_server_keeps_serving(session: dict[str, Any]) -> None:
    assert session["model_down"].is_error
    assert session["model_down"].content[0].text.startswith("the model call failed")
    assert not session["still_serving"].is_error
    assert "Traceback" not in session["server_log"]
    assert "helped debug a leak" not in session["server_log"]  # notes are never logged
