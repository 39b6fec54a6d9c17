"""Repair of ``metric``: the input's figure for the same quantity (with its hedge), else the phrase that
carries the figure dropped."""

from __future__ import annotations

import pytest

from tests.repair.repairkit import assert_repairs

NOTES = "cut p99 latency from 900ms to 300ms, roughly 40% fewer timeouts. migrated services to kubernetes"

CASES = [
    pytest.param(
        NOTES,
        "Cut p99 latency from 900ms to 200ms",
        "Cut p99 latency from 900ms to 300ms.",
        id="the-inputs-figure-for-the-same-quantity",
    ),
    pytest.param(
        NOTES,
        "Cut timeouts by 45%",
        "Cut timeouts by roughly 40%.",
        id="the-inputs-hedge-comes-with-its-figure",
    ),
    pytest.param(
        NOTES,
        "Migrated services to Kubernetes, improving engagement by 25%",
        "Migrated services to Kubernetes.",
        id="an-effect-clause-carrying-a-figure-is-dropped",
    ),
    pytest.param(
        NOTES,
        "Migrated 15+ services to Kubernetes",
        "Migrated services to Kubernetes.",
        id="a-count-the-input-never-states-is-dropped",
    ),
]


@pytest.mark.parametrize(("notes", "bullet", "expected"), CASES)
def test_figures_are_the_inputs_or_gone(notes: str, bullet: str, expected: str) -> None:
    assert_repairs(notes, bullet, expected)


def test_a_figure_is_not_moved_onto_another_quantity() -> None:
    # 40% in the notes is about timeouts; engagement is another quantity: dropped, not "40%"
    assert_repairs(
        NOTES, "Migrated services to Kubernetes, improving engagement by 45%", "Migrated services to Kubernetes."
    )
