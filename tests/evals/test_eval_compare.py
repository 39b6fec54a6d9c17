"""``bulletguard eval compare``: deltas, flips, and the regression gate's exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.evals import Thresholds, compare, main
from service.evals.report import Report
from tests.evals.evalkit import (
    API,
    GOOD_API,
    GOOD_PERF,
    INVENTED,
    PERF,
    bullet,
    good_records,
    record,
    report_of,
    write_json,
)


def _gate(tmp_path: Path, base: Report, new: Report, *flags: str) -> int:
    base_path = write_json(tmp_path / "base.json", base)
    new_path = write_json(tmp_path / "new.json", new)
    return main(["compare", str(base_path), str(new_path), *flags])


def test_no_regression_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _gate(tmp_path, report_of(good_records()), report_of(good_records()), "--fail-on-regression") == 0
    assert "no regression" in capsys.readouterr().out


def test_a_drop_in_acceptance_is_a_regression(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = report_of([record(API.id, [GOOD_API]), record(PERF.id, [], [INVENTED], attempts=3)])
    assert _gate(tmp_path, report_of(good_records()), new, "--fail-on-regression") == 1
    out = capsys.readouterr().out
    assert "acceptance dropped 1.000 → 0.500" in out and "pass→fail: perf-01-cache" in out
    assert _gate(tmp_path, report_of(good_records()), new) == 0  # reported, but not failing without the flag


def test_a_lost_expectation_is_a_regression(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # still accepted, but the bullet no longer keeps "180ms": expectations (and coverage) drop
    new = report_of([record(API.id, [GOOD_API]), record(PERF.id, [bullet("Added a Redis cache in front of reads.")])])
    assert _gate(tmp_path, report_of(good_records()), new, "--fail-on-regression") == 1
    out = capsys.readouterr().out
    assert "expectations dropped" in out and "acceptance" not in out.split("REGRESSION:")[1]


def test_a_forbidden_claim_slipping_through_is_a_regression(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    slipped = bullet("Helped add cursor pagination; led the review.")
    new = report_of([record(API.id, [slipped]), record(PERF.id, [GOOD_PERF], [INVENTED], attempts=2)])
    assert _gate(tmp_path, report_of(good_records()), new, "--fail-on-regression") == 1
    assert "api-01-pagination accepted a forbidden claim: 'led'" in capsys.readouterr().out


def test_the_threshold_decides_how_much_drop_is_tolerated(tmp_path: Path) -> None:
    new = report_of([record(API.id, [GOOD_API]), record(PERF.id, [], [INVENTED], attempts=3)])
    assert _gate(tmp_path, report_of(good_records()), new, "--fail-on-regression", "--threshold", "0.6") == 0
    comparison = compare(report_of(good_records()), new, Thresholds(acceptance=0.5, coverage=1.0, expectations=1.0))
    assert not comparison.regressed
    assert compare(report_of(good_records()), new).regressed


def test_an_improvement_is_no_regression_and_flips_are_listed() -> None:
    base = report_of([record(API.id, [GOOD_API]), record(PERF.id, [], [INVENTED], attempts=3)])
    comparison = compare(base, report_of(good_records()))
    assert not comparison.regressed
    (group,) = comparison.groups
    assert [(f.case_id, f.direction) for f in group.flips] == [("perf-01-cache", "fail→pass")]
    acceptance = next(d for d in group.deltas if d.name == "acceptance")
    assert acceptance.delta == pytest.approx(0.5)


def test_two_prompt_versions_are_paired_when_each_report_has_one(tmp_path: Path) -> None:
    comparison = compare(report_of(good_records("v1")), report_of(good_records("v2")))
    assert [(g.base[0], g.new[0]) for g in comparison.groups] == [("v1", "v2")] and not comparison.regressed
    both = report_of([*good_records("v1"), *good_records("v2")])
    assert [g.new[0] for g in compare(report_of(good_records("v1")), both).groups] == ["v1"]
    assert compare(report_of(good_records("v1")), both).unmatched_new == (("v2", "fake-model"),)


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"format": "something-else/1"}),
        json.dumps([1, 2]),
        json.dumps({"format": "bulletguard-eval/1"}),
    ],
)
def test_bad_input_exits_2(tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_json(tmp_path / "good.json", report_of(good_records()))
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    assert main(["compare", str(good), str(bad), "--fail-on-regression"]) == 2
    assert "bad.json" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "missing.json"), str(good)]) == 2


def test_reports_sharing_no_group_cannot_be_compared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    two = report_of([*good_records("v1"), *good_records("v2")])
    other = report_of(good_records("v3"))
    assert _gate(tmp_path, two, other) == 2
    assert "share no prompt" in capsys.readouterr().err


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _gate(tmp_path, report_of(good_records()), report_of(good_records()), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["regressed"] is False and data["thresholds"] == {
        "acceptance": 0.05,
        "coverage": 0.05,
        "expectations": 0.05,
    }
