"""JSON Resume (jsonresume.org, schema v1): the entries of ``work``, ``volunteer`` and ``projects`` and
their ``highlights``.

What the schema says and this reader keeps to: the document is an object whose keys are the schema's
sections (no other top-level key is allowed); each section is a list of objects; ``highlights`` is a
list of strings. A job is named by ``name`` (``company`` in resumes written before v1) and
``position``, a volunteer role by ``organization`` and ``position``, a project by ``name`` (its
``roles`` stand as its title). An entry's ``summary`` and ``description`` are its context. Fields the
check does not read (dates, urls, emails) are not validated here.

A JSON object given without its text (the HTTP API accepts one) has no line numbers.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Mapping
from typing import Any

from service.resume._model import Bullet, Entry, ResumeError

# The schema's top-level properties (``additionalProperties: false``).
TOP_LEVEL = frozenset(
    {
        "$schema",
        "basics",
        "work",
        "volunteer",
        "education",
        "awards",
        "certificates",
        "publications",
        "skills",
        "languages",
        "interests",
        "references",
        "projects",
        "meta",
    }
)
_OBJECTS = frozenset({"basics", "meta"})

# section -> (organization fields, title field, context fields); the first organization field present wins
_SECTIONS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "work": (("name", "company"), "position", ("summary", "description")),
    "volunteer": (("organization",), "position", ("summary",)),
    "projects": (("name",), "roles", ("description", "summary")),
}

Path = tuple[str | int, ...]
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def where(path: Path) -> str:
    """``("work", 1, "highlights", 0)`` -> ``work[1].highlights[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "the document"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def value_lines(text: str) -> dict[Path, int]:
    """The 1-based line on which each value of the (valid) JSON ``text`` starts, by its path."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    lines: dict[Path, int] = {}

    def skip(i: int) -> int:
        match = _WS.match(text, i)
        assert match is not None
        return match.end()

    def walk(i: int, path: Path) -> int:
        i = skip(i)
        lines[path] = bisect.bisect_left(newlines, i) + 1
        opener = text[i]
        if opener not in "{[":
            return _DECODER.raw_decode(text, i)[1]
        i = skip(i + 1)
        index = 0
        while text[i] not in "}]":
            if opener == "{":
                key, i = _DECODER.raw_decode(text, i)
                i = walk(skip(i) + 1, (*path, key))  # past the ':'
            else:
                i = walk(i, (*path, index))
                index += 1
            i = skip(i)
            if text[i] == ",":
                i = skip(i + 1)
        return i + 1

    walk(0, ())
    return lines


def parse_json_text(text: str) -> tuple[Any, dict[Path, int]]:
    """The JSON value of ``text`` and the line of each of its values."""
    try:
        return json.loads(text), value_lines(text)
    except json.JSONDecodeError as exc:
        raise ResumeError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ResumeError("not valid JSON: nested too deeply") from None


def read_json_resume(data: Any, lines: Mapping[Path, int] | None = None) -> tuple[Entry, ...]:
    """The entries of a JSON Resume document (``lines``: from :func:`value_lines`, when there is a text)."""
    lines = lines or {}
    if not isinstance(data, dict):
        raise ResumeError(f"a JSON Resume is a JSON object, not {_kind(data)}")
    unknown = sorted(key for key in data if key not in TOP_LEVEL)
    if unknown:
        raise ResumeError(
            f"{where((unknown[0],))}: not a JSON Resume section (the schema allows only "
            f"{', '.join(sorted(TOP_LEVEL - {'$schema'}))} and $schema)"
        )
    for key, value in data.items():
        expected = dict if key in _OBJECTS else (str if key == "$schema" else list)
        if not isinstance(value, expected):
            wanted = {dict: "an object", str: "a string", list: "a list"}[expected]
            raise ResumeError(f"{where((key,))}: must be {wanted}, not {_kind(value)}")
        if expected is list:
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    raise ResumeError(f"{where((key, index))}: must be an object, not {_kind(item)}")
    entries: list[Entry] = []
    for section, (org_fields, title_field, context_fields) in _SECTIONS.items():
        for index, item in enumerate(data.get(section, [])):
            entries.append(_entry(section, index, item, org_fields, title_field, context_fields, lines))
    return tuple(entries)


def _text(item: dict[str, Any], field: str, path: Path) -> str:
    value = item.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ResumeError(f"{where((*path, field))}: must be a string, not {_kind(value)}")
    return value.strip()


def _strings(item: dict[str, Any], field: str, path: Path) -> list[str]:
    value = item.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ResumeError(f"{where((*path, field))}: must be a list of strings, not {_kind(value)}")
    for index, element in enumerate(value):
        if not isinstance(element, str):
            raise ResumeError(f"{where((*path, field, index))}: must be a string, not {_kind(element)}")
    return value


def _entry(
    section: str,
    index: int,
    item: dict[str, Any],
    org_fields: tuple[str, ...],
    title_field: str,
    context_fields: tuple[str, ...],
    lines: Mapping[Path, int],
) -> Entry:
    path: Path = (section, index)
    organization = next((text for text in (_text(item, f, path) for f in org_fields) if text), "")
    if title_field == "roles":
        title = ", ".join(role.strip() for role in _strings(item, "roles", path) if role.strip())
    else:
        title = _text(item, title_field, path)
    context = "\n".join(text for text in (_text(item, f, path) for f in context_fields) if text)
    bullets = tuple(
        Bullet(text=highlight.strip(), line=lines.get((*path, "highlights", k)))
        for k, highlight in enumerate(_strings(item, "highlights", path))
        if highlight.strip()
    )
    return Entry(section, organization, title, context, bullets, lines.get(path))
