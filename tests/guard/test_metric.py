"""``metric``: a bullet may state only quantities the input supports, after normalisation.

Accepted cases repeat an input quantity in another notation (2.1s = 2100 ms, 50k = fifty thousand,
1k req/min = 1,000 requests per minute, 6 = six, 0.3 s = 300 ms). Rejected cases add a figure, or change
its value, unit, rate or magnitude. Each rejection names a fragment the offending span must contain.
"""

from __future__ import annotations

import re

import pytest

from service.guard import BulletResult
from tests.guard.guardkit import explain, run


def assert_spans(result: BulletResult) -> None:
    for v in result.violations:
        assert 0 <= v.start <= v.end <= len(result.bullet), explain(result)
        assert v.text == result.bullet[v.start : v.end], explain(result)


ACCEPT = [
    # time: 2.1s = 2.1 seconds = 2100 ms, 0.3 s = 300 ms
    pytest.param(
        "cut p95 on the search api from 2.1s to 800ms",
        "Cut search API p95 latency from 2.1 seconds to 800 ms.",
        id="seconds-spelled-out",
    ),
    pytest.param("cut search api p95 to 2.1s", "Cut search API p95 latency to 2100 ms.", id="2.1s-as-2100ms"),
    pytest.param(
        "batched db writes, write time now 0.3 s",
        "Batched database writes, bringing write time to 300 ms.",
        id="0.3s-as-300ms",
    ),
    pytest.param("cut write latency to 300 ms", "Cut write latency to 0.3 seconds.", id="300ms-as-0.3-seconds"),
    pytest.param(
        "cut cold starts from 4s to 1.5s",
        "Cut cold starts from 4 seconds to 1.5 seconds.",
        id="decimal-seconds",
    ),
    pytest.param("cut search api p95 to 2 s", "Cut search API p95 latency to 2,000 ms.", id="spaced-s-as-ms"),
    pytest.param("set log retention to 30 d", "Set log retention to 30 days.", id="spaced-d-as-days"),
    pytest.param(
        "raised the timeout from 90 s to 120 s",
        "Raised the timeout from 1.5 to 2 minutes.",
        id="seconds-as-minutes-range",
    ),
    pytest.param("cut deploys from 40 min to 12 min", "Cut deploy time from 40 to 12 minutes.", id="min-range"),
    pytest.param(
        "added retries that back off 2-5s",
        "Added retries that back off for 2 to 5 seconds.",
        id="hyphen-range-as-to-range",
    ),
    pytest.param("tracked p95 latency at 450 ms", "Tracked P95 latency at 450ms.", id="percentile-case"),
    pytest.param(
        "cut p99 from 900ms to 250ms",
        "Cut 99th percentile latency from 900 ms to 250 ms.",
        id="p99-as-99th-percentile",
    ),
    # counts with suffixes: 50k = 50K = 50,000 = fifty thousand
    pytest.param("built a cache that holds ~50k keys", "Built a cache holding about 50,000 keys.", id="50k-as-50,000"),
    pytest.param("built a cache that holds 50k keys", "Built a cache holding 50K keys.", id="50k-as-50K"),
    pytest.param(
        "built a cache that holds 50k keys", "Built a cache holding fifty thousand keys.", id="50k-as-fifty-thousand"
    ),
    pytest.param("built a cache that holds 50,000 keys", "Built a cache holding 50k keys.", id="50,000-as-50k"),
    pytest.param(
        "optimized the nightly job that scans 1.2M rows",
        "Optimized the nightly job that scans 1.2 million rows.",
        id="1.2M-as-1.2-million",
    ),
    # number words: 6 = six
    pytest.param("moved 6 cron jobs to the new scheduler", "Moved six cron jobs to the new scheduler.", id="6-as-six"),
    pytest.param("moved six cron jobs to the new scheduler", "Moved 6 cron jobs to the new scheduler.", id="six-as-6"),
    pytest.param(
        "built the ledger with a team of 4 engineers",
        "Built the ledger with a team of four engineers.",
        id="4-as-four",
    ),
    # rates: 1k req/min = 1,000 requests per minute
    pytest.param(
        "added a per-tenant rate limiter at 1k req/min",
        "Added a per-tenant rate limiter capped at 1,000 requests per minute.",
        id="1k-req-min-spelled-out",
    ),
    pytest.param(
        "built an ingest path that handles 300 req/s",
        "Built an ingest path handling 300 requests per second.",
        id="req-s-spelled-out",
    ),
    pytest.param(
        "built an ingest path that handles 300 rps", "Built an ingest path handling 300 req/s.", id="rps-as-req-s"
    ),
    pytest.param(
        "tuned the gateway for 600 rpm at peak",
        "Tuned the gateway for a peak of 600 requests per minute.",
        id="rpm-spelled-out",
    ),
    pytest.param(
        "wrote a batch job that processes 5k events per day",
        "Wrote a batch job processing 5,000 events per day.",
        id="per-day",
    ),
    # sizes, percentages, money
    pytest.param(
        "shrank the api image from 1.2GB to 300MB", "Shrank the API image from 1.2 GB to 300 MB.", id="GB-MB-spaced"
    ),
    pytest.param("cut heap usage from 4gb to 2gb", "Cut heap usage from 4 GB to 2 GB.", id="lowercase-gb"),
    pytest.param("raised cache hit rate to ~85%", "Raised cache hit rate to about 85 percent.", id="percent-word"),
    pytest.param("reduced error rate to 0.2%", "Reduced the error rate to 0.2%.", id="decimal-percent"),
    pytest.param(
        "maintained the payouts service, which moves $180M a year",
        "Maintained the payouts service, which moves $180 million per year.",
        id="$180M-as-$180-million",
    ),
    # multipliers and their words
    pytest.param(
        "made the csv export 3x faster by streaming rows",
        "Made the CSV export three times faster by streaming rows.",
        id="3x-as-three-times",
    ),
    pytest.param("made the csv export 10x faster", "Made the CSV export 10 times faster.", id="10x-as-10-times"),
    pytest.param(
        "doubled worker throughput by fixing the pool size",
        "Doubled worker throughput by fixing the pool size.",
        id="doubled-stated",
    ),
    pytest.param(
        "halved cold start time for the image worker",
        "Halved cold-start time for the image worker.",
        id="halved-stated",
    ),
    pytest.param("cut the build time in half", "Halved the build time.", id="in-half-as-halved"),
    pytest.param(
        "cut query count 10x by adding a dataloader",
        "Cut query count tenfold by adding a dataloader.",
        id="10x-as-tenfold",
    ),
    # vague counts the input states
    pytest.param(
        "maintained an api used by dozens of internal clients",
        "Maintained an API serving dozens of internal clients.",
        id="dozens-stated",
    ),
    # versions of named technologies and HTTP status codes the input names are not metrics
    pytest.param("upgraded the api to python 3.11", "Upgraded the API to Python 3.11.", id="python-version"),
    pytest.param("moved login to oauth", "Moved login to OAuth 2.0.", id="oauth-version-not-a-metric"),
    pytest.param(
        "fixed 504s from the lb during deploys",
        "Fixed 504 errors from the load balancer during deploys.",
        id="status-code-plural",
    ),
    pytest.param(
        "made the api return 429 when tenants go over quota",
        "Made the API return HTTP 429 when tenants exceed their quota.",
        id="status-code-named",
    ),
    # an arrow between approximate figures is a range: the unit after the second applies to the first
    pytest.param(
        "throughput ~400 -> ~650 msgs/s per consumer group",
        "Lifted throughput from about 400 to 650 messages per second per consumer group.",
        id="approx-arrow-range",
    ),
    # typographic spaces: thousands grouped with narrow no-break spaces, a no-break space before the unit
    pytest.param(
        "processed 1\u202f000\u202f000 rows overnight", "Processed 1,000,000 rows overnight.", id="nnbsp-thousands"
    ),
    pytest.param("cloud bill down 50\u00a0%", "Cut the cloud bill by 50 percent.", id="nbsp-percent"),
    # a percentile after the value, at the end of a sentence
    pytest.param("tuned the pool, p99 of 250ms now", "Tuned the pool, reaching 250 ms p99.", id="value-then-p99"),
    # fractions of the time in words are percentages
    pytest.param("it was failing half the time", "Fixed the job that failed 50% of the time.", id="half-the-time"),
    pytest.param("it was failing 50% of the time", "Fixed the job that failed half the time.", id="50-percent-half"),
    # a vague size the notes' figures fall in
    pytest.param("latency 120ms -> 8ms", "Cut latency to single-digit milliseconds.", id="single-digit-ms"),
    # frequencies: "twice a day" is a count per day, as "2x/day" is
    pytest.param(
        "changed the fx sync from daily to 2x/day", "Moved the FX sync to twice a day.", id="2x-day-twice-a-day"
    ),
    pytest.param("the sync runs twice a day", "The sync runs 2x per day.", id="twice-a-day-2x-per-day"),
    pytest.param("the sync runs twice a day", "The sync runs twice daily.", id="twice-daily"),
    pytest.param("the etl loads ~40 GB a night", "The ETL loads about 40 GB nightly.", id="40-gb-nightly"),
    # "300s" in notes reads as a status-code plural or as seconds: either reading supports the bullet
    pytest.param(
        "nginx upstream timeout was 60s; raised to 300s for big uploads",
        "Raised the Nginx upstream timeout from 60 seconds to 5 minutes for large uploads.",
        id="300s-as-seconds",
    ),
    pytest.param(
        "the job took 450s before the index", "Cut the job's 450-second run time with an index.", id="450s-seconds"
    ),
    # a bullet that drops the figures claims less
    pytest.param(
        "cut p95 on the search api from 2.1s to 800ms",
        "Cut search API p95 latency.",
        id="figures-dropped",
    ),
]

