"""``bulletguard eval``: run the eval suite, or ``bulletguard eval compare`` two reports.

    bulletguard eval [--prompt v1 --prompt v2 ...] [--model M ...] [--cases DIR] [--repeat K] [--out DIR]
                     [--record | --replay] [--recordings DIR] [--concurrency N] [--max-bullets N]
    bulletguard eval compare BASE.json NEW.json [--fail-on-regression] [--threshold X] [--json]

Without ``--model`` the bundled local model is used (its server is started for the run, except under
``--replay``, which needs no model at all). Exit codes: run 0 (failed LLM calls are in the report),
2 bad input; compare 0, 1 regression with ``--fail-on-regression``, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from service.evals.cases import CASES_DIR, REPO_ROOT, CaseError, load_cases
from service.evals.compare import DEFAULT_THRESHOLD, CompareError, Thresholds, compare, render_comparison
from service.evals.metrics import KINDS
from service.evals.recording import MissingRecording, Mode, RecordingError, RecordingStore
from service.evals.report import Report, ReportError, build_report, group_label, load_report, percent, write_reports
from service.evals.runner import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_BULLETS,
    DEFAULT_MAX_REASKS,
    DEFAULT_TIMEOUT_S,
    EvalConfig,
    run_eval,
)
from service.rewrite.port import LLMClient
from service.rewrite.prompts import UnknownPromptVersion, latest_prompt_version, load_prompt

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2
RECORDINGS_DIR = REPO_ROOT / "evals" / "recordings"
DEFAULT_OUT = Path("eval-out")


class _UsageError(Exception):
    pass


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return number


def _rate(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return number


def build_run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bulletguard eval",
        description=(
            "Run the eval cases through the rewrite pipeline and write report.json, report.md and report.html. "
            "`bulletguard eval compare BASE.json NEW.json` compares two reports."
        ),
    )
    parser.add_argument(
        "--prompt",
        action="append",
        default=[],
        metavar="VERSION",
        help="prompt version (repeatable; default: the newest)",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="MODEL",
        help="litellm model (repeatable; default: the bundled local model)",
    )
    parser.add_argument(
        "--cases", type=Path, default=CASES_DIR, metavar="DIR", help="case directory (default: evals/cases)"
    )
    parser.add_argument(
        "--repeat", type=_positive, default=1, metavar="K", help="runs per case, for k-of-n (default: 1)"
    )
    parser.add_argument(
        "--pass-k",
        type=_positive,
        default=None,
        metavar="K",
        help="a case passes when K of its runs pass (default: a majority)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="DIR", help="report directory (default: %(default)s)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--record", action="store_true", help="call the model and record every reply")
    mode.add_argument("--replay", action="store_true", help="replay recorded replies only (offline, no model)")
    parser.add_argument(
        "--recordings",
        type=Path,
        default=RECORDINGS_DIR,
        metavar="DIR",
        help="recording directory (default: evals/recordings)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help="runs in flight (default: %(default)s)",
    )
    parser.add_argument(
        "--max-bullets",
        type=_positive,
        default=DEFAULT_MAX_BULLETS,
        metavar="N",
        help="bullets asked per case (default: %(default)s)",
    )
    parser.add_argument(
        "--max-reasks",
        type=int,
        default=DEFAULT_MAX_REASKS,
        metavar="N",
        help="re-asks after refusals (default: %(default)s)",
    )
    parser.add_argument(
        "--temperature", type=float, default=None, metavar="T", help="sampling temperature (default: the pipeline's)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help="timeout of one LLM call (default: %(default)s)",
    )
    parser.add_argument(
        "--api-base", default=None, metavar="URL", help="endpoint for --model (default: BULLETGUARD_API_BASE)"
    )
    parser.add_argument(
        "--max-tokens",
        type=_positive,
        default=None,
        metavar="N",
        help="completion limit (default: 512 for the local model, none otherwise)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--verbose", action="store_true", help="log pipeline and LLM events at the configured level")
    return parser


def build_compare_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bulletguard eval compare",
        description=(
            "Compare two eval reports. Regression: acceptance, coverage or expectations dropped by more than the "
            "threshold, or an accepted bullet makes a forbidden claim. Exit 1 on regression with "
            "--fail-on-regression, 2 on bad input, else 0."
        ),
    )
    parser.add_argument("base", type=Path, metavar="BASE.json")
    parser.add_argument("new", type=Path, metavar="NEW.json")
    parser.add_argument("--fail-on-regression", action="store_true", help="exit 1 when the new report regressed")
    parser.add_argument(
        "--threshold",
        type=_rate,
        default=DEFAULT_THRESHOLD,
        metavar="X",
        help="largest allowed absolute drop (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "compare":
        return _compare(build_compare_parser().parse_args(args[1:]))
    return _run(build_run_parser().parse_args(args))


# --------------------------------------------------------------------------------------------------
# compare


def _compare(args: argparse.Namespace) -> int:
    try:
        base, new = load_report(args.base), load_report(args.new)
        comparison = compare(base, new, Thresholds.uniform(args.threshold))
    except (ReportError, CompareError) as exc:
        print(f"bulletguard eval compare: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(comparison.as_dict(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render_comparison(comparison))
    return EXIT_REGRESSION if comparison.regressed and args.fail_on_regression else EXIT_OK


# --------------------------------------------------------------------------------------------------
# run


def _prompts(requested: Sequence[str]) -> tuple[str, ...]:
    prompts = tuple(dict.fromkeys(requested)) or (latest_prompt_version(),)
    for version in prompts:
        load_prompt(version)  # raises UnknownPromptVersion, with the known versions
    return prompts


@contextmanager
def _models_and_client(args: argparse.Namespace, mode: Mode) -> Iterator[tuple[tuple[str, ...], LLMClient | None]]:
    """The models to run and the client that reaches them (None under replay: no model is called)."""
    models = tuple(dict.fromkeys(args.model))
    if mode == "replay":
        if not models:
            from service.rewrite.llm.local_model import MODEL_ALIAS

            models = (f"openai/{MODEL_ALIAS}",)
        yield models, None
        return
    from service.rewrite.llm.client import LiteLLMClient

    if models:
        from service.settings import get_settings

        settings = get_settings()
        key = settings.api_key.get_secret_value() if settings.api_key is not None else None
        client = LiteLLMClient(
            api_base=args.api_base or settings.api_base,
            api_key=key,
            max_tokens=args.max_tokens,
            max_retries=settings.llm_max_retries,
        )
        yield models, client
        return
    from service.rewrite.llm.local_model import LocalModelError, local_model_server

    with ExitStack() as stack:
        try:
            local = stack.enter_context(local_model_server())
        except LocalModelError as exc:
            raise _UsageError(f"cannot start the local model: {exc}") from None
        client = LiteLLMClient(
            api_base=local.api_base,
            api_key=local.api_key,
            schema_mode=local.schema_mode,
            max_tokens=args.max_tokens or local.max_tokens,
        )
        yield (local.model,), client


def _quiet_logs(verbose: bool) -> None:
    """Pipeline and LLM logs go to stderr at WARNING (``--verbose``: at the configured level), so they
    do not break up the progress bar."""
    from service.logs import configure_logging
    from service.settings import get_settings

    settings = get_settings()
    configure_logging(settings if verbose else settings.model_copy(update={"log_level": "WARNING"}))


def _run(args: argparse.Namespace) -> int:
    _quiet_logs(args.verbose)
    mode: Mode = "record" if args.record else "replay" if args.replay else "live"
    console = Console(stderr=True)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    try:
        cases = load_cases(args.cases)
        prompts = _prompts(args.prompt)
        with _models_and_client(args, mode) as (models, client):
            config = EvalConfig(
                prompts=prompts,
                models=models,
                repeat=args.repeat,
                max_bullets=args.max_bullets,
                max_reasks=args.max_reasks,
                temperature=args.temperature,
                timeout_s=args.timeout,
                concurrency=args.concurrency,
                mode=mode,
                pass_k=args.pass_k,
            )
            store = RecordingStore(args.recordings) if mode != "live" else None
            records = asyncio.run(
                run_eval(cases, config, llm=client, store=store, show_progress=not args.no_progress, console=console)
            )
    except (CaseError, UnknownPromptVersion, MissingRecording, RecordingError, _UsageError, ValueError) as exc:
        print(f"bulletguard eval: {exc}", file=sys.stderr)
        return EXIT_USAGE
    wall = time.monotonic() - started
    meta: dict[str, Any] = {"started_at": started_at, "wall_seconds": round(wall, 1)}
    report = build_report(cases, records, config, meta=meta)
    paths = write_reports(report, args.out)
    sys.stdout.write(summary_text(report))
    print(f"wrote {paths['json']}, {paths['md']}, {paths['html']} ({len(records)} runs in {wall:.1f} s)")
    return EXIT_OK


def summary_text(report: Report) -> str:
    """A few lines per prompt/model: the figures a prompt author looks at first."""
    lines: list[str] = []
    for group in report["groups"]:
        m = group["metrics"]
        kinds = ", ".join(f"{k} {m['violations_by_kind'][k]}" for k in KINDS if m["violations_by_kind"].get(k))
        cost = "n/a" if m["cost_usd"] is None else f"${m['cost_usd']:.4f}"
        lines += [
            group_label(group),
            f"  acceptance {percent(m['acceptance'])} · coverage {percent(m['coverage'])} · expectations "
            f"{percent(m['expectations'])} · cases passing {percent(m['case_pass_rate'])} "
            f"({m['pass_k']}-of-{m['repeat']})",
            f"  bullets accepted {m['bullets_accepted']} (first attempt {m['bullets_accepted_first_attempt']}, "
            f"after re-asks {m['bullets_accepted_after_reask']}) of {m['bullets_proposed']} proposed · schema-valid "
            f"{percent(m['schema_valid_rate'])} · attempts/run {m['attempts_per_run']}",
            f"  violations caught {m['violations']} ({kinds or 'none'}) · forbidden claims accepted "
            f"{m['forbidden_slips']} · failed runs {m['errors']}",
            f"  latency/run p50 {m['latency_p50_s']} s, p95 {m['latency_p95_s']} s · tokens {m['prompt_tokens']} in + "
            f"{m['completion_tokens']} out · cost {cost}",
        ]
    return "\n".join(lines) + "\n"
