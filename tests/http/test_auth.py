"""Optional API keys: off by default, 401 problem+json when on, hashed keys, exempt routes, hash-key CLI."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service import cli
from service.http.auth import ApiKeyChecker, hash_api_key, key_id
from service.settings import Settings
from tests.conftest import ACCEPTED_BULLET, NOTES

KEY_A = "bg_test-key-alpha-0123456789"
KEY_B = "bg_test-key-bravo-9876543210"
VERIFY_BODY: dict[str, Any] = {"notes": NOTES, "bullets": [ACCEPTED_BULLET]}


@pytest.fixture
def keyed_client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(api_keys=f"{hash_api_key(KEY_A)},{hash_api_key(KEY_B)}", rate_limit="")


def assert_401(response: Any) -> dict[str, Any]:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    problem: dict[str, Any] = response.json()
    assert problem["type"] == "urn:bulletguard:problem:unauthorized"
    assert problem["status"] == 401
    assert problem["request_id"] == response.headers["x-request-id"]
    return problem


# --- hashing -----------------------------------------------------------------------------------------


def test_hash_is_prefixed_sha256_hex() -> None:
    assert hash_api_key("abc") == "sha256:" + hashlib.sha256(b"abc").hexdigest()
    assert hash_api_key("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert key_id(hash_api_key("abc")) == "ba7816bf8f01"


def test_checker_matches_any_configured_key_and_nothing_else() -> None:
    checker = ApiKeyChecker([hash_api_key(KEY_A), hash_api_key(KEY_B)])
    assert checker.match(KEY_A) == hash_api_key(KEY_A)
    assert checker.match(KEY_B) == hash_api_key(KEY_B)
    assert checker.match(KEY_A + "x") is None
    assert checker.match("") is None
    assert not ApiKeyChecker([]).enabled


def test_checker_compares_with_every_key_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    checker = ApiKeyChecker([hash_api_key(f"key-{i}") for i in range(5)])

    assert checker.match("key-0") is not None  # a match on the first key does not stop the loop
    assert len(calls) == 5
    assert all(len(a) == len(b) == 32 for a, b in calls)  # digests, never the raw key


def test_settings_take_hashes_only_and_never_echo_a_plain_key() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(api_keys=KEY_A)
    assert KEY_A not in str(caught.value)
    assert Settings(api_keys=f" {hash_api_key(KEY_A).upper().replace('SHA256', 'sha256')} ").api_keys == [
        hash_api_key(KEY_A)
    ]


# --- the middleware ----------------------------------------------------------------------------------------


def test_no_keys_configured_means_no_key_needed(client: TestClient) -> None:
    response = client.post("/v1/verify", json=VERIFY_BODY)
    assert response.status_code == 200, response.text


def test_missing_key_is_401(keyed_client: TestClient) -> None:
    problem = assert_401(keyed_client.post("/v1/verify", json=VERIFY_BODY))
    assert "X-API-Key" in problem["detail"]
    assert problem["instance"] == "/v1/verify"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "wrong"},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {KEY_A}"},  # right key, wrong scheme
        {"X-API-Key": KEY_A.upper()},
        {"X-API-Key": "wrong", "Authorization": f"Bearer {KEY_A}"},  # X-API-Key wins when both are sent
    ],
)
def test_invalid_key_is_401(keyed_client: TestClient, headers: dict[str, str]) -> None:
    assert_401(keyed_client.post("/v1/verify", json=VERIFY_BODY, headers=headers))


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": KEY_A},
        {"X-API-Key": KEY_B},
        {"Authorization": f"Bearer {KEY_A}"},
        {"Authorization": f"bearer {KEY_B}"},
    ],
)
def test_valid_key_passes(keyed_client: TestClient, headers: dict[str, str]) -> None:
    response = keyed_client.post("/v1/verify", json=VERIFY_BODY, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["verdict"] == "accepted"


def test_unauthenticated_requests_never_reach_validation(keyed_client: TestClient) -> None:
    # a 401 comes before anything else looks at the request: no 422 that would reveal the API's shape
    assert_401(keyed_client.post("/v1/verify", json={"bogus": True}))
    assert_401(keyed_client.post("/v1/no-such-route", json={}))


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs", "/", "/metrics"])
def test_probes_docs_page_and_metrics_stay_open(keyed_client: TestClient, path: str) -> None:
    response = keyed_client.get(path)
    assert response.status_code != 401
    assert response.status_code < 500


@pytest.mark.parametrize("path", ["/v1/chatops/slack", "/v1/chatops/mattermost"])
def test_chatops_webhooks_keep_their_own_auth(keyed_client: TestClient, path: str) -> None:
    # no API key, yet the request reaches the chat-ops route, which answers 404 while it is not configured
    response = keyed_client.post(
        path, content=b"text=hi", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 404


def test_metrics_can_require_a_key(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_keys=hash_api_key(KEY_A), metrics_require_key=True)
    assert_401(client.get("/metrics"))
    assert client.get("/metrics", headers={"X-API-Key": KEY_A}).status_code == 200


def test_keys_are_never_logged_but_the_key_id_is(keyed_client: TestClient) -> None:
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        keyed_client.post("/v1/verify", json=VERIFY_BODY, headers={"X-API-Key": KEY_A})
        keyed_client.post("/v1/verify", json=VERIFY_BODY, headers={"Authorization": "Bearer not-the-key"})

    dumped = json.dumps(logs, default=str)
    assert KEY_A not in dumped
    assert "not-the-key" not in dumped
    verified = next(entry for entry in logs if entry["event"] == "verified")
    assert verified["api_key_id"] == key_id(hash_api_key(KEY_A))
    refused = next(entry for entry in logs if entry["event"] == "api_key_refused")
    assert refused["reason"] == "invalid"


def test_auth_failures_are_counted(keyed_client: TestClient) -> None:
    keyed_client.post("/v1/verify", json=VERIFY_BODY)
    keyed_client.post("/v1/verify", json=VERIFY_BODY, headers={"X-API-Key": "nope"})
    keyed_client.post("/v1/verify", json=VERIFY_BODY, headers={"X-API-Key": "nope"})

    text = keyed_client.get("/metrics").text
    assert 'bulletguard_auth_failures_total{reason="missing"} 1.0' in text
    assert 'bulletguard_auth_failures_total{reason="invalid"} 2.0' in text


# --- the OpenAPI document ----------------------------------------------------------------------------------


def test_openapi_declares_the_key_and_401_when_keys_are_on(keyed_client: TestClient) -> None:
    schema = keyed_client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["BearerKey"] == {"type": "http", "scheme": "bearer"}
    verify = schema["paths"]["/v1/verify"]["post"]
    assert {"ApiKeyHeader": []} in verify["security"]
    assert "application/problem+json" in verify["responses"]["401"]["content"]
    assert "security" not in schema["paths"]["/healthz"]["get"]
    assert "401" not in schema["paths"]["/healthz"]["get"]["responses"]


def test_openapi_has_no_key_when_keys_are_off(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "securitySchemes" not in schema.get("components", {})
    assert "401" not in schema["paths"]["/v1/verify"]["post"]["responses"]


# --- bulletguard hash-key ----------------------------------------------------------------------------------


def _parse_lines(out: str) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in out.splitlines() if ":" in line)
    return {label.strip(): value.strip() for label, value in pairs}


def test_hash_key_generates_a_key_that_the_service_accepts(
    capsys: pytest.CaptureFixture[str], make_client: Callable[..., TestClient]
) -> None:
    assert cli.main(["hash-key"]) == 0
    printed = _parse_lines(capsys.readouterr().out)
    key, key_hash = printed["key"], printed["hash"]
    assert len(key) >= 40
    assert key_hash == hash_api_key(key)

    client = make_client(api_keys=key_hash)
    assert client.post("/v1/verify", json=VERIFY_BODY, headers={"X-API-Key": key}).status_code == 200
    assert_401(client.post("/v1/verify", json=VERIFY_BODY, headers={"X-API-Key": key[:-1]}))


def test_hash_key_generates_a_new_key_each_time(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["hash-key"])
    first = _parse_lines(capsys.readouterr().out)["key"]
    cli.main(["hash-key"])
    assert _parse_lines(capsys.readouterr().out)["key"] != first


def test_hash_key_reads_a_key_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{KEY_A}\n"))

    assert cli.main(["hash-key", "--stdin"]) == 0

    out = capsys.readouterr().out
    assert out.strip() == f"hash: {hash_api_key(KEY_A)}"
    assert KEY_A not in out


def test_hash_key_refuses_an_empty_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))

    assert cli.main(["hash-key", "--stdin"]) == 2
    assert "no key" in capsys.readouterr().err
