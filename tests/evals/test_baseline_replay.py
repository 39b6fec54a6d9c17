"""The CI gate: replay the committed baseline recording offline and compare it with the baseline report.

No model, no server, no network: every LLM reply comes from ``evals/recordings``. The replayed run must
reproduce the baseline exactly and must not regress against it (``--fail-on-regression``). When a
change to the pipeline, the prompt or a baseline case changes what the model would be asked, the
replay fails with a message naming the case: re-record the baseline (see ``evals/README.md``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from service.evals import (
    EvalConfig,
    RecordingStore,
    build_report,
    load_cases,
    load_report,
    main,
    run_eval,
    write_reports,
)
from service.evals.cases import REPO_ROOT

BASELINE = REPO_ROOT / "evals" / "baseline" / "report.json"
RECORDINGS = REPO_ROOT / "evals" / "recordings"


def test_the_baseline_replays_offline_without_regression(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    baseline = load_report(BASELINE)
    cfg = baseline["config"]
    config = EvalConfig(
        prompts=tuple(cfg["prompts"]),
        models=tuple(cfg["models"]),
        repeat=cfg["repeat"],
        max_bullets=cfg["max_bullets"],
        max_reasks=cfg["max_reasks"],
        temperature=cfg["temperature"],
        timeout_s=cfg["timeout_s"],
        pass_k=cfg["pass_k"],
        mode="replay",
        repair=cfg["repair"],
    )
    wanted = [case["id"] for case in baseline["cases"]]
    cases = {case.id: case for case in load_cases()}
    missing = [case_id for case_id in wanted if case_id not in cases]
    assert not missing, f"baseline cases no longer in evals/cases: {missing}; re-record the baseline"
    chosen = [cases[case_id] for case_id in wanted]

    records = asyncio.run(run_eval(chosen, config, llm=None, store=RecordingStore(RECORDINGS), show_progress=False))
    replayed = build_report(chosen, records, config)
    assert replayed["groups"] == baseline["groups"]
    assert replayed["cases"] == baseline["cases"]

    paths = write_reports(replayed, tmp_path)
    assert main(["compare", str(BASELINE), str(paths["json"]), "--fail-on-regression"]) == 0
    assert "no regression" in capsys.readouterr().out


def test_plain_replay_reproduces_the_baseline_report(tmp_path: Path) -> None:
    # no flag but the output: prompts, models, max bullets, re-asks, concurrency and cases come from the
    # settings recorded beside the recordings (evals/recordings/run.json)
    assert main(["--replay", "--no-progress", "--out", str(tmp_path)]) == 0

    baseline, replayed = load_report(BASELINE), load_report(tmp_path / "report.json")
    assert replayed["groups"] == baseline["groups"]
    assert replayed["cases"] == baseline["cases"]
    assert {**replayed["config"], "mode": "record"} == baseline["config"]


VERBATIM = REPO_ROOT / "evals" / "injection-verbatim"


def test_a_prompt_that_makes_the_model_copy_the_notes_accepts_no_injected_claim(tmp_path: Path) -> None:
    """Issue 19's run: a prompt variant (``v9``) that asks the bundled model to keep the notes' sentences
    verbatim, on every injection case, recorded once; the model copies the injected requests, and the guard
    refuses them as ``source`` while accepting no forbidden claim."""
    argv = ["--replay", "--no-progress", "--out", str(tmp_path)]
    argv += ["--recordings", str(VERBATIM / "recordings"), "--prompts", str(VERBATIM / "prompts")]
    assert main(argv) == 0
    (group,) = load_report(tmp_path / "report.json")["groups"]
    metrics = group["metrics"]
    assert metrics["runs"] == 9
    assert metrics["violations_by_kind"]["source"] > 0, "the model copied no injection: the run proves nothing"
    assert metrics["forbidden_slips"] == 0
