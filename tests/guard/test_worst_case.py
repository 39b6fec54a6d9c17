"""No input may cost more than its length (issue 12).

Pathological inputs, one family each: runs of words that make a rule compare pairs or walk back from
every match (ownership verbs with no sentence break, helper phrases, team subjects, role lines), long
runs of technology names, scope words, capitalised words, suffixed figures, one sentence of 20,000
characters without punctuation, and 50 evidence items of 5,000 characters. Each is read by
``extract_facts`` and checked with ``check_bullet`` (a bullet of 1,000 characters, the API's limit, made
of the same words) at 2,000 and 20,000 characters: the larger may cost at most 25 times the smaller
(a quadratic path costs 100 times, the cubic one this issue found 1,000 times), and must take under a
second. Times are CPU seconds of this process, the least of five interleaved runs around the work only
(``guardkit.growth``), so a busy machine does not fail them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from service.guard import EvidenceItem, check_bullet, extract_facts
from tests.guard.guardkit import LARGE, SMALL, assert_linear, cpu_seconds

EVIDENCE_ITEM = 5_000

FAMILIES = [
    pytest.param("helped led built ", id="ownership-verbs-with-no-sentence-break"),
    pytest.param("built and led and ", id="ownership-verbs-joined-by-and"),
    pytest.param("built, led, ", id="ownership-verbs-joined-by-commas"),
    pytest.param("we built the team migrated ", id="team-subjects-and-verbs"),
    pytest.param("was on the team that migrated ", id="helper-phrases"),
    pytest.param("our team of 4 migrated, together with the platform team shipped ", id="team-credit-cues"),
    pytest.param("I did most of part of the payments work ", id="partial-credit-cues"),
    pytest.param("written by me reviewed by me author: me ", id="role-lines-on-one-line"),
    pytest.param("python kafka redis postgres ", id="technology-names"),
    pytest.param("all every entire company-wide ", id="scope-words"),
    pytest.param("Using Foo via Bar Baz-based Qux on Zed with Dana ", id="capitalised-words-in-tool-contexts"),
    pytest.param("Java17 Python3.11 node20 ", id="versions-glued-to-names"),
    pytest.param("50k 50k ", id="suffixed-figures"),
    pytest.param("v2 5xx arm64 ", id="literal-figures"),
    pytest.param("the service moved the data from one place to another ", id="one-sentence-without-punctuation"),
]


def _repeat(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def _work(notes: str, evidence: list[EvidenceItem], bullet: str) -> Callable[[], object]:
    return lambda: check_bullet(bullet, extract_facts(notes, evidence))


def _notes_work(unit: str, n: int) -> Callable[[], object]:
    return _work(_repeat(unit, n), [], _repeat(unit, 1_000))


def _evidence_work(unit: str, n: int) -> Callable[[], object]:
    """``n`` characters as evidence items of at most 5,000 characters each."""
    items = [
        EvidenceItem(f"e{k}", _repeat(unit, min(EVIDENCE_ITEM, n - k * EVIDENCE_ITEM)))
        for k in range((n + EVIDENCE_ITEM - 1) // EVIDENCE_ITEM)
    ]
    return _work("", items, _repeat(unit, 1_000))


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    extract_facts("warm the vocabularies: helped build the kafka consumer")


@pytest.mark.parametrize("unit", FAMILIES)
def test_notes_cost_grows_with_their_length(unit: str) -> None:
    _, large = assert_linear(_notes_work(unit, SMALL), _notes_work(unit, LARGE), unit)
    assert large < 1.0, f"{LARGE} chars: {large:.3f}s"


@pytest.mark.parametrize(
    "unit",
    [
        pytest.param("helped led built ", id="ownership-verbs"),
        pytest.param("was on the team that migrated ", id="helper-phrases"),
        pytest.param("50k 50k ", id="suffixed-figures"),
    ],
)
def test_evidence_cost_grows_with_its_length(unit: str) -> None:
    # the API's largest request: 50 items of 5,000 characters (here 2 and 20 items, then 50)
    assert_linear(_evidence_work(unit, SMALL * 5), _evidence_work(unit, LARGE * 5), unit)
    assert cpu_seconds(_evidence_work(unit, 50 * EVIDENCE_ITEM), repeat=1) < 10.0


def test_a_long_bullet_against_many_input_claims_is_bounded() -> None:
    # every bullet claim shares its object with every input claim: the comparison is capped per claim
    notes = _repeat("built payments led payments designed payments ", LARGE)
    bullet = _repeat("Led payments and built payments ", 1_000)
    facts = extract_facts(notes)
    best = cpu_seconds(lambda: check_bullet(bullet, facts))
    assert best < 0.05, f"{best:.3f}s for one bullet"
