"""``redacted``: a redact term must never appear in a bullet: case-insensitive, whole words, possessives too."""

from __future__ import annotations

import pytest

from service.guard import BulletResult, verify
from tests.guard.guardkit import explain, run


def assert_spans(result: BulletResult) -> None:
    for v in result.violations:
        assert 0 <= v.start <= v.end <= len(result.bullet), explain(result)
        assert v.text == result.bullet[v.start : v.end], explain(result)


# (notes, evidence, redact, bullet)
ACCEPT = [
    # the term replaced by a generic description
    pytest.param(
        "paired with maya on the refunds endpoint",
        (),
        ("Maya",),
        "Paired with a teammate on the refunds endpoint.",
        id="colleague-generic",
    ),
    pytest.param(
        "built the ledger sync for acme corp",
        (),
        ("Acme Corp",),
        "Built the ledger sync for a retail customer.",
        id="customer-generic",
    ),
    pytest.param(
        "upgraded django for the orion billing app",
        (),
        ("Orion",),
        "Upgraded Django for an internal billing app.",
        id="codename-generic",
    ),
    pytest.param(
        "fixed the globex sso outage", (), ("Globex",), "Fixed a customer's SSO outage.", id="possessive-generic"
    ),
    pytest.param(
        "built the northwind traders export",
        (),
        ("Northwind Traders",),
        "Built the trade reconciliation export for a wholesale customer.",
        id="multiword-term-generic",
    ),
    pytest.param(
        "tuned the orion indexer",
        (),
        ("Orion", "Maya", "Globex"),
        "Tuned the search indexer for an internal product.",
        id="several-terms-none-used",
    ),
    pytest.param(
        "shipped the phoenix billing rewrite",
        (),
        ("Phoenix",),
        "Shipped the billing rewrite.",
        id="codename-dropped",
    ),
    pytest.param(
        "tuned the indexer",
        ("the indexer belongs to project orion",),
        ("Orion",),
        "Tuned the search indexer.",
        id="term-only-in-evidence",
    ),
    # the term inside a longer word is not the term
    pytest.param(
        "annotated the slow queries with explain plans; reviewed by ann",
        (),
        ("Ann",),
        "Annotated the slow queries with EXPLAIN plans.",
        id="Ann-in-Annotated",
    ),
    pytest.param(
        "ran the annual key rotation with ann",
        (),
        ("Ann",),
        "Ran the annual key rotation with a teammate.",
        id="Ann-in-annual",
    ),
    pytest.param(
        "refactored the regex parser with rex", (), ("Rex",), "Refactored the regex parser.", id="Rex-in-regex"
    ),
    pytest.param(
        "added sampling to the tracing pipeline with sam",
        (),
        ("Sam",),
        "Added sampling to the tracing pipeline.",
        id="Sam-in-sampling",
    ),
    pytest.param(
        "fixed a leak in the fleet manager with lee",
        (),
        ("Lee",),
        "Fixed a leak in the fleet manager.",
        id="Lee-in-fleet",
    ),
    pytest.param(
        "tuned the orion indexer",
        (),
        ("Orion Search",),
        "Tuned the indexer for the Orion team.",
        id="part-of-multiword-term",
    ),
    # nothing to redact: names may stay
    pytest.param(
        "paired with maya on the refunds endpoint",
        (),
        (),
        "Paired with Maya on the refunds endpoint.",
        id="no-redact-terms",
    ),
    pytest.param(
        "paired with maya on the refunds endpoint",
        (),
        ("Globex",),
        "Paired with Maya on the refunds endpoint.",
        id="other-term-redacted",
    ),
]

# (notes, evidence, redact, bullet, fragment)
REJECT = [
    pytest.param(
        "paired with maya on the refunds endpoint",
        (),
        ("Maya",),
        "Paired with Maya on the refunds endpoint.",
        "Maya",
        id="colleague",
    ),
    pytest.param("tuned the orion indexer", (), ("Orion",), "Tuned the ORION indexer.", "ORION", id="upper-case"),
    pytest.param("tuned the orion indexer", (), ("Orion",), "Tuned the orion indexer.", "orion", id="lower-case"),
    pytest.param("tuned the orion indexer", (), ("orion",), "Tuned the Orion indexer.", "Orion", id="lower-case-term"),
    pytest.param(
        "reviewed maya's refunds changes",
        (),
        ("Maya",),
        "Reviewed Maya's refunds endpoint changes.",
        "Maya",
        id="possessive",
    ),
    pytest.param(
        "reviewed maya's refunds changes",
        (),
        ("Maya",),
        "Reviewed Maya’s refunds endpoint changes.",
        "Maya",
        id="possessive-curly-apostrophe",
    ),
    pytest.param(
        "migrated initech invoices to the new ledger",
        (),
        ("Initech",),
        "Migrated Initech's invoices to the new ledger.",
        "Initech",
        id="customer-possessive",
    ),
    pytest.param(
        "built the ledger sync for acme corp",
        (),
        ("Acme Corp",),
        "Built the ledger sync for Acme Corp.",
        "Acme Corp",
        id="multiword-term",
    ),
    pytest.param(
        "built the ledger sync for acme corp",
        (),
        ("Acme Corp",),
        "Built the ledger sync for ACME corp.",
        "ACME corp",
        id="multiword-term-mixed-case",
    ),
    pytest.param(
        "tuned the orion indexer",
        (),
        ("Orion",),
        "Orion indexer tuning cut reindex time.",
        "Orion",
        id="first-word",
    ),
    pytest.param("tuned the orion indexer", (), ("Orion",), "Tuned the indexer for Orion.", "Orion", id="last-word"),
    pytest.param(
        "tuned the orion indexer", (), ("Orion",), "Tuned the search indexer (Orion).", "Orion", id="in-parentheses"
    ),
    pytest.param(
        "tuned the orion indexer",
        (),
        ("Orion",),
        "Tuned the Orion-based search indexer.",
        "Orion",
        id="hyphenated-compound",
    ),
    pytest.param(
        "tuned the orion indexer",
        (),
        ("Orion",),
        "Built search for Orion, the internal catalog.",
        "Orion",
        id="before-comma",
    ),
    pytest.param(
        "fixed the globex sso outage",
        (),
        ("Maya", "Globex"),
        "Fixed the Globex SSO outage.",
        "Globex",
        id="second-of-several-terms",
    ),
    pytest.param(
        "raised the max pool size",
        (),
        ("Max",),
        "Raised the max connection pool size.",
        "max",
        id="term-that-is-also-a-word",
    ),
    pytest.param(
        "tuned the indexer",
        ("the indexer belongs to project orion",),
        ("Orion",),
        "Tuned the Project Orion indexer.",
        "Orion",
        id="term-from-evidence",
    ),
    pytest.param(
        "shipped the phoenix billing rewrite",
        (),
        ("Phoenix",),
        "Shipped the Phoenix billing rewrite.",
        "Phoenix",
        id="codename-that-is-a-technology-name",
    ),
]


