"""Repair of ``scope`` and ``outcome``: the widening or effect phrase is dropped.

``outcome`` (unstated effects) is a kind the guard is gaining; the repair handles it by its name, so
these tests hand it an ``outcome`` violation directly."""

from __future__ import annotations

from typing import Any, cast

import pytest

from service.guard import Violation, extract_facts
from service.repair._text import tidy
from service.repair.repair import candidates
from tests.repair.repairkit import assert_repairs

NOTES = "wrote the retry logic for the payments worker"

CASES = [
    pytest.param(
        NOTES,
        "Wrote the retry logic for the payments worker across all teams",
        "Wrote the retry logic for the payments worker.",
        id="across-all-teams",
    ),
    pytest.param(
        NOTES,
        "Wrote the retry logic for the payments worker, used across the entire org",
        "Wrote the retry logic for the payments worker.",
        id="a-widening-clause",
    ),
]


@pytest.mark.parametrize(("notes", "bullet", "expected"), CASES)
def test_a_widened_scope_is_dropped(notes: str, bullet: str, expected: str) -> None:
    assert_repairs(notes, bullet, expected)


def test_an_outcome_violation_drops_its_effect_clause() -> None:
    bullet = "Wrote the retry logic for the payments worker, improving reliability"
    start = bullet.index("improving")
    kind = cast(Any, "outcome")
    v = Violation(kind, "improving reliability", start, len(bullet), "unstated effect", "drop it")
    first = tidy(candidates(bullet, v, extract_facts(NOTES))[0])
    assert first == "Wrote the retry logic for the payments worker"
