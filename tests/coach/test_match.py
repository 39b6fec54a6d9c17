"""Honest tailoring: a posting's technologies and keywords are supported only when the notes (or the
evidence) say them, under any alias; everything else is a gap, reported with the posting's wording."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib.resources import files

import pytest

from service.coach import Gap, MatchResult, SupportedTerm, match_posting
from service.guard import EvidenceItem, verify

POSTING = (
    "Senior Backend Engineer. Stack: PostgreSQL, Kafka, Go, Kubernetes and AWS. You will build microservices, "
    "own CI/CD, join the on-call rotation and improve observability."
)


def run(notes: str, posting: str = POSTING, *evidence: str, redact: tuple[str, ...] = ()) -> MatchResult:
    items = [EvidenceItem(f"e{i}", text) for i, text in enumerate(evidence, 1)]
    return match_posting(notes, items, posting, redact)


def supported(result: MatchResult) -> dict[str, str]:
    return {s.term: s.input_term for s in result.supported}


def gaps(result: MatchResult) -> list[str]:
    return [g.term for g in result.gaps]


@pytest.mark.parametrize(
    ("notes", "posting", "term", "input_term"),
    [
        ("moved the sessions store to postgres", "Experience with PostgreSQL", "PostgreSQL", "postgres"),
        ("moved the sessions store to PostgreSQL", "We run Postgres", "Postgres", "PostgreSQL"),
        ("deployed the worker on k8s", "Kubernetes in production", "Kubernetes", "k8s"),
        ("rewrote the relay in golang", "Services in Go", "Go", "golang"),
        ("set up CI in github actions", "GH Actions experience", "GH Actions", "github actions"),
        ("rewrote the webhook relay in node", "Node.js backend", "Node.js", "node"),
        ("stored uploads in S3", "Hands-on with AWS", "AWS", "S3"),
        ("built the export job in Django", "Strong Python", "Python", "Django"),
    ],
)
def test_technology_supported_under_any_alias(notes: str, posting: str, term: str, input_term: str) -> None:
    result = run(notes, posting)
    assert supported(result) == {term: input_term}
    assert result.supported[0].kind == "technology"
    assert result.gaps == ()


@pytest.mark.parametrize(
    ("notes", "posting", "term", "input_term"),
    [
        ("was on call for the payments API", "Join our on-call rotation", "on-call rotation", "on call"),
        ("split the checkout service into microservices", "Build microservices", "microservices", "microservices"),
        ("set up CI/CD for the billing repo", "Own continuous delivery", "continuous delivery", "CI/CD"),
        ("added tracing to the export job", "distributed tracing", "distributed tracing", "tracing"),
        ("wrote the design doc for refunds", "You write RFCs", "RFCs", "design doc"),
        ("made the refunds endpoint idempotent", "idempotency matters", "idempotency", "idempotent"),
    ],
)
def test_keyword_supported_when_the_notes_say_it(notes: str, posting: str, term: str, input_term: str) -> None:
    result = run(notes, posting)
    assert supported(result) == {term: input_term}
    assert result.supported[0].kind == "keyword"


@pytest.mark.parametrize(
    ("notes", "posting", "gap"),
    [
        ("moved the sessions store to postgres", "MySQL experience", "MySQL"),
        ("deployed the worker on ECS", "Kubernetes experience", "Kubernetes"),
        ("wrote the worker in Python", "Kafka experience", "Kafka"),
        ("built the export job", "You will build microservices", "microservices"),
        ("built the export job", "Experience with CI/CD", "CI/CD"),
        ("fixed the export job", "Join the on-call rotation", "on-call rotation"),
        ("stored uploads in S3", "GCP experience", "GCP"),
    ],
)
def test_not_in_the_notes_is_a_gap(notes: str, posting: str, gap: str) -> None:
    result = run(notes, posting)
    assert gaps(result) == [gap]
    assert result.supported == ()


def test_the_full_posting_in_posting_order() -> None:
    notes = "moved the sessions store to postgres; stored uploads in S3; was on call for the payments API"
    result = run(notes)
    assert [(s.term, s.input_term, s.kind) for s in result.supported] == [
        ("PostgreSQL", "postgres", "technology"),
        ("AWS", "S3", "technology"),
        ("on-call rotation", "on call", "keyword"),
    ]
    assert [(g.term, g.kind) for g in result.gaps] == [
        ("Kafka", "technology"),
        ("Go", "technology"),
        ("Kubernetes", "technology"),
        ("microservices", "keyword"),
        ("CI/CD", "keyword"),
        ("observability", "keyword"),
    ]


def test_evidence_supports_terms_too() -> None:
    result = run("fixed the export job", "Kafka experience", "PR-7: move the export job onto Kafka")
    assert supported(result) == {"Kafka": "Kafka"}
    assert result.gaps == ()


def test_each_term_once_with_its_first_wording() -> None:
    result = run("moved the store to postgres, then tuned PostgreSQL", "Postgres and PostgreSQL and postgres")
    assert [(s.term, s.input_term) for s in result.supported] == [("Postgres", "postgres")]


def test_an_ordinary_word_is_not_a_technology() -> None:
    result = run("ported the parser", "We go fast and react to incidents")
    assert not any(item.kind == "technology" for item in (*result.supported, *result.gaps))


def test_a_keyword_inside_a_technology_name_is_not_a_keyword() -> None:
    result = run("built the export job", "Experience with Kafka Streams")
    assert gaps(result) == ["Kafka Streams"]


def test_nothing_to_match() -> None:
    assert run("fixed the export job", "We are a friendly team in Berlin.") == MatchResult((), ())


def test_redacted_terms_are_never_offered() -> None:
    notes = "moved billing for Acme onto Stripe; deployed it on k8s"
    result = run(notes, "Stripe and Kubernetes experience", redact=("Stripe",))
    assert supported(result) == {"Kubernetes": "k8s"}
    assert "Stripe" not in gaps(result)


def test_supported_posting_wording_passes_the_guard() -> None:
    notes = "moved the sessions store to postgres; deployed the worker on k8s"
    result = run(notes, "PostgreSQL and Kubernetes")
    bullet = "Moved the sessions store to PostgreSQL and deployed the worker on Kubernetes."
    (checked,) = verify(notes, [], [], [bullet])
    assert set(supported(result)) == {"PostgreSQL", "Kubernetes"}
    assert checked.verdict == "accepted"


def test_a_gap_used_in_a_bullet_is_refused_by_the_guard() -> None:
    notes = "moved the sessions store to postgres"
    result = run(notes, "PostgreSQL and Kafka")
    assert gaps(result) == ["Kafka"]
    (checked,) = verify(notes, [], [], ["Moved the sessions store to PostgreSQL behind Kafka."])
    assert [v.text for v in checked.violations] == ["Kafka"]


def test_result_objects() -> None:
    result = run("moved the store to postgres", "PostgreSQL, Kafka")
    assert result.supported == (SupportedTerm("PostgreSQL", "postgres", "technology"),)
    assert result.gaps == (Gap("Kafka", "technology"),)
    assert result.as_dict() == {
        "supported": [{"term": "PostgreSQL", "input_term": "postgres", "kind": "technology"}],
        "gaps": [{"term": "Kafka", "kind": "technology"}],
    }
    assert result == run("moved the store to postgres", "PostgreSQL, Kafka")


def test_keyword_data_has_no_phrase_in_two_keywords() -> None:
    data = json.loads((files("service.coach") / "data" / "keywords.json").read_text(encoding="utf-8"))
    owner: dict[str, str] = {}
    for keyword in data["keywords"]:
        assert keyword["phrases"], keyword["term"]
        for phrase in keyword["phrases"]:
            key = re.sub(r"[\s/-]+", " ", phrase.lower())
            assert owner.setdefault(key, keyword["term"]) == keyword["term"], phrase
    assert not [t for t, n in Counter(k["term"] for k in data["keywords"]).items() if n > 1]
