"""The pre-commit hook, run by the real ``pre-commit`` tool in a throwaway git repository: a staged edit
that inflates the resume is blocked, an honest one is committed.

The hook is configured exactly as the README shows it (a ``repo: local`` hook on the installed
``bulletguard``, so no network), and that configuration is checked against the hook bulletguard's own
``.pre-commit-hooks.yaml`` publishes for ``repo: <bulletguard's URL>`` use: same id, entry and files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.resume.expectations import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"


def readme_config() -> dict[str, object]:
    """The README's ``.pre-commit-config.yaml`` block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(m.group(1) for m in re.finditer(r"```yaml\n(.*?)```", text, re.DOTALL) if "repo: local" in m.group(1))
    config = yaml.safe_load(block)
    assert isinstance(config, dict)
    return config


def test_the_readme_hook_is_the_published_hook_run_locally() -> None:
    (published,) = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    (local,) = readme_config()["repos"][0]["hooks"]  # type: ignore[index]

    assert local["id"] == published["id"] == "bulletguard-check-edit"
    assert local["entry"] == published["entry"] == "bulletguard check-edit --staged"
    assert local["files"] == published["files"]
    assert published["language"] == "python" and local["language"] == "system"
    files = re.compile(published["files"])
    for name in ("resume.json", "cv/resume.md", "John_Doe_CV.yaml", "CV.yml", "my-resume.markdown"):
        assert files.search(name), name
    for name in ("README.md", "package.json", "notes/brag.md", ".github/workflows/ci.yml"):
        assert not files.search(name), name


def _run(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def resume_repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A git repository with resume.json committed and the README's hook installed by ``pre-commit install``."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "resume-repo"
    repo.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # `bulletguard`, as installed
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "Sam",
        "GIT_AUTHOR_EMAIL": "sam@example.com",
        "GIT_COMMITTER_NAME": "Sam",
        "GIT_COMMITTER_EMAIL": "sam@example.com",
    }
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(readme_config()), encoding="utf-8")
    shutil.copy(FIXTURES / "resume.json", repo / "resume.json")
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "."],
        ["git", "commit", "-q", "-m", "resume"],
        [sys.executable, "-m", "pre_commit", "install"],
    ):
        done = _run(repo, env, *command)
        assert done.returncode == 0, done.stdout + done.stderr
    return repo, env


def _commit(repo: Path, env: dict[str, str], fixture: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(FIXTURES / fixture, repo / "resume.json")
    assert _run(repo, env, "git", "add", "resume.json").returncode == 0
    return _run(repo, env, "git", "commit", "-m", f"edit: {fixture}")


def _commits(repo: Path, env: dict[str, str]) -> int:
    return int(_run(repo, env, "git", "rev-list", "--count", "HEAD").stdout)


def test_pre_commit_blocks_an_inflating_edit_and_commits_an_honest_one(
    resume_repo: tuple[Path, dict[str, str]],
) -> None:
    repo, env = resume_repo

    blocked = _commit(repo, env, "resume.inflated.json")

    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "bulletguard (an edit of a resume claims nothing new)" in output and "Failed" in output
    assert "REJECTED Led the debugging" in output
    assert _commits(repo, env) == 1

    allowed = _commit(repo, env, "resume.honest.json")

    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "bulletguard (an edit of a resume claims nothing new)...." in allowed.stderr and "Passed" in allowed.stderr
    assert _commits(repo, env) == 2
