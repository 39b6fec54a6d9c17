"""Rewrite benchmark: the service's own overhead per ``POST /v1/rewrite``, and the local model end to end.

Default mode: an instant stub OpenAI-compatible server (a tiny Starlette app) on 127.0.0.1 returns a
fixed, valid reply; the service (``create_app``) runs under uvicorn in a thread of this process on
another loopback port, and ``httpx`` sends it N requests one after another over real HTTP. Reported:

* ``llm``      - a direct POST to the stub (what any client pays for the model call),
* ``rewrite``  - a whole /v1/rewrite request (HTTP, validation, masking, prompt, litellm, guard),
* ``overhead`` - rewrite minus llm at the same percentile: what the service itself adds,
* ``litellm``  - the same call made through the service's litellm client alone (``LiteLLMClient.complete``
  with the pipeline's messages and schema), so the overhead splits into litellm's share and the rest.

``--local-model`` instead starts the bundled SmolLM2-135M server and reports end-to-end latency of
/v1/rewrite and completion tokens per second (max_bullets 2, no re-ask, max_tokens 200).

Loopback only; bounded by ``--requests`` and ``--max-seconds``.

    python evals/bench_rewrite.py [--requests 300] [--max-seconds 60]
    python evals/bench_rewrite.py --local-model [--requests 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from service.http.app import create_app
from service.http.llm_client import get_llm_client
from service.rewrite.llm.client import LiteLLMClient
from service.rewrite.llm.local_model import free_port, local_model_server
from service.rewrite.prompts import latest_prompt_version, load_prompt
from service.rewrite.reply import wire_schema
from service.settings import Settings

NOTES = (
    "helped debug a memory leak in the notification worker with Dana (heap dumps, PR-1423); "
    "wrote a runbook for restarting it and added an alert on queue depth. "
    "the worker sends order emails for the checkout service; on call for it one week in six."
)
BODY: dict[str, Any] = {
    "notes": NOTES,
    "evidence": [
        {"id": "PR-1423", "text": "Fix unbounded retry queue in notification worker"},
        {"id": "RUN-7", "text": "Runbook: restarting the notification worker safely"},
    ],
    "redact": ["Dana"],
    "options": {"max_bullets": 2, "temperature": 0.0},
}
STUB_REPLY = json.dumps(
    {
        "bullets": [
            {
                "text": "Helped debug a memory leak in the notification worker that sends order emails.",
                "sources": ["notes", "PR-1423"],
                "proof_area": "reliability",
            },
            {
                "text": "Wrote a runbook for restarting the notification worker and added an alert on queue depth.",
                "sources": ["notes", "RUN-7"],
                "proof_area": "reliability",
            },
        ]
    }
)


def stub_llm_app() -> Starlette:
    completion = {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 0,
        "model": "stub-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": STUB_REPLY}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 500, "completion_tokens": 80, "total_tokens": 580},
    }

    async def chat(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse(completion)

    async def models(request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "stub-model", "object": "model"}]})

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/v1/models", models)])


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free loopback port in a daemon thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def service_app(settings: Settings, client: LiteLLMClient | None = None) -> FastAPI:
    app = create_app(settings)
    if client is not None:
        app.dependency_overrides[get_llm_client] = lambda: client
    return app


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def timed(n: int, max_seconds: float, send: Any) -> list[float]:
    """Call ``send()`` up to ``n`` times (stopping after ``max_seconds``); latencies in ms."""
    out: list[float] = []
    stop_at = time.monotonic() + max_seconds
    while len(out) < n and time.monotonic() < stop_at:
        started = time.perf_counter()
        send()
        out.append((time.perf_counter() - started) * 1000)
    return out


def row(name: str, ms: list[float]) -> str:
    return (
        f"{name:<9} n={len(ms):<4} p50={percentile(ms, 50):8.2f} ms  p99={percentile(ms, 99):8.2f} ms  "
        f"mean={statistics.fmean(ms):8.2f} ms"
    )


def bench_overhead(requests: int, max_seconds: float) -> None:
    with serve_in_thread(stub_llm_app()) as stub:
        settings = Settings(
            model="openai/stub-model",
            api_base=f"{stub}/v1",
            api_key="stub",
            max_reasks=0,
            log_level="WARNING",
            rate_limit="",  # one client sends every request: measure the service, not the limiter
            llm_rate_limit="",
        )
        with serve_in_thread(service_app(settings)) as service, httpx.Client(timeout=30) as http:

            def rewrite_once() -> None:
                response = http.post(f"{service}/v1/rewrite", json=BODY)
                assert response.status_code == 200, response.text
                assert len(response.json()["bullets"]) == 2, response.text

            def llm_once() -> None:
                body = {"model": "stub-model", "messages": [{"role": "user", "content": NOTES}]}
                http.post(f"{stub}/v1/chat/completions", json=body).raise_for_status()

            rewrite_once()  # warm-up: first-call set-up in litellm, pydantic, the guard's vocabularies
            llm_once()
            llm = timed(requests, max_seconds / 3, llm_once)
            rewrite = timed(requests, max_seconds / 3, rewrite_once)
        through_litellm = asyncio.run(_litellm_calls(f"{stub}/v1", requests, max_seconds / 3))

    print("POST /v1/rewrite against an instant stub LLM (httpx -> uvicorn in-process thread, loopback)")
    print(row("llm", llm))
    print(row("rewrite", rewrite))
    print(
        f"{'overhead':<9}        p50={percentile(rewrite, 50) - percentile(llm, 50):8.2f} ms  "
        f"p99={percentile(rewrite, 99) - percentile(llm, 99):8.2f} ms"
    )
    print(row("litellm", through_litellm))
    print(
        f"{'of which':<9} litellm p50={percentile(through_litellm, 50) - percentile(llm, 50):8.2f} ms  "
        f"the rest p50={percentile(rewrite, 50) - percentile(through_litellm, 50):8.2f} ms"
    )


async def _litellm_calls(api_base: str, n: int, max_seconds: float) -> list[float]:
    """Latencies (ms) of ``LiteLLMClient.complete`` alone against the stub, one call after another."""
    client = LiteLLMClient(api_base=api_base, api_key="stub")
    prompt = load_prompt(latest_prompt_version())
    messages = [{"role": "system", "content": prompt.system}, {"role": "user", "content": NOTES}]
    out: list[float] = []
    stop_at = time.monotonic() + max_seconds
    for i in range(n + 1):
        if time.monotonic() > stop_at:
            break
        started = time.perf_counter()
        await client.complete(
            messages, model="openai/stub-model", temperature=0.2, response_schema=wire_schema(), timeout=30
        )
        if i:  # the first call is a warm-up
            out.append((time.perf_counter() - started) * 1000)
    return out


def bench_local_model(requests: int, max_seconds: float) -> None:
    started = time.monotonic()
    with local_model_server() as lm:
        print(f"local model server ready (with warm-up) in {time.monotonic() - started:.1f} s")
        settings = Settings(
            model=lm.model, max_reasks=0, llm_timeout_s=120, log_level="WARNING", rate_limit="", llm_rate_limit=""
        )
        client = LiteLLMClient(api_base=lm.api_base, api_key=lm.api_key, schema_mode=lm.schema_mode, max_tokens=200)
        latencies: list[float] = []
        rates: list[float] = []
        accepted = 0
        with serve_in_thread(service_app(settings, client)) as service, httpx.Client(timeout=300) as http:
            stop_at = time.monotonic() + max_seconds
            while len(latencies) < requests and time.monotonic() < stop_at:
                t0 = time.perf_counter()
                response = http.post(f"{service}/v1/rewrite", json=BODY)
                seconds = time.perf_counter() - t0
                response.raise_for_status()
                data = response.json()
                latencies.append(seconds * 1000)
                rates.append(data["usage"]["completion_tokens"] / seconds)
                accepted += len(data["bullets"])
    print("POST /v1/rewrite end to end on the local model (SmolLM2-135M Q4_1, max_bullets 2, no re-ask)")
    print(row("rewrite", latencies))
    print(f"tokens/s  median={statistics.median(rates):.1f} completion tokens/s (whole request)")
    print(f"accepted  {accepted} bullets over {len(latencies)} requests")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=None, help="requests per measurement (default 300; 5 local)")
    ap.add_argument("--max-seconds", type=float, default=None, help="time bound (default 60; 300 local)")
    ap.add_argument("--local-model", action="store_true", help="measure the real local model instead")
    args = ap.parse_args()
    if args.local_model:
        bench_local_model(args.requests or 5, args.max_seconds or 300.0)
    else:
        bench_overhead(args.requests or 300, args.max_seconds or 60.0)


if __name__ == "__main__":
    main()
