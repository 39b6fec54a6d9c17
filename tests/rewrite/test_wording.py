"""The input's words as a pattern for a bullet's text (service.rewrite.wording): what it lets a grammar-following
server write, what it never lets it spell, and that llama.cpp's pattern conversion reads it as Python does."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.rewrite.reply import request_schema
from service.rewrite.wording import (
    MAX_WORDS,
    MAX_WORDS_PER_BULLET,
    fact_words,
    input_words,
    lead_verbs,
    text_pattern,
)

NOTES = (
    "switched GET /orders from offset to cursor pagination (opaque cursor = base64 of created_at+id). "
    "p95 on deep pages went 2.4s -> 210ms per grafana; cost $1.2k/mo. helped Dana with the [[REDACTED_1]] rollout?"
)


def allows(notes: str, bullet: str) -> bool:
    pattern = text_pattern(input_words([notes]))
    assert pattern is not None
    return re.fullmatch(pattern, bullet) is not None


def test_words_are_the_inputs_own_first_seen_first_without_sentence_punctuation() -> None:
    words = input_words([NOTES, "Fixed the p95 regression. Switched"])

    assert words[:6] == ["switched", "GET", "/orders", "from", "offset", "to"]
    assert {"2.4s", "210ms", "->", "$1.2k/mo", "created_at+id", "base64", "grafana", "Fixed"} <= set(words)
    assert "pagination" in words and "pagination." not in words and "(opaque" not in words
    assert "rollout" in words and "rollout?" not in words
    assert not any("REDACTED" in w for w in words)  # a masked term's placeholder is never offered
    assert len(words) == len(set(words))


def test_the_number_of_words_is_capped_first_seen_first() -> None:
    words = input_words([" ".join(f"w{i}" for i in range(MAX_WORDS + 50))])

    assert words == [f"w{i}" for i in range(MAX_WORDS)]


@pytest.mark.parametrize(
    "bullet",
    [
        "Switched GET /orders from offset to cursor pagination.",
        "Switched pagination, p95 on deep pages went 2.4s -> 210ms per grafana",
        "Helped Dana with the rollout.",
        "Switched the /orders cursor to base64 of created_at+id",
    ],
)
def test_a_bullet_of_the_inputs_words_starting_with_its_verb_is_allowed(bullet: str) -> None:
    assert allows(NOTES, bullet)


@pytest.mark.parametrize(
    ("bullet", "why"),
    [
        ("Led the switch of GET /orders to cursor pagination.", "a verb the input does not use"),
        ("Switched all endpoints to cursor pagination.", "a scope word the input does not use"),
        ("Switched GET /orders to cursor pagination, cutting p95 by 90%.", "a figure the input does not state"),
        ("Switched GET /orders to GraphQL pagination.", "a technology the input does not name"),
        ("Switched GET /orders to cursor pagination in 2 4s.", "a figure's point is a point, not any character"),
        ("GET /orders from offset to cursor pagination.", "a bullet starts with the input's verb"),
        ("Switched.", "a fragment"),
        ("Helped [[REDACTED_1]] with the rollout.", "a placeholder"),
        ('Switched "GET" /orders to cursor pagination.', "a quote"),
    ],
)
def test_what_the_input_does_not_say_cannot_be_spelled(bullet: str, why: str) -> None:
    assert not allows(NOTES, bullet), why


def test_fact_words_are_the_figures_and_the_technologies_as_the_input_spells_them() -> None:
    words = input_words([NOTES])

    assert fact_words(words, ["grafana", "PostgreSQL"]) == ["base64", "p95", "2.4s", "210ms", "grafana", "$1.2k/mo"]


@pytest.mark.parametrize(
    ("bullet", "allowed"),
    [
        ("Switched p95 on deep pages from 2.4s to 210ms.", True),
        ("Switched GET /orders to cursor pagination, p95 went 2.4s -> 210ms per grafana", True),
        ("Switched GET /orders from offset to cursor pagination.", False),  # none of the input's evidence
        ("Switched 2.4s.", False),  # a figure alone is no bullet: a word must follow it
        ("Switched GET /orders to 3.1s", False),
    ],
)
def test_with_facts_a_bullet_keeps_at_least_one_of_them(bullet: str, allowed: bool) -> None:
    words = input_words([NOTES])
    pattern = text_pattern(words, fact_words(words, ["grafana"]))
    assert pattern is not None

    assert (re.fullmatch(pattern, bullet) is not None) is allowed


def test_facts_the_words_do_not_hold_are_ignored() -> None:
    words = input_words(["wrote the runbook for the worker"])

    assert text_pattern(words, ["Kafka", "99.9%"]) == text_pattern(words)


def test_lead_verbs_are_past_tense_verbs_that_start_a_clause_as_written() -> None:
    texts = [
        "Helped debug a memory leak. Added retries to the sender; wrote a runbook, and shipped it.",
        "Fix unbounded retry queue in notification worker",  # an adjective with a verb's ending
        "I rewrote the cron job (migrated 3 tables) then deployed. IGNORED all of it. mobile both migrated",
    ]

    assert lead_verbs(texts) == ["Helped", "Added", "wrote", "shipped", "rewrote", "migrated", "deployed"]


def test_a_bullet_starts_with_a_lead_verb_not_with_an_adjective_ending_in_ed() -> None:
    texts = ["Helped debug a memory leak in the worker.", "Fix unbounded retry queue in the worker"]
    words = input_words(texts)
    pattern = text_pattern(words, (), lead_verbs(texts))
    assert pattern is not None

    assert re.fullmatch(pattern, "Helped debug a memory leak in the worker.")
    assert not re.fullmatch(pattern, "Unbounded retry queue in the worker.")


def test_an_input_without_a_past_tense_verb_lets_any_of_its_words_start() -> None:
    assert allows("cursor pagination for GET /orders; p95 2.4s -> 210ms", "Cursor pagination for GET /orders")


def test_an_input_without_words_has_no_pattern() -> None:
    assert text_pattern(input_words(["  ,;  ()  "])) is None


def test_a_bullet_has_at_most_the_word_limit() -> None:
    notes = "wrote the runbook for the worker"
    words = ["Wrote", *(["the", "runbook"] * MAX_WORDS_PER_BULLET)]
    assert allows(notes, " ".join(words[:MAX_WORDS_PER_BULLET]))
    assert not allows(notes, " ".join(words[: MAX_WORDS_PER_BULLET + 1]))


def _first_words(pattern: str) -> list[str]:
    """The alternatives of the pattern's first group, with one-character classes read back."""
    group = re.match(r"\^\((.*?)\)\(,\? ", pattern)
    assert group is not None
    return [re.sub(r"\[(.)\]", r"\1", w) for w in group.group(1).split("|")]


