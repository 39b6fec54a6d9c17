"""``bulletguard eval`` end to end, offline: record with a fake model, replay from the command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from service.evals import RecordingStore, load_report, main, run_eval
from tests.evals.evalkit import CASES, config
from tests.fakes import FakeLLM, reply

MODEL = "fake-model"


@pytest.fixture
def cases_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    for case in CASES:
        (folder / f"{case.id}.json").write_text(json.dumps(case.as_dict()), encoding="utf-8")
    return folder


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    folder = tmp_path / "recordings"
    fake = FakeLLM(
        reply(("Led pagination across all services.", ["notes"], "api")),
        reply(("Helped add cursor pagination to the orders endpoint.", ["notes"], "api")),
        reply(("Cut p95 latency from 900 ms to 180 ms with a Redis cache.", ["notes"], "performance")),
        model=MODEL,
    )
    cfg = config(mode="record", max_bullets=1, concurrency=1)
    asyncio.run(run_eval(CASES, cfg, llm=fake, store=RecordingStore(folder), show_progress=False))
    assert fake.remaining == 0
    return folder


def _eval(cases_dir: Path, recordings: Path, out: Path, *extra: str) -> int:
    argv = ["--replay", "--model", MODEL, "--cases", str(cases_dir), "--recordings", str(recordings)]
    return main([*argv, "--out", str(out), "--max-bullets", "1", "--no-progress", "--no-repair", *extra])


def test_replay_from_the_command_line_writes_the_three_reports(
    cases_dir: Path, recordings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert _eval(cases_dir, recordings, out, "--prompt", "v1") == 0
    report = load_report(out / "report.json")
    assert report["config"]["mode"] == "replay" and report["config"]["models"] == [MODEL]
    metrics = report["groups"][0]["metrics"]
    assert (metrics["acceptance"], metrics["bullets_accepted_after_reask"], metrics["violations"]) == (
        1.0,
        1,
        2,
    )  # "Led" and "across all services" (the "all" inside it is the same claim, reported once)
    assert (out / "report.html").is_file() and (out / "report.md").is_file()
    stdout = capsys.readouterr().out
    assert "acceptance 100%" in stdout and "report.html" in stdout

    again = tmp_path / "again"
    assert _eval(cases_dir, recordings, again) == 0
    assert main(["compare", str(out / "report.json"), str(again / "report.json"), "--fail-on-regression"]) == 0


def test_replay_without_a_recording_exits_2_naming_the_case(
    cases_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # one run at a time: the first case is the one named (two in flight may fail in either order)
    assert _eval(cases_dir, tmp_path / "empty", tmp_path / "out", "--concurrency", "1") == 2
    err = capsys.readouterr().err
    assert "no recording for case 'api-01-pagination'" in err
    assert not (tmp_path / "out").exists()


def test_bad_input_exits_2(
    cases_dir: Path, recordings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(cases_dir, recordings, tmp_path / "out", "--prompt", "v99") == 2
    assert "Unknown prompt version 'v99'" in capsys.readouterr().err
    assert _eval(tmp_path / "nowhere", recordings, tmp_path / "out") == 2
    assert "not a directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["--record", "--replay"])
    assert info.value.code == 2
