"""Logging: request ids, the access line, and no note text in any log line."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from service.http.app import create_app
from service.http.context import is_valid_request_id
from service.logs import MASK, configure_logging, mask_private_fields
from service.settings import Settings

SECRET = "ZEBRA-PROJECT-NIGHTJAR"
HEX32 = re.compile(r"^[0-9a-f]{32}$")


# --- the masking processor ---------------------------------------------------------------------------


def test_mask_private_fields_masks_named_keys_at_any_depth() -> None:
    event = {
        "event": "something",
        "notes": SECRET,
        "Bullets": [SECRET],
        "payload": {"evidence": [{"id": "E1", "text": SECRET}], "count": 3},
        "items": [{"prompt": SECRET}, {"messages": [SECRET]}],
        "redact": [SECRET],
        "status": 200,
    }
    out = mask_private_fields(None, "info", dict(event))

    assert SECRET not in repr(out)
    assert out["notes"] == MASK
    assert out["Bullets"] == MASK
    assert out["payload"] == {"evidence": MASK, "count": 3}
    assert out["items"] == [{"prompt": MASK}, {"messages": MASK}]
    assert out["redact"] == MASK
    assert out["status"] == 200
    assert out["event"] == "something"


def test_mask_private_fields_leaves_other_events_alone() -> None:
    event = {"event": "request", "method": "POST", "path": "/v1/verify", "status": 200, "duration_ms": 1.5}
    assert mask_private_fields(None, "info", dict(event)) == event


# --- configured pipeline ------------------------------------------------------------------------------


def test_configured_json_logs_mask_private_keys(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(log_json=True))
    structlog.get_logger("test").info("oops", notes=SECRET, bullet=SECRET, n_bullets=2)

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert len(lines) == 1
    (line,) = lines
    assert line["event"] == "oops"
    assert line["notes"] == MASK
    assert line["bullet"] == MASK
    assert line["n_bullets"] == 2
    assert line["level"] == "info"
    assert "timestamp" in line


def test_log_level_filters(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(log_level="WARNING"))
    structlog.get_logger("test").info("quiet")
    structlog.get_logger("test").warning("loud")
    err = capsys.readouterr().err
    assert "loud" in err
    assert "quiet" not in err


def test_console_renderer_when_json_is_off(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(log_json=False))
    structlog.get_logger("test").info("hello", notes=SECRET)
    err = capsys.readouterr().err
    assert "hello" in err
    assert SECRET not in err
    assert not err.lstrip().startswith("{")


def test_no_request_logs_note_text_through_the_real_pipeline(capsys: pytest.CaptureFixture[str]) -> None:
    client = TestClient(create_app(Settings(log_json=True, max_bullets=2)))
    payloads: list[Any] = [
        {"notes": SECRET, "evidence": [{"id": "E1", "text": SECRET}], "redact": [SECRET], "bullets": [SECRET]},
        {"notes": SECRET, "bullets": [SECRET, SECRET, SECRET]},  # 422: too many
        {"notes": SECRET},  # 422: missing bullets
    ]
    for payload in payloads:
        client.post("/v1/verify", json=payload)
    client.post("/v1/verify", content=f'{{"notes": "{SECRET}"'.encode(), headers={"content-type": "application/json"})

    err = capsys.readouterr().err
    assert '"event": "request"' in err  # the pipeline did write lines
    assert SECRET not in err


def test_no_log_event_carries_note_text() -> None:
    client = TestClient(create_app(Settings()))
    with capture_logs() as logs:
        client.post(
            "/v1/verify",
            json={"notes": SECRET, "evidence": [{"id": "E1", "text": SECRET}], "bullets": [SECRET, "Helped."]},
        )
        client.post("/v1/verify", json={"notes": SECRET, "bullets": []})

    assert logs, "expected log events"
    assert SECRET not in repr(logs)
    verified = [entry for entry in logs if entry["event"] == "verified"]
    assert len(verified) == 1
    assert verified[0]["n_bullets"] == 2


# --- request ids and the access line ---------------------------------------------------------------


def test_access_line_per_request(client: TestClient) -> None:
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        response = client.get("/healthz?notes=secret", headers={"X-Request-ID": "trace-123"})

    access = [entry for entry in logs if entry["event"] == "request"]
    assert len(access) == 1
    (line,) = access
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["request_id"] == "trace-123" == response.headers["x-request-id"]
    assert "secret" not in repr(line)


def test_every_log_line_of_a_request_carries_its_id(client: TestClient) -> None:
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        client.post(
            "/v1/verify", json={"notes": "did things", "bullets": ["Did things."]}, headers={"X-Request-ID": "abc"}
        )

    assert {entry["event"] for entry in logs} >= {"verified", "request"}
    assert {entry["request_id"] for entry in logs} == {"abc"}
    assert structlog.contextvars.get_contextvars() == {}


@pytest.mark.parametrize("request_id", ["abc", "req-42", "0f" * 16, "a.b:c_d-e", "x" * 128])
def test_sane_request_id_is_echoed(client: TestClient, request_id: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": request_id})
    assert response.headers["x-request-id"] == request_id


@pytest.mark.parametrize("request_id", ["x" * 129, "has space", "new\tline", "<script>", "-leading", "ünï"])
def test_insane_request_id_is_replaced(client: TestClient, request_id: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": request_id.encode("utf-8")})
    assert HEX32.fullmatch(response.headers["x-request-id"])


def test_request_id_generated_when_absent_and_unique(client: TestClient) -> None:
    ids = {client.get("/healthz").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5
    assert all(HEX32.fullmatch(request_id) for request_id in ids)


def test_is_valid_request_id() -> None:
    assert is_valid_request_id("a" * 128)
    assert not is_valid_request_id("a" * 129)
    assert not is_valid_request_id("")


# --- settings -----------------------------------------------------------------------------------------


def test_settings_read_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETGUARD_PORT", "9001")
    monkeypatch.setenv("BULLETGUARD_LOG_JSON", "false")
    monkeypatch.setenv("BULLETGUARD_LOG_LEVEL", "debug")
    monkeypatch.setenv("BULLETGUARD_FALLBACK_MODELS", "openai/a, openai/b,,")
    settings = Settings()
    assert settings.port == 9001
    assert settings.log_json is False
    assert settings.log_level == "DEBUG"
    assert settings.fallback_models == ["openai/a", "openai/b"]


def test_secrets_never_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETGUARD_API_KEY", "sk-very-secret-value")
    settings = Settings()
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "sk-very-secret-value"
    assert "sk-very-secret-value" not in repr(settings)
    assert "sk-very-secret-value" not in str(settings.model_dump())


def test_every_setting_is_documented() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, name


def test_readme_documents_every_setting() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`BULLETGUARD_{name.upper()}`" in readme, name