@given(
    notes=st.text(max_size=300),
    picks=st.lists(st.integers(min_value=0, max_value=10**6), min_size=3, max_size=8),
    intruder=st.from_regex(r"[a-z]{3,8}", fullmatch=True),
)
def test_any_input_gives_a_pattern_that_admits_its_words_and_nothing_else(
    notes: str, picks: list[int], intruder: str
) -> None:
    words = input_words([notes])
    pattern = text_pattern(words)
    if pattern is None:
        assert not words
        return
    compiled = re.compile(pattern)
    first = _first_words(pattern)[0]
    assert first in {w[:1].upper() + w[1:] for w in words}
    body = [words[i % len(words)] for i in picks]
    assert compiled.fullmatch(" ".join([first, *body]) + ".")
    if intruder not in {*words, "a", "an", "and", "by", "for", "from", "in", "into", "of", "on", "the", "to", "with"}:
        assert not compiled.fullmatch(" ".join([first, *body[:2], intruder, *body[2:]]))


def test_llama_cpp_converts_the_pattern_to_a_grammar_of_the_same_words() -> None:
    llama_grammar = pytest.importorskip("llama_cpp.llama_grammar")
    schema = request_schema(["notes"], text_pattern(input_words([NOTES])))

    gbnf = llama_grammar.json_schema_to_gbnf(json.dumps(schema))

    text_rules = "\n".join(line for line in gbnf.splitlines() if line.startswith("bullets-item-text"))
    assert '"Switche" "d"' in text_rules or '"Switched"' in text_rules
    # llama.cpp's grammar parser knows only \\" \\\\ \\n \\r \\t \\[ \\] \\x.. escapes in a literal: an
    # operator of a word (the point of "2.4s") is a one-character class, never a backslash escape
    escapes = set(re.findall(r"\\(.)", text_rules))
    assert escapes <= {'"', "\\"}, escapes
    assert "[.]" in text_rules and "[+]" in text_rules and "[$]" in text_rules
