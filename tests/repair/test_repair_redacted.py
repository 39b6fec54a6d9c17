"""Repair of ``redacted``: a neutral noun the input itself uses, else the term dropped with its phrase."""

from __future__ import annotations

from tests.repair.repairkit import assert_repairs


def test_a_neutral_noun_the_input_uses_takes_the_terms_place() -> None:
    assert_repairs(
        "built the export for our biggest customer, Acme",
        "Built the export for Acme",
        "Built the export for a customer.",
        redact=["Acme"],
    )


def test_without_such_a_noun_the_term_goes_with_its_phrase() -> None:
    assert_repairs(
        "built the invoice export for the Falcon project",
        "Built the invoice export for Falcon",
        "Built the invoice export.",
        redact=["Falcon"],
    )


def test_a_bullet_that_is_only_the_term_has_no_suggestion() -> None:
    assert_repairs("built the export for Falcon", "Falcon", None, redact=["Falcon"])
