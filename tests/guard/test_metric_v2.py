"""``metric``, issue 12: derived figures, honest rounding and bounds, hedged input figures, frequency hedges,
and version-glued names.

- Arithmetic on the input's own figures is true: a before/after pair of one quantity supports its
  percentage change, its ratio ("3x faster", "halved") and its difference; "by 50%" is "halved". A
  derived figure may be rounded to the precision the bullet shows; a figure the input states is restated
  at its value. "over / more than / nearly / almost / up to" must hold in their direction.
- An approximate input figure ("about", "~", "maybe", "50-ish", a clause that calls itself an estimate)
  supports the figure only as an approximation, not as exact, as a lower bound or as measured.
- A frequency hedge in the input ("usually", "most weeks") does not support "consistently" or "always".
- "JDK17", "Python3.11", "Java8" read as "JDK 17", "Python 3.11", "Java 8".
"""

from __future__ import annotations

import pytest

from service.guard import BulletResult
from tests.guard.guardkit import run


def explain(result: BulletResult) -> str:
    return f"{result.bullet!r} -> {[(v.kind, v.text, v.hint) for v in result.violations]}"


def assert_spans(result: BulletResult) -> None:
    for v in result.violations:
        assert v.text == result.bullet[v.start : v.end], explain(result)


DERIVED_ACCEPT = [
    pytest.param(
        "spend on the logging cluster was $12k, it's $6k now after i changed the retention settings",
        "Halved logging cluster spend to $6K by changing retention settings.",
        id="was-then-it's-is-a-before-after-pair",
    ),
    pytest.param("p99 went from 900 ms to 300 ms", "Made p99 latency 3x faster.", id="900ms-to-300ms-is-3x-faster"),
    pytest.param("p99 went from 900 ms to 300 ms", "Cut p99 latency by 67%.", id="900ms-to-300ms-is-a-67-percent-cut"),
    pytest.param(
        "p99 went from 900 ms to 300 ms", "Cut p99 latency by 66.7%.", id="one-decimal-rounding-of-a-derived-figure"
    ),
    pytest.param(
        "import time went from 50 min to 20 min", "Cut import time by 60%.", id="50-to-20-min-is-a-60-percent-cut"
    ),
    pytest.param("import time went from 50 min to 20 min", "Saved 30 minutes per import.", id="difference-of-a-pair"),
    pytest.param("error rate dropped from 4% to 2%", "Halved the error rate.", id="4-to-2-percent-is-halved"),
    pytest.param("error rate dropped from 4% to 2%", "Cut the error rate in half.", id="4-to-2-percent-in-half"),
    pytest.param("error rate dropped from 4% to 2%", "Cut the error rate by 50%.", id="4-to-2-percent-by-50"),
    pytest.param("signups grew from 5K to 18K a month", "Grew monthly signups by 260%.", id="5k-to-18k-is-260-percent"),
    pytest.param("signups grew from 5K to 18K", "Grew signups +260%.", id="plus-260-percent"),
    pytest.param("signups grew from 5K to 18K", "Grew signups 3.6x.", id="5k-to-18k-is-3.6x"),
    pytest.param("cut the build time by 50%", "Halved the build time.", id="by-50-percent-is-halved"),
    pytest.param("halved the build time", "Cut the build time by 50%.", id="halved-is-by-50-percent"),
    pytest.param("made the export 3x faster", "Cut export time by 67%.", id="3x-faster-is-67-percent-less-time"),
    pytest.param("tripled worker throughput", "Raised worker throughput by 200%.", id="tripled-is-plus-200-percent"),
    pytest.param("checkout p95: 1200ms before, 450ms after", "Cut checkout p95 by 62.5%.", id="before-after-labels"),
    pytest.param("p95 is now 400 ms, down from 1.2 s", "Made p95 latency 3x faster.", id="after-then-before-order"),
    pytest.param(
        "throughput 1.2k -> 3.5k msgs/s", "Nearly tripled throughput to 3,500 msgs/s.", id="nearly-tripled-2.9x"
    ),
    pytest.param(
        "p95 went from 1.2 s to 400 ms", "Made p95 latency about 3x faster.", id="approximate-derived-multiplier"
    ),
]

