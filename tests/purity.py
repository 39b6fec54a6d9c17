"""Source checks shared by the purity tests of the pure cores (``service.guard``, ``service.coach``).

They read a module as text (``ast``), never import it: what it imports, which names it uses, which
packaged data files it loads; and, in a fresh interpreter, which modules importing a core pulls in.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(path: Path, package: str) -> list[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved inside ``package``)."""
    names: list[str] = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.append(package + (f".{node.module}" if node.module else ""))
            else:
                assert node.module is not None
                names.append(node.module)
    return names


def used_names(path: Path) -> tuple[set[str], set[str]]:
    """The bare names and the attribute names ``path`` uses."""
    tree = _tree(path)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    return names, attrs


def loaded_data_names(path: Path) -> set[str]:
    """The names ``path`` passes to its data loader: the first argument of every ``load("...")`` call."""
    return {
        node.args[0].value
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "load"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def modules_pulled_in(setup: str, roots: Iterable[str], cwd: Path) -> str:
    """Run ``setup`` (imports and calls) in a fresh interpreter in ``cwd``; the modules it left imported
    whose top-level package is one of ``roots``, or that are the service's settings or problems, comma-joined."""
    code = (
        "import sys\n"
        f"{setup}"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{sorted(roots)!r} or m in ('service.settings', 'service.http.problems'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    return out.stdout.strip()
