"""Repair of ``tool``: the phrase that names a technology the input never mentions is dropped."""

from __future__ import annotations

import pytest

from tests.repair.repairkit import assert_repairs

NOTES = "built the retry logic for the billing worker in python"

CASES = [
    pytest.param(
        NOTES,
        "Built the retry logic for the billing worker using React.js",
        "Built the retry logic for the billing worker.",
        id="using-react-js",
    ),
    pytest.param(
        NOTES,
        "Built the retry logic with Kafka for the billing worker",
        "Built the retry logic for the billing worker.",
        id="with-kafka-before-another-phrase",
    ),
    pytest.param(
        NOTES,
        "Built the retry logic for the billing worker in Python and Kafka",
        "Built the retry logic for the billing worker in Python.",
        id="a-member-of-a-list",
    ),
    pytest.param(
        NOTES,
        "Built the retry logic using Kafka streams for the billing worker",
        "Built the retry logic for the billing worker.",
        id="no-orphan-word-left-behind",
    ),
]


@pytest.mark.parametrize(("notes", "bullet", "expected"), CASES)
def test_an_unmentioned_technology_goes_with_its_phrase(notes: str, bullet: str, expected: str) -> None:
    assert_repairs(notes, bullet, expected)


def test_a_bullet_that_is_only_the_technology_has_no_suggestion() -> None:
    assert_repairs(NOTES, "Kafka", None)