DERIVED_REJECT = [
    pytest.param("import time went from 50 min to 20 min", "Cut import time by 75%.", "75%", "60% cut", id="60-not-75"),
    pytest.param("p99 went from 900 ms to 300 ms", "Made p99 latency 5x faster.", "5x", "3x", id="3x-not-5x"),
    pytest.param("avg list query 400ms -> 250ms", "Halved list-query latency.", "Halved", "", id="1.6x-is-not-halved"),
    pytest.param("error rate dropped from 4% to 3%", "Cut the error rate by 50%.", "50%", "25% cut", id="25-not-50"),
    pytest.param(
        "p99 went from 900 ms to 300 ms", "Cut p99 latency by 70%.", "70%", "66.7% cut", id="67-does-not-round-to-70"
    ),
    pytest.param("cold start 4.7s -> 1.8s", "Cut cold start to 2 seconds.", "2 seconds", "", id="stated-not-rounded"),
    pytest.param(
        "the nightly report takes 50 min", "Cut the nightly report by 60%.", "60%", "", id="no-pair-no-change"
    ),
    pytest.param(
        "moved 3 services; the team is 12 people", "Moved services 4x faster.", "4x", "", id="unrelated-counts-no-pair"
    ),
]

BOUNDS_ACCEPT = [
    pytest.param("cache hit rate is 91.4%", "Raised cache hit rate to over 90%.", id="91.4-is-over-90"),
    pytest.param("cache hit rate is 91.4%", "Raised cache hit rate to more than 90%.", id="91.4-is-more-than-90"),
    pytest.param("cache hit rate is 88%", "Raised cache hit rate to nearly 90%.", id="88-is-nearly-90"),
    pytest.param(
        "client library used by 230 services", "Wrote a client library used by 200+ services.", id="230-is-200+"
    ),
    pytest.param(
        "client library used by 200 services", "Wrote a client library used by 200+ services.", id="200-is-200+"
    ),
    pytest.param("p99 is 80 ms", "Kept p99 latency under 100 ms.", id="80-is-under-100"),
    pytest.param("speedups of up to 40% on large files", "Sped up large files by up to 40%.", id="up-to-stays-up-to"),
    pytest.param(
        "migrated 12 services over 3 months", "Migrated 12 services over 3 months.", id="over-a-duration-is-when"
    ),
]

BOUNDS_REJECT = [
    # a stated figure may be shortened to two significant digits, not moved to one
    pytest.param("cold start went 4.7s -> 1.8s", "Cut cold start to 2 seconds.", "2 seconds", id="1.8-s-as-2-s"),
    pytest.param("monthly cost is $6,120", "Ran the cluster for $6K a month.", "$6K", id="one-digit-rounding"),
    pytest.param("moved 1,213,440 rows", "Moved 1.3M rows.", "1.3M", id="rounded-the-wrong-way"),
    # an arrow between figures is a step of a sequence, not "more than" the next one
    pytest.param(
        "rollout went 1% -> 10% -> 50% -> 100% over two weeks",
        "Rolled out the flag 1% -> 50% -> 75% -> 98.3% -> 100% over two weeks.",
        "98.3%",
        id="invented-step-in-an-arrow-sequence",
    ),
    pytest.param("rollout went 1% => 100%", "Rolled out the flag 1% => 98.3%.", "98.3%", id="fat-arrow-step"),
    pytest.param("cache hit rate is 91.4%", "Raised cache hit rate to over 95%.", "95%", id="91.4-is-not-over-95"),
    pytest.param("used by 200 services", "Used by more than 200 services.", "200", id="200-is-not-more-than-200"),
    pytest.param("cache hit rate is 80%", "Raised cache hit rate to nearly 90%.", "90%", id="80-is-not-nearly-90"),
    pytest.param("p99 is 120 ms", "Kept p99 latency under 100 ms.", "100 ms", id="120-is-not-under-100"),
    pytest.param(
        "speedups of up to 40% on large files", "Sped up large files by 40%.", "40%", id="up-to-is-not-the-figure"
    ),
]

