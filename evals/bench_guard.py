"""Guard benchmark: bullets per second and per-bullet latency on one core.

Bullets of ~200 characters are checked against ~2,000 characters of input; the facts are extracted once
(as the API does per request) and every bullet is checked against them. The process is pinned to one CPU
where the OS allows it; after a warm-up, each round times the bullets back to back for throughput, then
again one by one for latency. Throughput is reported as the median and the best round (the best is the
least disturbed by other processes); latency percentiles pool every round.

    python evals/bench_guard.py [--bullets 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

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