REJECT = [
    # a figure the input lacks
    pytest.param(
        "set up ci for the ledger repo",
        "Set up CI for the ledger repo, cutting build time by 35%.",
        "35",
        id="new-percent",
    ),
    pytest.param(
        "improved uptime of the webhook service",
        "Improved webhook service uptime to 99.9%.",
        "99.9",
        id="new-uptime-percent",
    ),
    pytest.param(
        "onboarded new hires to the on-call rotation",
        "Onboarded three new hires to the on-call rotation.",
        "three",
        id="new-number-word",
    ),
    pytest.param(
        "cut staging costs by shutting down idle instances",
        "Cut staging costs by $40K per year by shutting down idle instances.",
        "40K",
        id="new-money",
    ),
    pytest.param(
        "built the payouts service", "Built a payouts service processing $180M annually.", "180M", id="new-$180M"
    ),
    pytest.param("built the user export job", "Built a user export job covering 1.2M accounts.", "1.2M", id="new-1.2M"),
    pytest.param(
        "moved logs to cold storage", "Moved 50 GB of logs per day to cold storage.", "50", id="new-size-rate"
    ),
    pytest.param("tuned the jvm heap", "Tuned the JVM heap, cutting GC pauses to 20 ms.", "20", id="new-ms"),
    pytest.param(
        "wrote docs for the billing api",
        "Wrote docs for the billing API used by dozens of teams.",
        "dozens",
        id="dozens",
    ),
    pytest.param(
        "built the service catalog",
        "Built a service catalog covering hundreds of services.",
        "hundreds",
        id="hundreds",
    ),
    # multipliers and their words
    pytest.param(
        "made the csv export faster by streaming rows",
        "Made the CSV export 3x faster by streaming rows.",
        "3x",
        id="3x",
    ),
    pytest.param(
        "made the csv export faster by streaming rows",
        "Made the CSV export 10 times faster by streaming rows.",
        "10",
        id="10-times",
    ),
    pytest.param(
        "improved worker throughput by fixing the pool size",
        "Doubled worker throughput by fixing the pool size.",
        "Doubled",
        id="doubled",
    ),
    pytest.param("reduced cold start time", "Halved cold-start time.", "Halved", id="halved"),
    pytest.param(
        "sped up the report query", "Sped up the report query, tripling its throughput.", "tripling", id="tripling"
    ),
    pytest.param(
        "cut query count by adding a dataloader",
        "Cut query count tenfold by adding a dataloader.",
        "tenfold",
        id="tenfold",
    ),
    pytest.param(
        "made the search reindex faster",
        "Made the search reindex an order of magnitude faster.",
        "order of magnitude",
        id="order-of-magnitude",
    ),
    pytest.param("made the export 3x faster", "Made the export 2x faster.", "2x", id="multiplier-changed"),
    # percentiles
    pytest.param(
        "cut latency from 400ms to 120ms", "Cut p95 latency from 400 ms to 120 ms.", "p95", id="percentile-added"
    ),
    pytest.param(
        "cut p95 from 400ms to 120ms", "Cut P99 latency from 400 ms to 120 ms.", "P99", id="percentile-changed"
    ),
    # a changed value
    pytest.param(
        "cut p95 latency from 400ms to 120ms", "Cut p95 latency from 400 ms to 180 ms.", "180", id="value-changed"
    ),
    pytest.param("raised cache hit rate to ~80%", "Raised cache hit rate to 90%.", "90", id="percent-changed"),
    pytest.param(
        "split the monolith into 7 services", "Split the monolith into six services.", "six", id="count-changed"
    ),
    pytest.param(
        "ran the migration with a team of 4", "Ran the migration with a team of 5.", "5", id="team-size-changed"
    ),
    pytest.param(
        "added retries that back off 2-5s",
        "Added retries that back off for 2 to 8 seconds.",
        "8",
        id="range-end-changed",
    ),
    # a changed unit or rate
    pytest.param(
        "built an ingest path that handles 300 req/s",
        "Built an ingest path handling 300 requests per minute.",
        "300",
        id="per-second-to-per-minute",
    ),
    pytest.param("cut write latency to 300 ms", "Cut write latency to 300 µs.", "300", id="ms-to-µs"),
    pytest.param("cut write latency to 300 ms", "Cut write latency to 300 s.", "300", id="ms-to-spaced-s"),
    pytest.param("raised the upload limit to 5 GB", "Raised the upload limit to 5 MB.", "5", id="GB-to-MB"),
    pytest.param("cut search reindex to 2 hours", "Cut search reindex time to 2 minutes.", "2", id="hours-to-minutes"),
    pytest.param("cut builds from 14 min to 9 min", "Cut build time from 14 to 9 seconds.", "9", id="min-to-seconds"),
    pytest.param(
        "added a rate limiter at 1k req/min",
        "Added a rate limiter capped at 1,000 requests per second.",
        "1,000",
        id="per-minute-to-per-second",
    ),
    pytest.param(
        "wrote a batch job that processes 5k events per hour",
        "Wrote a batch job processing 5k events per day.",
        "5k",
        id="per-hour-to-per-day",
    ),
    # a changed magnitude
    pytest.param("built a cache that holds 50k keys", "Built a cache holding 50M keys.", "50M", id="50k-to-50M"),
    pytest.param(
        "built a cache that holds 50k keys", "Built a cache holding 50 million keys.", "50", id="50k-to-50-million"
    ),
    # an HTTP status code the input does not name
    pytest.param(
        "fixed 502s from nginx during deploys",
        "Fixed 504 errors from Nginx during deploys.",
        "504",
        id="status-code-changed",
    ),
    pytest.param(
        "fixed 502s from nginx during deploys",
        "Fixed Nginx 504 errors during deploys.",
        "504",
        id="status-code-after-tech-name-is-not-a-version",
    ),
    pytest.param("tuned the pool, p95 of 250ms now", "Tuned the pool, reaching 250 ms p99.", "p99", id="p95-to-p99"),
    pytest.param("cut latency to 300ms", "Cut latency to 300\u00a0µs.", "300\u00a0µs", id="nbsp-unit-changed"),
    pytest.param(
        "it was failing sometimes", "Fixed the job that failed half the time.", "half the time", id="half-new"
    ),
    pytest.param(
        "latency 120ms -> 15ms", "Cut latency to single-digit milliseconds.", "single-digit", id="single-digit-unstated"
    ),
    # a frequency is not a multiplier, and a changed frequency is a changed value
    pytest.param("the sync runs twice a day", "Doubled the sync rate.", "Doubled", id="twice-a-day-is-not-doubled"),
    pytest.param("throughput doubled", "Throughput rose twice a day.", "twice a day", id="doubled-is-not-twice-a-day"),
    pytest.param("the sync runs 2x/day", "The sync runs twice a week.", "twice a week", id="per-day-to-per-week"),
    pytest.param("the etl loads ~40 GB a night", "The ETL loads 40 GB weekly.", "40 GB weekly", id="nightly-to-weekly"),
    # reading "300s" both ways in the notes does not make a changed value true
    pytest.param(
        "raised the upstream timeout to 300s",
        "Raised the upstream timeout to 3 minutes.",
        "3 minutes",
        id="300s-not-3-min",
    ),
    pytest.param(
        "raised the upstream timeout to 300s", "Raised the upstream timeout to 300 ms.", "300 ms", id="300s-not-ms"
    ),
]


