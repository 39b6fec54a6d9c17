"""Eval cases: one JSON file per case, validated against ``evals/cases/schema.json``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.evals._jsonfile import read_json, schema_problems
from service.guard import EvidenceItem

REPO_ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = REPO_ROOT / "evals" / "cases"
SCHEMA_NAME = "schema.json"
SCHEMA_PATH = CASES_DIR / SCHEMA_NAME


class CaseError(ValueError):
    """A case file is missing, unreadable or invalid; the message names the file."""


@dataclass(frozen=True, slots=True)
class Expect:
    keep: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    min_accepted: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"keep": list(self.keep), "forbid": list(self.forbid), "min_accepted": self.min_accepted}


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    title: str
    proof_area: str
    seniority: str
    notes: str
    evidence: tuple[EvidenceItem, ...] = ()
    redact: tuple[str, ...] = ()
    expect: Expect = Expect()
    tags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "proof_area": self.proof_area,
            "seniority": self.seniority,
            "tags": list(self.tags),
            "notes": self.notes,
            "evidence": [{"id": e.id, "text": e.text} for e in self.evidence],
            "redact": list(self.redact),
            "expect": self.expect.as_dict(),
        }


def case_from_dict(data: Mapping[str, Any], *, schema_path: Path = SCHEMA_PATH, source: str = "case") -> Case:
    """Validate ``data`` against the case schema and build a :class:`Case`."""
    problems = schema_problems(schema_path, data)
    if problems:
        raise CaseError(f"{source}: {'; '.join(problems[:5])}")
    expect = data["expect"]
    return Case(
        id=data["id"],
        title=data["title"],
        proof_area=data["proof_area"],
        seniority=data["seniority"],
        notes=data["notes"],
        evidence=tuple(EvidenceItem(e["id"], e["text"]) for e in data["evidence"]),
        redact=tuple(data["redact"]),
        expect=Expect(tuple(expect["keep"]), tuple(expect["forbid"]), expect["min_accepted"]),
        tags=tuple(data.get("tags", ())),
    )


def load_case(path: Path, *, schema_path: Path = SCHEMA_PATH) -> Case:
    data = read_json(path, CaseError)
    case = case_from_dict(data, schema_path=schema_path, source=str(path))
    if case.id != path.stem:
        raise CaseError(f"{path}: id {case.id!r} does not match the file name")
    if len({e.id for e in case.evidence}) != len(case.evidence):
        raise CaseError(f"{path}: evidence ids are not unique")
    return case


def load_cases(directory: Path = CASES_DIR, *, schema_path: Path | None = None) -> list[Case]:
    """Every ``*.json`` case under ``directory`` (but the schema), sorted by id.

    The schema is ``directory/schema.json`` when there is one, else the project's."""
    if not directory.is_dir():
        raise CaseError(f"{directory}: not a directory")
    if schema_path is None:
        local = directory / SCHEMA_NAME
        schema_path = local if local.is_file() else SCHEMA_PATH
    cases = [load_case(p, schema_path=schema_path) for p in sorted(directory.glob("*.json")) if p.name != SCHEMA_NAME]
    if not cases:
        raise CaseError(f"{directory}: no case files (*.json)")
    return sorted(cases, key=lambda c: c.id)
