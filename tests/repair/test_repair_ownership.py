"""Repair of ``ownership``: the strongest verb the input supports for that work, in the bullet's grammar."""

from __future__ import annotations

import pytest

from tests.repair.repairkit import assert_repairs

CASES = [
    pytest.param(
        "helped the team migrate billing to postgres",
        "Led the migration of billing to PostgreSQL",
        "Helped migrate billing to PostgreSQL.",
        id="led-a-migration-the-notes-helped-with",
    ),
    pytest.param(
        "wrote the retry logic for the payments worker",
        "Spearheaded the retry logic for the payments worker",
        "Wrote the retry logic for the payments worker.",
        id="spearheaded-becomes-the-notes-own-verb",
    ),
    pytest.param(
        "reviewed the schema migration for the orders table",
        "Designed the schema migration for the orders table",
        "Reviewed the schema migration for the orders table.",
        id="designed-becomes-reviewed",
    ),
    pytest.param(
        "helping with the on-call runbook for the search cluster",
        "Owned the on-call runbook for the search cluster",
        "Helped with the on-call runbook for the search cluster.",
        id="the-notes-verb-in-the-bullets-tense",
    ),
]


@pytest.mark.parametrize(("notes", "bullet", "expected"), CASES)
def test_ownership_is_lowered_to_what_the_input_supports(notes: str, bullet: str, expected: str) -> None:
    assert_repairs(notes, bullet, expected)


def test_work_the_input_states_no_claim_about_gets_no_borrowed_verb() -> None:
    # the notes' "cut" is about latency; the bullet is about services: no verb of the notes fits
    assert_repairs(
        "cut p99 latency from 900ms to 300ms",
        "Architected the services, reducing p99 latency",
        None,
    )
