"""The compiled guard (``scripts/build_native.py``, loaded by ``service/_native.py``) decides exactly what its
Python reading decides: every case file the suite has, checked and repaired in two processes, one on the
compiled build and one with ``BULLETGUARD_PURE_PYTHON=1``, gives the same verdicts, violations (kind, span,
message, hint) and repair suggestions. Skipped where no build exists (a wheel installed from an index);
``make venv`` builds it, and ``.ci/run`` fails when the build is missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from service import _native

ROOT = Path(__file__).resolve().parents[2]
CASE_FILES = [
    *sorted((ROOT / "tests" / "guard" / "cases").glob("*.jsonl")),
    *sorted((ROOT.parent / "shared" / "guard-cases").glob("*.jsonl")),
]

# Runs in a child process: one JSON line per case, then the build it ran on.
CHILD = """
import json, sys
from service import _native
from service.guard import EvidenceItem, extract_facts, check_bullet
from service.repair import repair
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        case = json.loads(line)
        evidence = [EvidenceItem(e["id"], e["text"]) for e in case.get("evidence", [])]
        facts = extract_facts(case["notes"], evidence, case.get("redact", []))
        for bullet in [case["bullet"], case["bullet"].lower(), case["notes"][:300]]:
            result = check_bullet(bullet, facts)
            fixed = repair(bullet, facts, result)
            print(json.dumps([result.as_dict(), fixed.suggestion if fixed else None]))
print(json.dumps(_native.guard_build()))
"""


def _run(pure: bool) -> tuple[list[str], str]:
    env = {k: v for k, v in os.environ.items() if k != _native.PURE_ENV}
    if pure:
        env[_native.PURE_ENV] = "1"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *map(str, CASE_FILES)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout.splitlines()
    return out[:-1], json.loads(out[-1])


def test_the_compiled_guard_decides_what_the_python_guard_decides() -> None:
    if _native.STATUS != "compiled":
        pytest.skip(f"the guard's compiled build is not in use here: {_native.STATUS}")
    compiled, compiled_build = _run(pure=False)
    python, python_build = _run(pure=True)

    assert (compiled_build, python_build) == ("compiled", "python")
    assert len(compiled) == len(python) > 1_000
    differing = [(a, b) for a, b in zip(compiled, python, strict=True) if a != b]
    assert not differing, differing[:3]
    assert any('"rejected"' in line for line in python) and any('"accepted"' in line for line in python)


def _fake_build(root: Path, digest: str | None) -> Path:
    package = root / "service" / "guard"
    package.mkdir(parents=True)
    (package / f"_check{EXTENSION_SUFFIXES[0]}").write_bytes(b"")
    stamp = _native.stamp_for(_native.compiled_sources())
    (root / _native.STAMP).write_text(json.dumps({**stamp, "sources": digest or stamp["sources"]}), encoding="utf-8")
    return root


def test_a_build_of_the_current_sources_is_used(tmp_path: Path) -> None:
    status, modules = _native.usable(_fake_build(tmp_path, None))

    assert status == "compiled"
    assert set(modules) == {"service.guard._check"}


def test_a_guard_edited_after_its_build_runs_its_python_reading(tmp_path: Path) -> None:
    """A stale build is never loaded: its stamp names the digest of the sources it was compiled from."""
    status, modules = _native.usable(_fake_build(tmp_path, "0" * 64))

    assert "stale" in status
    assert modules == {}


def test_no_build_runs_the_python_reading(tmp_path: Path) -> None:
    assert _native.usable(tmp_path) == ("python (no compiled build)", {})