HEDGE_ACCEPT = [
    pytest.param("about 200 services use it", "Used by about 200 services.", id="about-as-about"),
    pytest.param("error budget burn ~40%", "Cut error budget burn by ~40%.", id="tilde-as-tilde"),
    pytest.param("roughly 40% of tickets", "Deflected roughly 40% of tickets.", id="roughly-as-roughly"),
    pytest.param("about 40% of tickets", "Deflected approximately 40% of tickets.", id="about-as-approximately"),
    pytest.param("maybe 10 teams use it", "Used by about 10 teams.", id="maybe-as-about"),
    pytest.param("50-ish customers", "Onboarded around 50 customers.", id="50-ish-as-around"),
    pytest.param("throughput ~400 -> ~650 msgs/s", "Lifted throughput from about 400 to 650 msgs/s.", id="range-hedge"),
    pytest.param("the sync usually runs at night", "The sync runs at night.", id="frequency-dropped"),
    pytest.param("cut p99 from 900ms to 300ms (measured in grafana)", "Cut p99 to 300 ms.", id="measured-stays-exact"),
]

HEDGE_REJECT = [
    pytest.param("about 200 services use it", "Used by 200 services.", "200", id="about-as-exact"),
    pytest.param("about 200 services use it", "Used by 200+ services.", "200", id="about-as-lower-bound"),
    pytest.param("~50k users", "Served 50,000+ users.", "50,000", id="tilde-as-plus"),
    pytest.param("roughly 30% faster", "Made it over 30% faster.", "30%", id="roughly-as-over"),
    pytest.param("like 50 customers signed up", "Signed up 50 customers.", "50", id="spoken-like"),
    pytest.param("probably 50 dashboards", "Built 50 dashboards.", "50", id="spoken-probably"),
    pytest.param("i think the error rate was 2%", "Held the error rate at 2%.", "2%", id="i-think"),
    pytest.param("maybe 10 teams use it", "Used by 10 teams.", "10", id="spoken-maybe"),
    pytest.param("50 or so customers", "Onboarded 50 customers.", "50", id="or-so"),
    pytest.param("50-ish customers", "Onboarded 50 customers.", "50", id="dash-ish"),
    pytest.param("est. 3 weeks saved", "Saved 3 weeks.", "3 weeks", id="est-dot"),
    pytest.param("nearly 40% fewer pages", "Cut pages by 40%.", "40%", id="nearly-as-exact"),
    pytest.param(
        "cut p50 by 25% (rough estimate from one dashboard)", "Cut p50 by 25%.", "25%", id="clause-rough-estimate"
    ),
    pytest.param("ballpark 100k rows a day", "Loads 100k rows a day.", "100k", id="ballpark"),
]

FREQUENCY_REJECT = [
    pytest.param(
        "usually shipped the release notes on time",
        "Consistently shipped release notes on time.",
        "Consistently",
        id="usually-not-consistently",
    ),
    pytest.param("ran the retro most weeks", "Ran the retro every week.", "every week", id="most-weeks-not-every-week"),
    pytest.param(
        "typically the first to answer pages", "Always the first to answer pages.", "Always", id="typically-not-always"
    ),
]

FREQUENCY_ACCEPT = [
    pytest.param("ran the retro every week", "Ran the retro every week.", id="every-week-stated"),
    pytest.param(
        "usually on call on fridays; ran the retro every week",
        "Ran the retro every week.",
        id="absolute-stated-beside-a-hedge",
    ),
    pytest.param("ran the retro most weeks", "Ran the retro most weeks.", id="hedge-kept"),
]

