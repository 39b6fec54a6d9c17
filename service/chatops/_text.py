"""The slash-command text format, parsed into a command (pure: no I/O, no clock).

::

    /bullets <notes>                      write guarded bullets from the notes
    /bullets verify <notes + bullets>     check bullets you wrote against your notes
    /bullets help                         usage (also an empty text)

Line by line (after the optional ``verify`` word):

* ``evidence: <text>`` is an evidence item. Its id is ``E1``, ``E2``, ... in order, unless the text
  starts with an id and a colon: ``evidence: PR-1423: Fix the retry queue`` has the id ``PR-1423``.
* ``redact: a, b`` adds the comma-separated terms to the redaction terms (the line may repeat).
* In ``verify`` mode, a line starting with ``- ``, ``* ``, ``• `` or ``bullet:`` is a bullet to check.
* Every other line belongs to the notes (line breaks kept).

The prefixes are case-insensitive. :func:`to_request` then applies the API's own models and limits, so
a chat command is held to exactly the rules of ``/v1/rewrite`` and ``/v1/verify``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from service.contract.models import VerifyRequest, limit_errors
from service.contract.rewrite import RewriteRequest, rewrite_limit_errors
from service.rewrite.pipeline import NOTES_SOURCE
from service.settings import Settings

HELP_WORDS = frozenset({"help", "-h", "--help", "?"})
VERIFY_WORD = "verify"

_EVIDENCE_RE = re.compile(r"^\s*evidence\s*:\s*(.*)$", re.IGNORECASE)
_REDACT_RE = re.compile(r"^\s*redact\s*:\s*(.*)$", re.IGNORECASE)
_BULLET_RE = re.compile(r"^\s*(?:[-*•](?:\s+|$)|bullet\s*:\s*)(.*)$", re.IGNORECASE)
# An explicit evidence id: a token the API accepts as an id (no colon, to keep it unambiguous), a colon,
# then the text.
_EVIDENCE_ID_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,63}):\s+(\S.*)$")
_MODE_RE = re.compile(r"^\s*(\S+)(?:[ \t]+|\r?\n|$)")


class CommandError(ValueError):
    """The text cannot be used; ``str(exc)`` is a message for the user (it never quotes their text)."""


@dataclass(frozen=True, slots=True)
class HelpCommand:
    pass


@dataclass(frozen=True, slots=True)
class RewriteCommand:
    notes: str
    evidence: tuple[tuple[str, str], ...] = ()  # (id, text)
    redact: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VerifyCommand:
    notes: str
    bullets: tuple[str, ...]
    evidence: tuple[tuple[str, str], ...] = ()
    redact: tuple[str, ...] = ()


Command = HelpCommand | RewriteCommand | VerifyCommand


@dataclass
class _Parts:
    notes: list[str] = field(default_factory=list)
    evidence: list[tuple[str, str]] = field(default_factory=list)
    redact: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)


def parse_command(text: str) -> Command:
    """Parse the text of a slash command. Raises :class:`CommandError` when it cannot be used."""
    stripped = text.strip()
    if not stripped or stripped.casefold() in HELP_WORDS:
        return HelpCommand()
    verify = False
    mode = _MODE_RE.match(stripped)
    if mode and mode.group(1).casefold() == VERIFY_WORD:
        verify = True
        stripped = stripped[mode.end() :]

    parts = _split_lines(stripped, verify=verify)
    notes = _join_notes(parts.notes)
    if verify:
        if not parts.bullets:
            raise CommandError(
                "`verify` needs the bullets to check: put each on its own line starting with `- `, after your notes."
            )
        if not notes:
            raise CommandError("`verify` needs your notes too: write them before the bullets.")
        return VerifyCommand(notes, tuple(parts.bullets), tuple(parts.evidence), tuple(parts.redact))
    if not notes:
        raise CommandError("Write your notes after the command; `evidence:` and `redact:` lines only add to them.")
    return RewriteCommand(notes, tuple(parts.evidence), tuple(parts.redact))


def _split_lines(text: str, *, verify: bool) -> _Parts:
    parts = _Parts()
    explicit_ids: set[str] = set()
    for line in text.splitlines():
        if m := _EVIDENCE_RE.match(line):
            body = m.group(1).strip()
            number = len(parts.evidence) + 1
            if not body:
                raise CommandError(f"Evidence line {number} is empty: write the evidence after `evidence:`.")
            ident = f"E{number}"
            if m_id := _EVIDENCE_ID_RE.match(body):
                ident, body = m_id.group(1), m_id.group(2).strip()
                if ident.casefold() == NOTES_SOURCE:
                    raise CommandError(
                        f"Evidence line {number}: `{NOTES_SOURCE}` is reserved for your notes; use another id."
                    )
                if ident.casefold() in explicit_ids:
                    raise CommandError(f"Evidence line {number}: the id `{ident}` is already used by an earlier line.")
                explicit_ids.add(ident.casefold())
            parts.evidence.append((ident, body))
        elif m := _REDACT_RE.match(line):
            parts.redact += [term.strip() for term in m.group(1).split(",") if term.strip()]
        elif verify and (m := _BULLET_RE.match(line)):
            bullet = m.group(1).strip()
            if bullet:
                parts.bullets.append(bullet)
        else:
            parts.notes.append(line.rstrip())
    # an automatic id (E2) may collide with an explicit one given on another line
    idents = [ident.casefold() for ident, _ in parts.evidence]
    if len(set(idents)) != len(idents):
        raise CommandError("Two evidence lines have the same id: give every `evidence:` line its own `ID:`.")
    return parts


def _join_notes(lines: Sequence[str]) -> str:
    return "\n".join(lines).strip()


def to_request(command: RewriteCommand | VerifyCommand, settings: Settings) -> RewriteRequest | VerifyRequest:
    """The API request the command stands for, held to the API's models and size limits.

    Raises :class:`CommandError` naming every broken rule (where, and which rule; never the text)."""
    data: dict[str, Any] = {
        "notes": command.notes,
        "evidence": [{"id": ident, "text": text} for ident, text in command.evidence],
        "redact": list(command.redact),
    }
    request: RewriteRequest | VerifyRequest
    try:
        if isinstance(command, VerifyCommand):
            request = VerifyRequest.model_validate({**data, "bullets": list(command.bullets)})
            errors = limit_errors(request, settings)
        else:
            request = RewriteRequest.model_validate(data)
            errors = rewrite_limit_errors(request, settings)
    except ValidationError as exc:
        errors = [{"loc": error["loc"], "msg": error["msg"]} for error in exc.errors()]
    if errors:
        problems = sorted({f"{_where(error['loc'])}: {_lower_first(str(error['msg']))}" for error in errors})
        raise CommandError("Your command could not be used. " + "; ".join(problems) + ".")
    return request


def _where(loc: Sequence[Any]) -> str:
    """A request location in the words of the chat format: ``("evidence", 1, "id")`` -> evidence line 2 id."""
    parts = [part for part in loc if part != "body"]
    if not parts:
        return "input"
    name, rest = str(parts[0]), parts[1:]
    index = rest[0] if rest and isinstance(rest[0], int) else None
    tail = " ".join(str(part) for part in rest[1 if index is not None else 0 :])
    words = {
        "notes": "notes",
        "evidence": "evidence lines" if index is None else f"evidence line {index + 1}",
        "redact": "redact terms" if index is None else f"redact term {index + 1}",
        "bullets": "bullets" if index is None else f"bullet {index + 1}",
    }.get(name, name)
    return f"{words} {tail}".strip()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


_COMMAND_NAME_RE = re.compile(r"/[A-Za-z0-9_.-]{1,32}")


def usage(command_name: str) -> str:
    """How to use the command, for both platforms: plain text with `code` spans only (no characters
    either platform would read as markup). ``command_name`` is the platform's, e.g. ``/bullets``."""
    name = command_name if _COMMAND_NAME_RE.fullmatch(command_name) else "/bullets"
    return "\n".join(
        [
            f"`{name} NOTES` writes resume bullets from your notes. Every bullet is checked by the truthfulness "
            "guard: only bullets your notes support are accepted; refused ones come with what they claimed beyond "
            "them.",
            "Lines you can add below the notes:",
            "• `evidence: PR-1423: Fixed the retry queue` adds evidence (the `PR-1423:` id is optional)",
            "• `redact: Dana, Project Falcon` keeps these names out of the prompt and the bullets",
            f"`{name} verify NOTES`, followed by one bullet per line starting with `- `, checks bullets you wrote "
            "yourself against your notes.",
            f"`{name} help` shows this message. Replies are visible only to you.",
        ]
    )
