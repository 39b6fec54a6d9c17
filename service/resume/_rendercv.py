"""RenderCV YAML (rendercv.com): the entries of ``cv.sections`` and their ``highlights``.

RenderCV's data model: the file is a mapping with a ``cv`` mapping; ``cv.sections`` maps each section
title to a list of entries of one type, the type told by the fields an entry has. The types with
``highlights`` (a list of strings) are ExperienceEntry (``company`` and ``position``, both required),
EducationEntry (``institution`` and ``area``, required, ``degree``) and NormalEntry (``name``,
required); their ``summary`` is context. A section of TextEntry items (plain strings) or BulletEntry
items (``bullet: ...``) is read as one entry named after the section, one bullet per item, since each
is a claim as much as a highlight is. The other entry types (publications, one-line skills, numbered
items) have no bullets to check. Highlights may carry RenderCV's Markdown (``**bold**``, links): the
bullet is checked as plain text (see :func:`~service.resume._markdown.plain`).

Parsed with PyYAML's safe composer, so each value keeps its line; aliases are followed up to a bound
(a document that expands past it is refused, not expanded).
"""

from __future__ import annotations

import datetime
from typing import Any

import yaml

from service.resume._json_resume import Path, where
from service.resume._markdown import plain
from service.resume._model import Bullet, Entry, ResumeError

MAX_NODES = 100_000  # a resume has hundreds; aliases can make a small text expand without bound

# entry type -> the fields that tell it, as in RenderCV's models (a field that only that type has)
_TYPES: tuple[tuple[str, frozenset[str]], ...] = (
    ("OneLineEntry", frozenset({"label", "details"})),
    ("NormalEntry", frozenset({"name"})),
    ("ExperienceEntry", frozenset({"company", "position"})),
    ("EducationEntry", frozenset({"institution", "area", "degree"})),
    ("PublicationEntry", frozenset({"title", "authors", "doi", "journal"})),
    ("BulletEntry", frozenset({"bullet"})),
    ("NumberedEntry", frozenset({"number"})),
    ("ReversedNumberedEntry", frozenset({"reversed_number"})),
)
_REQUIRED = {
    "ExperienceEntry": ("company", "position"),
    "EducationEntry": ("institution", "area"),
    "NormalEntry": ("name",),
    "BulletEntry": ("bullet",),
}


class _Loader:
    """YAML nodes to plain values, recording each value's line by its path."""

    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self.nodes = 0
        self.constructor = yaml.SafeLoader("")

    def value(self, node: yaml.Node, path: Path) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ResumeError(f"more than {MAX_NODES} YAML values (aliases expand too far)")
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise ResumeError(f"line {key_node.start_mark.line + 1}: a mapping key must be a plain value")
                key = str(key_node.value)
                out[key] = self.value(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, (*path, index)) for index, item in enumerate(node.value)]
        return self.constructor.construct_object(node)


