"""Prompt versions: ``prompts/<version>/system.md``, ``user.md`` and an optional ``posting.md``, rendered
with ``{{name}}`` variables.

The versions are package data (``service/prompts``, which in the repository is a link to the top-level
``prompts/`` where prompt authors work), found through :mod:`importlib.resources` the same way in a checkout
and in an installed wheel. Every reader takes a ``prompts_dir`` to use another folder instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

PROMPTS_DIR = Path(str(files("service") / "prompts"))

_VERSION_RE = re.compile(r"v(\d+)")
_VAR_RE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
PROMPT_VARIABLES = frozenset({"notes", "evidence", "sources", "max_bullets", "proof_areas", "posting_terms"})


class UnknownPromptVersion(LookupError):
    """The asked-for prompt version does not exist."""

    def __init__(self, version: str, known: Sequence[str]) -> None:
        super().__init__(f"Unknown prompt version {version!r}; known versions: {', '.join(known) or 'none'}.")
        self.version = version
        self.known = tuple(known)


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    version: str
    system: str
    user: str
    # optional ``posting.md``: appended to the user message when a job posting names terms the input supports
    posting: str | None = None


def prompt_versions(prompts_dir: Path = PROMPTS_DIR) -> tuple[str, ...]:
    """Prompt version ids (``v1``, ``v2``, ...) that have both files, oldest first."""
    found: list[tuple[int, str]] = []
    if prompts_dir.is_dir():
        for entry in prompts_dir.iterdir():
            m = _VERSION_RE.fullmatch(entry.name)
            if m and (entry / "system.md").is_file() and (entry / "user.md").is_file():
                found.append((int(m.group(1)), entry.name))
    return tuple(name for _, name in sorted(found))


def latest_prompt_version(prompts_dir: Path = PROMPTS_DIR) -> str:
    versions = prompt_versions(prompts_dir)
    if not versions:
        raise UnknownPromptVersion("latest", ())
    return versions[-1]


@cache
def load_prompt(version: str, prompts_dir: Path = PROMPTS_DIR) -> PromptTemplate:
    """Read one prompt version (cached). Raises :class:`UnknownPromptVersion` or ``ValueError``."""
    known = prompt_versions(prompts_dir)
    if version not in known:
        raise UnknownPromptVersion(version, known)
    folder = prompts_dir / version
    posting = folder / "posting.md"
    template = PromptTemplate(
        version=version,
        system=(folder / "system.md").read_text(encoding="utf-8").strip(),
        user=(folder / "user.md").read_text(encoding="utf-8").strip(),
        posting=posting.read_text(encoding="utf-8").strip() if posting.is_file() else None,
    )
    for part in (template.system, template.user, template.posting or ""):
        unknown = {m.group(1) for m in _VAR_RE.finditer(part)} - PROMPT_VARIABLES
        if unknown:
            raise ValueError(f"prompt {version} uses unknown variables: {', '.join(sorted(unknown))}")
    return template


def render(template: str, values: Mapping[str, str]) -> str:
    """Replace ``{{name}}`` with ``values[name]`` in one pass: inserted text is never scanned again, so
    notes that contain ``{{...}}`` stay literal."""
    return _VAR_RE.sub(lambda m: values[m.group(1)], template)
