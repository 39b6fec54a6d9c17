"""`.ci/run` is the contract with CI: it must run the README's test command and fail only when tests do."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI_RUN = ROOT / ".ci" / "run"
SCRIPTS = [CI_RUN, *sorted((ROOT / "scripts").glob("*.sh"))]

# Readers that stop early and close the pipe: the writer may then die of SIGPIPE (exit 141), and under
# `set -o pipefail` that fails the whole script, at random. `sed -n 1p` reads to the end instead.
EARLY_CLOSERS = re.compile(r"\|\s*(head|grep\s+-q|grep\s+-m)\b")


def _code_lines(path: Path) -> list[tuple[int, str]]:
    return [
        (number, line)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_ci_run_calls_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    commands = [line.strip() for _, line in _code_lines(CI_RUN)]
    assert "make test" in commands
    assert "set -euo pipefail" in commands


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_no_pipe_into_an_early_closing_reader_under_pipefail(script: Path) -> None:
    if "pipefail" not in script.read_text():
        pytest.skip("no pipefail in this script")
    offending = [f"{script.name}:{n}: {line.strip()}" for n, line in _code_lines(script) if EARLY_CLOSERS.search(line)]
    assert offending == []


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_is_valid_bash(script: Path) -> None:
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
