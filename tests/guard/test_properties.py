"""Property tests of the guard: verbatim input is accepted, inserted claims are caught, spans are exact,
and the result is deterministic."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from importlib.resources import files
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service.guard import BulletResult, EvidenceItem, check_bullet, extract_facts, verify
from tests.guard.guardkit import explain, run

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# ---------------------------------------------------------------------------------------------------------------
# realistic note fragments: no absolutes, no redact terms; every number is built from the primes 2, 3 and 5 so
# that none equals an inserted figure (the inserted ones are other primes) after any unit conversion
# ---------------------------------------------------------------------------------------------------------------

VERBS = [
    "built",
    "added",
    "fixed",
    "migrated",
    "wrote",
    "rewrote",
    "set up",
    "tuned",
    "helped debug",
    "worked on",
    "reviewed",
    "designed",
    "owned",
    "led",
    "was part of the team that shipped",
]
SYSTEMS = [
    "the payments api",
    "the orders table",
    "the notification worker",
    "the search service",
    "the billing cron job",
    "the ledger export",
    "the webhook relay",
    "the auth middleware",
    "the image resizer",
    "the rate limiter",
]
# lower-case, unambiguous forms, the way engineers type them
NOTE_TECHS = [
    "redis",
    "postgres",
    "kafka",
    "k8s",
    "GitHub Actions",
    "celery",
    "nginx",
    "docker",
    "python",
    "Prometheus",
    "Node.js",
    "golang",
]
NOTE_TECH_NAMES = frozenset(
    {
        "Redis",
        "PostgreSQL",
        "Kafka",
        "Kubernetes",
        "GitHub Actions",
        "Celery",
        "Nginx",
        "Docker",
        "Python",
        "Prometheus",
        "Node.js",
        "Go",
    }
)
QUANTITIES = [
    "p99 latency from 900ms to 300ms",
    "2k jobs/hour",
    "saves $40k/yr",
    "image down to 1.2GB",
    "builds take 15 min",
    "handles 300 req/s",
    "cache holds 50k keys",
    "80% hit rate",
    "moved 12 cron jobs",
    "3x throughput",
    "timeouts at 0.5s",
    "p95 of 250 ms",
    "six services",
    "fifty thousand rows",
    "doubled throughput",
    "dozens of tenants",
]


@st.composite
def sentences(draw: st.DrawFn) -> str:
    verb = draw(st.sampled_from(VERBS))
    system = draw(st.sampled_from(SYSTEMS))
    form = draw(st.integers(0, 3))
    if form == 0:
        return f"{verb} {system}"
    tech = draw(st.sampled_from(NOTE_TECHS))
    if form == 1:
        return f"{verb} {system} with {tech}"
    quantity = draw(st.sampled_from(QUANTITIES))
    if form == 2:
        return f"{verb} {system} on {tech}; {quantity}"
    return f"{verb} {system}, {quantity}"


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(sentences(), min_size=1, max_size=3))
    sep = draw(st.sampled_from(["; ", ". ", "\n"]))
    text = sep.join(parts)
    return draw(st.sampled_from([text, text[:1].upper() + text[1:] + "."]))


# ---------------------------------------------------------------------------------------------------------------
# insertions the generated input never supports
# ---------------------------------------------------------------------------------------------------------------

PRIMES = [11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 79, 83, 89, 97]
UNITS = ["ms", " ms", "s", " seconds", " minutes", " hours", "MB", " GB", "%", " req/s", " requests per minute", "x"]
ABSOLUTES = [
    "across all services",
    "company-wide",
    "org-wide",
    "with zero downtime",
    "zero-downtime",
    "for every endpoint",
    "across the entire fleet",
    "serving millions of users",
    "in a highly scalable way",
]


@cache
def _tech_vocabulary() -> list[dict[str, Any]]:
    data = json.loads((files("service.guard") / "data" / "technologies.json").read_text(encoding="utf-8"))
    return list(data["technologies"])


@cache
def inserted_techs() -> tuple[str, ...]:
    """Unambiguous single-word aliases of technologies the generated notes neither name nor imply."""
    techs = _tech_vocabulary()
    implies = {t["name"]: list(t["implies"]) for t in techs}
    closure: set[str] = set()
    stack = list(NOTE_TECH_NAMES)
    while stack:
        name = stack.pop()
        if name not in closure:
            closure.add(name)
            stack.extend(implies.get(name, []))
    counts = Counter(form.lower() for t in techs for form in [*t["aliases"], *t["ambiguous"]])
    out = [
        alias
        for t in techs
        if t["name"] not in closure
        for alias in t["aliases"]
        if re.fullmatch(r"[A-Z][A-Za-z]{3,}", alias) and counts[alias.lower()] == 1
    ]
    assert len(out) > 50
    return tuple(out)


def spans_exact(result: BulletResult) -> None:
    for v in result.violations:
        assert 0 <= v.start <= v.end <= len(result.bullet), explain(result)
        assert v.text == result.bullet[v.start : v.end], explain(result)
        assert v.text, explain(result)


# ---------------------------------------------------------------------------------------------------------------
# (a) verbatim input is always accepted
# ---------------------------------------------------------------------------------------------------------------


@SETTINGS
@given(notes=texts())
def test_notes_repeated_verbatim_are_accepted(notes: str) -> None:
    result = run(notes, notes)
    assert result.verdict == "accepted", explain(result)


@SETTINGS
@given(notes=texts(), evidence=st.lists(texts(), min_size=1, max_size=3), data=st.data())
def test_an_evidence_text_repeated_verbatim_is_accepted(notes: str, evidence: list[str], data: st.DataObject) -> None:
    bullet = data.draw(st.sampled_from(evidence))
    result = run(notes, bullet, evidence)
    assert result.verdict == "accepted", explain(result)


# ---------------------------------------------------------------------------------------------------------------
# (b) an inserted unsupported claim is always caught
# ---------------------------------------------------------------------------------------------------------------


@SETTINGS
@given(notes=texts(), number=st.sampled_from(PRIMES), unit=st.sampled_from(UNITS))
def test_inserted_figure_is_a_metric_violation(notes: str, number: int, unit: str) -> None:
    base = notes.rstrip(".")
    bullet = f"{base}, at {number}{unit}."
    result = run(notes, bullet)
    assert result.verdict == "rejected", explain(result)
    metric = [v for v in result.violations if v.kind == "metric"]
    assert any(str(number) in v.text for v in metric), explain(result)
    spans_exact(result)


@SETTINGS
@given(notes=texts(), data=st.data())
def test_inserted_technology_is_a_tool_violation(notes: str, data: st.DataObject) -> None:
    tech = data.draw(st.sampled_from(inserted_techs()))
    bullet = f"{notes.rstrip('.')}, using {tech}."
    result = run(notes, bullet)
    assert result.verdict == "rejected", explain(result)
    assert any(v.kind == "tool" and tech in v.text for v in result.violations), explain(result)
    spans_exact(result)


@SETTINGS
@given(notes=texts(), absolute=st.sampled_from(ABSOLUTES))
def test_inserted_absolute_is_a_scope_violation(notes: str, absolute: str) -> None:
    bullet = f"{notes.rstrip('.')}, {absolute}."
    result = run(notes, bullet)
    assert result.verdict == "rejected", explain(result)
    assert "scope" in {v.kind for v in result.violations}, explain(result)
    spans_exact(result)


# ---------------------------------------------------------------------------------------------------------------
# (c) spans are inside the bullet and their text is exactly bullet[start:end]
# ---------------------------------------------------------------------------------------------------------------

WORDS = [
    *VERBS,
    *SYSTEMS,
    *NOTE_TECHS,
    *QUANTITIES,
    *ABSOLUTES,
    "Led",
    "Architected",
    "Go",
    "go live",
    "React",
    "react to",
    "Spring Boot",
    "Node.js",
    "(Go)",
    "Maya's",
    "ORION",
    "acme corp",
    "p99",
    "P95",
    "2.1s",
    "2100 ms",
    "50k",
    "fifty thousand",
    "1k req/min",
    "six",
    "doubled",
    "tenfold",
    "an order of magnitude",
    "$180M",
    "300 µs",
    "Python 3.11",
    "OAuth 2.0",
    "502s",
    "100%",
    "24/7",
    "v2",
    "5xx",
    "2-5s",
    "from 14 to 9 minutes",
    "dozens of",
    "hundreds",
]
SEPARATORS = [" ", ", ", "; ", ". ", " - ", " — ", " / ", " (", ") ", "\n", " & ", " + ", "  "]


@st.composite
def mixed_bullets(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True)).strip()


REDACT_TERMS = st.lists(st.sampled_from(["Maya", "Orion", "Acme Corp", "Globex", "Max"]), max_size=3)
RAW_TEXT = st.text(
    alphabet=st.sampled_from(list("abcdeklmnoprstuxyzGKMPRS0123456789 .,;:-/%$()'’µ×~+#&\n")), max_size=80
)


@SETTINGS
@given(notes=st.one_of(texts(), mixed_bullets()), bullet=st.one_of(mixed_bullets(), RAW_TEXT), redact=REDACT_TERMS)
@example(notes="built the cost report", bullet="Saved $3.5mil a year with the cost report.", redact=[])
@example(notes="built the cost report", bullet="Cut spend by $10bil.", redact=[])
def test_violation_spans_are_exact(notes: str, bullet: str, redact: list[str]) -> None:
    result = run(notes, bullet, redact=redact)
    spans_exact(result)
    assert result.verdict == ("rejected" if result.violations else "accepted")
    assert all(
        v.kind in {"metric", "tool", "ownership", "scope", "outcome", "redacted", "source"} for v in result.violations
    )


@SETTINGS
@given(notes=RAW_TEXT, bullet=RAW_TEXT)
@example(notes="", bullet="$0c")
def test_arbitrary_text_never_breaks_the_guard(notes: str, bullet: str) -> None:
    result = run(notes, bullet, evidence=[bullet[::-1]], redact=["Maya"])
    spans_exact(result)


# ---------------------------------------------------------------------------------------------------------------
# (d) determinism
# ---------------------------------------------------------------------------------------------------------------


@SETTINGS
@given(
    notes=texts(),
    evidence=st.lists(texts(), max_size=2),
    redact=REDACT_TERMS,
    bullets=st.lists(st.one_of(mixed_bullets(), texts()), min_size=1, max_size=4),
)
def test_same_input_gives_identical_results(
    notes: str, evidence: list[str], redact: list[str], bullets: list[str]
) -> None:
    items = [EvidenceItem(f"e{i}", t) for i, t in enumerate(evidence, 1)]
    first = [r.as_dict() for r in verify(notes, items, redact, bullets)]
    second = [r.as_dict() for r in verify(notes, list(items), list(redact), list(bullets))]
    assert first == second
    facts = extract_facts(notes, items, redact)
    one_by_one = [check_bullet(b, facts).as_dict() for b in bullets]
    assert one_by_one == first
