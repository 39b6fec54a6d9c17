"""Rate limits: 429 problem+json with Retry-After, per key or per client IP, in memory and in a real Redis.

The Redis tests start Debian's ``redis-server`` on a free loopback port. They FAIL when it is not
installed (``make test`` installs it with ``scripts/system-deps.sh``); set
``BULLETGUARD_TEST_ALLOW_NO_REDIS=1`` to skip them instead.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import structlog
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from limits import parse_many
from limits.aio import strategies as limits_strategies
from limits.aio.storage import memory as limits_memory
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from pydantic import ValidationError

from service.http.app import create_app
from service.http.auth import hash_api_key
from service.http.llm_client import get_gated_llm_client, get_llm_client
from service.http.llm_gate import GatedLLMClient
from service.http.ratelimit import MemoryWindows, RateLimited, RateLimiter
from service.settings import Settings
from tests.conftest import ACCEPTED_BULLET, NOTES
from tests.fakes import FakeLLM, reply

ALLOW_NO_REDIS = os.environ.get("BULLETGUARD_TEST_ALLOW_NO_REDIS") == "1"

VERIFY_BODY: dict[str, Any] = {"notes": NOTES, "bullets": [ACCEPTED_BULLET]}
REWRITE_BODY: dict[str, Any] = {"notes": NOTES, "options": {"max_bullets": 1}}
GOOD_REPLY = reply((ACCEPTED_BULLET, ["notes"], "reliability"))


def verify(client: TestClient, **kwargs: Any) -> Any:
    return client.post("/v1/verify", json=VERIFY_BODY, **kwargs)


def assert_429(response: Any, *, window_s: int = 60) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:bulletguard:problem:rate-limited"
    assert problem["status"] == 429
    assert problem["request_id"] == response.headers["x-request-id"]
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= window_s
    assert f"retry in {retry_after} s" in problem["detail"]
    return retry_after


# --- settings ---------------------------------------------------------------------------------------------


def test_rate_limit_settings_use_limits_notation() -> None:
    settings = Settings(rate_limit=" 2/second; 100/minute ", llm_rate_limit="")
    assert settings.rate_limit == "2/second; 100/minute"
    limiter = RateLimiter(settings)
    assert [(item.amount, item.get_expiry()) for item in limiter.limits["requests"]] == [(2, 1), (100, 60)]
    assert not limiter.enabled("llm")
    for bad in ("lots", "5 per fortnight", "-1/minute"):
        with pytest.raises(ValidationError):
            Settings(rate_limit=bad)


def test_defaults_limit_requests_and_llm_calls() -> None:
    limiter = RateLimiter(Settings())
    assert limiter.enabled("requests") and limiter.enabled("llm")
    assert not limiter.uses_redis


# --- in memory --------------------------------------------------------------------------------------------


def test_over_the_limit_is_429_with_retry_after(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_limit="3/minute")

    statuses = [verify(client).status_code for _ in range(3)]
    response = verify(client)

    assert statuses == [200, 200, 200]
    assert_429(response)
    assert response.json()["instance"] == "/v1/verify"


def test_each_client_address_has_its_own_bucket() -> None:
    app = create_app(Settings(rate_limit="2/minute"))
    first = TestClient(app, client=("192.0.2.1", 1000))
    second = TestClient(app, client=("192.0.2.2", 1000))

    assert [verify(first).status_code for _ in range(2)] == [200, 200]
    assert_429(verify(first))
    assert verify(second).status_code == 200


def test_with_keys_each_key_has_its_own_bucket_wherever_it_comes_from() -> None:
    app = create_app(Settings(rate_limit="2/minute", api_keys=f"{hash_api_key('key-a')},{hash_api_key('key-b')}"))
    office = TestClient(app, client=("192.0.2.1", 1000))
    laptop = TestClient(app, client=("198.51.100.7", 1000))
    key_a, key_b = {"X-API-Key": "key-a"}, {"X-API-Key": "key-b"}

    assert verify(office, headers=key_a).status_code == 200
    assert verify(laptop, headers=key_a).status_code == 200  # same key, another address: same bucket
    assert_429(verify(office, headers=key_a))
    assert verify(office, headers=key_b).status_code == 200  # same address, another key: its own bucket


def test_probes_and_docs_are_never_limited(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_limit="1/minute")
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/openapi.json").status_code == 200
    assert verify(client).status_code == 200
    assert_429(verify(client))


def test_an_empty_limit_switches_it_off(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_limit="")
    assert {verify(client).status_code for _ in range(30)} == {200}


def test_several_windows_apply_together(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_limit="100/second;2/hour")
    assert [verify(client).status_code for _ in range(2)] == [200, 200]
    assert_429(verify(client), window_s=3600)


def test_refusals_are_counted_and_logged_without_the_client_address() -> None:
    client = TestClient(create_app(Settings(rate_limit="1/minute")), client=("203.0.113.9", 1000))
    verify(client)
    with structlog.testing.capture_logs() as logs:
        verify(client)

    assert any(entry["event"] == "rate_limited" and entry["limit"] == "requests" for entry in logs)
    assert "203.0.113.9" not in str(logs)
    assert 'bulletguard_rate_limited_total{limit="requests"} 1.0' in client.get("/metrics").text


def test_memory_windows_weigh_the_previous_window_by_what_is_left_of_the_current_one() -> None:
    windows = MemoryWindows()
    items = parse_many("4/minute")
    start = 60.0 * 1000  # a window boundary

    assert [windows.hit(items, "requests", "ip:a", start + 10) for _ in range(4)] == [None] * 4
    assert windows.hit(items, "requests", "ip:a", start + 20) == 40  # the current window's count resets at 60
    assert windows.hit(items, "requests", "ip:b", start + 20) is None  # another bucket

    # 35 s into the next window: 4 x 25/60 = 1.67 weighted hits, so 3 more fit (floor(1.67 + 2) + 1 <= 4)
    assert [windows.hit(items, "requests", "ip:a", start + 95) for _ in range(3)] == [None] * 3
    # the previous window's weight drops by one hit every 15 s: next at 15 s before the window's end
    assert windows.hit(items, "requests", "ip:a", start + 95) == 10
    # two windows later nothing is left of the old counts
    assert windows.hit(items, "requests", "ip:a", start + 180) is None


def test_memory_windows_stop_at_the_first_refusing_item_and_drop_idle_buckets() -> None:
    windows = MemoryWindows()
    items = parse_many("100/second;2/hour")
    now = 3600.0 * 10

    assert [windows.hit(items, "requests", "ip:a", now + i) for i in range(2)] == [None, None]
    assert windows.hit(items, "requests", "ip:a", now + 2) == 3600 - 2
    assert windows.hit(items, "llm", "ip:a", now + 2) is None  # each limit has its own buckets
    assert len(windows) == 4

    windows.hit(items, "requests", "ip:b", now + 3 * 3600)
    assert len(windows) == 2  # ip:a's buckets were idle for two windows: swept; ip:b has one per item


@pytest.mark.anyio
@pytest.mark.parametrize("spec", ["3/second", "5/minute", "2/second;4/minute"])
async def test_memory_windows_decide_as_limits_own_memory_storage(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same hits at the same instants: the same allowed/refused sequence and the same Retry-After."""
    clock = [1_000_000.0]
    for module in (limits_memory, limits_strategies):
        monkeypatch.setattr(module.time, "time", lambda: clock[0])
    reference = SlidingWindowCounterRateLimiter(limits_memory.MemoryStorage())
    windows = MemoryWindows()
    items = parse_many(spec)
    seen: set[bool] = set()

    for step in range(200):
        # 0.04 to 1.24 s apart, irregular, never near a whole second (where limits' own float rounding of
        # `reset_time - now` can differ from the exact wait by one)
        clock[0] += (step * 7919 % 13) / 10 + 0.0371
        expected: int | None = None
        for item in items:
            if not await reference.hit(item, "requests", "ip:a"):
                stats = await reference.get_window_stats(item, "requests", "ip:a")
                expected = max(1, math.ceil(stats.reset_time - clock[0]))
                break
        assert windows.hit(items, "requests", "ip:a", clock[0]) == expected, step
        seen.add(expected is None)
    assert seen == {True, False}  # both allowed and refused hits were compared


