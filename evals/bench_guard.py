"""Guard benchmark: bullets per second and per-bullet latency on one core.

Bullets of ~200 characters are checked against ~2,000 characters of input; the facts are extracted once
(as the API does per request) and every bullet is checked against them. The process is pinned to one CPU
where the OS allows it; after a warm-up, each round times the bullets back to back for throughput, then
again one by one for latency. Throughput is reported as the median and the best round (the best is the
least disturbed by other processes); latency percentiles pool every round.

A second mode (on unless ``--no-cases``) reads many short cases the way most API requests come: about 250
characters of notes and one ~100-character bullet each, the facts extracted per case. The same cases go
through ``factguard-check`` (PyPI, a numbers-only fact gate; in the ``dev`` extra), with the notes' own
figures as its data, and the ratio of the two rates is printed, since machines differ.

    python evals/bench_guard.py [--bullets 20000] [--repeat 3] [--no-cases]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable

from service import _native
from service.guard import EvidenceItem, check_bullet, extract_facts

NOTES_PARTS = [
    "helped debug a memory leak in the notification worker (python, celery)",
    "p99 latency went from 900ms to 0.3s after batching the DB writes in postgres",
    "led the migration of 12 cron jobs to k8s CronJobs; wrote the runbook",
    "queue handles 2k jobs/hour; built it on rabbitmq + celery",
    "set up CI for the payments repo with github actions; builds went from 14 min to 9 min",
    "added redis caching to product lookup; hit rate ~80%",
    "cut staging cloud costs by $40k/yr by shutting down idle instances at night",
    "was part of the team that moved auth to OAuth; I reviewed the token refresh code",
    "wrote a runbook + alerts for the payments API (Prometheus, PagerDuty)",
    "reduced docker image size from 1.2GB to 300MB for the search service",
    "the team (5 of us) rebuilt search on elasticsearch; I owned the indexing pipeline",
    "designed the schema for the audit log (postgres, partitioned by month)",
    "fixed 502s from nginx during deploys by adding a readiness probe",
    "added retries with exponential backoff to the S3 uploader",
    "migrated 3 services from python 2.7 to 3.12 and fixed the flaky integration tests",
    "paired with the data team on the nightly ETL into the warehouse; it loads ~40 GB a night in 25 min",
    "on call for payments one week in six; wrote 4 postmortems and added dashboards in grafana",
    "added idempotency keys to the orders API so retries from the mobile client stop double charging",
    "reviewed the design doc for rate limiting at the gateway (token bucket in redis, 100 req/s per key)",
    "planned the cutover for the sessions table to a new index; dry run on staging first, rollback script",
    "built a small CLI in go for rotating service credentials stored in vault",
    "mentored two new hires through their first on-call shifts and wrote the onboarding checklist",
    "fixed a slow report query by adding a composite index on (account_id, created_at); 12s down to 400ms",
    "wrote a k6 load test for the checkout flow and found the connection pool limit of 20 was the bottleneck",
]

BULLETS = [
    "Reduced p99 latency of the order write path from 900 ms to 300 ms by batching PostgreSQL writes, "
    "and wrote the runbook the on-call rotation uses for the notification worker.",
    "Led a 70% cut in latency across all services by introducing Kafka and Redis caching, serving "
    "millions of requests with zero-downtime deploys on Kubernetes for the entire company.",
    "Built a RabbitMQ and Celery job queue processing 2,000 jobs per hour, with retries and exponential "
    "backoff on the S3 uploader, and Prometheus alerts routed to PagerDuty for the payments API.",
    "Set up GitHub Actions CI for the payments repository, reducing build time from 14 to 9 minutes, and "
    "cut staging cloud costs by $40,000 per year by shutting down idle instances overnight.",
    "Architected the OAuth migration for authentication and spearheaded a GraphQL gateway in Go that "
    "doubled throughput to 50k req/s while eliminating incidents entirely for every customer team.",
]


# short cases for the per-case mode: (notes, a truthful bullet, an inflated bullet) about one piece of work
# each; the notes of a case are its own plus another scenario's (``_short_cases``), as notes mix topics
SCENARIOS = [
    (
        "moved the nightly billing export from cron on a VM to a k8s CronJob; runtime went from 48 min to 31 min. "
        "wrote the runbook, added a grafana alert when it fails",
        "Moved the nightly billing export to a Kubernetes CronJob, cutting its runtime from 48 to 31 minutes.",
        "Led the migration of all batch jobs to Kubernetes, cutting runtime by 70% and eliminating failures.",
    ),
    (
        "added a redis cache in front of the product lookup endpoint. p95 went from 220ms to 90ms, hit rate about 80%. "
        "pair-programmed it with Dana",
        "Added a Redis cache to the product lookup endpoint, reducing p95 latency from 220 ms to 90 ms.",
        "Architected a Redis and Memcached caching layer, reducing p95 latency by 90% for millions of users.",
    ),
    (
        "helped debug a memory leak in the notification worker (python, celery). it was an unbounded dict of "
        "websocket sessions; worker restarts went from ~6/day to 0 last week",
        "Helped debug a memory leak in the Celery notification worker, an unbounded dict of websocket sessions.",
        "Single-handedly fixed memory leaks across all workers, saving $50k per year in infrastructure.",
    ),
    (
        "set up github actions CI for the payments repo; builds went from 14 min to 9 min after caching "
        "the pip wheels. still flaky on the integration suite",
        "Set up GitHub Actions CI for the payments repo, cutting build time from 14 to 9 minutes with pip caching.",
        "Built a CI/CD platform with Jenkins for 12 teams, cutting build times by 80% and ending flaky tests.",
    ),
    (
        "wrote a k6 load test for checkout; found the db connection pool (limit 20) was the bottleneck. "
        "raised it to 50 and p99 dropped from 1.8s to 600ms at 300 rps",
        "Wrote a k6 load test for checkout and raised the pool limit from 20 to 50, dropping p99 from 1.8 s to 600 ms.",
        "Load-tested checkout at 3,000 rps with Locust and Gatling, improving conversion by 15%.",
    ),
    (
        "on call for payments one week in six. wrote 4 postmortems this quarter, added dashboards in grafana "
        "for the refund queue",
        "Wrote 4 postmortems as part of the payments on-call rotation and added Grafana dashboards for refunds.",
        "Owned payments reliability, writing 12 postmortems and reducing incidents by 40% with Datadog.",
    ),
    (
        "the team (5 of us) rebuilt search on elasticsearch; I owned the indexing pipeline, which handles "
        "~40k docs/hour. query latency went from 1.2s to 300ms",
        "Owned the indexing pipeline of the team's Elasticsearch search rebuild, handling about 40k docs/hour.",
        "Led the search rebuild on Elasticsearch and Solr, indexing 400k docs/hour and boosting revenue.",
    ),
    (
        "added idempotency keys to the orders API so retries from the mobile client stop double charging. "
        "double charges went from 30/month to 2 in the first month",
        "Added idempotency keys to the orders API, cutting double charges from 30 a month to 2.",
        "Redesigned the payments platform with idempotency, eliminating all double charges across 5 APIs.",
    ),
    (
        "migrated 3 services from python 2.7 to 3.12 and fixed the flaky integration tests along the way. "
        "took about 2 months",
        "Migrated 3 services from Python 2.7 to 3.12 and fixed the flaky integration tests along the way.",
        "Migrated 30 services to Python 3.12 and Go in 2 weeks, improving developer productivity by 50%.",
    ),
    (
        "reduced docker image size for the search service from 1.2GB to 300MB with a multi-stage build; "
        "deploys got faster",
        "Reduced the search service's Docker image from 1.2 GB to 300 MB with a multi-stage build.",
        "Reduced Docker image sizes by 95% across the platform, making deployments 10x faster.",
    ),
    (
        "designed the schema for the audit log (postgres, partitioned by month). reviewed by the data team. "
        "stores ~2M rows a month",
        "Designed the monthly-partitioned PostgreSQL schema for the audit log, storing about 2M rows a month.",
        "Designed a distributed audit platform on Cassandra storing 2 billion rows for compliance teams.",
    ),
    (
        "fixed 502s from nginx during deploys by adding a readiness probe; 502s per deploy went from ~40 to 0",
        "Fixed 502 errors from nginx during deploys by adding a readiness probe, from about 40 per deploy to none.",
        "Achieved zero-downtime deploys for every service by rebuilding the load balancer on Envoy.",
    ),
    (
        "planned the cutover for the sessions table to a new index; dry run on staging first. not done yet, "
        "the prod cutover is next sprint",
        "Planned the cutover of the sessions table to a new index, with a dry run on staging first.",
        "Completed the sessions table migration to a new index in production with zero downtime.",
    ),
    (
        "built a small CLI in Go for rotating service credentials stored in vault. used by me and one other "
        "engineer on the infra team",
        "Built a small Go CLI for rotating service credentials stored in Vault, used on the infra team.",
        "Built a credential rotation platform in Go and Rust used by 20 teams across the company.",
    ),
    (
        "mentored two new hires through their first on-call shifts and wrote the onboarding checklist for "
        "the platform team",
        "Mentored two new hires through their first on-call shifts and wrote the platform onboarding checklist.",
        "Managed a team of 6 engineers and ran onboarding for the whole engineering org.",
    ),
    (
        "fixed a slow report query by adding a composite index on (account_id, created_at); 12s down to 400ms",
        "Fixed a slow report query with a composite index on (account_id, created_at), from 12 s to 400 ms.",
        "Optimized all reporting queries, cutting query times by 99% and improving customer satisfaction.",
    ),
    (
        "cut staging cloud costs by about $40k/yr by shutting down idle instances at night with an AWS Lambda",
        "Cut staging cloud costs by about $40k a year by shutting down idle instances at night with a Lambda.",
        "Cut cloud costs by over $400k per year across all environments with Terraform and Lambda.",
    ),
    (
        "paired with the data team on the nightly ETL into the warehouse; it loads ~40 GB a night in 25 min. "
        "I wrote the dedupe step",
        "Wrote the dedupe step of the nightly warehouse ETL, which loads about 40 GB a night in 25 minutes.",
        "Built the company's data warehouse on Snowflake, loading 400 GB a night in 5 minutes.",
    ),
    (
        "added retries with exponential backoff to the S3 uploader; failed uploads went from 3% to 0.2%",
        "Added retries with exponential backoff to the S3 uploader, cutting failed uploads from 3% to 0.2%.",
        "Rebuilt the upload service on GCS with retries, reducing failures by 99.9% for every customer.",
    ),
    (
        "reviewed the design doc for rate limiting at the gateway (token bucket in redis, 100 req/s per key). "
        "suggested the burst limit",
        "Reviewed the gateway rate-limiting design (a Redis token bucket, 100 req/s per key), "
        "suggesting the burst limit.",
        "Designed and implemented gateway rate limiting handling 10,000 req/s per key with Kong.",
    ),
    (
        "we moved auth to OAuth; I reviewed the token refresh code and wrote the integration tests for it. "
        "about 8 weeks of work for the team",
        "Reviewed the token refresh code and wrote its integration tests during the team's move to OAuth.",
        "Led the OAuth migration for authentication, securing 2 million accounts in 4 weeks.",
    ),
    (
        "prototyped a feature flag service in typescript over a hackathon weekend; demoed to 3 teams, not adopted yet",
        "Prototyped a TypeScript feature flag service over a hackathon weekend and demoed it to 3 teams.",
        "Launched a feature flag platform in TypeScript adopted by 12 teams, speeding up releases by 30%.",
    ),
    (
        "wrote alerts + a runbook for the payments API (prometheus, pagerduty). pages for payments went from "
        "about 20 a week to 6",
        "Wrote Prometheus alerts and a runbook for the payments API, reducing pages from about 20 a week to 6.",
        "Reduced pages by 95% across all services with Prometheus, PagerDuty and Opsgenie.",
    ),
    (
        "queue handles 2k jobs/hour; built it on rabbitmq + celery with a dead-letter queue for poison messages",
        "Built a RabbitMQ and Celery job queue handling 2,000 jobs an hour, with a dead-letter queue.",
        "Built a Kafka event pipeline processing 2 million jobs an hour with exactly-once delivery.",
    ),
    (
        "upgraded the search cluster from elasticsearch 6 to 7 with a rolling restart; 1 hour of degraded "
        "indexing, no downtime for queries",
        "Upgraded the search cluster from Elasticsearch 6 to 7 with a rolling restart and no query downtime.",
        "Upgraded every cluster to Elasticsearch 8 with zero downtime, improving search relevance by 25%.",
    ),
]

GOAL = "goal: >= 20,000 bullets/s; per-case >= 22,000 cases/s or >= 2.8x factguard-check"


def _short_cases() -> list[tuple[str, str]]:
    """50 (notes, bullet) cases: each scenario's truthful and inflated bullet, against notes of 200-330 chars."""
    out: list[tuple[str, str]] = []
    for k, (notes, truthful, inflated) in enumerate(SCENARIOS):
        full = f"{notes}. also {SCENARIOS[(k + 7) % len(SCENARIOS)][0]}"
        out += [(full, truthful), (full, inflated)]
    return out


