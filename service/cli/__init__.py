"""The ``bulletguard`` command line: ``serve`` the API, or ``verify`` bullets from files.

Exit codes of ``verify``: 0 all bullets accepted, 1 at least one rejected, 2 bad input.
Proof coaching: ``lint`` (0 no warning, 1 any warning, 2 bad input), ``questions`` and ``match``
(0 on success, 2 bad input). Resume files (``check-edit``, ``verify --resume``) are :mod:`.resume`;
``rewrite`` and ``mcp`` are :mod:`.agents`. An edge: may import every layer but the other edges' insides.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError

from service import __version__, _native
from service.coach import lint_bullet, match_posting, questions_for
from service.contract.coach import (
    LintResponse,
    LintResultOut,
    MatchRequest,
    MatchResponse,
    QuestionOut,
    QuestionsRequest,
    QuestionsResponse,
    coach_limit_errors,
)
from service.contract.models import (
    BulletResultOut,
    EditOut,
    VerifyRequest,
    VerifyResponse,
    WarningOut,
    _list_errors,
    limit_errors,
)
from service.contract.verification import run_verify
from service.http.problems import public_errors
from service.settings import Settings, get_settings

if TYPE_CHECKING:
    from service.rewrite.llm.local_model import LocalModel

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_WARNINGS = 1  # lint: at least one warning
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
    parser.add_argument("--version", action="version", version=f"bulletguard {__version__} (guard: {_native.STATUS})")
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

    hash_key = commands.add_parser(
        "hash-key",
        help="make an API key and the hash to put in BULLETGUARD_API_KEYS",
        description=(
            "Print a new random API key and its hash (`sha256:...`). Give the key to the client; add the hash "
            "to BULLETGUARD_API_KEYS (comma-separated). With --stdin, hash the key read from stdin instead."
        ),
    )
    hash_key.add_argument("--stdin", action="store_true", help="hash a key read from stdin (one line)")

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
    verify.add_argument(
        "--fix",
        action="store_true",
        help="print each bullet's suggestion: the true repair of a rejected bullet, the polish of an accepted one",
    )
    verify.add_argument(
        "--write",
        action="store_true",
        help="with --fix: write the suggestions back to BULLETS_FILE (markers and blank lines kept)",
    )
    verify.add_argument(
        "bullets_file",
        nargs="?",
        metavar="BULLETS_FILE",
        help='one bullet per line ("- ", "* ", "• " prefixes are stripped); "-" reads stdin',
    )
    _add_coach_commands(commands)
    from service.cli import agents as cli_agents  # resume files, `rewrite` and `mcp`: their own modules
    from service.cli import resume as cli_resume

    cli_resume.add_verify_resume_arguments(verify)
    cli_resume.add_check_edit_parser(commands)
    cli_agents.add_agent_parsers(commands, settings)
    return parser


def _add_coach_commands(commands: Any) -> None:
    """``lint``, ``questions`` and ``match``: proof coaching, deterministic, no LLM."""
    lint = commands.add_parser(
        "lint",
        help="flag weak bullets",
        description=(
            "Flag weak resume bullets the way backend reviewers read them ('worked on', 'scalable' with no "
            "scale, 'secure' with no mechanism, a list of technologies...), with the reason and the proof that "
            "would fix each. Needs no notes. Exit status: 0 no warning, 1 any warning, 2 bad input."
        ),
    )
    lint.add_argument("--json", action="store_true", help="print the results as JSON instead")
    lint.add_argument(
        "bullets_file",
        metavar="BULLETS_FILE",
        help='one bullet per line ("- ", "* ", "• " prefixes are stripped); "-" reads stdin',
    )
    for name, help_text, description in (
        (
            "questions",
            "ask for the proof the notes lack",
            "For each proof area the notes touch, the questions a reviewer would ask that the notes and "
            "evidence do not answer yet. Exit status: 0 success, 2 bad input.",
        ),
        (
            "match",
            "match notes against a job posting",
            "Which of a job posting's technologies and keywords the notes support (a bullet may use the "
            "posting's wording for them) and which are gaps (never to be added). Exit status: 0 success, "
            "2 bad input.",
        ),
    ):
        command = commands.add_parser(name, help=help_text, description=description)
        command.add_argument("--notes", required=True, type=Path, metavar="FILE", help="work notes (text file)")
        command.add_argument(
            "--evidence", type=Path, metavar="FILE.json", help='JSON list of {"id": ..., "text": ...} objects'
        )
        if name == "match":
            command.add_argument("--job", required=True, type=Path, metavar="FILE", help="the job posting (text file)")
        command.add_argument("--json", action="store_true", help=f"print the /v1/{name} JSON response instead")


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
    if args.command == "hash-key":
        return _hash_key(args)
    if args.command in _COACH_COMMANDS:
        return _COACH_COMMANDS[args.command](args, settings)
    if (
        args.command in ("check-edit", "rewrite", "mcp")
        or getattr(args, "resume", None)
        or getattr(args, "annotations", None)
    ):
        from service.cli.agents import run_edge_command

        return run_edge_command(args, settings)
    return _verify(args, settings)


def _hash_key(args: argparse.Namespace) -> int:
    from service.http.auth import generate_api_key, hash_api_key

    if args.stdin:
        key = sys.stdin.readline().strip()
        if not key:
            print("bulletguard hash-key: no key on stdin", file=sys.stderr)
            return EXIT_USAGE
        print(f"hash: {hash_api_key(key)}")
        return EXIT_OK
    key = generate_api_key()
    print(f"key:  {key}")
    print(f"hash: {hash_api_key(key)}")
    print("Give the key to the client; add the hash to BULLETGUARD_API_KEYS (comma-separated).", file=sys.stderr)
    return EXIT_OK


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if not args.with_local_model:
        _run_uvicorn(args, settings)
        return EXIT_OK
    from service.rewrite.llm.local_model import LocalModelError, local_model_server

    try:
        with local_model_server(settings.local_model_port) as local:
            print(f"bulletguard: local model {local.model} ready at {local.api_base}", file=sys.stderr)
            _run_uvicorn(args, local_settings(settings, local), local)
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


def _run_uvicorn(args: argparse.Namespace, settings: Settings, local: LocalModel | None = None) -> None:
    import uvicorn

    from service.http.app import create_app

    uvicorn.run(
        partial(create_app, settings, local_model=local),
        factory=True,
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        # RequestContextMiddleware writes the access log (with request ids); avoid duplicates.
        access_log=False,
        **server_limits(settings),
    )


def server_limits(settings: Settings) -> dict[str, Any]:
    """The uvicorn options that bound connections (``bulletguard serve``; tests start servers with them).

    * ``limit_concurrency``: at most ``max_connections`` connections and requests at once, more get 503;
    * ``timeout_keep_alive``: an idle connection is closed after ``keep_alive_s`` (the body-read time is
      bounded by the app: ``body_timeout_s``, then 408);
    * ``h11_max_incomplete_event_size``: request line and headers at most 16 KiB (then 431);
    * ``http``: uvicorn's h11 protocol answering the requests it cannot parse with problem+json
      (:mod:`service.http.server_protocol`), also where httptools is installed (the size bound is h11's);
    * forwarded headers (``X-Forwarded-For``/``-Proto``) are trusted only from ``forwarded_allow_ips``,
      off by default (uvicorn alone would trust loopback, letting a local client choose its address).
    """
    from service.http.server_protocol import ProblemH11Protocol

    trusted = ",".join(settings.forwarded_allow_ips)
    return {
        "http": ProblemH11Protocol,
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": settings.keep_alive_s,
        "h11_max_incomplete_event_size": 16 * 1024,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or "",
    }


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    try:
        request = _load_request(args, settings)
    except InputError as exc:
        print(f"bulletguard verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.write and (not args.fix or args.bullets_file == "-"):
        print("bulletguard verify: --write needs --fix and a bullets file (not stdin)", file=sys.stderr)
        return EXIT_USAGE
    response = run_verify(request)
    if args.json:
        print(json.dumps(response.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        _print_report(response, sys.stdout, fix=args.fix)
    if args.write:
        path = Path(args.bullets_file)
        path.write_text(write_back(_read_text(path, "bullets"), response), encoding="utf-8")
        unfixed = sum(r.verdict == "rejected" and r.suggestion is None for r in response.results)
        written = sum(r.suggestion is not None for r in response.results)
        print(f"wrote {written} suggestion(s) to {path}; {unfixed} rejected bullet(s) have none", file=sys.stdout)
        return EXIT_REJECTED if unfixed else EXIT_OK
    rejected = any(result.verdict == "rejected" for result in response.results)
    return EXIT_REJECTED if rejected else EXIT_OK


def write_back(text: str, response: VerifyResponse) -> str:
    """The bullets file with each bullet that has a suggestion replaced by it; list markers, blank lines
    and bullets without a suggestion stay as they were."""
    results = iter(response.results)
    lines: list[str] = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        bullet = _BULLET_MARKER.sub("", body.strip(), count=1).strip()
        if bullet:
            result = next(results)
            if result.suggestion is not None:
                at = body.index(bullet)
                line = body[:at] + result.suggestion + body[at + len(bullet) :] + line[len(body) :]
        lines.append(line)
    return "".join(lines)


def diff_line(bullet: str, edits: Sequence[EditOut]) -> str:
    """The bullet with its edits marked inline: ``[-removed-]{+added+}``."""
    out: list[str] = []
    at = 0
    for e in sorted(edits, key=lambda e: e.start):
        out.append(bullet[at : e.start])
        removed = bullet[e.start : e.end]
        if removed.strip():
            out.append(f"[-{removed.rstrip()}-]" + removed[len(removed.rstrip()) :])
        if e.replacement.strip():
            out.append(f"{{+{e.replacement.rstrip()}+}}" + e.replacement[len(e.replacement.rstrip()) :])
        at = e.end
    out.append(bullet[at:])
    return "".join(out)


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
    if args.bullets_file is None:
        raise InputError("give BULLETS_FILE (or --resume FILE)")
    from_stdin = args.bullets_file == "-"
    bullets_text = sys.stdin.read() if from_stdin else _read_text(Path(args.bullets_file), "bullets")
    bullets = parse_bullets(bullets_text)
    if not bullets:
        raise InputError("no bullets found (the bullets file is empty or only blank lines)")

    payload = {"notes": notes, "evidence": evidence, "redact": args.redact, "bullets": bullets}
    request = read_as(VerifyRequest, payload)
    within_limits(limit_errors(request, settings))
    return request


_Request = TypeVar("_Request", bound=BaseModel)


def read_as(model: type[_Request], payload: dict[str, Any]) -> _Request:
    """``payload`` read as the API would read it; an InputError naming each broken rule, like its 422."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InputError(_describe_errors(public_errors(exc.errors()))) from None


def within_limits(errors: list[dict[str, Any]]) -> None:
    """An InputError naming each limit breach in ``errors`` (the API's 422 for them); none: nothing."""
    if errors:
        raise InputError(_describe_errors(public_errors(errors)))


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
    lines += _warning_lines(result.warnings, "warning ")
    return "\n".join(lines)


def render_suggestion(result: BulletResultOut) -> str:
    """The ``--fix`` lines of one result: the suggestion, and the edits as an inline diff."""
    if result.suggestion is None:
        if result.verdict == "rejected":
            return "      suggestion: none (no true version of this bullet can be made from its words)"
        return "      suggestion: none (already polished)"
    return f"      suggestion: {result.suggestion}\n      diff: {diff_line(result.bullet, result.edits)}"


def _print_report(response: VerifyResponse, out: TextIO, *, fix: bool = False) -> None:
    for index, result in enumerate(response.results, start=1):
        print(render_result(index, result), file=out)
        if fix:
            print(render_suggestion(result), file=out)
    rejected = sum(result.verdict == "rejected" for result in response.results)
    total = len(response.results)
    print(f"\n{total} bullet(s): {total - rejected} accepted, {rejected} rejected", file=out)


# --- proof coaching: lint, questions, match ------------------------------------------------------------


def _caret_line(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """A line with ``^`` under each span of ``text`` (at least one caret per span)."""
    marks = [" "] * len(text)
    for raw_start, raw_end in spans:
        start = max(0, min(raw_start, len(text)))
        end = max(start + 1, min(raw_end, len(text)))
        marks.extend(" " * (end - len(marks)))
        for offset in range(start, end):
            marks[offset] = "^"
    return "".join(marks).rstrip()


def _warning_lines(warnings: Sequence[WarningOut], prefix: str = "") -> list[str]:
    lines: list[str] = []
    for warning in warnings:
        lines.append(f"      {prefix}{warning.code}: {warning.text!r} - {warning.message}")
        lines.append(f"        fix: {warning.fix}")
    return lines


def render_lint(index: int, result: LintResultOut) -> str:
    """A bullet marked OK or WEAK, carets under each weak span, and one line pair per warning."""
    label = f"[{index}] {'WEAK' if result.warnings else 'OK':8} "
    lines = [f"{label}{result.bullet}"]
    if result.warnings:
        lines.append(" " * len(label) + _caret_line(result.bullet, [(w.start, w.end) for w in result.warnings]))
        lines += _warning_lines(result.warnings)
    return "\n".join(lines)


def _lint(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from_stdin = args.bullets_file == "-"
        bullets = parse_bullets(sys.stdin.read() if from_stdin else _read_text(Path(args.bullets_file), "bullets"))
        if not bullets:
            raise InputError("no bullets found (the bullets file is empty or only blank lines)")
        within_limits(_list_errors("bullets", bullets, settings.max_bullets, settings.max_bullet_chars))
    except InputError as exc:
        print(f"bulletguard lint: {exc}", file=sys.stderr)
        return EXIT_USAGE
    response = LintResponse(
        results=[
            LintResultOut(bullet=bullet, warnings=[WarningOut.from_warning(w) for w in lint_bullet(bullet)])
            for bullet in bullets
        ]
    )
    weak = sum(1 for result in response.results if result.warnings)
    if args.json:
        print(json.dumps(response.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        for index, result in enumerate(response.results, start=1):
            print(render_lint(index, result))
        total = sum(len(result.warnings) for result in response.results)
        print(f"\n{len(response.results)} bullet(s): {weak} weak, {total} warning(s)")
    return EXIT_WARNINGS if weak else EXIT_OK


def _coach_payload(args: argparse.Namespace) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "notes": _read_text(args.notes, "notes"),
        "evidence": _load_evidence(args.evidence) if args.evidence is not None else [],
    }
    if getattr(args, "job", None) is not None:
        payload["job_description"] = _read_text(args.job, "job posting")
    return payload


def _validated(model: type[QuestionsRequest], args: argparse.Namespace, settings: Settings) -> QuestionsRequest:
    request = read_as(model, _coach_payload(args))
    job = request.job_description if isinstance(request, MatchRequest) else None
    within_limits(coach_limit_errors(request.notes, request.evidence, settings, job))
    return request


def _questions(args: argparse.Namespace, settings: Settings) -> int:
    try:
        request = _validated(QuestionsRequest, args, settings)
    except InputError as exc:
        print(f"bulletguard questions: {exc}", file=sys.stderr)
        return EXIT_USAGE
    questions = questions_for(request.notes, request.evidence_items())
    response = QuestionsResponse(questions=[QuestionOut.from_question(q) for q in questions])
    if args.json:
        print(json.dumps(response.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return EXIT_OK
    if not response.questions:
        print("No open questions: the input already answers what a reviewer would ask about the areas it touches.")
        return EXIT_OK
    for index, question in enumerate(response.questions, start=1):
        print(f"[{index}] {question.proof_area}: {question.question}")
        print(f"      why: {question.why}")
    return EXIT_OK


def _match(args: argparse.Namespace, settings: Settings) -> int:
    try:
        request = _validated(MatchRequest, args, settings)
    except InputError as exc:
        print(f"bulletguard match: {exc}", file=sys.stderr)
        return EXIT_USAGE
    assert isinstance(request, MatchRequest)
    response = MatchResponse.from_result(
        match_posting(request.notes, request.evidence_items(), request.job_description)
    )
    if args.json:
        print(json.dumps(response.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return EXIT_OK
    print("Supported: the notes show these; a bullet may use the posting's wording.")
    for item in response.supported:
        print(f"  + {item.term} ({item.kind}; notes say {item.input_term!r})")
    if not response.supported:
        print("  (none)")
    print("Gaps: the notes do not show these; never add them to a bullet.")
    for gap in response.gaps:
        print(f"  - {gap.term} ({gap.kind})")
    if not response.gaps:
        print("  (none)")
    return EXIT_OK


_COACH_COMMANDS = {"lint": _lint, "questions": _questions, "match": _match}
