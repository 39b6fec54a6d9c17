"""The guard core is pure: stdlib (and its own modules) only, vocabularies in packaged data files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.purity import imported_modules, loaded_data_names, modules_pulled_in, used_names

GUARD = Path(__file__).resolve().parents[2] / "service" / "guard"
MODULES = sorted(GUARD.glob("*.py"))

ALLOWED_STDLIB = frozenset(
    {
        "re",
        "json",
        "math",
        "bisect",
        "dataclasses",
        "functools",
        "collections.abc",
        "importlib.resources",
        "typing",
        "unicodedata",  # Unicode normalization of redact terms: pure tables, no I/O, no clock
        "itertools",  # the tokenizer's running sums of offsets: pure iteration, no I/O, no clock
        "__future__",
    }
)
FORBIDDEN_ROOTS = frozenset(
    {"fastapi", "starlette", "pydantic", "pydantic_settings", "litellm", "httpx", "structlog", "os"}
)

# each check module and the vocabulary files it reads
CHECK_DATA = {
    "metric": ["metric"],
    "tool": ["technologies", "tool_context"],
    "ownership": ["ownership"],
    "scope": ["scope"],
    "outcome": ["outcome"],
    "redaction": ["redaction"],
    "instruction": ["instruction"],
}


def _imports(path: Path) -> list[str]:
    return imported_modules(path, "service.guard")


def _allowed(name: str) -> bool:
    return name in ALLOWED_STDLIB or name == "service.guard" or name.startswith("service.guard.")


def test_guard_modules_exist() -> None:
    assert {p.stem for p in MODULES} >= {"__init__", *CHECK_DATA}, MODULES


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_imports_only_stdlib_and_guard(path: Path) -> None:
    bad = [name for name in _imports(path) if not _allowed(name)]
    assert not bad, f"{path.name} imports {bad}"
    roots = {name.split(".")[0] for name in _imports(path)}
    assert not roots & FORBIDDEN_ROOTS, f"{path.name} imports {roots & FORBIDDEN_ROOTS}"


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_reads_no_environment_or_settings(path: Path) -> None:
    names, attrs = used_names(path)
    assert not ({"environ", "getenv", "settings", "get_settings"} & (names | attrs)), path.name
    assert "open" not in names, f"{path.name} opens files itself; vocabularies go through the package loader"


@pytest.mark.parametrize("module", sorted(CHECK_DATA))
def test_check_vocabulary_is_a_data_file(module: str) -> None:
    loaded = loaded_data_names(GUARD / f"{module}.py")
    for name in CHECK_DATA[module]:
        data_file = GUARD / "data" / f"{name}.json"
        assert data_file.is_file(), f"missing {data_file}"
        data = json.loads(data_file.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and data, data_file
        assert name in loaded, f"{module}.py does not load data/{name}.json"


def test_every_data_file_is_used() -> None:
    wanted = {name for names in CHECK_DATA.values() for name in names}
    present = {p.stem for p in (GUARD / "data").glob("*.json")}
    assert present == wanted, present ^ wanted


def test_importing_the_guard_pulls_in_no_framework() -> None:
    setup = "import service.guard as g\ng.verify('built the api', [], [], ['Built the API.'])\n"
    pulled_in = modules_pulled_in(setup, FORBIDDEN_ROOTS - {"os"}, cwd=GUARD.parents[1])
    assert pulled_in == "", pulled_in
