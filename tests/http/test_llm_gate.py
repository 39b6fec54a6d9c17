"""The cap on concurrent LLM calls: a burst queues up to a point, then is refused with a clean 503."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.http.app import create_app
from service.http.llm_client import get_llm_client
from service.http.llm_gate import LLMBusy, LLMGate
from service.settings import Settings
from tests.conftest import ACCEPTED_BULLET, NOTES
from tests.fakes import SlowLLM, reply

pytestmark = pytest.mark.anyio

REWRITE_BODY: dict[str, Any] = {"notes": NOTES, "options": {"max_bullets": 1}}
GOOD_REPLY = reply((ACCEPTED_BULLET, ["notes"], "reliability"))


def app_with(llm: SlowLLM, **settings: Any) -> FastAPI:
    app = create_app(Settings(rate_limit="", llm_rate_limit="", max_reasks=0, **settings))
    app.dependency_overrides[get_llm_client] = lambda: llm
    return app


async def burst(app: FastAPI, n: int) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return list(await asyncio.gather(*(client.post("/v1/rewrite", json=REWRITE_BODY) for _ in range(n))))


async def burst_released_after(app: FastAPI, n: int, llm: SlowLLM, *, refusals: int) -> list[httpx.Response]:
    """``n`` concurrent rewrites; the model answers only once ``refusals`` of them have come back (refused),
    so which requests are refused never depends on how fast this machine is."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        tasks = [asyncio.create_task(client.post("/v1/rewrite", json=REWRITE_BODY)) for _ in range(n)]
        pending: set[asyncio.Task[httpx.Response]] = set(tasks)
        while n - len(pending) < refusals:
            _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        llm.released.set()
        return list(await asyncio.gather(*tasks))


# --- the gate itself ----------------------------------------------------------------------------------------


async def test_gate_queues_then_refuses_when_the_queue_is_full() -> None:
    gate = LLMGate(max_concurrency=1, max_queue=1, queue_timeout_s=5)
    release = asyncio.Event()
    entered: list[str] = []

    async def hold(name: str) -> None:
        async with gate.slot():
            entered.append(name)
            await release.wait()

    first = asyncio.create_task(hold("first"))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(hold("second"))  # waits in the queue
    await asyncio.sleep(0.01)
    assert (gate.in_flight, gate.waiting) == (1, 1)

    with pytest.raises(LLMBusy) as caught:  # the queue is full: refused at once
        async with gate.slot():
            pass
    assert caught.value.status == 503
    assert caught.value.retry_after_s == 5

    release.set()
    await asyncio.gather(first, second)
    assert entered == ["first", "second"]
    assert (gate.in_flight, gate.waiting) == (0, 0)


async def test_gate_gives_up_after_the_queue_timeout() -> None:
    gate = LLMGate(max_concurrency=1, max_queue=4, queue_timeout_s=0.05)
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.slot():
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0.01)
    with pytest.raises(LLMBusy, match=r"within 0\.05 s"):
        async with gate.slot():
            pass
    assert gate.waiting == 0
    release.set()
    await holder
    async with gate.slot():  # the slot is free again
        assert gate.in_flight == 1


async def test_gate_releases_its_slot_when_the_call_fails() -> None:
    gate = LLMGate(max_concurrency=1, max_queue=0, queue_timeout_s=0)
    with pytest.raises(RuntimeError):
        async with gate.slot():
            raise RuntimeError("boom")
    async with gate.slot():
        assert gate.in_flight == 1


# --- through the API ------------------------------------------------------------------------------------------


async def test_a_burst_queues_and_the_model_never_sees_more_than_the_cap() -> None:
    llm = SlowLLM(GOOD_REPLY, takes_s=0.05)
    app = app_with(llm, llm_max_concurrency=2, llm_max_queue=10, llm_queue_timeout_s=10)

    responses = await burst(app, 6)

    assert [r.status_code for r in responses] == [200] * 6
    assert all(r.json()["bullets"] for r in responses)
    assert llm.calls == 6
    assert llm.peak == 2


async def test_a_burst_beyond_the_queue_is_refused_cleanly() -> None:
    # The model holds every call until the test releases it, so the refusals cannot depend on timing: with
    # one call running and one queued, the other two are refused at once, before anything is released.
    llm = SlowLLM(GOOD_REPLY, takes_s=60)
    app = app_with(llm, llm_max_concurrency=1, llm_max_queue=1, llm_queue_timeout_s=30)

    responses = await burst_released_after(app, 4, llm, refusals=2)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 503, 503]
    for refused in (r for r in responses if r.status_code == 503):
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["type"] == "urn:bulletguard:problem:llm-overloaded"
        assert refused.headers["retry-after"] == "30"
        assert problem["request_id"] == refused.headers["x-request-id"]
    assert llm.calls == 2  # refused calls never reach the model server
    assert llm.peak == 1


async def test_waiting_too_long_is_a_503_with_retry_after() -> None:
    # The first call holds the only slot until the second request has timed out in the queue.
    llm = SlowLLM(GOOD_REPLY, takes_s=60)
    app = app_with(llm, llm_max_concurrency=1, llm_max_queue=5, llm_queue_timeout_s=0.05)

    responses = await burst_released_after(app, 2, llm, refusals=1)

    assert sorted(r.status_code for r in responses) == [200, 503]
    refused = next(r for r in responses if r.status_code == 503)
    assert refused.headers["retry-after"] == "1"
    assert "llm-overloaded" in refused.json()["type"]
