"""The core's compiled build: the same modules compiled by mypyc, used when present and current.

``scripts/build_native.py`` (run by ``make venv``) compiles the modules of ``service/guard/``,
``service/repair/`` and ``service/coach/`` into extension modules under ``<venv>/bulletguard-native/``
and stamps them with a digest of the sources it compiled. On import of ``service``, a finder placed
before the standard ones loads those modules from the build, but only while the stamp matches the
sources beside this file: an edited module makes the whole core run its Python reading until it is
rebuilt, never stale machine code. The Python modules stay the
reference: the same sources, and ``BULLETGUARD_PURE_PYTHON=1`` runs them instead (tests compare the two).

Nothing here changes what the guard decides; a wheel installed from an index has no build and runs the
Python reading.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

# the pure core: the guard, and the repair and coach that run on its results in every /v1/verify
PACKAGES = ("service.guard", "service.repair", "service.coach")
ROOT = Path(__file__).resolve().parent.parent
STAMP = "stamp.json"
PURE_ENV = "BULLETGUARD_PURE_PYTHON"


def native_dir(prefix: str | None = None) -> Path:
    """Where the build of this interpreter's environment lives."""
    return Path(prefix or sys.prefix) / "bulletguard-native"


def compiled_sources(root: Path = ROOT) -> list[Path]:
    """The modules the build compiles: the core packages' modules, but not their ``__init__``, which stay
    Python (and are where the build's finder hands over)."""
    return [
        path
        for package in PACKAGES
        for path in sorted(root.joinpath(*package.split(".")).glob("*.py"))
        if path.name != "__init__.py"
    ]


def sources_digest(sources: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in sources:
        digest.update(f"{path.parent.name}/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def stamp_for(sources: Sequence[Path]) -> dict[str, str]:
    return {"cache_tag": str(sys.implementation.cache_tag), "sources": sources_digest(sources)}


class _NativeFinder:
    """Finds the core's modules in the build; anything else is left to the standard finders."""

    def __init__(self, modules: dict[str, Path]) -> None:
        self.modules = modules

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        location = self.modules.get(fullname)
        if location is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(location))
        return importlib.util.spec_from_file_location(fullname, location, loader=loader)


def _built_modules(build: Path) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        package_dir = build.joinpath(*package.split("."))
        for path in sorted(package_dir.iterdir() if package_dir.is_dir() else ()):
            suffix = next((s for s in importlib.machinery.EXTENSION_SUFFIXES if path.name.endswith(s)), None)
            name = path.name.removesuffix(suffix) if suffix else ""
            if name.isidentifier():
                modules[f"{package}.{name}"] = path
    return modules


def usable(build: Path) -> tuple[str, dict[str, Path]]:
    """Whether ``build`` can stand in for the guard's sources: ``compiled`` and its modules, or why not."""
    try:
        stamp = json.loads((build / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "python (no compiled build)", {}
    if stamp != stamp_for(compiled_sources()):
        return "python (the compiled build is stale: rebuild with `make venv`)", {}
    modules = _built_modules(build)
    if not modules:
        return "python (no compiled build)", {}
    return "compiled", modules


def install() -> str:
    """Put the build's finder first when it is usable; returns why the guard runs compiled or not."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return f"python ({PURE_ENV} is set)"
    status, modules = usable(native_dir())
    if modules and not any(isinstance(finder, _NativeFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _NativeFinder(modules))
    return status


def guard_build() -> str:
    """``compiled`` or ``python``: what the imported guard modules actually are."""
    checked = sys.modules.get("service.guard._check")
    if checked is None:
        return "not loaded"
    return "compiled" if isinstance(checked.__loader__, importlib.machinery.ExtensionFileLoader) else "python"


STATUS = install()
