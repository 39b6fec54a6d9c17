"""How the bundled model's server process is watched: a crash names its signal and the rebuild command, and
``GET /readyz`` reports the model's state. A stand-in server (``tests/rewrite/crashing_model_server.py``) plays the
crash, so these run without llama.cpp; the real server is ``tests/rewrite/test_local_model.py``."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.http.app import create_app
from service.rewrite.llm.local_model import LocalModel, LocalModelError, describe_exit, local_model_server
from service.settings import Settings

CRASHING = str(Path(__file__).with_name("crashing_model_server.py"))


@pytest.mark.parametrize(
    ("code", "described"),
    [
        pytest.param(-11, "killed by SIGSEGV", id="segfault-names-its-signal"),
        pytest.param(-4, "killed by SIGILL", id="illegal-instruction-names-its-signal"),
        pytest.param(-9, "killed by SIGKILL", id="kill-names-its-signal"),
        pytest.param(3, "exited with code 3", id="an-exit-code-is-an-exit-code"),
        pytest.param(-200, "killed by signal 200", id="an-unknown-signal-keeps-its-number"),
    ],
)
def test_an_exit_is_described_for_people(code: int, described: str) -> None:
    assert describe_exit(code) == described


@pytest.mark.parametrize("sig", ["SIGSEGV", "SIGILL"])
def test_a_server_that_dies_on_its_first_completion_is_named_with_the_rebuild_command(sig: str) -> None:
    command = [sys.executable, CRASHING, "{port}", sig]
    with pytest.raises(LocalModelError) as caught, local_model_server(command=command, startup_timeout_s=30):
        pytest.fail("the crashing server must not come up")
    message = str(caught.value)
    assert f"killed by {sig}" in message
    assert "during its warm-up request" in message
    assert "make llama-rebuild" in message
    assert "RemoteProtocolError" not in message


def _model(process: subprocess.Popen[bytes]) -> LocalModel:
    return LocalModel(port=1, pid=process.pid, api_base="http://127.0.0.1:1/v1", model="openai/x", process=process)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield process
    process.kill()
    process.wait()


def test_readyz_reports_a_running_local_model(sleeper: subprocess.Popen[bytes]) -> None:
    client = TestClient(create_app(Settings(), local_model=_model(sleeper)))
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "local_model": {"state": "running", "detail": None}}


def test_readyz_is_503_with_how_the_local_model_died(sleeper: subprocess.Popen[bytes]) -> None:
    sleeper.send_signal(signal.SIGSEGV)
    sleeper.wait()
    client = TestClient(create_app(Settings(), local_model=_model(sleeper)))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert "killed by SIGSEGV" in detail
    assert "make llama-rebuild" in detail


def test_readyz_without_a_local_model_says_nothing_of_one() -> None:
    response = TestClient(create_app(Settings())).get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "local_model": None}
