"""``bulletguard rewrite``: the /v1/rewrite pipeline from a terminal. Accepted bullets and refusals with
reasons; ``--json`` the HTTP answer; exit 0 a bullet accepted, 1 none, 2 bad input, 3 the model failed;
``--local`` points the call at the bundled model's server for the call's duration."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from service.cli import build_parser
from service.cli.agents import rewrite_command
from service.rewrite.llm import local_model
from service.rewrite.llm.errors import LLMUnavailable
from service.rewrite.llm.local_model import LocalModel, LocalModelError
from service.settings import Settings
from tests.fakes import LITELLM_WARNINGS, FakeLLM, reply
from tests.stub_llm_server import stub_llm_server

NOTES = "helped debug a memory leak in the notification worker for Acme; wrote a runbook for restarts"
GOOD = ("Helped debug a memory leak in the notification worker.", ["notes"], "reliability")
BAD = ("Led a 60% cut in memory use across all services.", ["notes"], "performance")


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.md"
    path.write_text(NOTES, encoding="utf-8")
    return path


def _run(argv: list[str], fake: FakeLLM, settings: Settings | None = None) -> int:
    settings = settings or Settings(max_reasks=0)
    return rewrite_command(build_parser(settings).parse_args(["rewrite", *argv]), settings, lambda _: fake)


def test_prints_accepted_bullets_and_refusals_with_reasons(notes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeLLM(reply(GOOD, BAD))

    code = _run(["--notes", str(notes), "--redact", "Acme"], fake)

    out = capsys.readouterr().out
    assert code == 0
    assert "Accepted (1):\n  1. Helped debug a memory leak in the notification worker.\n" in out
    assert "Refused (1):\n  - Led a 60% cut in memory use across all services.\n" in out
    assert "      ownership: 'Led' - 'Led' claims led-level ownership" in out
    assert "Acme" not in fake.calls[0].text  # the same masking as /v1/rewrite


def test_json_is_the_v1_rewrite_answer(notes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(
        ["--notes", str(notes), "--json", "--model", "openai/other", "--max-bullets", "2"], FakeLLM(reply(GOOD))
    )

    answer = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [b["text"] for b in answer["bullets"]] == [GOOD[0]]
    assert answer["rejected"] == [] and answer["request_id"] is None and answer["questions"]


def test_the_model_option_and_settings_reach_the_pipeline(notes: Path) -> None:
    fake = FakeLLM(reply(GOOD))

    _run(["--notes", str(notes), "--model", "openai/other"], fake, Settings(max_reasks=0, llm_timeout_s=7.0))

    assert fake.calls[0].model == "openai/other" and fake.calls[0].timeout == 7.0


def test_nothing_accepted_exits_1(notes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["--notes", str(notes)], FakeLLM(reply(BAD))) == 1
    assert "(none: every bullet the model wrote claimed something the input does not state)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--notes", "missing.md"], "notes file not found", id="missing-notes"),
        pytest.param(["--max-bullets", "9"], "options.max_bullets", id="max-bullets"),
    ],
)
def test_bad_input_exits_2(
    argv: list[str], message: str, notes: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(notes.parent)
    full = argv if "--notes" in argv else ["--notes", str(notes), *argv]

    assert _run(full, FakeLLM()) == 2
    assert message in capsys.readouterr().err


def test_a_failed_model_exits_3_with_the_reason(notes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(["--notes", str(notes)], FakeLLM(LLMUnavailable("connection refused")))

    assert code == 3
    assert "bulletguard rewrite: Service Unavailable: connection refused" in capsys.readouterr().err


@LITELLM_WARNINGS
def test_local_starts_the_bundled_model_for_the_call(
    notes: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[Any] = []
    with stub_llm_server(reply(GOOD), model="smollm2-135m-instruct") as stub:

        @contextmanager
        def fake_server(port: int | None = None, **_: Any) -> Iterator[LocalModel]:
            started.append(port)
            yield LocalModel(port=0, pid=0, api_base=stub.api_base, model="openai/smollm2-135m-instruct")
            started.append("stopped")

        monkeypatch.setattr(local_model, "local_model_server", fake_server)
        settings = Settings(max_reasks=0, llm_max_retries=0)
        code = rewrite_command(
            build_parser(settings).parse_args(["rewrite", "--notes", str(notes), "--local"]), settings
        )

    assert code == 0
    assert started == [settings.local_model_port, "stopped"]
    assert stub.requests[0]["model"] == "smollm2-135m-instruct"
    assert stub.requests[0]["response_format"]["type"] == "json_object"  # the local model's schema mode
    assert GOOD[0] in capsys.readouterr().out


def test_local_that_cannot_start_exits_3(
    notes: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @contextmanager
    def broken(port: int | None = None, **_: Any) -> Iterator[LocalModel]:
        raise LocalModelError("llama-cpp-python is not installed")
        yield  # pragma: no cover

    monkeypatch.setattr(local_model, "local_model_server", broken)

    assert _run(["--notes", str(notes), "--local"], FakeLLM()) == 3
    assert "cannot start the local model: llama-cpp-python is not installed" in capsys.readouterr().err
