"""Slack messages: Block Kit rendering within Slack's limits, and mrkdwn escaping (pure).

Limits kept (https://api.slack.com/reference/block-kit): at most 50 blocks per message, a section's
text at most 3,000 characters, a header's at most 150. Every message also has a top-level ``text``
(the fallback shown in notifications and by clients that cannot show blocks). When there are more
bullets than blocks, the last ones are left out with an "… and N more" line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.chatops._report import Finding, Refused, Report

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_FALLBACK_CHARS = 3000
MAX_BULLET_CHARS = 1200  # one bullet's text inside its section
MAX_FINDING_CHARS = 400  # one violation line
MAX_FINDINGS_SHOWN = 8  # per refused bullet
MAX_QUESTIONS_SHOWN = 8


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's escaping of a slash command's ``text`` (it sends ``&``, ``<``, ``>`` escaped)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape_clipped(text: str, limit: int) -> str:
    """``escape(text)``, cut so that the *escaped* result (with a closing "…") has at most ``limit`` chars."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    out: list[str] = []
    size = 0
    for char in text:
        piece = escape(char)
        if size + len(piece) > limit - 1:
            break
        out.append(piece)
        size += len(piece)
    return "".join(out) + "…"


def _clip_escaped_mrkdwn(text: str, limit: int) -> str:
    """Cut already-escaped mrkdwn to ``limit`` characters without splitting an ``&amp;``-style entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip_escaped_mrkdwn(mrkdwn, MAX_SECTION_CHARS)}}


def _header(text: str) -> dict[str, Any]:
    clipped = text if len(text) <= MAX_HEADER_CHARS else text[: MAX_HEADER_CHARS - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": clipped, "emoji": True}}


def _context(mrkdwn: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip_escaped_mrkdwn(mrkdwn, 2000)}]}


def _finding_line(finding: Finding) -> str:
    span = " ".join(finding.text.replace("`", "'").split())
    line = f"{finding.kind} `{span}`: {finding.message}"
    return "    ↳ " + escape_clipped(line, MAX_FINDING_CHARS)


def _refused_text(item: Refused) -> str:
    """The bullet, then as many of its findings as fit in one section, then "… and N more" for the rest."""
    lines = [f"• {escape_clipped(item.text, MAX_BULLET_CHARS)}"]
    size = len(lines[0])
    reserve = 30  # room for the "… and N more" line
    for index, finding in enumerate(item.findings):
        line = _finding_line(finding)
        if index >= MAX_FINDINGS_SHOWN or size + 1 + len(line) + reserve > MAX_SECTION_CHARS:
            lines.append(f"    ↳ … and {len(item.findings) - index} more")
            break
        lines.append(line)
        size += 1 + len(line)
    if item.suggestion is not None:
        line = "    ✎ " + escape_clipped(f"suggestion: {item.suggestion}", MAX_FINDING_CHARS)
        if size + 1 + len(line) + reserve <= MAX_SECTION_CHARS:
            lines.append(line)
    return "\n".join(lines)


def _more(count: int, what: str) -> dict[str, Any]:
    return _context(f"… and {count} more {what} not shown (Slack shows at most {MAX_BLOCKS} blocks).")


def _shares(accepted: int, refused: int, slots: int) -> tuple[int, int]:
    """How many accepted and refused bullets get a block each, out of ``slots``: accepted first, but
    refused ones keep at least half of the room when there are any."""
    show_accepted = min(accepted, max(slots - refused, slots - slots // 2))
    show_refused = min(refused, slots - show_accepted)
    return show_accepted, show_refused


def render_report(report: Report) -> dict[str, Any]:
    """A ``response_url`` payload (ephemeral) with the report as blocks and a plain-text fallback."""
    accepted, refused = report.accepted, report.refused
    # fixed blocks: header, accepted title, refused title, divider, summary, empty note, two "more" lines,
    # the questions
    slots = MAX_BLOCKS - 9
    show_accepted, show_refused = _shares(len(accepted), len(refused), slots)

    blocks: list[dict[str, Any]] = [_header(report.title)]
    if report.empty_note:
        blocks.append(_section(f":warning: {escape(report.empty_note)}"))
    if accepted:
        blocks.append(_section(f"*:white_check_mark: Accepted ({len(accepted)})*"))
        blocks += [_section(f"• {escape_clipped(text, MAX_BULLET_CHARS)}") for text in accepted[:show_accepted]]
        if show_accepted < len(accepted):
            blocks.append(_more(len(accepted) - show_accepted, "accepted bullets"))
    if refused:
        if accepted:
            blocks.append({"type": "divider"})
        blocks.append(
            _section(f"*:no_entry_sign: Refused ({len(refused)})*: each claims something your input does not state")
        )
        blocks += [_section(_refused_text(item)) for item in refused[:show_refused]]
        if show_refused < len(refused):
            blocks.append(_more(len(refused) - show_refused, "refused bullets"))
    if report.questions:
        blocks.append(_section(_questions_text(report.questions)))
    blocks.append(_context(escape(report.summary)))
    return {"response_type": "ephemeral", "text": fallback_text(report), "blocks": blocks}


def _questions_text(questions: Sequence[str]) -> str:
    """Missing-proof questions as one section: answers to them, added to the notes, make stronger bullets."""
    lines = ["*:question: Questions that would make these bullets stronger* (add the answers to your notes if true)"]
    lines += [f"• {escape_clipped(q, 300)}" for q in questions[:MAX_QUESTIONS_SHOWN]]
    if len(questions) > MAX_QUESTIONS_SHOWN:
        lines.append(f"… and {len(questions) - MAX_QUESTIONS_SHOWN} more")
    return "\n".join(lines)


def fallback_text(report: Report) -> str:
    """The top-level ``text``: the same content as plain lines, escaped, within ``MAX_FALLBACK_CHARS``."""
    lines: list[str] = [f"{report.title}: {len(report.accepted)} accepted, {len(report.refused)} refused."]
    if report.empty_note:
        lines.append(report.empty_note)
    lines += [f"✓ {text}" for text in report.accepted]
    lines += [f"✗ {item.text} ({', '.join(_kinds(item.findings))})" for item in report.refused]
    return _join_within(lines, MAX_FALLBACK_CHARS)


def _kinds(findings: Sequence[Finding]) -> list[str]:
    return list(dict.fromkeys(f.kind for f in findings))


def _join_within(lines: Sequence[str], limit: int) -> str:
    """Escape and join ``lines``, dropping the ones that do not fit (noted by "… and N more lines")."""
    out: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        piece = escape_clipped(line, limit // 2)
        rest = len(lines) - index
        reserve = 0 if rest == 1 else 40  # room for the "more" line if any later line may not fit
        if size + len(piece) + 1 + reserve > limit:
            out.append(f"… and {rest} more lines")
            break
        out.append(piece)
        size += len(piece) + 1
    return "\n".join(out)


def render_message(text: str, *, warning: bool = False) -> dict[str, Any]:
    """A plain ephemeral message (acks, usage, errors): ``text`` may use `code` spans, and is escaped."""
    body = escape_clipped(text, MAX_FALLBACK_CHARS)
    return {"response_type": "ephemeral", "text": f":warning: {body}" if warning else body}
