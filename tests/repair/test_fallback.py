"""The fallback: the notes' own sentences that state work, polished and accepted by the guard."""

from __future__ import annotations

import pytest

from service.guard import check_bullet, extract_facts
from service.repair import note_sentences

CASES = [
    pytest.param(
        "helped debug a memory leak in the notification worker; wrote a runbook for restarting it",
        ["Helped debug a memory leak in the notification worker.", "Wrote a runbook for restarting it."],
        id="each-sentence-that-states-work",
    ),
    pytest.param(
        "events table hit 900GB. moved it to monthly range partitions. i did the plan and the scripts",
        ["Did the plan and the scripts."],
        id="not-a-sentence-whose-work-is-a-pronoun",
    ),
    pytest.param("memory leak; notification worker; oncall week", [], id="none-when-no-sentence-states-work"),
]


@pytest.mark.parametrize(("notes", "expected"), CASES)
def test_the_fallback_is_the_notes_own_sentences_of_work(notes: str, expected: list[str]) -> None:
    facts = extract_facts(notes, (), ())

    sentences = note_sentences(notes, facts, 3)

    assert sentences == expected
    assert all(check_bullet(s, facts).accepted for s in sentences)
