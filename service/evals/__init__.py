"""The eval suite: measure prompts and models on realistic cases, compare versions, gate regressions.

Usage::

    cases = load_cases()                                   # evals/cases/*.json, validated
    records = await run_eval(cases, EvalConfig(prompts=("v1",), models=(model,)), llm=client)
    report = build_report(cases, records, config)          # report.json content (bulletguard-eval/1)
    write_reports(report, Path("eval-out"))                # report.json, report.md, report.html
    comparison = compare(load_report(base), load_report(new))

On the command line: ``bulletguard eval ...`` (:func:`main`); see ``evals/README.md``.
An edge: may import the rewrite (the loop it measures, the LLM client), the core, the settings and the
log setup; never the HTTP app, the contract or chat-ops.
"""

from service.evals.cases import CASES_DIR, Case, CaseError, Expect, case_from_dict, load_case, load_cases
from service.evals.cli import main
from service.evals.compare import CaseFlip, CompareError, Comparison, MetricDelta, Thresholds, compare
from service.evals.matching import input_facts, mentions
from service.evals.metrics import RunOutcome, case_metrics, group_metrics, pass_k_of_n, percentile, run_outcome
from service.evals.recording import (
    MissingRecording,
    Mode,
    RecordingError,
    RecordingLLM,
    RecordingStore,
    RunContext,
    cache_key,
)
from service.evals.records import BulletRecord, RunRecord, ViolationRecord
from service.evals.report import (
    REPORT_FORMAT,
    ReportError,
    build_report,
    load_report,
    render_html,
    render_markdown,
    validate_report,
    write_reports,
)
from service.evals.runner import EvalConfig, run_eval

__all__ = [
    "CASES_DIR",
    "REPORT_FORMAT",
    "BulletRecord",
    "Case",
    "CaseError",
    "CaseFlip",
    "CompareError",
    "Comparison",
    "EvalConfig",
    "Expect",
    "MetricDelta",
    "MissingRecording",
    "Mode",
    "RecordingError",
    "RecordingLLM",
    "RecordingStore",
    "ReportError",
    "RunContext",
    "RunOutcome",
    "RunRecord",
    "Thresholds",
    "ViolationRecord",
    "build_report",
    "cache_key",
    "case_from_dict",
    "case_metrics",
    "compare",
    "group_metrics",
    "input_facts",
    "load_case",
    "load_cases",
    "load_report",
    "main",
    "mentions",
    "pass_k_of_n",
    "percentile",
    "render_html",
    "render_markdown",
    "run_eval",
    "run_outcome",
    "validate_report",
    "write_reports",
]