# --- the LLM limit ----------------------------------------------------------------------------------------


def rewrite_app(fake: FakeLLM, **settings: Any) -> FastAPI:
    app = create_app(Settings(**settings))
    app.dependency_overrides[get_llm_client] = lambda: fake
    return app


def test_llm_limit_applies_to_llm_requests_only() -> None:
    fake = FakeLLM(GOOD_REPLY)
    client = TestClient(rewrite_app(fake, rate_limit="", llm_rate_limit="1/minute", max_reasks=0))

    assert client.post("/v1/rewrite", json=REWRITE_BODY).status_code == 200
    response = client.post("/v1/rewrite", json=REWRITE_BODY)

    assert_429(response)
    assert "LLM" in response.json()["detail"]
    assert len(fake.calls) == 1  # the refused request never reached the model
    assert verify(client).status_code == 200  # the guard-only route is not an LLM request


def test_an_invalid_request_does_not_use_up_the_llm_limit() -> None:
    fake = FakeLLM(GOOD_REPLY)
    client = TestClient(rewrite_app(fake, rate_limit="", llm_rate_limit="1/minute", max_reasks=0))

    assert client.post("/v1/rewrite", json={"notes": ""}).status_code == 422
    assert client.post("/v1/rewrite", json={**REWRITE_BODY, "options": {"max_bullets": 99}}).status_code == 422
    assert client.post("/v1/rewrite", json=REWRITE_BODY).status_code == 200


