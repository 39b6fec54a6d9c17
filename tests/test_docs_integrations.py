"""The README's "Resume files and agents" commands are what users copy: each ```sh block there (but the
curl ones, which tests/test_docs_examples.py runs) runs in bash, in a folder holding the files the README
names, with ``bulletguard`` on the PATH; its output must be the ```text block that follows it.

``bulletguard rewrite`` reaches a real OpenAI-compatible server on a loopback port that answers with the
bullets the README shows (accepted and refused): the guard must sort them exactly as shown.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes import LITELLM_WARNINGS, reply
from tests.resume.expectations import FIXTURES
from tests.stub_llm_server import stub_llm_server

ROOT = Path(__file__).resolve().parent.parent
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)

NOTES = (
    "Helped debug a memory leak in the notification worker. Added retries with backoff to the webhook "
    "sender for Acme. Wrote a runbook for worker restarts.\n"
)
BRAG = (
    "Northwind: helped debug a memory leak in the notification worker; added retries with backoff to the "
    "webhook sender; wrote the runbook for restarting it.\nContoso: moved the session store from Redis to "
    "PostgreSQL.\n"
)


@dataclass(frozen=True)
class Command:
    where: str
    script: str
    output: str


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Resume files and agents")
    return text[start : text.index("\n## ", start + 1)]


def commands() -> list[Command]:
    text = section()
    blocks = list(_FENCE.finditer(text))
    out = []
    for block, follower in zip(blocks, [*blocks[1:], None], strict=True):
        if block.group(1) != "sh" or "curl " in block.group(2):
            continue
        assert follower is not None and follower.group(1) == "text", "show what the command prints"
        line = text.count("\n", 0, block.start()) + 1
        out.append(Command(f"README.md#resume-files:{line}", block.group(2), follower.group(2)))
    return out


COMMANDS = commands()


def test_each_integration_has_its_example() -> None:
    scripts = " ".join(c.script for c in COMMANDS)
    assert "bulletguard check-edit" in scripts and "--annotations github" in scripts
    assert "bulletguard verify --resume" in scripts and "bulletguard rewrite" in scripts
    assert "repo: local" in section() and '"mcpServers"' in section()


def _workspace(tmp_path: Path) -> Path:
    shutil.copy(FIXTURES / "resume.json", tmp_path / "resume.json")
    shutil.copy(FIXTURES / "resume.inflated.json", tmp_path / "resume.edited.json")
    (tmp_path / "notes.md").write_text(NOTES, encoding="utf-8")
    (tmp_path / "brag.md").write_text(BRAG, encoding="utf-8")
    return tmp_path


def _shown_bullets(output: str) -> str:
    """The model's reply that makes ``bulletguard rewrite`` print ``output``: its accepted and refused bullets."""
    accepted = re.findall(r"^  \d+\. (.*)\n     sources: (.*); proves: (\w+)$", output, re.MULTILINE)
    refused = re.findall(r"^  - (.*)$", output, re.MULTILINE)
    bullets = [(text, sources.split(", "), area) for text, sources, area in accepted]
    return reply(*bullets, *[(text, ["notes"], "reliability") for text in refused])


@LITELLM_WARNINGS
@pytest.mark.parametrize("command", COMMANDS, ids=[c.where for c in COMMANDS])
def test_a_documented_command_prints_the_documented_output(command: Command, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETGUARD_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    model = re.search(r"^model (\S+), prompt \S+, \d+ call\(s\), (\d+)\+(\d+) tokens$", command.output, re.M)
    with stub_llm_server(
        *([_shown_bullets(command.output)] if model else []),
        model=model.group(1) if model else "stub-model",
        prompt_tokens=int(model.group(2)) if model else 0,
        completion_tokens=int(model.group(3)) if model else 0,
    ) as stub:
        done = subprocess.run(
            ["bash", "-c", command.script],
            cwd=_workspace(tmp_path),
            env={**env, **stub.env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout == command.output, done.stderr


def test_the_mcp_snippet_is_valid_json_for_an_mcp_host() -> None:
    block = next(m.group(2) for m in _FENCE.finditer(section()) if m.group(1) == "json" and "mcpServers" in m.group(2))
    server = json.loads(block)["mcpServers"]["bulletguard"]
    assert server["command"] == "bulletguard" and server["args"] == ["mcp"]
