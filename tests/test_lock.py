"""requirements.lock (pip-compile, exact versions with hashes) is the install the Dockerfile and deployments
use; it must say the same as pyproject.toml. When this fails, refresh it with the command in its header
(docs/operations.md, "Pinned installs")."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = (ROOT / "requirements.lock").read_text(encoding="utf-8")
DEPENDENCIES = [
    Requirement(r)
    for r in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
]


def pins() -> dict[str, tuple[str, str]]:
    """Each locked package: its version and the block of the lock that pins it (hashes, `# via` lines)."""
    found: dict[str, tuple[str, str]] = {}
    for block in re.split(r"\n(?=\S)", LOCK):
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if match:
            found[canonicalize_name(match.group(1))] = (match.group(2), block)
    return found


def test_every_dependency_of_pyproject_is_pinned_within_its_range() -> None:
    locked = pins()
    for requirement in DEPENDENCIES:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement} is not in requirements.lock"
        version = locked[name][0]
        assert requirement.specifier.contains(version, prereleases=True), f"{name}=={version} breaks '{requirement}'"


def test_the_lock_pins_no_direct_dependency_that_pyproject_dropped() -> None:
    direct = {canonicalize_name(r.name) for r in DEPENDENCIES}
    stale = [
        name for name, (_, block) in pins().items() if "bulletguard (pyproject.toml)" in block and name not in direct
    ]
    assert not stale, f"requirements.lock still pins {stale} for pyproject.toml"


def test_every_pin_carries_a_hash() -> None:
    unhashed = [name for name, (_, block) in pins().items() if "--hash=sha256:" not in block]
    assert not unhashed
    assert "--generate-hashes" in LOCK.split("\n\n", 1)[0]
