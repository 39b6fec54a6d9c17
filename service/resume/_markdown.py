"""Markdown resumes: headings are entries, list items under them are the bullets.

An entry is named by its heading's text, and belongs to the nearest heading above it of a higher level
(its section: "## Experience" over "### Acme — Backend Engineer"). Paragraphs under a heading are its
context. A list item runs on over the lines that follow it until a blank line, another item or a
heading; a nested item is a bullet of its own. Fenced code blocks, HTML comments and a front matter
block are skipped. A text with no list item at all is not a resume this reader can check.

:func:`plain` turns inline Markdown into the text a reader sees (links to their text, no emphasis or
code markers), so the guard reads "[Kafka](https://kafka.apache.org) pipeline" as "Kafka pipeline".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from service.resume._model import Bullet, Entry, ResumeError

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_ITEM = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")

_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_MARKERS = re.compile(r"\*\*|__|`|~~")
_SPACES = re.compile(r"[ \t]+")


def plain(text: str) -> str:
    """Inline Markdown as the text it shows: links and images by their text, no ``**``/``__``/backticks."""
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _MARKERS.sub("", text)
    return _SPACES.sub(" ", text).strip()


@dataclass
class _Item:
    text: str
    line: int


@dataclass
class _Open:
    """An entry being read: its heading, and what is under it so far."""

    section: str
    name: str
    level: int
    line: int | None
    context: list[str] = field(default_factory=list)
    bullets: list[_Item] = field(default_factory=list)


def _without_front_matter(lines: list[str]) -> int:
    """Index of the first line after a leading ``---`` ... ``---`` block (0 when there is none)."""
    if lines and lines[0].strip() == "---":
        for index in range(1, len(lines)):
            if lines[index].strip() in ("---", "..."):
                return index + 1
    return 0


def read_markdown(text: str) -> tuple[Entry, ...]:
    lines = text.splitlines()
    headings: list[tuple[int, str]] = []  # the open heading path: (level, text)
    current = _Open(section="", name="", level=0, line=None)
    entries: list[_Open] = [current]
    fence: str | None = None
    in_comment = False
    continues = False  # the previous line belongs to a list item that may run on

    def open_heading(level: int, title: str, line: int) -> _Open:
        while headings and headings[-1][0] >= level:
            headings.pop()
        section = headings[-1][1] if headings else ""
        headings.append((level, title))
        return _Open(section=section, name=title, level=level, line=line)

    index = _without_front_matter(lines)
    while index < len(lines):
        raw = lines[index]
        number = index + 1
        index += 1
        if fence is not None:
            if raw.strip().startswith(fence):
                fence = None
            continue
        if in_comment or raw.lstrip().startswith("<!--"):
            in_comment = "-->" not in raw
            continue
        opened = _FENCE.match(raw)
        if opened:
            fence, continues = opened.group(1)[0] * 3, False
            continue
        if not raw.strip():
            continues = False
            continue
        heading = _HEADING.match(raw)
        following = lines[index] if index < len(lines) else ""
        if heading is None and not continues and not _ITEM.match(raw) and _SETEXT.match(following):
            level = 1 if following.strip().startswith("=") else 2  # "Title" over "===" or "---"
            current = open_heading(level, plain(raw), number)
            entries.append(current)
            index += 1
            continue
        if heading is not None:
            current = open_heading(len(heading.group(1)), plain(heading.group(2) or ""), number)
            entries.append(current)
            continues = False
            continue
        if _RULE.match(raw):
            continues = False
            continue
        item = _ITEM.match(raw)
        if item is not None:
            current.bullets.append(_Item(item.group(2) or "", number))
            continues = True
        elif continues or (current.bullets and raw[:1] in (" ", "\t")):
            current.bullets[-1].text += f" {raw.strip()}"
            continues = True
        else:
            current.context.append(raw.strip())
    out = [
        Entry(
            section=entry.section,
            organization=entry.name,
            title="",
            context=plain(" ".join(entry.context)),
            bullets=tuple(Bullet(plain(b.text), b.line) for b in entry.bullets if plain(b.text)),
            line=entry.line,
        )
        for entry in entries
    ]
    kept = tuple(entry for entry in out if entry.bullets)
    if not kept:
        raise ResumeError("no list item found: a Markdown resume has its bullets as list items under headings")
    return kept
