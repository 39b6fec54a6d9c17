"""report.json (versioned format), report.md and a self-contained, escaped report.html."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from service.evals import REPORT_FORMAT, ReportError, load_report, render_html, validate_report, write_reports
from service.evals.report import highlight
from tests.evals.evalkit import API, CASES, GOOD_API, INVENTED, PERF, bullet, good_records, record, report_of

SCRIPT = "<script>alert('pwned')</script>"


def _hostile_report() -> dict[str, object]:
    hostile = replace(API, notes=f"helped add cursor pagination {SCRIPT} to the orders endpoint", title=f"T {SCRIPT}")
    refused = bullet(f"Led <b>pagination</b> & {SCRIPT} with Kafka", 1, ("ownership", "Led"), ("tool", "Kafka"))
    records = [record(API.id, [bullet(f"Helped add cursor pagination {SCRIPT}")], [refused]), record(PERF.id, [])]
    return report_of(records, (hostile, PERF))


def test_report_json_has_the_versioned_format_and_validates(tmp_path: Path) -> None:
    paths = write_reports(report_of(good_records()), tmp_path)
    assert sorted(p.name for p in paths.values()) == ["report.html", "report.json", "report.md"]
    data = load_report(paths["json"])
    assert data["format"] == REPORT_FORMAT == "bulletguard-eval/1"
    assert [c["id"] for c in data["cases"]] == [c.id for c in CASES]
    group = data["groups"][0]
    assert (group["prompt"], group["model"], group["metrics"]["acceptance"]) == ("v1", "fake-model", 1.0)
    run = data["cases"][1]["results"][0]["runs"][0]
    assert run["rejected"][0]["violations"][0]["kind"] == "ownership" and run["outcome"]["passed"] is True


def test_report_json_is_stable_for_the_same_runs() -> None:
    first = json.dumps(report_of(good_records()), sort_keys=False)
    assert first == json.dumps(report_of(good_records()), sort_keys=False)


def test_a_report_missing_its_fields_is_refused() -> None:
    report = report_of(good_records())
    del report["groups"][0]["metrics"]["coverage"]
    with pytest.raises(ReportError, match="coverage"):
        validate_report(report)
    with pytest.raises(ReportError, match="format"):
        validate_report({**report, "format": "bulletguard-eval/0"})


def test_html_is_self_contained_with_svg_charts() -> None:
    page = render_html(report_of(good_records()))
    assert page.startswith("<!doctype html>")
    assert "<svg" in page and page.count("<svg") == 4  # acceptance, coverage, expectations, violations by kind
    assert not re.search(r"https?://", page)
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert "<style>" in page


def test_html_escapes_every_user_string() -> None:
    page = render_html(_hostile_report())
    assert SCRIPT not in page and "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in page
    assert "<b>pagination</b>" not in page and "&lt;b&gt;pagination&lt;/b&gt;" in page


def test_refused_bullets_highlight_the_violating_spans() -> None:
    page = render_html(report_of([record(API.id, [GOOD_API], [INVENTED]), record(PERF.id, [])]))
    assert '<mark title="&#x27;Led&#x27; is not in the input (ownership).">Led</mark>' in page
    assert ">Kafka</mark>" in page and ">all services</mark>" in page


def test_highlight_merges_overlaps_and_skips_spanless_violations() -> None:
    violations = [
        {"start": 0, "end": 8, "message": "a"},
        {"start": 4, "end": 12, "message": "b<"},
        {"start": 0, "end": 0, "message": "unknown source"},
    ]
    assert highlight("one two three & four", violations) == ('<mark title="a / b&lt;">one two thre</mark>e &amp; four')


def test_markdown_summarises_groups_kinds_and_cases(tmp_path: Path) -> None:
    paths = write_reports(
        report_of([record(API.id, [GOOD_API], [INVENTED]), record(PERF.id, [], error="LLMTimeout: x")]), tmp_path
    )
    md = paths["md"].read_text(encoding="utf-8")
    assert "| v1 · fake-model | 50% |" in md
    assert "| prompt · model | metric | tool | ownership | scope | outcome | redacted | source |" in md
    assert "perf-01-cache (v1 · fake-model): 1 failed run(s): LLMTimeout: x" in md


def test_each_tag_is_a_group_of_its_own_in_every_format(tmp_path: Path) -> None:
    tagged = replace(API, tags=("injection",))
    records = [record(API.id, [GOOD_API], [INVENTED]), record(PERF.id, [])]
    report = report_of(records, (tagged, PERF))
    (group,) = report["tags"]
    assert (group["tag"], group["prompt"], group["model"]) == ("injection", "v1", "fake-model")
    assert (group["metrics"]["cases"], group["metrics"]["runs"], group["metrics"]["acceptance"]) == (1, 1, 1.0)
    assert report["groups"][0]["metrics"]["acceptance"] == 0.5  # the untagged case has no accepted bullet
    paths = write_reports(report, tmp_path)
    assert load_report(paths["json"])["tags"] == report["tags"]
    assert "## By tag" in paths["md"].read_text(encoding="utf-8")
    assert "| injection · v1 · fake-model | 1 |" in paths["md"].read_text(encoding="utf-8")
    assert "<h2>By tag</h2>" in paths["html"].read_text(encoding="utf-8")


def test_a_report_without_tagged_cases_has_no_tag_table() -> None:
    report = report_of(good_records())
    assert report["tags"] == []
    assert "By tag" not in render_html(report)
