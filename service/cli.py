"""The ``bulletguard`` command line: ``serve`` the API, or ``verify`` bullets from files.

Exit codes of ``verify``: 0 all bullets accepted, 1 at least one rejected, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import SecretStr, ValidationError

from service import __version__
from service.problems import public_errors
from service.schemas_api import BulletResultOut, VerifyRequest, VerifyResponse, limit_errors
from service.settings import Settings, get_settings
from service.verification import run_verify

if TYPE_CHECKING:
    from service.local_model import LocalModel

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2

# A leading "-", "*" or "•" followed by whitespace (or nothing) is list markup, not bullet text.
_BULLET_MARKER = re.compile(r"^[-*•](?:\s+|$)")


class InputError(Exception):
    """Bad input on the command line; the message is shown on stderr and the exit code is 2."""


def build_parser(settings: Settings | None = None) -> argparse.ArgumentParser:
    settings = settings if settings is not None else get_settings()
    parser = argparse.ArgumentParser(
        prog="bulletguard",
        description="Resume bullets from work notes, guarded so they never claim more than the notes.",
    )
    parser.add_argument("--version", action="version", version=f"bulletguard {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser(
        "eval",
        help="run the eval suite (see `bulletguard eval --help`)",
        description="Measure prompts and models on evals/cases; `bulletguard eval compare` gates regressions.",
        add_help=False,
    )
    serve = commands.add_parser("serve", help="run the HTTP API", description="Run the HTTP API (uvicorn).")
    serve.add_argument("--host", default=settings.host, help="interface to bind (default: %(default)s)")
    serve.add_argument("--port", type=int, default=settings.port, help="port to bind (default: %(default)s)")
    serve.add_argument(
        "--with-local-model",
        action="store_true",
        help=(
            "also start the bundled local model (SmolLM2-135M via llama-cpp-python, needs the [local] extra) "
            "on a loopback port, use it as the default model, and stop it on exit"
        ),
    )

    verify = commands.add_parser(
        "verify",
        help="check bullets against notes",
        description=(
            "Check resume bullets against work notes with the truthfulness guard. "
            "Exit status: 0 all accepted, 1 any rejected, 2 bad input."
        ),
    )
    verify.add_argument("--notes", required=True, type=Path, metavar="FILE", help="work notes (text file)")
    verify.add_argument(
        "--evidence", type=Path, metavar="FILE.json", help='JSON list of {"id": ..., "text": ...} objects'
    )
    verify.add_argument(
        "--redact",
        action="append",
        default=[],
        metavar="TERM",
        help="a term that must not appear in any bullet (repeatable)",
    )
    verify.add_argument("--json", action="store_true", help="print the /v1/verify JSON response instead")
    verify.add_argument(
        "bullets_file",
        metavar="BULLETS_FILE",
        help='one bullet per line ("- ", "* ", "• " prefixes are stripped); "-" reads stdin',
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = get_settings()
    except ValidationError as exc:
        fields = ", ".join(sorted({str(error["loc"][0]).upper() for error in exc.errors() if error["loc"]}))
        print(f"bulletguard: invalid BULLETGUARD_ settings: {fields}", file=sys.stderr)
        return EXIT_USAGE
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["eval"]:
        from service.evals.cli import main as eval_main

        return eval_main(args_list[1:])
    parser = build_parser(settings)
    args = parser.parse_args(args_list)
    if args.command == "serve":
        return _serve(args, settings)
    return _verify(args, settings)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if not args.with_local_model:
        _run_uvicorn(args, settings)
        return EXIT_OK
    from service.local_model import LocalModelError, local_model_server

    try:
        with local_model_server(settings.local_model_port) as local:
            print(f"bulletguard: local model {local.model} ready at {local.api_base}", file=sys.stderr)
            _run_uvicorn(args, local_settings(settings, local))
    except LocalModelError as exc:
        print(f"bulletguard serve: cannot start the local model: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def local_settings(settings: Settings, local: LocalModel) -> Settings:
    """``settings`` pointed at a running local model server: its model, endpoint and schema mode."""
    return settings.model_copy(
        update={
            "model": local.model,
            "api_base": local.api_base,
            "api_key": SecretStr(local.api_key),
            "llm_schema_mode": local.schema_mode,
            "llm_max_tokens": settings.llm_max_tokens or local.max_tokens,
        }
    )


def _run_uvicorn(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from service.api import create_app

    uvicorn.run(
        partial(create_app, settings),
        factory=True,
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        # RequestContextMiddleware writes the access log (with request ids); avoid duplicates.
        access_log=False,
    )


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    try:
        request = _load_request(args, settings)
    except InputError as exc:
        print(f"bulletguard verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    response = run_verify(request)
    if args.json:
        print(json.dumps(response.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        _print_report(response, sys.stdout)
    rejected = any(result.verdict == "rejected" for result in response.results)
    return EXIT_REJECTED if rejected else EXIT_OK


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what} file {path}: {exc.__class__.__name__}") from None


def parse_bullets(text: str) -> list[str]:
    """One bullet per line; blank lines skipped; a leading "- ", "* " or "• " marker stripped."""
    bullets: list[str] = []
    for line in text.splitlines():
        bullet = _BULLET_MARKER.sub("", line.strip(), count=1).strip()
        if bullet:
            bullets.append(bullet)
    return bullets


def _load_evidence(path: Path) -> list[Any]:
    try:
        data = json.loads(_read_text(path, "evidence"))
    except json.JSONDecodeError as exc:
        raise InputError(f"evidence file {path} is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise InputError(f'evidence file {path} must hold a JSON list of {{"id": ..., "text": ...}} objects')
    return data


def _load_request(args: argparse.Namespace, settings: Settings) -> VerifyRequest:
    notes = _read_text(args.notes, "notes")
    evidence = _load_evidence(args.evidence) if args.evidence is not None else []
    from_stdin = args.bullets_file == "-"
    bullets_text = sys.stdin.read() if from_stdin else _read_text(Path(args.bullets_file), "bullets")
    bullets = parse_bullets(bullets_text)
    if not bullets:
        raise InputError("no bullets found (the bullets file is empty or only blank lines)")

    payload = {"notes": notes, "evidence": evidence, "redact": args.redact, "bullets": bullets}
    try:
        request = VerifyRequest.model_validate(payload)
    except ValidationError as exc:
        raise InputError(_describe_errors(public_errors(exc.errors()))) from None
    errors = limit_errors(request, settings)
    if errors:
        raise InputError(_describe_errors(public_errors(errors)))
    return request


def _describe_errors(errors: list[dict[str, Any]]) -> str:
    lines = ["invalid input:"]
    for error in errors:
        loc = ".".join(str(part) for part in error["loc"] if part != "body")
        lines.append(f"  {loc or 'input'}: {error['msg']}")
    return "\n".join(lines)


def render_result(index: int, result: BulletResultOut) -> str:
    """A bullet with its verdict, a caret line under each offending span, and one line per violation."""
    label = f"[{index}] {result.verdict.upper():8} "
    lines = [f"{label}{result.bullet}"]
    if result.violations:
        marks = [" "] * len(result.bullet)
        for violation in result.violations:
            start = max(0, min(violation.start, len(result.bullet)))
            end = max(start + 1, min(violation.end, len(result.bullet)))
            marks.extend(" " * (end - len(marks)))
            for offset in range(start, end):
                marks[offset] = "^"
        lines.append(" " * len(label) + "".join(marks).rstrip())
        for violation in result.violations:
            lines.append(f"      {violation.kind}: {violation.text!r} - {violation.message}")
            lines.append(f"        hint: {violation.hint}")
    return "\n".join(lines)


def _print_report(response: VerifyResponse, out: TextIO) -> None:
    for index, result in enumerate(response.results, start=1):
        print(render_result(index, result), file=out)
    rejected = sum(result.verdict == "rejected" for result in response.results)
    total = len(response.results)
    print(f"\n{total} bullet(s): {total - rejected} accepted, {rejected} rejected", file=out)