def _rates(run: Callable[[], object], count: int, repeat: int) -> list[float]:
    """Items per second of ``run`` (which handles ``count`` items), once per round."""
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        rates.append(count / (time.perf_counter() - start))
    return rates


def _factguard_case() -> Callable[[str, str], object] | None:
    """factguard-check's check of one case (the notes' figures, read by its own extractor, as its data),
    or None when it is not installed."""
    try:
        from factguard import Checker, extract_claims
    except ImportError:
        return None

    def check(notes: str, bullet: str) -> object:
        data = {f"figure_{k}": c.value for k, c in enumerate(extract_claims(notes))}
        return Checker(data).check(bullet)

    return check


def _per_case(rounds: int, repeat: int) -> None:
    """The per-case mode: ``rounds`` passes over the short cases, facts extracted per case."""
    cases = _short_cases()
    count = rounds * len(cases)
    notes_len = statistics.mean(len(n) for n, _ in cases)
    bullet_len = statistics.mean(len(b) for _, b in cases)

    def guard() -> None:
        for _ in range(rounds):
            for notes, bullet in cases:
                check_bullet(bullet, extract_facts(notes))

    guard()  # warm-up
    ours = _rates(guard, count, repeat)
    accepted = sum(check_bullet(b, extract_facts(n)).accepted for n, b in cases)
    print(
        f"per case ({len(cases)} cases of {notes_len:.0f} chars of notes and a {bullet_len:.0f}-char bullet, "
        f"facts extracted per case; {accepted} accepted): median {statistics.median(ours):,.0f} cases/s, "
        f"best {max(ours):,.0f}"
    )
    factguard = _factguard_case()
    if factguard is None:
        print("factguard-check: not importable (pip install factguard-check, or the dev extra); no ratio")
        return

    def peer() -> None:
        for _ in range(rounds):
            for notes, bullet in cases:
                factguard(notes, bullet)

    peer()
    theirs = _rates(peer, count, repeat)
    print(
        f"factguard-check (numbers only), same cases: median {statistics.median(theirs):,.0f} cases/s, "
        f"best {max(theirs):,.0f}; bulletguard / factguard-check = {max(ours) / max(theirs):.2f}x (best rounds)"
    )


