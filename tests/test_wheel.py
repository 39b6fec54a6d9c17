"""The package as users install it: ``python -m build`` (the sdist, then the wheel built from it), installed
into a fresh virtualenv outside the checkout, then used: ``--version``, ``verify`` on files, ``serve`` with
``/v1/rewrite`` answered by a stub OpenAI-compatible server, ``/healthz`` and ``/readyz``.

Before prompts/ and schemas/ were package data, the installed wheel answered every rewrite with a 500
(``UnknownPromptVersion``): this is the test that catches it. It needs the registry (PyPI) for the build
backend and the dependencies, like any ``pip install``; about a minute with a warm pip cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.rewrite.llm.local_model import free_port
from tests.conftest import ACCEPTED_BULLET, NOTES

ROOT = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
RUN_TIME_FILES = [
    "service/prompts/v1/system.md",
    "service/prompts/v1/user.md",
    "service/schemas/rewrite_reply.schema.json",
    "service/http/static/index.html",
    "service/guard/data/technologies.json",
    "service/coach/data/keywords.json",
    "service/rewrite/data/grounding.json",
    "service/evals/report.schema.json",
]

pytestmark = pytest.mark.wheel


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def venv_bin(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (wheel,) = dist.glob("bulletguard-*.whl")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True)
    return venv / "bin"


def run(venv_bin: Path, *args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETGUARD_") and k != "PYTHONPATH"}
    return subprocess.run(
        [str(venv_bin / "bulletguard"), *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True
    )


def test_the_wheel_and_the_sdist_carry_every_run_time_file(dist: Path) -> None:
    (wheel,) = dist.glob("bulletguard-*.whl")
    (sdist,) = dist.glob("bulletguard-*.tar.gz")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    with tarfile.open(sdist) as tar:
        in_sdist = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    for name in RUN_TIME_FILES:
        assert name in in_wheel, f"{name} is not in {wheel.name}"
    for name in RUN_TIME_FILES:  # the wheel above was built from this sdist, as pip builds one
        assert name in in_sdist, f"{name} is not in {sdist.name}"


def test_the_installed_command_reports_the_packages_version(venv_bin: Path, tmp_path: Path) -> None:
    result = run(venv_bin, "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # a wheel carries no compiled build of the guard (make venv builds one in a checkout's venv)
    assert result.stdout.strip() == f"bulletguard {VERSION} (guard: python (no compiled build))"


def test_the_installed_command_verifies_bullets_in_files(venv_bin: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text(NOTES, encoding="utf-8")
    result = run(venv_bin, "verify", "--notes", str(notes), "-", cwd=tmp_path, stdin=f"{ACCEPTED_BULLET}\n")
    assert result.returncode == 0, result.stdout + result.stderr
    refused = run(venv_bin, "verify", "--notes", str(notes), "-", cwd=tmp_path, stdin="Led a 70% cut in memory use.\n")
    assert refused.returncode == 1


@pytest.fixture
def served(venv_bin: Path, tmp_path: Path) -> Iterator[str]:
    reply = json.dumps({"bullets": [{"text": ACCEPTED_BULLET, "sources": ["notes"], "proof_area": "reliability"}]})
    stub_port, port = free_port(), free_port()
    stub = subprocess.Popen([sys.executable, str(ROOT / "tests" / "stub_model_server.py"), str(stub_port), reply])
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETGUARD_") and k != "PYTHONPATH"}
    env |= {
        "BULLETGUARD_MODEL": "openai/stub-model",
        "BULLETGUARD_API_BASE": f"http://127.0.0.1:{stub_port}/v1",
        "BULLETGUARD_API_KEY": "stub-key",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        server = subprocess.Popen(
            [str(venv_bin / "bulletguard"), "serve", "--port", str(port)], cwd=tmp_path, env=env, stderr=stderr
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the installed service did not become ready within 60 s"
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        stub.terminate()
        server.wait(timeout=30)
        stub.wait(timeout=30)


def test_the_installed_service_serves_a_rewrite_through_a_model_server(served: str) -> None:
    response = httpx.post(f"{served}/v1/rewrite", json={"notes": NOTES, "options": {"max_bullets": 1}}, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [b["text"] for b in body["bullets"]] == [ACCEPTED_BULLET]
    assert body["prompt_version"] == "v1"


def test_the_installed_service_reports_its_version(served: str) -> None:
    assert httpx.get(f"{served}/healthz").json()["version"] == VERSION
    assert httpx.get(f"{served}/openapi.json").json()["info"]["version"] == VERSION
    assert httpx.get(f"{served}/readyz").json()["status"] == "ready"


def test_the_readme_installs_the_wheel_this_test_builds(dist: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Install from a wheel") :].split("\n## ", 1)[0]
    (wheel,) = dist.glob("bulletguard-*.whl")
    assert "python -m build" in section
    assert f"pip install dist/{wheel.name}" in section
    assert "bulletguard --version" in section
