"""Load test: req/s, latency percentiles and server memory of /v1/verify and /v1/rewrite (stub LLM),
compared with a bare FastAPI echo endpoint measured the same way. Loopback only, bounded in time and count.

The server runs in its own process (one uvicorn worker on 127.0.0.1, a free port), so its memory (RSS,
from /proc) and its CPU time per request (``cpu ms``, from /proc: steadier than req/s on a machine that
other processes share) are measured apart from the load generator's. The load generator is one asyncio process
with ``--concurrency`` clients on keep-alive connections.

    python evals/load.py                                # compare: echo, verify, rewrite, 20 s each
    python evals/load.py --target verify --duration 60 --concurrency 32
    python evals/load.py --target verify --soak 300     # 5-minute soak: RSS sampled every --sample-every s
    python evals/load.py --json                         # machine-readable results

The bulletguard server runs as in production: request ids and the access log at INFO (written to
``--server-log``, /dev/null by default, never the terminal), metrics, API keys configured (a fresh key
for each run, sent by the client as ``X-API-Key``; the echo app is sent the same headers), the rate
limiter on with a limit the run never reaches (``--rate-limit``, default ``1000000/second``, for both the
request and the LLM limit), and the body limit. ``/v1/rewrite`` runs the real pipeline and guard against a
stub LLM that answers at once (or after ``--llm-delay-ms``) with two true bullets and one full of invented
facts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"  # loopback only: there is deliberately no option to point this anywhere else
# The rate limit the server applies by default: on, as in production, but far above what one machine sends.
UNREACHED_RATE_LIMIT = "1000000/second"
# Issue 16: /v1/verify (and /v1/rewrite) must reach this share of the async echo's req/s in one run.
GOAL_RATIO = 0.45
MAX_DURATION_S = 3600.0
MAX_REQUESTS = 5_000_000

NOTES = (
    "Q3: helped debug a memory leak in the notification worker (PR-1423). Paired with Dana on the heap "
    "dumps; the fix cut worker RSS from 1.2 GB to 400 MB. Wrote a runbook for restarting the worker."
)
VERIFY_BODY: dict[str, Any] = {
    "notes": NOTES,
    "evidence": [{"id": "PR-1423", "text": "Fix unbounded retry queue in notification worker"}],
    "redact": ["Dana"],
    "bullets": [
        "Helped debug a memory leak in the notification worker, cutting its RSS from 1.2 GB to 400 MB.",
        "Led a 70% cut in memory use across all services.",
    ],
}
REWRITE_BODY: dict[str, Any] = {
    "notes": NOTES,
    "evidence": VERIFY_BODY["evidence"],
    "redact": ["Dana"],
    "options": {"max_bullets": 2},
}
STUB_BULLETS = [
    {
        "text": "Helped debug a memory leak in the notification worker, cutting its RSS from 1.2 GB to 400 MB.",
        "sources": ["notes", "PR-1423"],
        "proof_area": "performance",
    },
    {
        "text": "Wrote a runbook for restarting the notification worker.",
        "sources": ["notes"],
        "proof_area": "reliability",
    },
    {"text": "Led a 70% cut in memory use across all services.", "sources": ["notes"], "proof_area": "performance"},
]
TARGETS: dict[str, tuple[str, str, dict[str, Any]]] = {
    # name: (server app, path, body)
    "echo": ("echo", "/echo", VERIFY_BODY),
    "echo-sync": ("echo", "/echo-sync", VERIFY_BODY),
    "verify": ("bulletguard", "/v1/verify", VERIFY_BODY),
    "rewrite": ("bulletguard", "/v1/rewrite", REWRITE_BODY),
}


# --------------------------------------------------------------------------------------------------
# Server side (a child process): `python evals/load.py serve --app bulletguard|echo --port N`


def _serve(app_name: str, port: int, llm_delay_ms: float, rate_limit: str, api_key_hash: str) -> None:
    import uvicorn

    app = _echo_app() if app_name == "echo" else _bulletguard_app(llm_delay_ms, rate_limit, api_key_hash)
    # uvicorn's own access log is off: the service writes its own (bulletguard.access) at INFO
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


def _echo_app() -> Any:
    """A bare FastAPI app: one JSON endpoint that parses the body and sends it back, written both ways
    FastAPI allows: ``/echo`` is ``async def`` (as ``/v1/verify`` is: no worker-thread hop), the
    strictest baseline; ``/echo-sync`` is a plain ``def`` (run in a worker thread)."""
    from fastapi import Body, FastAPI

    app = FastAPI()

    @app.post("/echo")
    async def echo(body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008 (FastAPI's idiom)
        return body

    @app.post("/echo-sync")
    def echo_sync(body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008 (FastAPI's idiom)
        return body

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _bulletguard_app(llm_delay_ms: float, rate_limit: str, api_key_hash: str) -> Any:
    from service.http.app import create_app
    from service.rewrite.port import LLMReply
    from service.settings import Settings

    reply = json.dumps({"bullets": STUB_BULLETS})

    class StubLLM:
        async def complete(
            self, messages: Any, *, model: str, temperature: float, response_schema: Any, timeout: float
        ) -> Any:
            if llm_delay_ms:
                await asyncio.sleep(llm_delay_ms / 1000)
            return LLMReply(content=reply, model="stub-model", prompt_tokens=400, completion_tokens=80)

    stub = StubLLM()
    settings = Settings(
        log_level="INFO",
        log_json=True,
        api_keys=[api_key_hash] if api_key_hash else [],
        rate_limit=rate_limit,
        llm_rate_limit=rate_limit,
        llm_max_concurrency=64,
        llm_max_queue=1024,
    )
    app = create_app(settings)
    # the app's own client slot, not dependency_overrides: with any override set, FastAPI re-reads the
    # signature of every dependency of every route on every request (~0.2 ms of /v1/verify's time)
    app.state.llm_client = stub
    return app


# --------------------------------------------------------------------------------------------------
# Driver side


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) ``pid`` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """The server under test, in a child process on a free loopback port."""

    def __init__(self, app_name: str, *, llm_delay_ms: float, rate_limit: str, api_key: str, log_path: str) -> None:
        from service.http.auth import hash_api_key

        self.port = _free_port()
        command = [sys.executable, str(Path(__file__).resolve()), "serve", "--app", app_name, "--port", str(self.port)]
        command += ["--llm-delay-ms", str(llm_delay_ms), "--rate-limit", rate_limit]
        # the key's hash on the command line (not a secret); the key itself stays in this process
        command += ["--api-key-hash", hash_api_key(api_key) if api_key else ""]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        with open(log_path, "ab") as log:  # the server's log lines (stderr) go here, not to the terminal
            self.proc = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        self.base_url = f"http://{HOST}:{self.port}"
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not become ready")

    @property
    def rss(self) -> int:
        return rss_bytes(self.proc.pid)

    @property
    def cpu_s(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


@dataclass
class Result:
    target: str
    concurrency: int
    duration_s: float
    requests: int
    errors: int
    statuses: dict[str, int]
    req_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    rss_idle_mb: float
    rss_before_mb: float
    rss_after_mb: float
    server_cpu_ms_per_request: float = 0.0
    rss_samples_mb: list[tuple[float, float]] = field(default_factory=list)


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


class _Connection:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams, for loopback load only.

    The load generator shares the machine with the server: a full HTTP client library spends more CPU
    per request than the endpoints under test and would cap every target at the same rate.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> int:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length: int | None = None
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length is None:
            await self.reader.read()  # no length: the body runs to the end of the connection
            close = True
        else:
            await self.reader.readexactly(length)
        if close:
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def _drive(
    port: int,
    path: str,
    body: dict[str, Any],
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int,
    api_key: str = "",
    on_tick: Any = None,
    tick_s: float = 0.0,
) -> tuple[list[float], dict[str, int], float]:
    """Send ``body`` to ``path`` on ``concurrency`` connections until ``duration_s`` or ``max_requests``."""
    payload = json.dumps(body).encode()
    key_header = f"X-API-Key: {api_key}\r\n" if api_key else ""
    raw = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n{key_header}"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sent = 0
    started = time.perf_counter()
    deadline = started + duration_s

    async def worker() -> None:
        nonlocal sent
        connection = _Connection(port)
        try:
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                t0 = time.perf_counter()
                try:
                    key = str(await connection.request(raw))
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                    key = type(exc).__name__
                    await connection.close()
                latencies.append(time.perf_counter() - t0)
                statuses[key] = statuses.get(key, 0) + 1
        finally:
            await connection.close()

    async def ticker() -> None:
        next_tick = started + tick_s
        while time.perf_counter() < deadline:
            await asyncio.sleep(max(0.0, min(next_tick, deadline) - time.perf_counter()))
            if time.perf_counter() >= next_tick:
                on_tick(time.perf_counter() - started)
                next_tick += tick_s

    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    if on_tick is not None and tick_s > 0:
        tasks.append(asyncio.create_task(ticker()))
    await asyncio.gather(*tasks)
    return latencies, statuses, time.perf_counter() - started


def run_target(
    name: str,
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int,
    warmup_s: float,
    sample_every_s: float,
    llm_delay_ms: float,
    rate_limit: str,
    api_key: str,
    server_log: str,
    progress: bool,
) -> Result:
    app_name, path, body = TARGETS[name]
    server = Server(app_name, llm_delay_ms=llm_delay_ms, rate_limit=rate_limit, api_key=api_key, log_path=server_log)
    try:
        rss_idle = server.rss
        if warmup_s > 0:
            asyncio.run(
                _drive(
                    server.port,
                    path,
                    body,
                    concurrency=concurrency,
                    duration_s=warmup_s,
                    max_requests=max_requests,
                    api_key=api_key,
                )
            )
        rss_before = server.rss
        cpu_before = server.cpu_s
        samples: list[tuple[float, float]] = [(0.0, rss_before / 2**20)]

        def sample(at_s: float) -> None:
            samples.append((round(at_s, 1), server.rss / 2**20))
            if progress:
                print(f"  [{name}] t={at_s:6.1f}s rss={samples[-1][1]:.1f} MB", file=sys.stderr, flush=True)

        latencies, statuses, elapsed = asyncio.run(
            _drive(
                server.port,
                path,
                body,
                concurrency=concurrency,
                duration_s=duration_s,
                max_requests=max_requests,
                api_key=api_key,
                on_tick=sample,
                tick_s=sample_every_s,
            )
        )
        cpu_used = server.cpu_s - cpu_before
        rss_after = server.rss
        samples.append((round(elapsed, 1), rss_after / 2**20))
    finally:
        server.stop()
    ordered = sorted(latencies)
    ok = sum(count for status, count in statuses.items() if status.startswith("2"))
    return Result(
        target=name,
        concurrency=concurrency,
        duration_s=round(elapsed, 2),
        requests=len(latencies),
        errors=len(latencies) - ok,
        statuses=dict(sorted(statuses.items())),
        req_per_s=round(len(latencies) / elapsed, 1) if elapsed > 0 else 0.0,
        p50_ms=round(statistics.median(ordered) * 1000, 2) if ordered else 0.0,
        p90_ms=round(_percentile(ordered, 0.90) * 1000, 2),
        p99_ms=round(_percentile(ordered, 0.99) * 1000, 2),
        max_ms=round(ordered[-1] * 1000, 2) if ordered else 0.0,
        rss_idle_mb=round(rss_idle / 2**20, 1),
        rss_before_mb=round(rss_before / 2**20, 1),
        rss_after_mb=round(rss_after / 2**20, 1),
        server_cpu_ms_per_request=round(cpu_used * 1000 / len(latencies), 3) if latencies else 0.0,
        rss_samples_mb=[(at, round(mb, 1)) for at, mb in samples],
    )


def _print_table(results: list[Result]) -> None:
    header = (
        f"{'target':<9} {'conc':>4} {'secs':>6} {'requests':>9} {'errors':>6} {'req/s':>8} "
        f"{'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'cpu ms':>7} "
        f"{'RSS idle':>9} {'before':>7} {'after':>7}"
    )
    print(header)
    for r in results:
        print(
            f"{r.target:<9} {r.concurrency:>4} {r.duration_s:>6.1f} {r.requests:>9} {r.errors:>6} {r.req_per_s:>8.1f} "
            f"{r.p50_ms:>7.2f} {r.p90_ms:>7.2f} {r.p99_ms:>7.2f} {r.max_ms:>7.2f} {r.server_cpu_ms_per_request:>7.3f} "
            f"{r.rss_idle_mb:>7.1f}MB {r.rss_before_mb:>5.1f}MB {r.rss_after_mb:>5.1f}MB"
        )
    by_name = {r.target: r for r in results}
    echo = by_name.get("echo")
    if echo is not None and echo.req_per_s:
        print()
        for name in ("verify", "rewrite"):
            result = by_name.get(name)
            if result is not None:
                ratio = result.req_per_s / echo.req_per_s
                met = "met" if ratio >= GOAL_RATIO else "NOT met"
                print(f"{name} / echo: {ratio:.0%} of the async def echo's req/s (goal: >= {GOAL_RATIO:.0%}, {met})")
                if result.server_cpu_ms_per_request and echo.server_cpu_ms_per_request:
                    # less sensitive to other processes on the machine than req/s (the echo and the target
                    # run at different times): the same ratio from the server's CPU time per request
                    cpu_ratio = echo.server_cpu_ms_per_request / result.server_cpu_ms_per_request
                    print(
                        f"  by server CPU per request: {result.server_cpu_ms_per_request:.3f} ms against the echo's "
                        f"{echo.server_cpu_ms_per_request:.3f} ms, {cpu_ratio:.0%}"
                    )
    echo_sync = by_name.get("echo-sync")
    verify = by_name.get("verify")
    if verify is not None and echo_sync is not None and echo_sync.req_per_s:
        print(f"verify / echo-sync: {verify.req_per_s / echo_sync.req_per_s:.0%} of the def echo's req/s")
    for r in results:
        if len(r.rss_samples_mb) > 2:
            series = ", ".join(f"{at:g}s {mb:.1f}" for at, mb in r.rss_samples_mb)
            drift = r.rss_samples_mb[-1][1] - r.rss_samples_mb[0][1]
            print(f"\n{r.target} RSS (MB) over the run: {series}\n  drift {drift:+.1f} MB")


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["serve"]:
        serve = argparse.ArgumentParser(prog="load.py serve")
        serve.add_argument("--app", choices=["bulletguard", "echo"], required=True)
        serve.add_argument("--port", type=int, required=True)
        serve.add_argument("--llm-delay-ms", type=float, default=0.0)
        serve.add_argument("--rate-limit", default="")
        serve.add_argument("--api-key-hash", default="")
        served = serve.parse_args(args_list[1:])
        _serve(served.app, served.port, served.llm_delay_ms, served.rate_limit, served.api_key_hash)
        return 0

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--target",
        choices=["compare", "echo", "echo-sync", "verify", "rewrite"],
        default="compare",
        help="what to load (compare: both echo endpoints, verify and rewrite in turn)",
    )
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients (default: %(default)s)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per target (default: %(default)s)")
    parser.add_argument(
        "--soak", type=float, default=None, metavar="SECONDS", help="soak run: overrides --duration (e.g. 300)"
    )
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="stop after this many requests per target")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of load before measuring (default: %(default)s)"
    )
    parser.add_argument(
        "--sample-every", type=float, default=None, help="seconds between RSS samples (default: 30 in a soak, else off)"
    )
    parser.add_argument("--llm-delay-ms", type=float, default=0.0, help="stub LLM latency for /v1/rewrite")
    parser.add_argument(
        "--rate-limit",
        default=UNREACHED_RATE_LIMIT,
        help="rate limit the server applies, '' for none (default: %(default)s, on but never reached)",
    )
    parser.add_argument(
        "--no-api-keys", action="store_true", help="configure no API keys (default: a fresh key, sent by the client)"
    )
    parser.add_argument(
        "--server-log",
        default=os.devnull,
        help="file the server's log lines (INFO, one access line per request) are appended to (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    args = parser.parse_args(args_list)

    duration = args.soak if args.soak is not None else args.duration
    if not 0 < duration <= MAX_DURATION_S:
        parser.error(f"the duration must be within (0, {MAX_DURATION_S:g}] seconds")
    if not 0 < args.max_requests <= MAX_REQUESTS:
        parser.error(f"--max-requests must be within [1, {MAX_REQUESTS}]")
    if not 1 <= args.concurrency <= 512:
        parser.error("--concurrency must be within [1, 512]")
    sample_every = args.sample_every if args.sample_every is not None else (30.0 if args.soak is not None else 0.0)
    names = ["echo", "echo-sync", "verify", "rewrite"] if args.target == "compare" else [args.target]
    api_key = "" if args.no_api_keys else secrets.token_urlsafe(32)

    results = [
        run_target(
            name,
            concurrency=args.concurrency,
            duration_s=duration,
            max_requests=args.max_requests,
            warmup_s=args.warmup,
            sample_every_s=sample_every,
            llm_delay_ms=args.llm_delay_ms,
            rate_limit=args.rate_limit,
            api_key=api_key,
            server_log=args.server_log,
            progress=not args.json,
        )
        for name in names
    ]
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    else:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load generator and server on one machine\n")
        _print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