@pytest.mark.parametrize(("notes", "bullet"), ACCEPT)
def test_supported_quantity_is_accepted(notes: str, bullet: str) -> None:
    result = run(notes, bullet)
    assert result.verdict == "accepted", explain(result)
    assert result.violations == (), explain(result)


@pytest.mark.parametrize(("notes", "bullet", "fragment"), REJECT)
def test_unsupported_quantity_is_a_metric_violation(notes: str, bullet: str, fragment: str) -> None:
    result = run(notes, bullet)
    assert result.verdict == "rejected", explain(result)
    assert "metric" in {v.kind for v in result.violations}, explain(result)
    assert any(v.kind == "metric" and fragment in v.text for v in result.violations), explain(result)
    assert_spans(result)


@pytest.mark.parametrize(
    ("notes", "bullet", "flagged", "not_flagged"),
    [
        pytest.param(
            "cut p95 latency from 400ms to 120ms",
            "Cut p95 latency from 400 ms to 180 ms.",
            "180",
            ["400", "p95"],
            id="only-the-changed-value",
        ),
        pytest.param(
            "cut p99 from 900ms to 300ms",
            "Cut p99 latency from 900 ms to 300 µs.",
            "300",
            ["900", "p99"],
            id="only-the-changed-unit",
        ),
        pytest.param(
            "moved 6 cron jobs in 3 days",
            "Moved six cron jobs in 3 days, saving 12 hours a week.",
            "12",
            ["six", "3"],
            id="only-the-added-figure",
        ),
    ],
)
def test_only_the_offending_figure_is_flagged(notes: str, bullet: str, flagged: str, not_flagged: list[str]) -> None:
    result = run(notes, bullet)
    metric = [v for v in result.violations if v.kind == "metric"]
    assert any(flagged in v.text for v in metric), explain(result)
    for v in metric:
        words = re.findall(r"[\w.,]+", v.text)
        assert not set(words) & set(not_flagged), explain(result)
    assert_spans(result)


def test_evidence_figures_support_the_bullet() -> None:
    result = run(
        "cut p95 on the checkout api",
        "Cut checkout API p95 latency from 1.2 seconds to 450 ms.",
        evidence=("grafana export: checkout p95 1200ms before, 450ms after",),
    )
    assert result.verdict == "accepted", explain(result)