def test_a_rewrite_with_reasks_counts_once() -> None:
    bad = reply(("Led a 70% cut in memory use across all services.", ["notes"], "performance"))
    fake = FakeLLM(bad, GOOD_REPLY)
    client = TestClient(rewrite_app(fake, rate_limit="", llm_rate_limit="1/minute", max_reasks=1))

    response = client.post("/v1/rewrite", json=REWRITE_BODY)

    assert response.status_code == 200
    assert response.json()["attempts"] == 2


@pytest.mark.parametrize(("path", "limited"), [("/v1/rewrite", True), ("/v1/chatops/slack", False)])
def test_the_llm_limit_is_for_api_clients_not_the_chat_ops_webhooks(path: str, limited: bool) -> None:
    # every Slack user's command comes from Slack's own addresses: a per-address limit would be a global one
    app = create_app(Settings(llm_rate_limit="1/minute"))
    request = Request({"type": "http", "method": "POST", "path": path, "headers": [], "app": app, "state": {}})

    gated = get_gated_llm_client(request, app.state.settings, FakeLLM())

    assert isinstance(gated, GatedLLMClient)
    assert (gated.limiter is not None) is limited
    assert gated.gate is app.state.llm_gate  # the concurrency cap applies to both


def test_openapi_declares_429_with_retry_after(make_client: Callable[..., TestClient]) -> None:
    schema = make_client().get("/openapi.json").json()
    for path in ("/v1/verify", "/v1/rewrite"):
        declared = schema["paths"][path]["post"]["responses"]["429"]
        assert "application/problem+json" in declared["content"]
        assert "Retry-After" in declared["headers"]
    assert "429" not in schema["paths"]["/healthz"]["get"]["responses"]

    unlimited = make_client(rate_limit="", llm_rate_limit="").get("/openapi.json").json()
    assert "429" not in unlimited["paths"]["/v1/verify"]["post"]["responses"]


# --- Redis: limits across replicas ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_redis(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError("redis-server did not answer PING in time")


