"""Which format a resume is in, and reading it into entries."""

from __future__ import annotations

import re
from typing import Any

from service.resume._json_resume import parse_json_text, read_json_resume
from service.resume._markdown import read_markdown
from service.resume._model import Resume, ResumeError, ResumeFormat
from service.resume._rendercv import parse_yaml_text, read_rendercv

_SUFFIXES: dict[str, ResumeFormat] = {
    ".json": "json-resume",
    ".yaml": "rendercv",
    ".yml": "rendercv",
    ".md": "markdown",
    ".markdown": "markdown",
}
_WHAT: dict[ResumeFormat, str] = {
    "json-resume": "JSON Resume",
    "rendercv": "RenderCV file",
    "markdown": "Markdown resume",
}
_CV_KEY = re.compile(r"^cv[ \t]*:", re.MULTILINE)


def format_for_name(name: str) -> ResumeFormat | None:
    """The format a file name's extension says (``resume.json`` -> ``json-resume``), or None."""
    dot = name.rfind(".")
    return _SUFFIXES.get(name[dot:].lower()) if dot >= 0 else None


def detect_format(text: str) -> ResumeFormat:
    """The format of a resume's text: a JSON object is JSON Resume, YAML with a top-level ``cv`` key is
    RenderCV, anything else is read as Markdown."""
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        return "json-resume"
    if _CV_KEY.search(text):
        return "rendercv"
    return "markdown"


def parse_resume(text: str, format: ResumeFormat | None = None) -> Resume:
    """Read a resume's text (``format``: None to detect it). Raises :class:`ResumeError` when the text is
    not a valid resume of its format; the message names the format and what is wrong, and where."""
    format = format or detect_format(text)
    text = text.removeprefix("\ufeff")
    try:
        if format == "json-resume":
            entries = read_json_resume(*parse_json_text(text))
        elif format == "rendercv":
            entries = read_rendercv(*parse_yaml_text(text))
        else:
            entries = read_markdown(text)
    except ResumeError as exc:
        raise ResumeError(f"not a valid {_WHAT[format]}: {exc}") from None
    return Resume(format, entries)


def resume_from_object(data: Any) -> Resume:
    """A JSON Resume given as a decoded JSON object (no text, so no line numbers)."""
    try:
        return Resume("json-resume", read_json_resume(data))
    except ResumeError as exc:
        raise ResumeError(f"not a valid {_WHAT['json-resume']}: {exc}") from None
