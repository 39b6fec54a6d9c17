"""``bulletguard eval --model``: the service's settings and the flags over them, the run settings kept
with a recording, ``--prompts DIR``, ``--case``, and a wrong setting named with its flag.

The model server is stubbed with respx (an OpenAI-compatible endpoint that answers every call with one
bullet); the real llama.cpp server is in ``tests/evals/test_eval_local_model.py``.
"""

from __future__ import annotations

import gc
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx

from service.evals import load_report, main
from service.evals.endpoint import EndpointError, endpoint_from, timeout_from
from service.evals.run_settings import load_run_settings
from service.rewrite.prompts import PROMPTS_DIR
from service.settings import Settings
from tests.evals.evalkit import CASES
from tests.fakes import LITELLM_WARNINGS
from tests.openai_stub import completion

pytestmark = [LITELLM_WARNINGS]

API_BASE = "http://model-server.test/v1"
URL = f"{API_BASE}/chat/completions"
MODEL = "openai/stub-model"
BULLET = json.dumps({"bullets": [{"text": "Helped add cursor pagination.", "sources": ["notes"], "proof_area": "api"}]})


@pytest.fixture(autouse=True)
def _no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture
def cases_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    for case in CASES:
        (folder / f"{case.id}.json").write_text(json.dumps(case.as_dict()), encoding="utf-8")
    return folder


@pytest.fixture
def server() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as router:
        yield router.post(URL).mock(return_value=httpx.Response(200, json=completion(BULLET, "stub-model")))


def sent(route: respx.Route) -> list[dict[str, object]]:
    return [json.loads(call.request.content) for call in route.calls]


def live(cases_dir: Path, out: Path, *extra: str) -> int:
    argv = ["--model", MODEL, "--api-base", API_BASE, "--cases", str(cases_dir), "--out", str(out)]
    return main([*argv, "--no-progress", "--max-reasks", "0", *extra])


# --- the service's settings, flags over them --------------------------------------------------------------


def test_the_endpoint_comes_from_the_service_settings() -> None:
    settings = Settings(
        api_base="http://a.test/v1", api_key="k-1", llm_schema_mode="json_object", llm_max_tokens=300, llm_timeout_s=9
    )

    endpoint = endpoint_from(settings)

    assert (endpoint.api_base, endpoint.api_key, endpoint.schema_mode, endpoint.max_tokens) == (
        "http://a.test/v1",
        "k-1",
        "json_object",
        300,
    )
    assert timeout_from(settings, None) == 9.0
    # json_object (a grammar server) without a limit gets the bundled model's cap; json_schema gets none
    assert endpoint_from(Settings(llm_schema_mode="json_object")).max_tokens == 512
    assert endpoint_from(Settings()).max_tokens is None
    assert timeout_from(Settings(), None) == 120.0  # not set: the eval's own default
    assert "k-1" not in repr(endpoint)


def test_flags_win_over_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_PROVIDER_KEY", "k-2")
    settings = Settings(api_base="http://a.test/v1", api_key="k-1", llm_schema_mode="json_object")

    endpoint = endpoint_from(
        settings, api_base="http://b.test/v1", api_key_env="MY_PROVIDER_KEY", schema_mode="json_schema", max_tokens=64
    )

    assert (endpoint.api_base, endpoint.api_key, endpoint.schema_mode, endpoint.max_tokens) == (
        "http://b.test/v1",
        "k-2",
        "json_schema",
        64,
    )
    assert timeout_from(settings, 5.0) == 5.0
    with pytest.raises(EndpointError, match="NOT_SET_ANYWHERE is not set"):
        endpoint_from(settings, api_key_env="NOT_SET_ANYWHERE")


