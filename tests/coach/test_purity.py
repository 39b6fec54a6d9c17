"""The coach core is pure like the guard: stdlib, the guard and its own modules only; rules, questions and
keywords in packaged data files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.purity import imported_modules, loaded_data_names, modules_pulled_in, used_names

COACH = Path(__file__).resolve().parents[2] / "service" / "coach"
MODULES = sorted(COACH.glob("*.py"))

ALLOWED_STDLIB = frozenset(
    {
        "bisect",
        "json",
        "dataclasses",
        "functools",
        "itertools",
        "collections.abc",
        "importlib.resources",
        "typing",
        "__future__",
    }
)
FORBIDDEN_ROOTS = frozenset(
    {"fastapi", "starlette", "pydantic", "pydantic_settings", "litellm", "httpx", "structlog", "os", "time"}
)

# each module and the data files it reads (phrases.json is read through _read.phrase_list by all)
MODULE_DATA = {
    "_read": ["phrases", "lint"],
    "lint": ["lint"],
    "questions": ["questions"],
    "match": ["keywords"],
}


def _imports(path: Path) -> list[str]:
    return imported_modules(path, "service.coach")


def _allowed(name: str) -> bool:
    return (
        name in ALLOWED_STDLIB
        or name in {"service.coach", "service.guard"}
        or name.startswith(("service.coach.", "service.guard."))
    )


def test_coach_modules_exist() -> None:
    assert {p.stem for p in MODULES} >= {"__init__", *MODULE_DATA}, MODULES


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_imports_only_stdlib_guard_and_coach(path: Path) -> None:
    bad = [name for name in _imports(path) if not _allowed(name)]
    assert not bad, f"{path.name} imports {bad}"
    roots = {name.split(".")[0] for name in _imports(path)}
    assert not roots & FORBIDDEN_ROOTS, f"{path.name} imports {roots & FORBIDDEN_ROOTS}"


@pytest.mark.parametrize("path", [p for p in MODULES if p.stem != "_read"], ids=lambda p: p.name)
def test_only_the_reader_touches_guard_internals(path: Path) -> None:
    private = [name for name in _imports(path) if name.startswith("service.guard._")]
    assert not private, f"{path.name} imports guard internals {private}; go through service.coach._read"


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_reads_no_environment_settings_or_clock(path: Path) -> None:
    names, attrs = used_names(path)
    assert not ({"environ", "getenv", "settings", "get_settings", "now", "monotonic"} & (names | attrs)), path.name
    assert "open" not in names, f"{path.name} opens files itself; data goes through the package loader"


@pytest.mark.parametrize("module", sorted(MODULE_DATA))
def test_vocabulary_is_a_data_file(module: str) -> None:
    loaded = loaded_data_names(COACH / f"{module}.py")
    for name in MODULE_DATA[module]:
        data_file = COACH / "data" / f"{name}.json"
        data = json.loads(data_file.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and data.get("comment"), f"{data_file} explains itself in 'comment'"
        assert name in loaded, f"{module}.py does not load data/{name}.json"


def test_every_data_file_is_used() -> None:
    wanted = {name for names in MODULE_DATA.values() for name in names}
    present = {p.stem for p in (COACH / "data").glob("*.json")}
    assert present == wanted, present ^ wanted


def test_every_named_phrase_list_is_used_and_every_reference_exists() -> None:
    lists = json.loads((COACH / "data" / "phrases.json").read_text(encoding="utf-8"))["lists"]
    used = set()
    for name in ("lint", "questions"):
        text = (COACH / "data" / f"{name}.json").read_text(encoding="utf-8")
        used |= {ref[2:-1] for ref in re.findall(r'"@[a-z_]+"', text)}
    assert used == set(lists), used ^ set(lists)


def test_data_files_are_packaged() -> None:
    pyproject = (COACH.parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"service.coach" = ["data/*.json"]' in pyproject


def test_importing_the_coach_pulls_in_no_framework() -> None:
    setup = (
        "import service.coach as c\n"
        "c.lint_bullet('Worked on microservices.')\n"
        "c.questions_for('built the api')\n"
        "c.match_posting('built the api in go', [], 'Go and Kafka')\n"
    )
    pulled_in = modules_pulled_in(setup, FORBIDDEN_ROOTS - {"os", "time"}, cwd=COACH.parents[1])
    assert pulled_in == "", pulled_in