ROUNDING_ACCEPT = [
    pytest.param(
        "moved the old invoices, the final log line said 1,213,440 rows", "Moved 1.2M old invoices.", id="1.2M-rows"
    ),
    pytest.param("p50 is 66.7 ms after the fix", "Brought p50 to 67 ms.", id="67-ms-for-66.7"),
    pytest.param("the index is 1.24 GB", "Built a 1.2 GB index.", id="1.2-GB-for-1.24"),
]

TOKENS_ACCEPT = [
    pytest.param("upgraded the build to Java17", "Upgraded the build to Java 17.", id="Java17-as-Java-17"),
    pytest.param("upgraded the build to java 17", "Upgraded the build to Java17.", id="Java-17-as-Java17"),
    pytest.param("moved the service to JDK17", "Moved the service to JDK 17.", id="JDK17-as-JDK-17"),
    pytest.param("upgraded the api to python 3.11", "Upgraded the API to Python3.11.", id="Python3.11-in-bullet"),
    pytest.param("upgraded the api to Python3.11", "Upgraded the API to Python 3.11.", id="Python3.11-in-notes"),
    pytest.param("ported the batch jobs to Java8", "Ported the batch jobs to Java 8.", id="Java8-as-Java-8"),
]

TOKENS_REJECT = [
    pytest.param(
        "ported the batch jobs to Java8", "Ported the batch jobs to Kotlin2.", "Kotlin", "tool", id="glued-unknown-tool"
    ),
    pytest.param(
        "upgraded the build to Java17", "Upgraded 17 builds to Java.", "17", "metric", id="version-is-not-a-count"
    ),
]


@pytest.mark.parametrize(
    ("notes", "bullet"),
    DERIVED_ACCEPT + BOUNDS_ACCEPT + HEDGE_ACCEPT + FREQUENCY_ACCEPT + ROUNDING_ACCEPT + TOKENS_ACCEPT,
)
def test_truthful_figure_is_accepted(notes: str, bullet: str) -> None:
    result = run(notes, bullet)
    assert result.violations == (), explain(result)


@pytest.mark.parametrize(("notes", "bullet", "fragment", "arithmetic"), DERIVED_REJECT)
def test_wrong_arithmetic_is_a_metric_violation(notes: str, bullet: str, fragment: str, arithmetic: str) -> None:
    result = run(notes, bullet)
    metric = [v for v in result.violations if v.kind == "metric" and fragment in v.text]
    assert metric, explain(result)
    assert arithmetic in metric[0].hint, explain(result)
    assert_spans(result)


@pytest.mark.parametrize(("notes", "bullet", "fragment"), BOUNDS_REJECT + HEDGE_REJECT + FREQUENCY_REJECT)
def test_overstated_figure_is_a_metric_violation(notes: str, bullet: str, fragment: str) -> None:
    result = run(notes, bullet)
    assert any(v.kind == "metric" and fragment in v.text for v in result.violations), explain(result)
    assert_spans(result)


@pytest.mark.parametrize(("notes", "bullet", "fragment", "kind"), TOKENS_REJECT)
def test_glued_names_still_need_support(notes: str, bullet: str, fragment: str, kind: str) -> None:
    result = run(notes, bullet)
    assert any(v.kind == kind and fragment in v.text for v in result.violations), explain(result)


def test_the_hint_shows_the_arithmetic() -> None:
    result = run("import time went from 50 min to 20 min", "Cut import time by 75%.")
    (v,) = result.violations
    assert "50 min → 20 min is a 60% cut, not 75%" in v.hint, explain(result)


def test_the_hint_names_an_estimate() -> None:
    result = run("about 200 services use it", "Used by 200 services.")
    (v,) = result.violations
    assert "estimate" in v.hint and "about 200" in v.hint, explain(result)


def test_evidence_pairs_count_too() -> None:
    result = run("added the index", "Cut lookup time by 75%.", evidence=("lookup went from 400ms to 100ms",))
    assert result.violations == (), explain(result)
