"""Properties of the repair over generated inflations of true bullets: a suggestion always re-verifies
against the same input, and never adds a word found in neither the bullet nor the input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from service.guard import check_bullet, extract_facts
from service.repair import apply_edits, repair
from service.repair._text import words

WORK = [
    ("helped migrate billing to postgres", "migrate billing to PostgreSQL"),
    ("wrote the retry logic for the payments worker", "the retry logic for the payments worker"),
    ("built the invoice export in python", "the invoice export in Python"),
    ("cut p99 latency from 900ms to 300ms", "p99 latency from 900ms to 300ms"),
    ("reviewed the schema change for the orders table", "the schema change for the orders table"),
]
VERBS = ["Led", "Architected", "Spearheaded", "Owned", "Built", "Helped", "Designed"]
TAILS = [
    "",
    " using Kafka",
    " with React.js",
    " across all teams",
    ", improving engagement by 45%",
    " for 10 million users",
    " for Acme",
    ", cutting costs by $2M",
]
SURFACE = frozenset({"a", "an", "postgresql", "python"})  # articles of neutral nouns; vocabulary spellings


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(WORK),
    st.sampled_from(VERBS),
    st.lists(st.sampled_from(TAILS), min_size=0, max_size=3),
    st.booleans(),
)
def test_a_suggestion_is_true_and_made_of_the_two_texts_words(
    work: tuple[str, str], verb: str, tails: list[str], prefix_15: bool
) -> None:
    notes, body = work
    facts = extract_facts(notes + ". our customer Acme", (), ["Acme"])
    bullet = f"{verb} {'15+ ' if prefix_15 else ''}{body}{''.join(tails)}."
    fix = repair(bullet, facts)
    if fix is None:
        return
    assert not check_bullet(fix.suggestion, facts).violations
    assert apply_edits(bullet, fix.edits) == fix.suggestion
    known = set(words(bullet)) | set(words(notes + ". our customer Acme")) | SURFACE
    assert set(words(fix.suggestion)) <= known
