"""Every public sample case in ../shared/guard-cases/dev.jsonl, one test each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from service.guard import EvidenceItem, verify

DEV_CASES = Path(__file__).resolve().parents[2].parent / "shared" / "guard-cases" / "dev.jsonl"


def _load() -> list[Any]:
    if not DEV_CASES.is_file():
        # a clear failure at collection time; CI has the file, so it must never be skipped silently
        return [pytest.param(None, id="dev.jsonl-missing")]
    cases = []
    for n, line in enumerate(DEV_CASES.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            case = json.loads(line)
            cases.append(pytest.param(case, id=str(case.get("id", f"line{n}"))))
    return cases


@pytest.mark.parametrize("case", _load())
def test_dev_case(case: dict[str, Any] | None) -> None:
    if case is None:
        pytest.fail(f"guard dev cases not found at {DEV_CASES}; expected ../shared/guard-cases/dev.jsonl")
    evidence = [EvidenceItem(e["id"], e["text"]) for e in case["evidence"]]
    (result,) = verify(case["notes"], evidence, case["redact"], [case["bullet"]])
    got = [(v.kind, v.text) for v in result.violations]
    expected = "accepted" if case["expect"] == "accept" else "rejected"
    assert result.verdict == expected, f"{case['id']}: {case['bullet']!r} -> {got}"
    missing = set(case["kinds"]) - {v.kind for v in result.violations}
    assert not missing, f"{case['id']}: missing kinds {sorted(missing)}; got {got}"
    for v in result.violations:
        assert v.text == case["bullet"][v.start : v.end], f"{case['id']}: bad span {v}"


def test_dev_cases_present() -> None:
    assert DEV_CASES.is_file(), f"guard dev cases not found at {DEV_CASES}"
    assert sum(1 for line in DEV_CASES.read_text(encoding="utf-8").splitlines() if line.strip()) > 0
