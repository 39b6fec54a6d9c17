"""``bulletguard mcp``: the guard for agents, as a Model Context Protocol server over stdio.

Built on the official ``mcp`` SDK's low-level :class:`~mcp.server.lowlevel.Server`, so each tool's input
schema *is* the JSON Schema of the HTTP API's request model and its output schema that of the response
model; arguments are validated by the same models and limits, and a result is the same JSON as the HTTP
answer, returned as structured content (and as its text, for hosts that read only text):

==================  ======================  =======================
tool                input (HTTP model)      output
==================  ======================  =======================
``verify_bullets``  ``VerifyRequest``       ``VerifyResponse``
``rewrite_notes``   ``RewriteRequest``      ``RewriteResponse``
``check_edit``      ``CheckEditRequest``    ``ResumeCheckResponse``
``questions``       ``QuestionsRequest``    ``QuestionsResponse``
==================  ======================  =======================

A bad argument (a wrong type, a limit, a text that is not a valid resume) or a failed model call is a tool
error (``isError``) whose text says what is wrong, never a crash of the server; the agent can correct the
call. ``rewrite_notes`` calls the model the settings name (``BULLETGUARD_MODEL``, ``BULLETGUARD_API_BASE``,
...): :func:`build_server` takes an ``llm_factory`` to swap it. Logs go to stderr; stdout is the protocol.
Notes are private here as everywhere: tool errors and logs never quote the arguments.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import mcp_types as types
import structlog
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from service import __version__
from service.coach import questions_for
from service.contract.check_edit import ResumeInputError, run_check_edit
from service.contract.coach import QuestionOut, QuestionsRequest, QuestionsResponse, coach_limit_errors
from service.contract.models import VerifyRequest, VerifyResponse, limit_errors
from service.contract.resume import CheckEditRequest, ResumeCheckResponse, check_edit_limit_errors
from service.contract.rewrite import RewriteRequest, RewriteResponse, rewrite_limit_errors
from service.contract.rewriting import read_request, run_rewrite
from service.contract.verification import run_verify
from service.http.llm_client import llm_client_from_settings
from service.http.problems import public_errors
from service.logs import configure_logging
from service.rewrite.llm.errors import LLMError
from service.rewrite.port import LLMClient
from service.rewrite.prompts import prompt_versions
from service.settings import Settings

_log = structlog.get_logger("bulletguard.mcp")

LLMFactory = Callable[[Settings], LLMClient]


class ToolInputError(ValueError):
    """The arguments break a rule: the message is the tool error's text."""


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    title: str
    description: str
    request: type[BaseModel]
    response: type[BaseModel]
    run: Callable[[Any], Awaitable[BaseModel]]
    read_only: bool = True

    def tool(self) -> types.Tool:
        return types.Tool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=self.request.model_json_schema(),
            output_schema=self.response.model_json_schema(mode="serialization"),
            annotations=types.ToolAnnotations(
                read_only_hint=self.read_only, idempotent_hint=self.read_only, open_world_hint=not self.read_only
            ),
        )


def _describe(errors: list[dict[str, Any]]) -> str:
    """Validation errors as one line each (``loc: msg``), without the values sent."""
    lines = []
    for error in public_errors(errors):
        loc = ".".join(str(part) for part in error["loc"] if part != "body")
        lines.append(f"{loc or 'arguments'}: {error['msg']}")
    return "invalid arguments:\n" + "\n".join(lines)


def _refuse(errors: list[dict[str, Any]]) -> None:
    if errors:
        raise ToolInputError(_describe(errors))


