"""Mattermost messages: Markdown (Mattermost has no Block Kit), within its post size limit (pure).

A post holds at most 16,383 characters; replies stay under :data:`MAX_POST_CHARS`, leaving the last
bullets out with an "… and N more" line when there are too many. User text is Markdown-escaped, so a
bullet is shown as written and cannot format, link or quote anything.
"""

from __future__ import annotations

import re
from typing import Any

from service.chatops._report import Finding, Refused, Report

MAX_POST_CHARS = 16_000
MAX_BULLET_CHARS = 1200
MAX_FINDING_CHARS = 400
MAX_FINDINGS_SHOWN = 8

_SPECIAL_RE = re.compile(r"([\\`*_~\[\]()<>#|!])")


# "@here", "@channel", "@all" and "@name" notify people even behind a backslash: a zero-width space after
# the "@" shows the same text and mentions no one.
_MENTION = "@\u200b"


def escape(text: str) -> str:
    """Backslash-escape the characters Mattermost's Markdown would read as markup, and break every "@"
    mention; newlines become spaces."""
    return _SPECIAL_RE.sub(r"\\\1", " ".join(text.split())).replace("@", _MENTION)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _code(text: str) -> str:
    return "`" + _clip(" ".join(text.replace("`", "'").split()), 200) + "`"


def _finding_line(finding: Finding) -> str:
    return f"    - {escape(finding.kind)} {_code(finding.text)}: {escape(_clip(finding.message, MAX_FINDING_CHARS))}"


def _refused_lines(item: Refused) -> list[str]:
    lines = [f"- {escape(_clip(item.text, MAX_BULLET_CHARS))}"]
    lines += [_finding_line(f) for f in item.findings[:MAX_FINDINGS_SHOWN]]
    hidden = len(item.findings) - MAX_FINDINGS_SHOWN
    if hidden > 0:
        lines.append(f"    - … and {hidden} more")
    if item.suggestion is not None:
        lines.append(f"    - suggestion: {escape(_clip(item.suggestion, MAX_BULLET_CHARS))}")
    return lines


def render_report(report: Report) -> dict[str, Any]:
    """A ``response_url`` payload (ephemeral): the report as one Markdown post."""
    tail = f"\n\n_{escape(report.summary)}_"
    budget = MAX_POST_CHARS - len(tail) - 80  # 80: room for one "… and N more" line
    out: list[str] = [f"#### {escape(report.title)}"]
    size = len(out[0])

    def add(lines: list[str]) -> bool:
        nonlocal size
        piece = "\n".join(lines)
        if size + 1 + len(piece) > budget:
            return False
        out.append(piece)
        size += 1 + len(piece)
        return True

    if report.empty_note:
        add([f":warning: {escape(report.empty_note)}"])
    sections: list[tuple[str, list[list[str]]]] = []
    if report.accepted:
        sections.append(
            (
                f"**:white_check_mark: Accepted ({len(report.accepted)})**",
                [[f"- {escape(_clip(text, MAX_BULLET_CHARS))}"] for text in report.accepted],
            )
        )
    if report.refused:
        sections.append(
            (
                f"**:no_entry_sign: Refused ({len(report.refused)})**: each claims something your input does not state",
                [_refused_lines(item) for item in report.refused],
            )
        )
    left_out = 0
    for title, items in sections:
        if left_out or not add(["", title]):
            left_out += len(items)
            continue
        for index, item in enumerate(items):
            if not add(item):
                left_out += len(items) - index
                break
    if left_out:
        out.append(f"\n… and {left_out} more bullets not shown (a post holds at most 16,383 characters).")
    elif report.questions:
        add(
            [
                "",
                "**:question: Questions that would make these bullets stronger** (add the answers if true)",
            ]
        )
        for question in report.questions:
            if not add([f"- {escape(_clip(question, 300))}"]):
                break
    return {"response_type": "ephemeral", "text": "\n".join(out) + tail}


def render_message(text: str, *, warning: bool = False) -> dict[str, Any]:
    """A plain ephemeral message (acks, usage, errors); ``text`` may use `code` spans (kept as is)."""
    body = _clip(text, MAX_POST_CHARS)
    return {"response_type": "ephemeral", "text": f":warning: {body}" if warning else body}