def test_eval_sends_the_schema_mode_set_for_the_service(
    cases_dir: Path, tmp_path: Path, server: respx.Route, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the issue: BULLETGUARD_LLM_SCHEMA_MODE=json_object was ignored and json_schema always sent
    monkeypatch.setenv("BULLETGUARD_API_KEY", "any")
    monkeypatch.setenv("BULLETGUARD_LLM_SCHEMA_MODE", "json_object")

    assert live(cases_dir, tmp_path / "out") == 0

    assert {body["response_format"]["type"] for body in sent(server)} == {"json_object"}  # type: ignore[index]
    assert load_report(tmp_path / "out" / "report.json")["groups"][0]["metrics"]["errors"] == 0


def test_schema_mode_and_key_variable_flags(
    cases_dir: Path, tmp_path: Path, server: respx.Route, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SERVER_KEY", "secret-2")
    monkeypatch.setenv("BULLETGUARD_LLM_SCHEMA_MODE", "json_object")

    assert live(cases_dir, tmp_path / "out", "--api-key-env", "MY_SERVER_KEY", "--schema-mode", "json_schema") == 0

    assert {body["response_format"]["type"] for body in sent(server)} == {"json_schema"}  # type: ignore[index]
    assert {call.request.headers["authorization"] for call in server.calls} == {"Bearer secret-2"}


# --- a wrong setting stops the run and names the flag ---------------------------------------------------


# litellm 1.102.4 builds the request's coroutine before it finds the key missing, and drops it unawaited
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_no_api_key_stops_the_run_and_names_the_flag(
    cases_dir: Path, tmp_path: Path, server: respx.Route, capsys: pytest.CaptureFixture[str]
) -> None:
    assert live(cases_dir, tmp_path / "out") == 2

    err = capsys.readouterr().err
    assert "No API key" in err and "--api-key-env NAME" in err and "BULLETGUARD_API_KEY" in err
    assert "500" not in err
    assert not server.called and not (tmp_path / "out").exists()
    gc.collect()  # that coroutine's warning, here rather than in another test


def test_a_server_refusing_json_schema_is_detected_and_the_mode_named(
    cases_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BULLETGUARD_API_KEY", "any")
    refusal = {"detail": [{"loc": ["body", "response_format", "type"], "msg": "Input should be 'json_object'"}]}
    with respx.mock() as router:
        route = router.post(URL).mock(return_value=httpx.Response(422, json=refusal))
        assert live(cases_dir, tmp_path / "out", "--concurrency", "1") == 2

    err = capsys.readouterr().err
    assert "refused response_format json_schema" in err and "--schema-mode json_object" in err
    assert route.call_count == 1  # detected from the first answer: no retry, no second run


# --- run settings kept with a recording -----------------------------------------------------------------


def test_replay_reads_the_recorded_run_settings_and_flags_still_win(
    cases_dir: Path, tmp_path: Path, server: respx.Route, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETGUARD_API_KEY", "any")
    recordings = tmp_path / "rec"
    record = ["--record", "--recordings", str(recordings), "--max-bullets", "1", "--concurrency", "1"]
    assert live(cases_dir, tmp_path / "recorded", *record, "--case", "api-*") == 0
    kept = load_run_settings(recordings)
    assert kept is not None
    assert (kept.models, kept.max_bullets, kept.max_reasks, kept.concurrency, kept.cases) == (
        (MODEL,),
        1,
        0,
        1,
        ("api-01-pagination",),
    )

    # only the recordings: models, prompts, max bullets, re-asks and cases come from run.json
    replay = ["--replay", "--recordings", str(recordings), "--cases", str(cases_dir), "--no-progress"]
    assert main([*replay, "--out", str(tmp_path / "replayed")]) == 0
    recorded, replayed = (load_report(tmp_path / d / "report.json") for d in ("recorded", "replayed"))
    assert replayed["cases"] == recorded["cases"] and replayed["groups"] == recorded["groups"]
    assert {k: v for k, v in replayed["config"].items() if k != "mode"} == {
        k: v for k, v in recorded["config"].items() if k != "mode"
    }

    # a flag overrides what was recorded: two bullets were never asked for
    assert main([*replay, "--out", str(tmp_path / "other"), "--max-bullets", "2"]) == 2


# --- prompt versions outside the package, and the case filter -------------------------------------------


def test_prompts_dir_adds_versions_beside_the_package_ones(
    cases_dir: Path, tmp_path: Path, server: respx.Route, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETGUARD_API_KEY", "any")
    mine = tmp_path / "my-prompts"
    shutil.copytree(PROMPTS_DIR / "v1", mine / "v2")
    system = mine / "v2" / "system.md"
    system.write_text(system.read_text(encoding="utf-8") + "\nKeep every bullet under 20 words.\n", encoding="utf-8")

    out = tmp_path / "out"
    assert (
        live(cases_dir, out, "--prompts", str(mine), "--prompt", "v1", "--prompt", "v2", "--case", "perf-01-cache") == 0
    )

    report = load_report(out / "report.json")
    assert [(g["prompt"], g["metrics"]["errors"]) for g in report["groups"]] == [("v1", 0), ("v2", 0)]
    systems = [str(body["messages"][0]["content"]) for body in sent(server)]  # type: ignore[index]
    assert sorted("under 20 words" in s for s in systems) == [False, True]  # runs in flight: any order


def test_an_unknown_case_or_prompt_is_bad_input(
    cases_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert live(cases_dir, tmp_path / "out", "--case", "nope-*") == 2
    assert "--case nope-*: no such case" in capsys.readouterr().err
    assert live(cases_dir, tmp_path / "out", "--prompts", str(tmp_path), "--prompt", "v7") == 2
    assert "Unknown prompt version 'v7'" in capsys.readouterr().err
