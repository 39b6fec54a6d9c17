"""Imports point one way, from the edges to the core: one package per layer, and this table says which
layers each may import. A module outside every layer, or an import against the table, fails here.

    core       service.guard, service.coach,     pure: stdlib only (tests/guard, tests/coach test that)
               service.repair
    resume     service.resume                    pure readers of resume files and the edit check
    rewrite    service.rewrite (+ .llm)          the loop and the LLM edge behind its port
    contract   service.contract                  request/response models and the runs they start
    edges      service.chatops, service.http,    chat-ops, the app, the eval suite, the CLI, the MCP server
               service.evals, service.cli, service.mcp

Shared by the non-core layers: ``service.settings`` (configuration) and ``service.logs`` (log setup).
Edges do not import each other, except the app mounting the chat-ops routes and the CLI starting them all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.purity import imported_modules

SERVICE = Path(__file__).resolve().parents[1] / "service"

CORE = frozenset({"guard", "coach", "repair"})
SHARED = frozenset({"settings", "logs", "__init__", "_native"})  # ``__init__``: ``from service import __version__``

# layer (a package or a top-level module of ``service``) -> the other layers it may import
MAY_IMPORT: dict[str, frozenset[str]] = {
    "guard": frozenset(),
    "coach": frozenset({"guard"}),
    "repair": frozenset({"guard"}),
    "rewrite": CORE,
    "resume": CORE,
    "contract": CORE | {"rewrite", "resume", "settings"},
    "chatops": CORE | {"rewrite", "contract", "settings"},
    "http": CORE | SHARED | {"rewrite", "contract", "chatops"},
    "evals": CORE | SHARED | {"rewrite"},
    "mcp": CORE | SHARED | {"rewrite", "contract", "resume", "http"},
    "cli": CORE | SHARED | {"rewrite", "contract", "resume", "http", "evals", "mcp"},
    "__main__": frozenset({"cli"}),
    "settings": frozenset(),
    "logs": frozenset({"settings"}),
    "__init__": frozenset({"_native"}),
    "_native": frozenset(),  # finds the guard's compiled build (stdlib only)
}


def layer_of_module(name: str) -> str | None:
    """The layer of an imported module name (``None`` outside the service)."""
    parts = name.split(".")
    if parts[0] != "service":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def layer_of_path(path: Path, root: Path) -> str:
    return path.relative_to(root).parts[0].removesuffix(".py")


def wrong_imports(path: Path, root: Path) -> list[str]:
    """The service modules ``path`` (a file under ``root``, the ``service`` folder) may not import."""
    layer = layer_of_path(path, root)
    package = ".".join(["service", *path.relative_to(root).parent.parts])
    allowed = MAY_IMPORT[layer] | {layer}
    return [name for name in imported_modules(path, package) if layer_of_module(name) not in allowed | {None}]


MODULES = sorted(SERVICE.rglob("*.py"))


def test_every_module_is_in_a_layer() -> None:
    layers = {layer_of_path(path, SERVICE) for path in MODULES}
    assert layers == set(MAY_IMPORT), layers ^ set(MAY_IMPORT)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(SERVICE)) for p in MODULES])
def test_imports_point_to_the_core(path: Path) -> None:
    assert wrong_imports(path, SERVICE) == [], f"{path.relative_to(SERVICE)}: layer {layer_of_path(path, SERVICE)}"


def test_an_import_against_the_direction_is_caught(tmp_path: Path) -> None:
    root = tmp_path / "service"
    (root / "rewrite").mkdir(parents=True)
    bad = root / "rewrite" / "shortcut.py"
    bad.write_text(
        "from service.guard import check_bullet\n"
        "from service.rewrite.pipeline import rewrite\n"
        "from service.http.problems import ProblemError\n"
        "import service.settings\n"
        "def later():\n"
        "    from service.cli import main\n",
        encoding="utf-8",
    )
    assert wrong_imports(bad, root) == ["service.http.problems", "service.settings", "service.cli"]


def test_the_table_keeps_the_core_and_the_rewrite_free_of_edges() -> None:
    assert MAY_IMPORT["guard"] == frozenset() and MAY_IMPORT["coach"] <= CORE
    assert MAY_IMPORT["rewrite"] <= CORE
