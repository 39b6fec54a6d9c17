"""``evals/bench_limits.py`` builds the worst case of each row of docs/operations.md's limits table: here at
small limits, each is a request the API takes (the status the row expects) and is at those limits. No
timing: the figures are the script's to print."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from service.http.app import create_app
from service.settings import Settings

SCRIPT = Path(__file__).resolve().parents[2] / "evals" / "bench_limits.py"

SMALL = {
    "max_body_bytes": 4096,
    "max_bullets": 3,
    "max_bullet_chars": 150,
    "max_evidence_items": 2,
    "max_evidence_chars": 300,
    "max_redact_terms": 3,
    "max_redact_term_chars": 40,
    "max_notes_chars": 500,
}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_limits", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench_limits = _script()


@pytest.mark.parametrize("name", sorted(bench_limits.ROWS))
def test_each_rows_worst_case_is_a_request_the_api_takes(name: str) -> None:
    settings = Settings(**SMALL)
    row = bench_limits.ROWS[name]
    app = create_app(settings)

    warm = asyncio.run(bench_limits.send(app, row.warm(settings)))
    case = row.build(settings)
    response = asyncio.run(bench_limits.send(app, case))

    assert warm.status_code == 200, warm.text
    assert response.status_code == case.status, response.text
    if case.path == "/v1/verify" and case.status == 200:
        assert len(response.json()["results"]) == len(case.body["bullets"])


def test_the_worst_cases_are_at_the_limits() -> None:
    s = Settings(**SMALL)
    rows = bench_limits.ROWS

    assert len(rows["body"].build(s).body) == s.max_body_bytes + 1
    bullets = rows["bullets"].build(s).body["bullets"]
    assert len(bullets) == s.max_bullets and {len(b) for b in bullets} == {s.max_bullet_chars}
    evidence = rows["evidence"].build(s).body["evidence"]
    assert len(evidence) == s.max_evidence_items and {len(e["text"]) for e in evidence} == {s.max_evidence_chars}
    redact = rows["redact"].build(s).body
    assert len(set(redact["redact"])) == s.max_redact_terms
    assert all(s.max_redact_term_chars - 10 < len(t) <= s.max_redact_term_chars for t in redact["redact"])
    assert all(not t.isascii() for t in redact["redact"])  # the general path, not the ASCII one
    assert len(rows["notes"].build(s).body["notes"]) == s.max_notes_chars


def test_the_redact_rows_bullets_each_hold_a_term() -> None:
    s = Settings(**SMALL)
    app = create_app(s)
    case = bench_limits.ROWS["redact"].build(s)

    results = asyncio.run(bench_limits.send(app, case)).json()["results"]

    assert all(any(v["kind"] == "redacted" for v in r["violations"]) for r in results)


def test_the_script_prints_one_row_as_json() -> None:
    env = {**os.environ, **{f"BULLETGUARD_{k.upper()}": str(v) for k, v in SMALL.items()}}

    child = subprocess.run(
        [sys.executable, str(SCRIPT), "--row", "body"], capture_output=True, text=True, env=env, timeout=120
    )

    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout.splitlines()[-1])
    assert result["status"] == result["expected"] == 413
    assert result["seconds"] >= 0 and result["peak_mb"] > 0
