"""The prompt author's loop in ``evals/README.md``: each documented ``bulletguard eval`` command against a
model server is a command the CLI takes, and resolves to the endpoint its comment promises.

The llama.cpp one is also run, as written, against the real server (``test_eval_local_model.py``); no
Ollama, vLLM or hosted provider can run here, so for those the resolved settings are what is checked.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

import pytest

from service.evals.cases import REPO_ROOT
from service.evals.cli import build_run_parser
from service.evals.endpoint import endpoint_from
from service.settings import Settings

README = REPO_ROOT / "evals" / "README.md"
_FENCE = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class DocCommand:
    server: str  # the block's first comment, up to its colon or parenthesis
    env: dict[str, str]  # VAR=value before the command
    argv: list[str]  # after `bulletguard eval`


def server_commands() -> list[DocCommand]:
    """Every ```sh block whose first line is a ``# server`` comment and that runs ``bulletguard eval``."""
    out: list[DocCommand] = []
    for block in _FENCE.finditer(README.read_text(encoding="utf-8")):
        lines = block.group(1).replace("\\\n", " ").splitlines()
        if not lines or not lines[0].startswith("# ") or "bulletguard eval --prompts" not in block.group(1):
            continue
        server = re.split(r"[:(]", lines[0][2:], maxsplit=1)[0].strip()
        (command,) = [line for line in lines if "bulletguard eval" in line]
        words = shlex.split(command)
        at = words.index("bulletguard")
        env = dict(word.split("=", 1) for word in words[:at])
        out.append(DocCommand(server, env, words[at + 2 :]))
    return out


COMMANDS = {command.server: command for command in server_commands()}

EXPECTED = {
    "llama.cpp's server": ("http://127.0.0.1:8797/v1", "json_object", 512, "unused"),
    "Ollama": ("http://127.0.0.1:11434/v1", "json_schema", None, "unused"),
    "vLLM": ("http://127.0.0.1:8000/v1", "json_schema", None, "unused"),
    "a hosted provider": (None, "json_schema", None, "sk-from-its-own-variable"),
}


def test_the_loop_is_documented_for_each_kind_of_server() -> None:
    assert set(COMMANDS) == set(EXPECTED)


@pytest.mark.parametrize("server", sorted(EXPECTED))
def test_a_documented_command_resolves_to_its_server(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    command = COMMANDS[server]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-its-own-variable")
    for name, value in command.env.items():
        monkeypatch.setenv(name, value)

    args = build_run_parser().parse_args(command.argv)
    endpoint = endpoint_from(
        Settings(),
        api_base=args.api_base,
        api_key_env=args.api_key_env,
        schema_mode=args.schema_mode,
        max_tokens=args.max_tokens,
    )

    assert (endpoint.api_base, endpoint.schema_mode, endpoint.max_tokens, endpoint.api_key) == EXPECTED[server]
    assert args.prompt == ["v1", "v2"] and args.prompts is not None and len(args.model) == 1