class RedisServer:
    """A throwaway ``redis-server`` on a loopback port (no persistence), stoppable and restartable."""

    def __init__(self, executable: str, workdir: Path) -> None:
        self.executable = executable
        self.workdir = workdir
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.workdir)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_redis(self.port, self.proc)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        if ALLOW_NO_REDIS:
            pytest.skip("redis-server is not installed and BULLETGUARD_TEST_ALLOW_NO_REDIS=1")
        pytest.fail(
            "redis-server is not installed: `apt-get install redis-server` (or set BULLETGUARD_TEST_ALLOW_NO_REDIS=1)"
        )
    server = RedisServer(executable, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_redis_counters_hold_across_replicas(redis_server: RedisServer) -> None:
    settings = Settings(rate_limit="3/minute", redis_url=redis_server.url)
    with (
        TestClient(create_app(settings)) as replica_a,
        TestClient(create_app(settings)) as replica_b,
    ):
        assert [verify(replica_a).status_code, verify(replica_b).status_code, verify(replica_a).status_code] == [
            200,
            200,
            200,
        ]
        assert_429(verify(replica_b))
        assert_429(verify(replica_a))

    keys = [key.decode() for key in redis_server.client().keys("*")]
    assert keys and all(key.startswith("bulletguard") for key in keys)


def test_redis_llm_limit_holds_across_replicas(redis_server: RedisServer) -> None:
    settings: dict[str, Any] = {"rate_limit": "", "llm_rate_limit": "1/minute", "redis_url": redis_server.url}
    fake = FakeLLM(GOOD_REPLY)
    with (
        TestClient(rewrite_app(fake, max_reasks=0, **settings)) as replica_a,
        TestClient(rewrite_app(fake, max_reasks=0, **settings)) as replica_b,
    ):
        assert replica_a.post("/v1/rewrite", json=REWRITE_BODY).status_code == 200
        assert_429(replica_b.post("/v1/rewrite", json=REWRITE_BODY))
    assert len(fake.calls) == 1


def test_redis_down_fails_open_to_local_limits(redis_server: RedisServer) -> None:
    redis_server.stop()  # configured, but nothing listens
    app = create_app(Settings(rate_limit="2/minute", redis_url=redis_server.url, redis_timeout_s=0.2))

    with TestClient(app) as client, structlog.testing.capture_logs() as logs:
        started = time.monotonic()
        statuses = [verify(client).status_code for _ in range(2)]
        refused = verify(client)
        elapsed = time.monotonic() - started
        metrics = client.get("/metrics").text

    assert statuses == [200, 200]  # still served...
    assert_429(refused)  # ... and still limited, per replica
    assert elapsed < 5  # one failed attempt, then Redis is left alone for a while
    warnings = [entry for entry in logs if entry["event"] == "ratelimit_storage_unavailable"]
    assert len(warnings) == 1
    assert warnings[0]["log_level"] == "warning"
    assert str(redis_server.port) not in str(warnings)
    assert "bulletguard_ratelimit_storage_errors_total 1.0" in metrics


@pytest.mark.anyio
async def test_redis_is_used_again_once_it_is_back(redis_server: RedisServer) -> None:
    limiter = RateLimiter(Settings(rate_limit="100/minute", redis_url=redis_server.url, redis_timeout_s=0.2))
    limiter.redis_retry_after_s = 0.0
    try:
        await limiter.hit("requests", "ip:192.0.2.1")
        assert redis_server.client().keys("*")

        redis_server.stop()
        await limiter.hit("requests", "ip:192.0.2.1")  # served from memory, no error

        redis_server.start()
        await limiter.hit("requests", "ip:192.0.2.1")
        assert redis_server.client().keys("*")  # the new server got the count
    finally:
        await limiter.aclose()


@pytest.mark.anyio
async def test_limiter_raises_rate_limited_with_the_wait(redis_server: RedisServer) -> None:
    limiter = RateLimiter(Settings(rate_limit="", llm_rate_limit="1/hour", redis_url=redis_server.url))
    try:
        await limiter.hit("llm", "key:abc")
        with pytest.raises(RateLimited) as caught:
            await limiter.hit("llm", "key:abc")
        assert caught.value.limit == "llm"
        assert 1 <= caught.value.retry_after_s <= 3600
        await limiter.hit("llm", "key:other")  # another identity is not affected
    finally:
        await limiter.aclose()
