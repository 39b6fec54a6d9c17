"""Grounding: a bullet that mostly describes work the input never mentions is refused as ``source``."""

from __future__ import annotations

import pytest

from service.rewrite.grounding import Grounding

NOTES = (
    "switched GET /orders list from offset to cursor pagination (opaque cursor = base64 of created_at+id). "
    "old ?page= param still accepted for 2 releases w/ a Deprecation header. mobile + web both migrated. "
    "p95 on deep pages went 2.4s -> 210ms per grafana. needed a postgres index on (customer_id, created_at, id)"
)
EVIDENCE = "PR 881: keyset pagination for the orders endpoint"


@pytest.mark.parametrize(
    "bullet",
    [
        "Switched the GET /orders list from offset to cursor pagination.",
        "Cut p95 latency on deep pages from 2.4s to 210ms, per Grafana.",
        "Added a PostgreSQL index on (customer_id, created_at, id) for deep-page queries.",
        "Kept the old page parameter working for 2 releases with a Deprecation header.",
        "Migrated mobile and web clients to cursor-based pagination.",
        "Implemented keyset pagination for the orders endpoint.",  # words from the evidence
    ],
)
def test_a_bullet_in_the_inputs_words_is_grounded(bullet: str) -> None:
    assert Grounding([NOTES, EVIDENCE]).check(bullet) == []


@pytest.mark.parametrize(
    "bullet, absent",
    [
        # a small model copying its prompt's example
        ("Helped move the nightly export job to the job queue.", ["move", "nightly", "export", "job", "queue"]),
        ("Wrote the retry logic for the nightly export job.", ["retry", "logic", "nightly", "export", "job"]),
        ("Mentored two interns on incident response.", ["Mentored", "interns", "incident", "response"]),
    ],
)
def test_a_bullet_about_other_work_is_refused_with_its_absent_words(bullet: str, absent: list[str]) -> None:
    violations = Grounding([NOTES, EVIDENCE]).check(bullet)
    assert {v.kind for v in violations} == {"source"}
    assert [v.text for v in violations] == absent
    for v in violations:
        assert bullet[v.start : v.end] == v.text
        assert "not in the notes or evidence" in v.message


def test_one_paraphrased_word_is_not_enough_to_refuse() -> None:
    # "requests" is not in the notes, but the rest of the bullet is
    assert Grounding([NOTES]).check("Switched GET /orders requests to cursor pagination.") == []


@pytest.mark.parametrize("bullet", ["helped", "...", "Built it.", "Helped the team.", "Improved performance."])
def test_a_bullet_that_names_no_work_from_the_input_is_refused(bullet: str) -> None:
    (violation,) = Grounding([NOTES]).check(bullet)
    assert violation.kind == "source"
    assert "says too little" in violation.message
    assert bullet[violation.start : violation.end] == violation.text == bullet.strip()


@pytest.mark.parametrize("bullet", ["Added the postgres index.", "Migrated to cursors."])
def test_one_word_of_the_input_is_enough(bullet: str) -> None:
    assert Grounding([NOTES]).check(bullet) == []