# pathological inputs of issue 12 ("no input may cost more than its length"); tests/guard/test_worst_case.py
# holds the full set. The benchmark prints the slowest of these at the API's 20,000-character limit.
WORST_CASE_FAMILIES = {
    "ownership verbs with no sentence break": "helped led built ",
    "verbs joined by commas": "built, led, ",
    "helper phrases": "was on the team that migrated ",
    "team credit cues": "our team of 4 migrated, together with the platform team shipped ",
    "role lines on one line": "written by me reviewed by me author: me ",
    "suffixed figures": "50k 50k ",
    "literal figures": "v2 5xx arm64 ",
    "versions glued to names": "Java17 Python3.11 node20 ",
    "capitalised words in tool contexts": "Using Foo via Bar Baz-based Qux on Zed with Dana ",
}


def _worst_case(chars: int = 20_000) -> tuple[str, float]:
    """The slowest pathological family: its name and its best time (of 3) for extract + one check."""
    slowest, worst = "", 0.0
    for name, unit in WORST_CASE_FAMILIES.items():
        notes = (unit * (chars // len(unit) + 1))[:chars]
        bullet = (unit * (1_000 // len(unit) + 1))[:1_000]
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            check_bullet(bullet, extract_facts(notes))
            best = min(best, time.perf_counter() - t0)
        if best > worst:
            slowest, worst = name, best
    return slowest, worst


def _pin_to_one_cpu() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bullets", type=int, default=20000, help="bullets per round")
    ap.add_argument("--repeat", type=int, default=3, help="rounds")
    ap.add_argument("--case-rounds", type=int, default=40, help="passes over the short cases per round")
    ap.add_argument("--no-cases", action="store_true", help="skip the per-case mode")
    args = ap.parse_args()
    pinned = _pin_to_one_cpu()

    rng = random.Random(7)
    parts = NOTES_PARTS[:]
    rng.shuffle(parts)
    notes = ". ".join(parts[:17])
    evidence = [EvidenceItem("e1", ". ".join(parts[17:]))]
    redact = ["Orion", "Acme"]
    notes_len = len(notes) + sum(len(e.text) for e in evidence)
    mean_len = statistics.mean(len(b) for b in BULLETS)
    workload = [BULLETS[k % len(BULLETS)] for k in range(args.bullets)]

    t0 = time.perf_counter()
    facts = extract_facts(notes, evidence, redact)
    extract_cold_ms = (time.perf_counter() - t0) * 1000
    for _ in range(200):  # warm-up: vocabularies load once per process, caches fill
        for b in BULLETS:
            check_bullet(b, facts)
    warm: list[float] = []
    for _ in range(20):
        t0 = time.perf_counter()
        facts = extract_facts(notes, evidence, redact)
        warm.append((time.perf_counter() - t0) * 1000)

    rates: list[float] = []
    lat: list[float] = []
    accepted = 0
    clock = time.perf_counter
    for _ in range(args.repeat):
        start = clock()
        for b in workload:
            check_bullet(b, facts)
        rates.append(len(workload) / (clock() - start))
        for b in workload:
            t = clock()
            r = check_bullet(b, facts)
            lat.append(clock() - t)
            accepted += r.accepted
    lat.sort()
    p50 = lat[len(lat) // 2] * 1e6
    p99 = lat[int(len(lat) * 0.99)] * 1e6
    truthful = sum(check_bullet(b, facts).accepted for b in BULLETS)
    print(f"guard build: {_native.guard_build()} ({_native.STATUS}); BULLETGUARD_PURE_PYTHON=1 runs the Python reading")
    print(f"input: {notes_len} chars of notes+evidence; bullets: {mean_len:.0f} chars on average; {pinned}")
    print(
        f"fact extraction: {extract_cold_ms:.1f} ms cold (loads vocabularies), "
        f"{statistics.median(warm):.2f} ms warm (median of {len(warm)})"
    )
    print(
        f"bullets/s ({args.repeat} rounds of {args.bullets}): median {statistics.median(rates):,.0f}, "
        f"best {max(rates):,.0f}"
    )
    print(f"per-bullet latency: p50 {p50:.1f} µs, p99 {p99:.1f} µs")
    share = accepted / (args.bullets * args.repeat)
    print(f"accepted: {share:.0%} ({truthful} of the {len(BULLETS)} bullets are truthful)")
    family, seconds = _worst_case()
    print(f"worst case: {seconds * 1000:.0f} ms for 20,000 chars of notes + one check (slowest family: {family})")
    print(f"worst case, metric (runs of bare figures): {_metric_worst_case_ms():.0f} ms for 20,000 chars of notes")
    if not args.no_cases:
        _per_case(args.case_rounds, args.repeat)
    print(GOAL)


def _metric_worst_case_ms() -> float:
    """The slowest pathological family of tests/guard/test_worst_case_metric.py: 20,000 characters of bare
    figures read as notes, and a bullet of 1,000 such characters checked against them (best of 3)."""
    notes = "1 " * 10_000
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        facts = extract_facts(notes)
        check_bullet(notes[:1000], facts)
        best = min(best, time.perf_counter() - t0)
    return best * 1000


if __name__ == "__main__":
    main()