@pytest.mark.parametrize(("notes", "evidence", "redact", "bullet"), ACCEPT)
def test_bullet_without_redact_terms_is_accepted(
    notes: str, evidence: tuple[str, ...], redact: tuple[str, ...], bullet: str
) -> None:
    result = run(notes, bullet, evidence, redact)
    assert result.verdict == "accepted", explain(result)
    assert result.violations == (), explain(result)


@pytest.mark.parametrize(("notes", "evidence", "redact", "bullet", "fragment"), REJECT)
def test_redact_term_is_a_redacted_violation(
    notes: str, evidence: tuple[str, ...], redact: tuple[str, ...], bullet: str, fragment: str
) -> None:
    result = run(notes, bullet, evidence, redact)
    assert result.verdict == "rejected", explain(result)
    assert "redacted" in {v.kind for v in result.violations}, explain(result)
    assert any(v.kind == "redacted" and fragment in v.text for v in result.violations), explain(result)
    assert_spans(result)


@pytest.mark.parametrize(
    "bullet, placeholder",
    [
        ("Debugged a memory leak with [[REDACTED_1]].", "[[REDACTED_1]]"),
        ("Debugged a memory leak with [REDACTED_1].", "[REDACTED_1]"),  # a model dropped a bracket pair
        ("Debugged a memory leak with REDACTED_12.", "REDACTED_12"),
        ("Debugged a memory leak with redacted_2.", "redacted_2"),
    ],
)
def test_a_masking_placeholder_in_a_bullet_is_one_redacted_violation(bullet: str, placeholder: str) -> None:
    result = run("debugged a memory leak with Dana", bullet, redact=("Dana",))
    assert [(v.kind, v.text) for v in result.violations] == [("redacted", placeholder)], explain(result)
    assert_spans(result)


# --- Unicode spellings (issue 18, item 11): compared under NFKC + full case folding, spans exact -------------

UNICODE_SPELLINGS = [
    pytest.param("Zoë", "Paired with Zoe\u0308 on the fix.", "Zoe\u0308", id="nfd-spelling"),
    pytest.param("Straße", "Moved the STRASSE service to Go.", "STRASSE", id="sharp-s-as-ss"),
    pytest.param("STRASSE", "Moved the Straße service to Go.", "Straße", id="ss-as-sharp-s"),
    pytest.param("Acme", "Built the \u0410cme importer.", "\u0410cme", id="cyrillic-a-for-latin-a"),
    pytest.param("Acme", "Built the Ac\u200dme importer.", "Ac\u200dme", id="zero-width-joiner"),
    pytest.param("Acme", "Built the \uff21\uff43\uff4d\uff45 importer.", "\uff21\uff43\uff4d\uff45", id="fullwidth"),
]


@pytest.mark.parametrize(("term", "bullet", "span"), UNICODE_SPELLINGS)
def test_another_spelling_of_a_redacted_term_is_refused_at_its_exact_span(term: str, bullet: str, span: str) -> None:
    result = verify("notes", [], [term], [bullet])[0]

    redacted = [v for v in result.violations if v.kind == "redacted"]
    assert [(v.text, bullet[v.start : v.end]) for v in redacted] == [(span, span)], explain(result)


@pytest.mark.parametrize(
    "bullet",
    [
        "Debugged it with [[REDACTED-1]].",
        "Debugged it with \uff3b\uff3b\uff32\uff25\uff24\uff21\uff23\uff34\uff25\uff24_1\uff3d\uff3d.",
        "Debugged it with REDACTED 2.",
    ],
    ids=["hyphen", "fullwidth", "space"],
)
def test_a_mangled_placeholder_is_refused(bullet: str) -> None:
    result = verify("notes", [], ["Dana"], [bullet])[0]

    assert [v.kind for v in result.violations] == ["redacted"], explain(result)
