"""The slash-command text format: notes, `evidence:` and `redact:` lines, `verify`, `help`, and the API's limits."""

from __future__ import annotations

from typing import Any

import pytest

from service.chatops._text import (
    CommandError,
    HelpCommand,
    RewriteCommand,
    VerifyCommand,
    parse_command,
    to_request,
    usage,
)
from service.contract.models import VerifyRequest
from service.contract.rewrite import RewriteRequest
from service.settings import Settings


def test_plain_text_is_the_notes() -> None:
    assert parse_command("  helped debug a leak  ") == RewriteCommand("helped debug a leak")


def test_evidence_and_redact_lines_are_taken_out_of_the_notes() -> None:
    text = "\n".join(
        [
            "helped debug a memory leak",
            "Evidence: PR-1423: Fix unbounded retry queue",
            "wrote a runbook with Dana",
            "evidence:   the heap dumps showed a growing deque",
            "redact: Dana, Project Falcon",
            "REDACT: Acme ,  ",
        ]
    )

    command = parse_command(text)

    assert command == RewriteCommand(
        notes="helped debug a memory leak\nwrote a runbook with Dana",
        evidence=(("PR-1423", "Fix unbounded retry queue"), ("E2", "the heap dumps showed a growing deque")),
        redact=("Dana", "Project Falcon", "Acme"),
    )


@pytest.mark.parametrize("text", ["", "   \n ", "help", "HELP", " --help ", "?"])
def test_help(text: str) -> None:
    assert parse_command(text) == HelpCommand()


def test_notes_that_start_with_help_are_notes() -> None:
    assert parse_command("help debug the leak") == RewriteCommand("help debug the leak")


def test_verify_takes_marked_lines_as_bullets() -> None:
    text = (
        "verify helped debug a leak\nwith Dana\n"
        "- Helped debug a leak.\n* Led the fix.\n• Wrote it\nbullet: Fixed it\n-  "
    )

    command = parse_command(text)

    assert command == VerifyCommand(
        notes="helped debug a leak\nwith Dana",
        bullets=("Helped debug a leak.", "Led the fix.", "Wrote it", "Fixed it"),
    )


def test_verify_on_its_own_line() -> None:
    command = parse_command("Verify\nhelped debug a leak\nevidence: PR-1: fix\n- Helped debug a leak.")

    assert command == VerifyCommand("helped debug a leak", ("Helped debug a leak.",), (("PR-1", "fix"),))


def test_list_lines_are_notes_outside_verify() -> None:
    command = parse_command("- helped debug a leak\n- wrote a runbook")

    assert command == RewriteCommand("- helped debug a leak\n- wrote a runbook")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("evidence: PR-1: fix\nredact: Dana", "Write your notes"),
        ("verify helped debug a leak", "needs the bullets"),
        ("verify\n- Helped debug a leak.", "needs your notes"),
        ("notes\nevidence:   ", "Evidence line 1 is empty"),
        ("notes\nevidence: notes: a fix", "reserved"),
        ("notes\nevidence: PR-1: a\nevidence: pr-1: b", "already used"),
        ("notes\nevidence: E2: a\nevidence: second one", "same id"),
    ],
)
def test_unusable_text_is_explained(text: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        parse_command(text)


def test_to_request_builds_the_api_requests() -> None:
    settings = Settings()

    rewrite = to_request(RewriteCommand("notes", (("PR-1", "fix"),), ("Dana",)), settings)
    verify = to_request(VerifyCommand("notes", ("A bullet.",)), settings)

    assert isinstance(rewrite, RewriteRequest)
    assert (rewrite.notes, [(e.id, e.text) for e in rewrite.evidence], rewrite.redact) == (
        "notes",
        [("PR-1", "fix")],
        ["Dana"],
    )
    assert rewrite.options.max_bullets == 3
    assert isinstance(verify, VerifyRequest) and verify.bullets == ["A bullet."]


@pytest.mark.parametrize(
    ("command", "settings", "where"),
    [
        (RewriteCommand("secret notes here"), {"max_notes_chars": 5}, "notes: must have at most 5 characters"),
        (
            RewriteCommand("n", (("E1", "secret evidence"), ("E2", "x"))),
            {"max_evidence_chars": 3},
            "evidence line 1 text: must have at most 3 characters",
        ),
        (RewriteCommand("n", (("E1", "a"), ("E2", "b"))), {"max_evidence_items": 1}, "evidence lines: must have"),
        (RewriteCommand("n", redact=("a secret name",)), {"max_redact_term_chars": 4}, "redact term 1: must have"),
        (VerifyCommand("n", ("a", "b", "c")), {"max_bullets": 2}, "bullets: must have at most 2 items"),
        (VerifyCommand("n", ("a secret bullet",)), {"max_bullet_chars": 3}, "bullet 1: must have at most 3"),
    ],
)
def test_the_api_limits_apply_and_the_text_is_never_quoted(
    command: RewriteCommand | VerifyCommand, settings: dict[str, Any], where: str
) -> None:
    with pytest.raises(CommandError) as raised:
        to_request(command, Settings(**settings))

    assert where in str(raised.value)
    assert "secret" not in str(raised.value)


def test_usage_names_the_command() -> None:
    assert "`/resume NOTES`" in usage("/resume")
    assert "`/resume verify NOTES`" in usage("/resume")
    assert "<script>" not in usage("/<script>") and "`/bullets NOTES`" in usage("/<script>")
