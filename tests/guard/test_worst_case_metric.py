"""Worst cases of the metric check (issue 12, "no input may cost more than its length"): pathological runs
of figures must cost time about linear in their length, both to read as notes and to check as a bullet.

For each family, reading notes of 2,000 and 20,000 characters and checking a bullet of the same text (n / 20
characters: 1,000, the longest bullet the API accepts, for 20,000 characters of notes) against them is
timed in CPU time of this process (``guardkit.growth``: other processes on a busy machine do not count; the
best of five interleaved runs, only the work itself): 10x the input may cost at most 25x the time (see
``guardkit.MAX_RATIO``), and 20,000 characters must take under a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from service.guard import check_bullet, extract_facts
from tests.guard.guardkit import LARGE, SMALL, assert_linear

# each family repeats a unit of text up to the length asked for
FAMILIES = [
    pytest.param("1 ", id="bare-numbers"),
    pytest.param("50k ", id="suffixed-figures"),
    pytest.param("5m ", id="m-suffix-read-ahead"),
    pytest.param("5xx v2 ", id="literal-figures"),
    pytest.param("$40k/yr ", id="money-rates"),
    pytest.param("from 5 min to 2 min ", id="before-after-pairs"),
    pytest.param("from 5 min to 2 min, ", id="pairs-in-one-sentence"),
    pytest.param("by 40% 3x faster ", id="single-changes"),
    pytest.param("I think maybe 5% about 6 ", id="hedges-in-one-clause"),
    pytest.param("(rough estimate) ", id="clause-hedges-without-figures"),
    pytest.param("over 5 up to 6 nearly 7 under 8 ", id="bounds"),
    pytest.param("50-ish 20 or so ~30 ", id="hedges-after-figures"),
    pytest.param("Java17 Python3.11 JDK8 ", id="glued-versions"),
    pytest.param("usually every week consistently ", id="frequencies"),
    pytest.param("1,000,000 2.5 ", id="grouped-and-decimal"),
]


def _text(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def _work(text: str) -> Callable[[], object]:
    return lambda: check_bullet(text[: len(text) // 20], extract_facts(text))


@pytest.mark.parametrize("unit", FAMILIES)
def test_metric_work_is_about_linear(unit: str) -> None:
    extract_facts("warm up: 5 min")  # vocabularies load once per process
    _, large = assert_linear(_work(_text(unit, SMALL)), _work(_text(unit, LARGE)), unit)
    assert large < 1.0, f"{LARGE} characters took {large:.2f} s"


def test_many_unsupported_figures_are_looked_up_not_compared_pairwise() -> None:
    """Each bullet figure is looked up among the input's figures (sorted, bisected): 10,000 input figures and
    50 bullets of 500 figures each are checked in about the time it takes to read them."""
    notes = "1 " * 10_000
    facts = extract_facts(notes)
    bullet = "2 " * 499 + "2"
    check_bullet(bullet, facts)
    start = time.perf_counter()
    for _ in range(5):
        result = check_bullet(bullet, facts)
    per_bullet = (time.perf_counter() - start) / 5
    assert len(result.violations) == 500
    assert per_bullet < 0.1, f"{per_bullet:.3f} s per bullet of 500 figures against 10,000"
