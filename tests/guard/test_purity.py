"""The guard core is pure: stdlib (and its own modules) only, vocabularies in packaged data files."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

GUARD = Path(__file__).resolve().parents[2] / "service" / "guard"
MODULES = sorted(GUARD.glob("*.py"))

ALLOWED_STDLIB = frozenset(
    {"re", "json", "math", "dataclasses", "functools", "collections.abc", "importlib.resources", "typing", "__future__"}
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
    "redaction": ["redaction"],
}


def _imports(path: Path) -> list[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved inside service.guard)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.append("service.guard" + (f".{node.module}" if node.module else ""))
            else:
                assert node.module is not None
                names.append(node.module)
    return names


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
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not ({"environ", "getenv", "settings", "get_settings"} & (names | attrs)), path.name
    assert "open" not in names, f"{path.name} opens files itself; vocabularies go through the package loader"


@pytest.mark.parametrize("module", sorted(CHECK_DATA))
def test_check_vocabulary_is_a_data_file(module: str) -> None:
    source = (GUARD / f"{module}.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    loaded = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "load"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
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
    import subprocess
    import sys

    code = (
        "import sys, service.guard as g\n"
        "g.verify('built the api', [], [], ['Built the API.'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{sorted(FORBIDDEN_ROOTS - {'os'})!r} or m in ('service.settings', 'service.problems'))\n"
        "print(','.join(bad))\n"
    )
    root = GUARD.parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", out.stdout
