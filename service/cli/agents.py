"""``bulletguard rewrite`` (the main job from a terminal) and ``bulletguard mcp`` (the same tools for an
agent, over the Model Context Protocol), and the dispatch of the commands that live outside ``cli.py``.

``rewrite`` runs the pipeline ``POST /v1/rewrite`` runs (:func:`service.contract.rewriting.run_rewrite`, the same
settings), with a spinner on stderr while the model works; it prints the accepted bullets, and the refused
ones with their reasons. ``--local`` starts the bundled model for the call and stops it after. Exit
status: 0 at least one bullet accepted, 1 none accepted (every one refused), 2 bad input, 3 the model
failed (unreachable, timed out, refused the request) or the bundled model could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from service.cli import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, InputError, local_settings, read_as, within_limits
from service.cli.resume import add_source_arguments, check_edit_command, load_sources, verify_resume_command
from service.contract.rewrite import RewriteRequest, RewriteResponse, rewrite_limit_errors
from service.contract.rewriting import read_request, run_rewrite
from service.rewrite.llm.errors import LLMError
from service.rewrite.port import LLMClient
from service.settings import Settings

EXIT_MODEL_FAILED = 3

LLMFactory = Callable[[Settings], LLMClient]


def add_agent_parsers(commands: Any, settings: Settings) -> None:
    rewrite = commands.add_parser(
        "rewrite",
        help="write guarded resume bullets from notes with the LLM",
        description=(
            "Write resume bullets from work notes with the configured model (BULLETGUARD_MODEL; --local: the "
            "bundled one), every bullet checked by the guard: only accepted bullets are printed as such, refused "
            "ones with their reasons. Exit status: 0 a bullet accepted, 1 none, 2 bad input, 3 the model failed."
        ),
    )
    add_source_arguments(rewrite, notes_required=True)
    rewrite.add_argument("--model", metavar="M", help=f"a litellm model string (default: {settings.model})")
    rewrite.add_argument(
        "--max-bullets", type=int, default=3, metavar="N", help="most bullets to return, 1-8 (default: %(default)s)"
    )
    rewrite.add_argument("--json", action="store_true", help="print the /v1/rewrite JSON response instead")
    rewrite.add_argument(
        "--local", action="store_true", help="start the bundled local model (needs the [local] extra) for this call"
    )
    mcp = commands.add_parser(
        "mcp",
        help="serve the guard to an agent over MCP (stdio)",
        description=(
            "A Model Context Protocol server on stdin/stdout with the tools verify_bullets, rewrite_notes, "
            "check_edit and questions. Configure your MCP host to run `bulletguard mcp`."
        ),
    )
    mcp.add_argument(
        "--local", action="store_true", help="start the bundled local model for rewrite_notes while serving"
    )


def run_edge_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "check-edit":
        return check_edit_command(args, settings)
    if args.command == "verify":
        return verify_resume_command(args, settings)
    if args.command == "rewrite":
        return rewrite_command(args, settings)
    return mcp_command(args, settings)


def _rewrite_request(args: argparse.Namespace, settings: Settings) -> RewriteRequest:
    sources = load_sources(args, settings)
    payload: dict[str, Any] = {
        "notes": sources.notes,
        "evidence": [{"id": e.id, "text": e.text} for e in sources.evidence],
        "redact": sources.redact,
        "options": {"max_bullets": args.max_bullets, **({"model": args.model} if args.model else {})},
    }
    request = read_as(RewriteRequest, payload)
    within_limits(rewrite_limit_errors(request, settings))
    return request


def rewrite_command(args: argparse.Namespace, settings: Settings, llm_factory: LLMFactory | None = None) -> int:
    """``llm_factory``: builds the model client from the settings (default: the service's litellm client)."""
    if llm_factory is None:
        from service.http.llm_client import llm_client_from_settings  # litellm: imported only when a rewrite runs

        llm_factory = llm_client_from_settings
    try:
        request = _rewrite_request(args, settings)
    except InputError as exc:
        print(f"bulletguard rewrite: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.local:
        return _rewrite(request, settings, llm_factory, args.json)
    from service.rewrite.llm.local_model import LocalModelError, local_model_server

    try:
        with local_model_server(settings.local_model_port) as local:
            return _rewrite(request, local_settings(settings, local), llm_factory, args.json)
    except LocalModelError as exc:
        print(f"bulletguard rewrite: cannot start the local model: {exc}", file=sys.stderr)
        return EXIT_MODEL_FAILED


def _rewrite(request: RewriteRequest, settings: Settings, llm_factory: LLMFactory, as_json: bool) -> int:
    from rich.console import Console

    from service.logs import configure_logging

    # Logs on stderr, warnings only (as `bulletguard eval` does): stdout is the bullets, stderr the spinner.
    configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
    llm = llm_factory(settings)
    reading = read_request(request)
    model = request.options.model or settings.model
    try:
        # The spinner goes to stderr: stdout stays the bullets (or the JSON) alone.
        with Console(stderr=True).status(f"Writing bullets with {model}…", spinner="dots"):
            result = asyncio.run(run_rewrite(llm, request, settings, reading))
    except LLMError as exc:
        print(f"bulletguard rewrite: {exc.title}: {exc.message}", file=sys.stderr)
        return EXIT_MODEL_FAILED
    response = RewriteResponse.from_result(result, None, request, reading.posting, reading.questions, reading.facts)
    if as_json:
        print(json.dumps(response.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print_rewrite(response, sys.stdout)
    # the notes' own sentences (fallback) are no bullets of the model's: alone, the rewrite failed
    return EXIT_OK if any(b.origin != "fallback" for b in response.bullets) else EXIT_REJECTED


def print_rewrite(response: RewriteResponse, out: TextIO) -> None:
    own = [b for b in response.bullets if b.origin != "fallback"]
    fallback = [b for b in response.bullets if b.origin == "fallback"]
    print(f"Accepted ({len(own)}):", file=out)
    for index, bullet in enumerate(own, start=1):
        print(f"  {index}. {bullet.text}", file=out)
        print(f"     sources: {', '.join(bullet.sources)}; proves: {bullet.proof_area}", file=out)
        if bullet.origin == "repaired":
            print(f"     repaired from: {bullet.original}", file=out)
    if not own:
        print("  (none: every bullet the model wrote claimed something the input does not state)", file=out)
    if fallback:
        print(f"From your notes, as the model gave nothing usable ({len(fallback)}):", file=out)
        for bullet in fallback:
            print(f"  - {bullet.text}", file=out)
    if response.rejected:
        print(f"Refused ({len(response.rejected)}):", file=out)
        for rejected in response.rejected:
            print(f"  - {rejected.text}", file=out)
            for violation in rejected.violations:
                print(f"      {violation.kind}: {violation.text!r} - {violation.message}", file=out)
    for error in response.reply_errors:
        print(f"Unusable reply: {error}", file=out)
    if response.questions:
        print("To make them stronger, answer:", file=out)
        for question in response.questions[:3]:
            print(f"  ? {question.question}", file=out)
    usage = response.usage
    print(
        f"model {response.model}, prompt {response.prompt_version}, {response.attempts} call(s), "
        f"{usage.prompt_tokens}+{usage.completion_tokens} tokens",
        file=out,
    )


def mcp_command(args: argparse.Namespace, settings: Settings) -> int:
    from service.mcp.server import serve_stdio

    if not args.local:
        serve_stdio(settings)
        return EXIT_OK
    from service.rewrite.llm.local_model import LocalModelError, local_model_server

    try:
        with local_model_server(settings.local_model_port) as local:
            serve_stdio(local_settings(settings, local))
    except LocalModelError as exc:
        print(f"bulletguard mcp: cannot start the local model: {exc}", file=sys.stderr)
        return EXIT_MODEL_FAILED
    return EXIT_OK


__all__ = ["add_agent_parsers", "rewrite_command", "run_edge_command"]
