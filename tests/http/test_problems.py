"""Every error path answers RFC 9457 application/problem+json with the right status."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from service.http.app import create_app
from service.http.body_limit import BodySizeLimitMiddleware
from service.http.problems import ProblemError
from service.settings import Settings
from tests.conftest import NOTES

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "request_id"}


def assert_problem(response: Any, status: int, slug: str, path: str = "/v1/verify") -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert body["type"] == f"urn:bulletguard:problem:{slug}"
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == path
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def locs(body: dict[str, Any]) -> list[list[Any]]:
    return [error["loc"] for error in body["errors"]]


def post(client: TestClient, payload: Any) -> Any:
    return client.post("/v1/verify", json=payload)


# --- 400 / 422 ---------------------------------------------------------------------------------------


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/verify", content=b'{"notes": "private words", "bullets": [', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 400, "malformed-json")
    assert [error["type"] for error in body["errors"]] == ["json_invalid"]
    assert "private words" not in response.text


def test_missing_notes(client: TestClient) -> None:
    body = assert_problem(post(client, {"bullets": ["Did a thing."]}), 422, "validation-error")
    assert body["errors"] == [{"loc": ["body", "notes"], "msg": "Field required", "type": "missing"}]
    assert "notes" in body["detail"]


@pytest.mark.parametrize("notes", ["", "   \n\t"])
def test_blank_notes(client: TestClient, notes: str) -> None:
    body = assert_problem(post(client, {"notes": notes, "bullets": ["x"]}), 422, "validation-error")
    assert locs(body) == [["body", "notes"]]


def test_empty_bullets(client: TestClient) -> None:
    body = assert_problem(post(client, {"notes": NOTES, "bullets": []}), 422, "validation-error")
    assert locs(body) == [["body", "bullets"]]
    assert body["errors"][0]["type"] == "too_short"


def test_blank_bullet_names_its_index(client: TestClient) -> None:
    body = assert_problem(post(client, {"notes": NOTES, "bullets": ["ok", "  "]}), 422, "validation-error")
    assert locs(body) == [["body", "bullets", 1]]


def test_too_many_bullets_at_default_limit(client: TestClient, settings: Settings) -> None:
    bullets = ["Helped."] * (settings.max_bullets + 1)
    body = assert_problem(post(client, {"notes": NOTES, "bullets": bullets}), 422, "validation-error")
    assert locs(body) == [["body", "bullets"]]


def test_too_long_notes_at_default_limit(client: TestClient, settings: Settings) -> None:
    body = assert_problem(
        post(client, {"notes": "n" * (settings.max_notes_chars + 1), "bullets": ["x"]}), 422, "validation-error"
    )
    assert locs(body) == [["body", "notes"]]


def test_too_long_bullet_at_default_limit(client: TestClient, settings: Settings) -> None:
    body = assert_problem(
        post(client, {"notes": NOTES, "bullets": ["b" * (settings.max_bullet_chars + 1)]}), 422, "validation-error"
    )
    assert locs(body) == [["body", "bullets", 0]]


def test_too_long_evidence_at_default_limit(client: TestClient, settings: Settings) -> None:
    evidence = [{"id": "E1", "text": "e" * (settings.max_evidence_chars + 1)}]
    body = assert_problem(
        post(client, {"notes": NOTES, "evidence": evidence, "bullets": ["x"]}), 422, "validation-error"
    )
    assert locs(body) == [["body", "evidence", 0, "text"]]


def test_duplicate_evidence_ids(client: TestClient) -> None:
    evidence = [{"id": "PR-1", "text": "a"}, {"id": "PR-2", "text": "b"}, {"id": "PR-1", "text": "c"}]
    body = assert_problem(
        post(client, {"notes": NOTES, "evidence": evidence, "bullets": ["x"]}), 422, "validation-error"
    )
    assert body["errors"] == [
        {
            "loc": ["body", "evidence", 2, "id"],
            "msg": "Evidence ids must be unique; this id is already used by an earlier item",
            "type": "duplicate_id",
        }
    ]


@pytest.mark.parametrize("bad_id", ["", "has space", "x" * 65, "semi;colon", "ünï"])
def test_bad_evidence_id(client: TestClient, bad_id: str) -> None:
    evidence = [{"id": bad_id, "text": "t"}]
    body = assert_problem(
        post(client, {"notes": NOTES, "evidence": evidence, "bullets": ["x"]}), 422, "validation-error"
    )
    assert locs(body) == [["body", "evidence", 0, "id"]]
    assert body["errors"][0]["type"] == "string_pattern_mismatch"


@pytest.mark.parametrize("good_id", ["a", "PR-1423", "jira:OPS.12_b", "x" * 64])
def test_good_evidence_ids(client: TestClient, good_id: str) -> None:
    response = post(client, {"notes": NOTES, "evidence": [{"id": good_id, "text": "t"}], "bullets": ["x"]})
    assert response.status_code == 200


def test_unknown_field_and_wrong_types(client: TestClient) -> None:
    body = assert_problem(post(client, {"notes": 3, "bullets": "one", "extra": True}), 422, "validation-error")
    assert sorted(map(str, locs(body))) == sorted(map(str, [["body", "notes"], ["body", "bullets"], ["body", "extra"]]))


def test_body_that_is_not_an_object(client: TestClient) -> None:
    assert_problem(post(client, ["notes", "bullets"]), 422, "validation-error")


def test_validation_errors_never_echo_submitted_values(client: TestClient) -> None:
    secret = "SECRET-CUSTOMER-ZEBRA"
    payloads = [
        {"notes": secret, "bullets": [], "evidence": [{"id": f"bad id {secret}", "text": secret}]},
        {"notes": secret, "bullets": [secret], "redact": [" "], "unexpected": secret},
        {"notes": [secret], "bullets": [{"text": secret}]},
    ]
    for payload in payloads:
        response = post(client, payload)
        assert response.status_code == 422
        assert secret not in response.text
        for error in response.json()["errors"]:
            assert set(error) == {"loc", "msg", "type"}


# --- 413 ------------------------------------------------------------------------------------------------


def _big_payload(size: int) -> bytes:
    payload = json.dumps({"notes": "n" * size, "bullets": ["x"]}).encode()
    assert len(payload) > size
    return payload


def test_body_too_large_by_content_length(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=1000)
    response = client.post("/v1/verify", content=_big_payload(1000), headers={"content-type": "application/json"})
    body = assert_problem(response, 413, "payload-too-large")
    assert body["max_body_bytes"] == 1000


def test_body_too_large_when_chunked(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=1000)
    payload = _big_payload(1000)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 100):
            yield payload[start : start + 100]

    response = client.post("/v1/verify", content=chunks(), headers={"content-type": "application/json"})
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "payload-too-large")


def test_chunked_body_within_limit_reaches_the_app(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=1000)
    payload = json.dumps({"notes": NOTES, "bullets": ["Helped debug a memory leak."]}).encode()

    def chunks() -> Iterator[bytes]:
        yield payload[:10]
        yield payload[10:]

    response = client.post("/v1/verify", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json()["results"][0]["verdict"] == "accepted"


def test_body_exactly_at_limit_is_accepted(make_client: Callable[..., TestClient]) -> None:
    payload = json.dumps({"notes": NOTES, "bullets": ["Helped debug a memory leak."]}).encode()
    client = make_client(max_body_bytes=len(payload))
    response = client.post("/v1/verify", content=payload, headers={"content-type": "application/json"})
    assert response.status_code == 200


async def _call_asgi(app: Any, headers: list[tuple[bytes, bytes]], body: bytes) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/verify", "headers": headers}
    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize("value", [b"abc", b"-5", b"1e3"])
def test_malformed_content_length_is_400(value: bytes) -> None:
    import asyncio

    async def inner(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - must not run
        raise AssertionError("the app must not be called")

    app = BodySizeLimitMiddleware(inner, max_body_bytes=100)
    sent = asyncio.run(_call_asgi(app, [(b"content-length", value)], b"{}"))
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["type"] == "urn:bulletguard:problem:bad-request"


def test_false_content_length_is_still_counted() -> None:
    import asyncio

    async def inner(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - must not run
        raise AssertionError("the app must not be called")

    app = BodySizeLimitMiddleware(inner, max_body_bytes=100)
    sent = asyncio.run(_call_asgi(app, [(b"content-length", b"10")], b"x" * 500))
    assert sent[0]["status"] == 413


# --- 404 / 405 / 500 / ProblemError --------------------------------------------------------------------


def test_unknown_route_is_404(client: TestClient) -> None:
    assert_problem(client.get("/v2/nothing"), 404, "not-found", path="/v2/nothing")


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    response = client.get("/v1/verify")
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"


def _app_with(route: Callable[[FastAPI], None]) -> FastAPI:
    app = create_app(Settings())
    route(app)
    return app


def test_unhandled_exception_is_generic_500_without_traceback() -> None:
    def add(app: FastAPI) -> None:
        @app.get("/boom")
        def boom() -> None:
            raise RuntimeError("notes said: SECRET-CUSTOMER-ZEBRA")

    # raise_server_exceptions stays on: the middleware must answer, not re-raise.
    client = TestClient(_app_with(add))
    with capture_logs() as logs:
        response = client.get("/boom")

    body = assert_problem(response, 500, "internal-error", path="/boom")
    assert "SECRET" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in body["detail"]
    errors = [entry for entry in logs if entry["event"] == "unhandled_exception"]
    assert errors == [{"event": "unhandled_exception", "exc_type": "RuntimeError", "log_level": "error"}]
    assert "SECRET" not in repr(logs)
    assert [entry["status"] for entry in logs if entry["event"] == "request"] == [500]


def test_problem_error_from_a_route() -> None:
    def add(app: FastAPI) -> None:
        @app.get("/teapot")
        def teapot() -> None:
            raise ProblemError(418, "I'm a teapot", "Short and stout.", type="teapot", extra={"spout": 1})

    response = TestClient(_app_with(add)).get("/teapot")
    body = assert_problem(response, 418, "teapot", path="/teapot")
    assert body["title"] == "I'm a teapot"
    assert body["detail"] == "Short and stout."
    assert body["spout"] == 1


def test_problem_extra_cannot_override_standard_members() -> None:
    def add(app: FastAPI) -> None:
        @app.get("/sneaky")
        def sneaky() -> None:
            raise ProblemError(409, "Conflict", "It clashed.", type="conflict", extra={"status": 200, "instance": "/x"})

    body = assert_problem(TestClient(_app_with(add)).get("/sneaky"), 409, "conflict", path="/sneaky")
    assert body["status"] == 409