def parse_yaml_text(text: str) -> tuple[Any, dict[Path, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ResumeError(f"not valid YAML: {exc.problem or exc.context}{at}") from None
    except yaml.YAMLError as exc:
        raise ResumeError(f"not valid YAML: {type(exc).__name__}") from None
    if node is None:
        raise ResumeError("empty YAML document: a RenderCV file has a `cv` mapping")
    loader = _Loader()
    try:
        return loader.value(node, ()), loader.lines
    except yaml.YAMLError as exc:
        raise ResumeError(f"not valid YAML: {getattr(exc, 'problem', None) or type(exc).__name__}") from None
    except RecursionError:
        raise ResumeError("not valid YAML: nested too deeply") from None


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "a mapping"


def read_rendercv(data: Any, lines: dict[Path, int]) -> tuple[Entry, ...]:
    if not isinstance(data, dict) or not isinstance(data.get("cv"), dict):
        got = "no `cv` key" if isinstance(data, dict) else f"{_kind(data)}, not a mapping"
        raise ResumeError(f"a RenderCV file is a mapping with a `cv` mapping; this has {got}")
    sections = data["cv"].get("sections")
    if sections is None:
        return ()
    if not isinstance(sections, dict):
        raise ResumeError(f"{_at(('cv', 'sections'), lines)}: must be a mapping of section titles to entries")
    entries: list[Entry] = []
    for title, items in sections.items():
        path: Path = ("cv", "sections", title)
        if not isinstance(items, list):
            raise ResumeError(f"{_at(path, lines)}: a section must be a list of entries, not {_kind(items)}")
        entries.extend(_section(title, items, path, lines))
    return tuple(entries)


def _at(path: Path, lines: dict[Path, int]) -> str:
    line = lines.get(path)
    return f"{where(path)} (line {line})" if line is not None else where(path)


def _entry_type(item: Any, path: Path, lines: dict[Path, int]) -> str:
    if isinstance(item, str):
        return "TextEntry"
    if not isinstance(item, dict):
        raise ResumeError(f"{_at(path, lines)}: an entry is a text or a mapping, not {_kind(item)}")
    for name, fields in _TYPES:
        if fields & item.keys():
            return name
    raise ResumeError(f"{_at(path, lines)}: the entry matches no RenderCV entry type")


def _section(title: str, items: list[Any], path: Path, lines: dict[Path, int]) -> list[Entry]:
    types = [_entry_type(item, (*path, index), lines) for index, item in enumerate(items)]
    for index, kind in enumerate(types):
        if kind != types[0]:
            raise ResumeError(
                f"{_at((*path, index), lines)}: a {kind} in a section of {types[0]} items (RenderCV "
                "sections hold entries of one type)"
            )
    if not types:
        return []
    if types[0] in ("TextEntry", "BulletEntry"):
        bullets = []
        for index, item in enumerate(items):
            item_path = (*path, index) if types[0] == "TextEntry" else (*path, index, "bullet")
            if types[0] == "BulletEntry":
                item = _string(item, "bullet", (*path, index), lines, required=True)
            text = plain(item).strip()
            if text:
                bullets.append(Bullet(text, lines.get(item_path)))
        return [Entry(title, title, "", "", tuple(bullets), lines.get(path))]
    if types[0] not in _REQUIRED:
        return []
    return [_entry(title, types[0], item, (*path, index), lines) for index, item in enumerate(items)]


def _string(item: dict[str, Any], field: str, path: Path, lines: dict[Path, int], *, required: bool = False) -> str:
    value = item.get(field)
    if value is None:
        if required:
            raise ResumeError(f"{_at(path, lines)}: the entry has no `{field}`, which its type requires")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ResumeError(f"{_at((*path, field), lines)}: must be a text, not {_kind(value)}")
    return str(value).strip()


def _entry(section: str, kind: str, item: dict[str, Any], path: Path, lines: dict[Path, int]) -> Entry:
    for field in _REQUIRED[kind]:
        _string(item, field, path, lines, required=True)
    if kind == "ExperienceEntry":
        organization, title = _string(item, "company", path, lines), _string(item, "position", path, lines)
    elif kind == "EducationEntry":
        organization = _string(item, "institution", path, lines)
        title = " ".join(
            part for part in (_string(item, "degree", path, lines), _string(item, "area", path, lines)) if part
        )
    else:
        organization, title = _string(item, "name", path, lines), ""
    highlights = item.get("highlights")
    if highlights is None:
        highlights = []
    if not isinstance(highlights, list):
        raise ResumeError(f"{_at((*path, 'highlights'), lines)}: must be a list of texts, not {_kind(highlights)}")
    bullets: list[Bullet] = []
    for index, highlight in enumerate(highlights):
        if not isinstance(highlight, str):
            at = _at((*path, "highlights", index), lines)
            raise ResumeError(f"{at}: a highlight must be a text, not {_kind(highlight)}")
        text = plain(highlight).strip()
        if text:
            bullets.append(Bullet(text, lines.get((*path, "highlights", index))))
    context = plain(_string(item, "summary", path, lines))
    return Entry(section, plain(organization), plain(title), context, tuple(bullets), lines.get(path))
