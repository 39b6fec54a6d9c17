"""The resume core (readers, pairing, check) is pure like the guard: plain functions of text, stdlib,
PyYAML's parser and the guard's front door only. Files, git, HTTP, MCP and settings are its callers'
(``service/cli/resume.py``, ``service/contract/check_edit.py``, ``service/mcp/server.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.purity import imported_modules, modules_pulled_in, used_names

RESUME = Path(__file__).resolve().parents[2] / "service" / "resume"
MODULES = sorted(RESUME.glob("*.py"))

ALLOWED_STDLIB = frozenset(
    {"re", "json", "bisect", "datetime", "dataclasses", "collections", "collections.abc", "typing", "__future__"}
)
FORBIDDEN_ROOTS = frozenset(
    {
        "fastapi",
        "starlette",
        "pydantic",
        "pydantic_settings",
        "litellm",
        "httpx",
        "structlog",
        "mcp",
        "os",
        "subprocess",
        "pathlib",
        "io",
    }
)


def _allowed(name: str) -> bool:
    return (
        name in ALLOWED_STDLIB
        or name in {"yaml", "service.guard", "service.resume"}
        or name.startswith("service.resume.")
    )


def test_resume_modules_exist() -> None:
    assert {p.stem for p in MODULES} >= {
        "__init__",
        "_model",
        "_read",
        "_check",
        "_json_resume",
        "_rendercv",
        "_markdown",
    }


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_imports_only_stdlib_yaml_the_guard_and_itself(path: Path) -> None:
    imported = imported_modules(path, "service.resume")
    bad = [name for name in imported if not _allowed(name)]
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_opens_no_file_and_reads_no_environment_or_clock(path: Path) -> None:
    names, attrs = used_names(path)
    assert not ({"environ", "getenv", "settings", "get_settings", "now", "monotonic"} & (names | attrs)), path.name
    assert not ({"open", "read_text", "load", "unsafe_load", "full_load"} & (names | attrs)), (
        f"{path.name} reads a file or builds arbitrary YAML objects"
    )


def test_importing_and_using_the_core_pulls_in_no_framework() -> None:
    setup = (
        "import service.resume as r\n"
        'b = r.parse_resume(\'{"work": [{"name": "A", "highlights": ["Built it."]}]}\')\n'
        "a = r.parse_resume('cv:\\n  sections:\\n    x:\\n      - name: A\\n        highlights: [Built it.]\\n')\n"
        "r.check_edit(b, r.parse_resume('## A\\n- Built it.\\n'))\n"
    )
    pulled_in = modules_pulled_in(setup, FORBIDDEN_ROOTS - {"os", "io", "pathlib", "subprocess"}, cwd=RESUME.parents[1])
    assert pulled_in == "", pulled_in
