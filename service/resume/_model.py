"""Plain data of a resume as the checks read it: entries (a job, a project, a volunteer role, a heading)
and their bullets, each bullet with the line of the file it is on. Frozen dataclasses, no framework."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ResumeFormat = Literal["json-resume", "rendercv", "markdown"]
FORMATS: tuple[ResumeFormat, ...] = ("json-resume", "rendercv", "markdown")
FORMAT_NAMES: dict[ResumeFormat, str] = {
    "json-resume": "JSON Resume",
    "rendercv": "RenderCV YAML",
    "markdown": "Markdown",
}


class ResumeError(ValueError):
    """A text that is not a valid resume of its format. The message says where (a line, or a path in the
    document such as ``work[1].highlights[0]``) and what is wrong; it never quotes the resume's text."""


@dataclass(frozen=True, slots=True)
class Bullet:
    text: str
    line: int | None  # 1-based line in the file; None for a JSON object given without its text


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a resume section, e.g. a job: ``section`` "work", ``organization`` "Acme",
    ``title`` "Backend Engineer". ``context`` is the entry's other prose (its summary or description),
    which a changed bullet may draw on like the bullets themselves."""

    section: str
    organization: str
    title: str
    context: str
    bullets: tuple[Bullet, ...]
    line: int | None

    @property
    def name(self) -> str:
        """How a person names the entry: "Acme — Backend Engineer", or the one of the two it has."""
        parts = [part for part in (self.organization, self.title) if part]
        return " — ".join(parts) if parts else f"({self.section})"

    @property
    def text(self) -> str:
        """Everything the entry says, one piece a line: name, context, bullets."""
        lines = [self.name] if (self.organization or self.title) else []
        if self.context:
            lines.append(self.context)
        lines.extend(bullet.text for bullet in self.bullets)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Resume:
    format: ResumeFormat
    entries: tuple[Entry, ...]

    @property
    def bullet_count(self) -> int:
        return sum(len(entry.bullets) for entry in self.entries)
