"""The bulletguard CLI: verify's output and exit codes, serve's wiring, ``python -m service``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service import cli
from service.contract.models import BulletResultOut, VerifyRequest, ViolationOut
from service.contract.verification import run_verify
from service.settings import Settings
from tests.conftest import ACCEPTED_BULLET, NOTES, REJECTED_BULLET


@pytest.fixture
def notes_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text(NOTES + "\n", encoding="utf-8")
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- verify: exit codes and output ---------------------------------------------------------------------


def test_all_accepted_exits_0(tmp_path: Path, notes_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bullets = write(tmp_path, "bullets.txt", f"- {ACCEPTED_BULLET}\n")

    code = cli.main(["verify", "--notes", str(notes_file), str(bullets)])

    out = capsys.readouterr().out
    assert code == 0
    assert f"[1] ACCEPTED {ACCEPTED_BULLET}" in out
    assert "1 bullet(s): 1 accepted, 0 rejected" in out
    assert "^" not in out


def test_any_rejected_exits_1_and_marks_spans(
    tmp_path: Path, notes_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bullets = write(tmp_path, "bullets.txt", f"* {ACCEPTED_BULLET}\n\n• {REJECTED_BULLET}\n")

    code = cli.main(["verify", "--notes", str(notes_file), str(bullets)])

    out = capsys.readouterr().out
    assert code == 1
    assert f"[1] ACCEPTED {ACCEPTED_BULLET}" in out
    assert f"[2] REJECTED {REJECTED_BULLET}" in out
    lines = out.splitlines()
    bullet_line = next(line for line in lines if line.startswith("[2]"))
    caret_line = lines[lines.index(bullet_line) + 1]
    offset = bullet_line.index(REJECTED_BULLET)
    marked = {i - offset for i, char in enumerate(caret_line) if char == "^"}
    result = run_verify(VerifyRequest(notes=NOTES, bullets=[REJECTED_BULLET])).results[0]
    spans = {i for v in result.violations for i in range(v.start, v.end)}
    assert spans, "expected violations on the rejected bullet"
    assert marked == spans
    for kind in ("metric", "ownership", "scope"):
        assert any(line.strip().startswith(f"{kind}:") for line in lines), kind
    assert "hint:" in out
    assert "2 bullet(s): 1 accepted, 1 rejected" in out


def test_json_output_equals_the_api_response(
    tmp_path: Path, notes_file: Path, capsys: pytest.CaptureFixture[str], client: TestClient
) -> None:
    evidence = [{"id": "PR-1", "text": "Fixed the leak in the notification worker"}]
    evidence_file = write(tmp_path, "evidence.json", json.dumps(evidence))
    bullets = [ACCEPTED_BULLET, REJECTED_BULLET]
    bullets_file = write(tmp_path, "bullets.txt", "\n".join(bullets))

    code = cli.main(
        ["verify", "--json", "--notes", str(notes_file), "--evidence", str(evidence_file), "--redact", "Acme",
         "--redact", "Zebra", str(bullets_file)]
    )  # fmt: skip

    printed = json.loads(capsys.readouterr().out)
    api = client.post(
        "/v1/verify",
        json={"notes": NOTES + "\n", "evidence": evidence, "redact": ["Acme", "Zebra"], "bullets": bullets},
    ).json()
    assert printed == api
    assert code == (1 if any(r["verdict"] == "rejected" for r in api["results"]) else 0)
    assert [result["bullet"] for result in printed["results"]] == bullets


def test_redact_term_reaches_the_guard(
    tmp_path: Path, notes_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import service.contract.verification as verification

    seen: dict[str, Any] = {}
    real = verification.extract_facts

    def spy(notes: str, evidence: Any, redact: Any) -> Any:
        seen["redact"] = list(redact)
        return real(notes, evidence, redact)

    monkeypatch.setattr(verification, "extract_facts", spy)
    bullets = write(tmp_path, "b.txt", ACCEPTED_BULLET)
    cli.main(["verify", "--notes", str(notes_file), "--redact", "Acme", "--redact", "Zebra", str(bullets)])
    assert seen["redact"] == ["Acme", "Zebra"]


def test_bullets_from_stdin(
    notes_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"- {ACCEPTED_BULLET}\n"))
    code = cli.main(["verify", "--notes", str(notes_file), "-"])
    assert code == 0
    assert ACCEPTED_BULLET in capsys.readouterr().out


# --- verify: bad input exits 2 ----------------------------------------------------------------------------


def run_bad(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith("bulletguard verify: ")
    return captured.err


def test_missing_notes_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bullets = write(tmp_path, "b.txt", "x")
    err = run_bad(["verify", "--notes", str(tmp_path / "nope.txt"), str(bullets)], capsys)
    assert "notes file not found" in err


def test_missing_bullets_file(notes_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = run_bad(["verify", "--notes", str(notes_file), str(tmp_path / "nope.txt")], capsys)
    assert "bullets file not found" in err


def test_invalid_evidence_json(notes_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evidence = write(tmp_path, "e.json", '[{"id": "a", "text": ')
    bullets = write(tmp_path, "b.txt", "x")
    err = run_bad(["verify", "--notes", str(notes_file), "--evidence", str(evidence), str(bullets)], capsys)
    assert "not valid JSON" in err


@pytest.mark.parametrize("content", ['{"id": "a", "text": "t"}', '["just text"]', "42"])
def test_evidence_not_a_list_of_objects(
    notes_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    evidence = write(tmp_path, "e.json", content)
    bullets = write(tmp_path, "b.txt", "x")
    err = run_bad(["verify", "--notes", str(notes_file), "--evidence", str(evidence), str(bullets)], capsys)
    assert "JSON list" in err


def test_evidence_with_duplicate_ids(notes_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evidence = write(tmp_path, "e.json", json.dumps([{"id": "a", "text": "t"}, {"id": "a", "text": "u"}]))
    bullets = write(tmp_path, "b.txt", "x")
    err = run_bad(["verify", "--notes", str(notes_file), "--evidence", str(evidence), str(bullets)], capsys)
    assert "evidence.1.id" in err
    assert "unique" in err


def test_unreadable_evidence(notes_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evidence = tmp_path / "e.json"
    evidence.write_bytes(b"\xff\xfe\x00bad")
    bullets = write(tmp_path, "b.txt", "x")
    err = run_bad(["verify", "--notes", str(notes_file), "--evidence", str(evidence), str(bullets)], capsys)
    assert "cannot read evidence file" in err


@pytest.mark.parametrize("content", ["", "\n  \n", "- \n*  \n"])
def test_no_bullets(notes_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    bullets = write(tmp_path, "b.txt", content)
    err = run_bad(["verify", "--notes", str(notes_file), str(bullets)], capsys)
    assert "no bullets" in err


def test_blank_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = write(tmp_path, "n.txt", "   \n")
    bullets = write(tmp_path, "b.txt", "x")
    err = run_bad(["verify", "--notes", str(notes), str(bullets)], capsys)
    assert "notes:" in err


def test_limits_from_settings_apply(
    notes_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BULLETGUARD_MAX_BULLETS", "1")
    bullets = write(tmp_path, "b.txt", "one\ntwo\n")
    err = run_bad(["verify", "--notes", str(notes_file), str(bullets)], capsys)
    assert "bullets: Must have at most 1 items" in err


def test_missing_required_option_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["verify", "bullets.txt"])
    assert exit_info.value.code == 2
    assert "--notes" in capsys.readouterr().err


def test_invalid_environment_settings_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BULLETGUARD_PORT", "not-a-port")
    assert cli.main(["verify", "--notes", "n", "b"]) == 2
    assert "PORT" in capsys.readouterr().err


# --- rendering -------------------------------------------------------------------------------------------------


def test_parse_bullets() -> None:
    text = "- one\n* two\n• three\n\n   four  \n-five\n"
    assert cli.parse_bullets(text) == ["one", "two", "three", "four", "-five"]


def test_render_result_puts_carets_under_each_span() -> None:
    bullet = "Led a 70% cut across all services."
    violations = [
        ViolationOut(kind="ownership", text="Led", start=0, end=3, message="m1", hint="h1"),
        ViolationOut(kind="metric", text="70%", start=6, end=9, message="m2", hint="h2"),
    ]
    rendered = cli.render_result(3, BulletResultOut(bullet=bullet, verdict="rejected", violations=violations))
    first, carets, *rest = rendered.splitlines()

    assert first == f"[3] REJECTED {bullet}"
    offset = first.index(bullet)
    assert carets == " " * offset + "^^^   ^^^"
    assert rest == ["      ownership: 'Led' - m1", "        hint: h1", "      metric: '70%' - m2", "        hint: h2"]


# --- serve --------------------------------------------------------------------------------------------------------


def _capture_uvicorn(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    import uvicorn

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def _served_settings(call: tuple[tuple[Any, ...], dict[str, Any]]) -> Settings:
    """Build the app the way uvicorn would (a factory) and return the settings it runs with."""
    (factory,), kwargs = call
    assert kwargs["factory"] is True
    app = factory()
    settings = app.state.settings
    assert isinstance(settings, Settings)
    return settings


def test_serve_runs_uvicorn_with_an_app_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _capture_uvicorn(monkeypatch)

    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "9999"]) == 0

    ((args, kwargs),) = calls
    assert (kwargs["host"], kwargs["port"]) == ("0.0.0.0", 9999)
    assert _served_settings((args, kwargs)).model == Settings().model  # no local model: the configured one


def test_serve_defaults_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _capture_uvicorn(monkeypatch)
    monkeypatch.setenv("BULLETGUARD_PORT", "8123")

    assert cli.main(["serve"]) == 0
    assert (calls[0][1]["host"], calls[0][1]["port"]) == ("127.0.0.1", 8123)


def test_serve_with_local_model_points_the_app_at_it_and_stops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.rewrite.llm import local_model

    calls = _capture_uvicorn(monkeypatch)
    events: list[str] = []

    @contextmanager
    def fake_server(port: int | None = None, **_: Any) -> Iterator[local_model.LocalModel]:
        events.append(f"start:{port}")
        yield local_model.LocalModel(port=4321, pid=1, api_base="http://127.0.0.1:4321/v1", model="openai/tiny")
        events.append("stop")

    monkeypatch.setattr(local_model, "local_model_server", fake_server)
    monkeypatch.setenv("BULLETGUARD_LOCAL_MODEL_PORT", "4321")

    assert cli.main(["serve", "--with-local-model"]) == 0

    assert events == ["start:4321", "stop"]  # uvicorn ran (and returned) inside the server's lifetime
    settings = _served_settings(calls[0])
    assert settings.model == "openai/tiny"
    assert settings.api_base == "http://127.0.0.1:4321/v1"
    assert settings.llm_schema_mode == "json_object"  # llama.cpp's server refuses json_schema
    assert settings.llm_max_tokens == 512


def test_serve_with_local_model_that_cannot_start_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.rewrite.llm import local_model

    calls = _capture_uvicorn(monkeypatch)

    def broken(*_: Any, **__: Any) -> Any:
        raise local_model.LocalModelError("llama-cpp-python is not installed; run: pip install -e '.[local]'")

    monkeypatch.setattr(local_model, "local_model_server", broken)

    assert cli.main(["serve", "--with-local-model"]) == 2
    assert calls == []
    assert "cannot start the local model: llama-cpp-python is not installed" in capsys.readouterr().err


def test_python_dash_m_service_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "usage: bulletguard" in result.stdout
    assert "serve" in result.stdout
    assert "verify" in result.stdout


def test_eval_is_a_subcommand_of_bulletguard(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["eval", "compare", "--help"])
    assert exc.value.code == 0
    assert "usage: bulletguard eval compare" in capsys.readouterr().out


def test_eval_compare_of_missing_reports_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["eval", "compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 2
    assert "no such file" in capsys.readouterr().err