def build_tools(settings: Settings, llm_factory: LLMFactory = llm_client_from_settings) -> list[ToolSpec]:
    """The server's tools, each running what its HTTP route runs."""
    llm: list[LLMClient] = []  # built on the first rewrite, then kept (it caches its litellm Routers)

    async def verify(request: VerifyRequest) -> VerifyResponse:
        _refuse(limit_errors(request, settings))
        return await run_in_threadpool(run_verify, request)

    async def questions(request: QuestionsRequest) -> QuestionsResponse:
        _refuse(coach_limit_errors(request.notes, request.evidence, settings))
        found = questions_for(request.notes, request.evidence_items())
        return QuestionsResponse(questions=[QuestionOut.from_question(q) for q in found])

    async def check_edit(request: CheckEditRequest) -> ResumeCheckResponse:
        _refuse(check_edit_limit_errors(request, settings))
        try:
            return await run_in_threadpool(run_check_edit, request)
        except ResumeInputError as exc:
            raise ToolInputError(f"{exc.field}: {exc}") from None

    async def rewrite(request: RewriteRequest) -> RewriteResponse:
        errors = rewrite_limit_errors(request, settings)
        known = prompt_versions()
        if request.options.prompt is not None and request.options.prompt not in known:
            errors.append(
                {
                    "loc": ("body", "options", "prompt"),
                    "msg": f"Unknown prompt version; known versions: {', '.join(known)}",
                    "type": "unknown_prompt_version",
                }
            )
        _refuse(errors)
        if not llm:
            llm.append(llm_factory(settings))
        reading = await run_in_threadpool(read_request, request)  # CPU work, off the event loop
        result = await run_rewrite(llm[0], request, settings, reading)
        return RewriteResponse.from_result(result, None, request, reading.posting, reading.questions, reading.facts)

    return [
        ToolSpec(
            "verify_bullets",
            "Check resume bullets against notes",
            "Run bulletguard's deterministic truthfulness guard on resume bullets: each is `rejected` when it "
            "claims a metric, tool, ownership or scope that the notes and evidence do not support, with the "
            "offending span and a hint for a truthful rewrite; `warnings` flag weak wording (never a verdict).",
            VerifyRequest,
            VerifyResponse,
            verify,
        ),
        ToolSpec(
            "rewrite_notes",
            "Write guarded resume bullets from notes",
            "Write resume bullets from work notes with bulletguard's configured LLM. Every bullet is checked by "
            "the guard; only accepted ones are in `bullets`, refused ones are in `rejected` with their "
            "violations. Redacted terms never reach the model. Never present a refused bullet as usable.",
            RewriteRequest,
            RewriteResponse,
            rewrite,
            read_only=False,
        ),
        ToolSpec(
            "check_edit",
            "Check what an edit added to a resume",
            "Compare two versions of a resume (JSON Resume objects, or JSON Resume, RenderCV YAML or Markdown "
            "text) and judge every changed bullet against what its entry said before plus any notes and "
            "evidence. Use it after editing a user's resume: a `rejected` bullet claims scope, tools, figures, "
            "outcomes or seniority the user did not provide.",
            CheckEditRequest,
            ResumeCheckResponse,
            check_edit,
        ),
        ToolSpec(
            "questions",
            "Ask for the proof the notes lack",
            "For each proof area the notes touch, the questions a reviewer would ask that the notes and evidence "
            "do not answer yet. Ask the user these; never answer them on the user's behalf.",
            QuestionsRequest,
            QuestionsResponse,
            questions,
        ),
    ]


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)


def build_server(settings: Settings, llm_factory: LLMFactory = llm_client_from_settings) -> Server[Any]:
    """The MCP server for ``settings``; ``llm_factory`` builds the model client for ``rewrite_notes``."""
    specs = {spec.name: spec for spec in build_tools(settings, llm_factory)}

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[spec.tool() for spec in specs.values()])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        spec = specs.get(params.name)
        if spec is None:
            return _error(f"unknown tool; the tools are {', '.join(specs)}")
        try:
            request = spec.request.model_validate(params.arguments or {})
            response = await spec.run(request)
        except ValidationError as exc:
            _log.info("mcp_tool_refused", tool=spec.name, n_errors=exc.error_count())
            return _error(_describe([dict(error) for error in exc.errors()]))
        except ToolInputError as exc:
            _log.info("mcp_tool_refused", tool=spec.name)
            return _error(str(exc))
        except LLMError as exc:
            _log.warning("mcp_tool_failed", tool=spec.name, error=type(exc).__name__)
            return _error(f"the model call failed ({exc.title}): {exc.message}")
        structured = response.model_dump(mode="json")
        _log.info("mcp_tool_called", tool=spec.name)
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(structured, ensure_ascii=False))],
            structured_content=structured,
        )

    return Server(
        "bulletguard",
        version=__version__,
        instructions=(
            "bulletguard keeps resume bullets true to the user's own notes. Check every bullet you write or edit "
            "with verify_bullets or check_edit before showing it; rejected bullets claim what the user never "
            "said. Use questions to ask the user for missing proof instead of inventing it."
        ),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve_stdio(settings: Settings, llm_factory: LLMFactory = llm_client_from_settings) -> None:
    """Serve MCP on stdin/stdout until the client closes the connection."""
    configure_logging(settings)  # stderr: stdout carries the protocol
    server = build_server(settings, llm_factory)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)
