"""The eval with the rewrite's salvage and fallback on (its default, as the service's): salvaged bullets are
counted as repaired and shown as a diff, the notes' own sentences apart and never in ``acceptance``; the
setting is recorded beside the recordings and replayed as recorded."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from service.evals import RecordingStore, build_report, run_eval, validate_report, write_reports
from service.evals.run_settings import RunSettings, load_run_settings, save_run_settings
from tests.evals.evalkit import CASES, config
from tests.fakes import FakeLLM, reply

INFLATED = "Led cursor pagination for the orders endpoint using Kafka."
SALVAGED = "Helped add cursor pagination for the orders endpoint."


def _fake() -> FakeLLM:
    # the API case: one inflated bullet, salvaged; the performance case: fragments, then the notes' sentence
    return FakeLLM(
        reply((INFLATED, ["notes"], "api")),
        reply(("1.1", ["notes"], "performance")),
        reply(("1.1", ["notes"], "performance")),
    )


def test_salvaged_and_fallback_bullets_are_counted_apart(tmp_path: Path) -> None:
    cfg = config(max_bullets=1, max_reasks=1, concurrency=1, repair=True)
    fake = _fake()

    records = asyncio.run(run_eval(CASES, cfg, llm=fake, show_progress=False))

    api, perf = records
    assert [(b.text, b.origin, b.original, b.attempt) for b in api.accepted] == [(SALVAGED, "repaired", INFLATED, 1)]
    assert api.attempts == 1  # no re-ask spent on it
    assert [(b.origin, b.attempt) for b in perf.accepted] == [("fallback", 0)]
    report = validate_report(build_report(CASES, records, cfg))
    m = report["groups"][0]["metrics"]
    assert (m["bullets_accepted"], m["bullets_repaired"], m["bullets_accepted_first_attempt"]) == (1, 1, 0)
    assert (m["bullets_fallback"], m["acceptance"], m["acceptance_with_fallback"]) == (1, 0.5, 1.0)
    assert report["config"]["repair"] is True

    html = write_reports(report, tmp_path)["html"].read_text(encoding="utf-8")
    assert "<del>Led</del><ins>Helped add</ins>" in html.replace(" </del>", "</del>").replace(" </ins>", "</ins>")
    assert "fallback: a sentence of the notes" in html


def test_with_repair_off_the_eval_only_re_asks() -> None:
    cfg = config(max_bullets=1, max_reasks=1, concurrency=1, repair=False)
    fake = FakeLLM(
        reply((INFLATED, ["notes"], "api")),
        reply(("1.1", ["notes"], "api")),
        reply(("1.1", ["notes"], "performance")),
        reply(("1.1", ["notes"], "performance")),
    )

    api, perf = asyncio.run(run_eval(CASES, cfg, llm=fake, show_progress=False))

    assert (api.accepted, perf.accepted, api.attempts) == ((), (), 2)


def test_the_repair_setting_is_kept_beside_the_recordings(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path / "rec")
    cfg = config(max_bullets=1, max_reasks=1, concurrency=1, repair=True, mode="record")
    recorded = asyncio.run(run_eval(CASES, cfg, llm=_fake(), store=store, show_progress=False))
    settings = RunSettings(("v1",), ("fake-model",), 1, 1, 1, None, 120.0, 1, tuple(c.id for c in CASES), repair=True)
    save_run_settings(tmp_path / "rec", settings)

    loaded = load_run_settings(tmp_path / "rec")
    assert loaded is not None and loaded.repair is True
    replay = config(max_bullets=1, max_reasks=1, concurrency=1, repair=loaded.repair, mode="replay")
    replayed = asyncio.run(run_eval(CASES, replay, llm=None, store=store, show_progress=False))
    assert [r.as_dict() for r in replayed] == [r.as_dict() for r in recorded]


def test_recordings_made_before_the_setting_replay_without_the_salvage(tmp_path: Path) -> None:
    settings = RunSettings(("v1",), ("fake-model",), 1, 1, 1, None, 120.0, 1, ("api-01-pagination",), repair=True)
    path = save_run_settings(tmp_path, settings)
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["repair"]
    path.write_text(json.dumps(data), encoding="utf-8")

    loaded = load_run_settings(tmp_path)

    assert loaded is not None and loaded.repair is False
