"""``bulletguard eval``: run the eval suite, or ``bulletguard eval compare`` two reports.

    bulletguard eval [--prompt v1 --prompt v2 ...] [--prompts DIR] [--model M ...] [--cases DIR] [--case ID ...]
                     [--repeat K] [--out DIR] [--record | --replay] [--recordings DIR] [--concurrency N]
                     [--max-bullets N] [--api-base URL] [--api-key-env NAME] [--schema-mode MODE] ...
    bulletguard eval compare BASE.json NEW.json [--fail-on-regression] [--threshold X] [--json]

Without ``--model`` the bundled local model is used (its server is started for the run, except under
``--replay``, which needs no model at all). ``--model`` is called with the service's own settings
(``BULLETGUARD_API_BASE``, ``_API_KEY``, ``_LLM_SCHEMA_MODE``, ``_LLM_MAX_TOKENS``, ``_LLM_TIMEOUT_S``),
each overridden by its flag (:mod:`service.evals.endpoint`). ``--record`` writes the run's settings
beside the recordings and ``--replay`` starts from them (:mod:`service.evals.run_settings`).

Exit codes: run 0 (failed LLM calls are in the report), 2 bad input or a wrong setting (no API key, a
schema mode the server refuses: the run stops at the first such call and names the flag); compare 0,
1 regression with ``--fail-on-regression``, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from service.evals.cases import CASES_DIR, REPO_ROOT, Case, CaseError, load_cases
from service.evals.compare import DEFAULT_THRESHOLD, CompareError, Thresholds, compare, render_comparison
from service.evals.endpoint import EndpointError, advice, endpoint_from, timeout_from
from service.evals.metrics import KINDS
from service.evals.recording import MissingRecording, Mode, RecordingError, RecordingStore
from service.evals.report import Report, ReportError, build_report, group_label, load_report, percent, write_reports
from service.evals.run_settings import RunSettings, RunSettingsError, load_run_settings, save_run_settings
from service.evals.runner import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_BULLETS,
    DEFAULT_MAX_REASKS,
    EvalConfig,
    run_eval,
)
from service.rewrite.llm.errors import LLMMisconfigured
from service.rewrite.port import LLMClient
from service.rewrite.prompts import (
    PROMPTS_DIR,
    UnknownPromptVersion,
    latest_prompt_version,
    load_prompt,
    prompt_versions,
)

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
        help="prompt version (repeatable; default: the newest, or the recorded ones under --replay)",
    )
    parser.add_argument(
        "--prompts",
        type=Path,
        default=None,
        metavar="DIR",
        help="a directory of prompt versions (DIR/v2/system.md, ...) searched before the package's prompts/",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="MODEL",
        help="litellm model (repeatable; default: the bundled local model, or the recorded ones under --replay)",
    )
    parser.add_argument("--cases", type=Path, default=None, metavar="DIR", help="case directory (default: evals/cases)")
    parser.add_argument(
        "--case",
        action="append",
        default=[],
        metavar="ID",
        help="run only this case (repeatable; shell-style patterns such as 'perf-*' allowed)",
    )
    parser.add_argument(
        "--repeat", type=_positive, default=None, metavar="K", help="runs per case, for k-of-n (default: 1)"
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
        default=None,
        metavar="N",
        help=f"runs in flight (default: {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--max-bullets",
        type=_positive,
        default=None,
        metavar="N",
        help=f"bullets asked per case (default: {DEFAULT_MAX_BULLETS})",
    )
    parser.add_argument(
        "--max-reasks",
        type=int,
        default=None,
        metavar="N",
        help=f"re-asks after refusals (default: {DEFAULT_MAX_REASKS})",
    )
    parser.add_argument(
        "--temperature", type=float, default=None, metavar="T", help="sampling temperature (default: the pipeline's)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="timeout of one LLM call (default: BULLETGUARD_LLM_TIMEOUT_S when set, else 120)",
    )
    parser.add_argument(
        "--api-base", default=None, metavar="URL", help="endpoint for --model (default: BULLETGUARD_API_BASE)"
    )
    parser.add_argument(
        "--api-key-env",
        default=None,
        metavar="NAME",
        help="the environment variable holding the key for --model (default: BULLETGUARD_API_KEY)",
    )
    parser.add_argument(
        "--schema-mode",
        choices=("json_schema", "json_object"),
        default=None,
        help=(
            "how the reply's schema is sent to --model: json_schema (OpenAI, vLLM, Ollama, most providers) or "
            "json_object (llama.cpp's server) (default: BULLETGUARD_LLM_SCHEMA_MODE, else json_schema)"
        ),
    )
    parser.add_argument(
        "--max-tokens",
        type=_positive,
        default=None,
        metavar="N",
        help=(
            "completion limit (default: BULLETGUARD_LLM_MAX_TOKENS; unset: 512 for the local model and in "
            "json_object mode, else none)"
        ),
    )
    parser.add_argument(
        "--repair",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=(
            "the rewrite's salvage of refused bullets and its fallback to the notes' sentences "
            "(default: BULLETGUARD_REWRITE_REPAIR, on; under --replay, as recorded)"
        ),
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


def _prompt_dirs(requested: Sequence[str], extra_dir: Path | None) -> tuple[tuple[str, ...], dict[str, Path]]:
    """The prompt versions to run and the directory of each: ``--prompts DIR`` first, then ``prompts/``."""
    dirs = [d for d in (extra_dir, PROMPTS_DIR) if d is not None]
    if extra_dir is not None and not extra_dir.is_dir():
        raise _UsageError(f"--prompts {extra_dir}: not a directory")
    if requested:
        prompts = tuple(dict.fromkeys(requested))
    else:  # the newest version of the first directory that has any
        newest = next((prompt_versions(d)[-1] for d in dirs if prompt_versions(d)), None)
        prompts = (newest,) if newest is not None else (latest_prompt_version(),)
    where: dict[str, Path] = {}
    for version in prompts:
        found = next((d for d in dirs if version in prompt_versions(d)), None)
        if found is None:
            known = sorted({v for d in dirs for v in prompt_versions(d)}, key=lambda v: (len(v), v))
            searched = ", ".join(str(d) for d in dirs)
            raise _UsageError(f"{UnknownPromptVersion(version, known)} Searched: {searched}.")
        load_prompt(version, found)  # raises UnknownPromptVersion or ValueError for a broken template
        where[version] = found
    return prompts, where


@contextmanager
def _models_and_client(
    args: argparse.Namespace, mode: Mode, models: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], LLMClient | None]]:
    """The models to run and the client that reaches them (None under replay: no model is called)."""
    if mode == "replay":
        if not models:
            from service.rewrite.llm.local_model import MODEL_ALIAS

            models = (f"openai/{MODEL_ALIAS}",)
        yield models, None
        return
    from service.rewrite.llm.client import LiteLLMClient

    if models:
        from service.settings import get_settings

        try:
            endpoint = endpoint_from(
                get_settings(),
                api_base=args.api_base,
                api_key_env=args.api_key_env,
                schema_mode=args.schema_mode,
                max_tokens=args.max_tokens,
            )
        except EndpointError as exc:
            raise _UsageError(str(exc)) from None
        client = LiteLLMClient(
            api_base=endpoint.api_base,
            api_key=endpoint.api_key,
            schema_mode=endpoint.schema_mode,
            max_tokens=endpoint.max_tokens,
            max_retries=endpoint.max_retries,
            retry_max_wait_s=endpoint.retry_max_wait_s,
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


def _pick(flag: Any, recorded: Any, default: Any) -> Any:
    return flag if flag is not None else recorded if recorded is not None else default


def _select_cases(cases: list[Case], patterns: Sequence[str], recorded: Sequence[str] | None) -> list[Case]:
    """``--case`` patterns; else, under replay, the recorded case ids (each must be in the directory)."""
    if patterns:
        chosen = [c for c in cases if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)]
        unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(c.id, p) for c in cases)]
        if unmatched:
            raise _UsageError(f"--case {', '.join(unmatched)}: no such case")
        return chosen
    if recorded:
        by_id = {c.id: c for c in cases}
        missing = [case_id for case_id in recorded if case_id not in by_id]
        if missing:
            raise _UsageError(f"recorded cases no longer in the case directory: {', '.join(missing)}; record again")
        return [by_id[case_id] for case_id in recorded]
    return cases


def _run(args: argparse.Namespace) -> int:
    _quiet_logs(args.verbose)
    mode: Mode = "record" if args.record else "replay" if args.replay else "live"
    console = Console(stderr=True)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    try:
        # under replay, what was recorded fills in every flag not given
        recorded = load_run_settings(args.recordings) if mode == "replay" else None
        cases = _select_cases(load_cases(args.cases or CASES_DIR), args.case, recorded.cases if recorded else None)
        recorded_dir = Path(recorded.prompts_dir) if recorded is not None and recorded.prompts_dir else None
        prompts, prompt_dirs = _prompt_dirs(
            args.prompt or (recorded.prompts if recorded else ()), args.prompts or recorded_dir
        )
        models = tuple(dict.fromkeys(args.model or (recorded.models if recorded else ())))
        from service.settings import get_settings

        with _models_and_client(args, mode, models) as (models, client):
            config = EvalConfig(
                prompts=prompts,
                models=models,
                repeat=_pick(args.repeat, recorded and recorded.repeat, 1),
                max_bullets=_pick(args.max_bullets, recorded and recorded.max_bullets, DEFAULT_MAX_BULLETS),
                max_reasks=_pick(args.max_reasks, recorded and recorded.max_reasks, DEFAULT_MAX_REASKS),
                temperature=_pick(args.temperature, recorded and recorded.temperature, None),
                timeout_s=_pick(args.timeout, recorded and recorded.timeout_s, timeout_from(get_settings(), None)),
                concurrency=_pick(args.concurrency, recorded and recorded.concurrency, DEFAULT_CONCURRENCY),
                mode=mode,
                pass_k=args.pass_k,
                repair=_pick(args.repair, recorded and recorded.repair, get_settings().rewrite_repair),
            )
            store = RecordingStore(args.recordings) if mode != "live" else None
            records = asyncio.run(
                run_eval(
                    cases,
                    config,
                    llm=client,
                    store=store,
                    show_progress=not args.no_progress,
                    console=console,
                    prompt_dirs=prompt_dirs,
                )
            )
    except LLMMisconfigured as exc:
        print(f"bulletguard eval: stopped at the first call: {advice(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except (
        CaseError,
        UnknownPromptVersion,
        MissingRecording,
        RecordingError,
        RunSettingsError,
        _UsageError,
        ValueError,
    ) as exc:
        print(f"bulletguard eval: {exc}", file=sys.stderr)
        return EXIT_USAGE
    wall = time.monotonic() - started
    if mode == "record":
        extra = args.prompts or recorded_dir
        save_run_settings(
            args.recordings,
            RunSettings(
                prompts=config.prompts,
                models=config.models,
                max_bullets=config.max_bullets,
                max_reasks=config.max_reasks,
                repeat=config.repeat,
                temperature=config.temperature,
                timeout_s=config.timeout_s,
                concurrency=config.concurrency,
                cases=tuple(c.id for c in cases),
                prompts_dir=str(extra.resolve()) if extra is not None else None,
                repair=config.repair,
            ),
        )
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
