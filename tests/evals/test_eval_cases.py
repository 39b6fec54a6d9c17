"""The committed eval cases: valid, balanced, and consistent with their own expectations."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from service.evals import CASES_DIR, Case, CaseError, load_cases, mentions
from service.evals.cases import SCHEMA_PATH

CASES = load_cases()
AREAS = ("api", "data", "performance", "reliability", "security", "ownership", "collaboration")


def _input(case: Case) -> str:
    return "\n".join([case.notes, *(e.text for e in case.evidence)])


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", sorted(p for p in CASES_DIR.glob("*.json") if p.name != "schema.json"), ids=str)
def test_every_case_file_validates_against_the_schema(path: Path) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema, cls=jsonschema.Draft202012Validator)


def test_the_suite_is_large_and_balanced() -> None:
    assert len(CASES) >= 44
    areas = Counter(c.proof_area for c in CASES)
    assert all(areas[a] >= 5 for a in AREAS), areas
    assert set(Counter(c.seniority for c in CASES)) == {"junior", "mid", "senior", "staff"}
    with_evidence = sum(bool(c.evidence) for c in CASES)
    with_redact = sum(bool(c.redact) for c in CASES)
    assert 0.25 <= with_evidence / len(CASES) <= 0.45
    assert 0.2 <= with_redact / len(CASES) <= 0.35
    assert sum("injection" in c.tags for c in CASES) >= 3


def test_ids_are_unique_and_prefixed_by_their_area() -> None:
    prefix = {"perf": "performance", "rel": "reliability", "sec": "security", "own": "ownership"}
    prefix |= {"col": "collaboration", "api": "api", "data": "data"}
    assert len({c.id for c in CASES}) == len(CASES)
    for case in CASES:
        assert prefix[case.id.split("-")[0]] == case.proof_area, case.id


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_expectations_are_consistent_with_the_input(case: Case) -> None:
    text = _input(case)
    for fact in case.expect.keep:
        assert mentions(text, fact), f"keep {fact!r} is not stated by the input"
        assert not any(term.casefold() in fact.casefold() for term in case.redact), f"keep {fact!r} is redacted"
    if "injection" not in case.tags:  # injected notes state the very claims a bullet must not repeat
        for claim in case.expect.forbid:
            redacted = any(term.casefold() in claim.casefold() for term in case.redact)
            assert redacted or not mentions(text, claim), f"forbid {claim!r} is stated by the input"
    for term in case.redact:
        assert re.search(re.escape(term), case.notes, re.IGNORECASE), f"redact {term!r} does not occur in the notes"
    assert case.expect.min_accepted <= 2


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _valid(case_id: str = "api-01-x") -> dict[str, object]:
    return {
        "id": case_id,
        "title": "A case",
        "proof_area": "api",
        "seniority": "mid",
        "notes": "added cursor pagination to the orders endpoint",
        "evidence": [],
        "redact": [],
        "expect": {"keep": ["cursor"], "forbid": ["led"], "min_accepted": 1},
    }


def test_a_valid_directory_loads_sorted(tmp_path: Path) -> None:
    _write(tmp_path, "api-02-y.json", _valid("api-02-y"))
    _write(tmp_path, "api-01-x.json", _valid())
    assert [c.id for c in load_cases(tmp_path)] == ["api-01-x", "api-02-y"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"proof_area": "frontend"}, "proof_area"),
        ({"notes": "short"}, "notes"),
        ({"expect": {"keep": [], "forbid": []}}, "min_accepted"),
        ({"id": "api-01-other"}, "does not match the file name"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_an_invalid_case_is_refused_naming_the_file(tmp_path: Path, change: dict[str, object], message: str) -> None:
    path = _write(tmp_path, "api-01-x.json", {**_valid(), **change})
    with pytest.raises(CaseError, match=message) as info:
        load_cases(tmp_path)
    assert str(path) in str(info.value)


def test_broken_json_and_empty_directories_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="no case files"):
        load_cases(tmp_path)
    (tmp_path / "api-01-x.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CaseError, match="not valid JSON"):
        load_cases(tmp_path)
    with pytest.raises(CaseError, match="not a directory"):
        load_cases(tmp_path / "missing")
