"""``tool``: a bullet may name only technologies, products, standards and vendors the input names.

Alias-aware both ways (postgres/PostgreSQL, k8s/Kubernetes, node/Node.js, GH Actions/GitHub Actions), and
ambiguous English words (Go, Rust, Express, Spring, Swift, React) must not fire on ordinary words.
"""

from __future__ import annotations

import pytest

from service.guard import BulletResult
from tests.guard.guardkit import explain, run


def assert_spans(result: BulletResult) -> None:
    for v in result.violations:
        assert 0 <= v.start <= v.end <= len(result.bullet), explain(result)
        assert v.text == result.bullet[v.start : v.end], explain(result)


def case(notes: str, bullet: str, evidence: tuple[str, ...] = (), *, id: str) -> object:
    return pytest.param(notes, bullet, evidence, id=id)


ACCEPT = [
    # aliases, both ways
    case("moved the sessions store to postgres", "Moved the sessions store to PostgreSQL.", id="postgres-PostgreSQL"),
    case("moved the sessions store to PostgreSQL", "Moved the sessions store to Postgres.", id="PostgreSQL-Postgres"),
    case("deployed the worker on k8s", "Deployed the worker on Kubernetes.", id="k8s-Kubernetes"),
    case("deployed the worker on kubernetes", "Deployed the worker to k8s.", id="kubernetes-k8s"),
    case("rewrote the webhook relay in node", "Rewrote the webhook relay in Node.js.", id="node-Node.js"),
    case("rewrote the webhook relay in Node.js", "Rewrote the webhook relay as a Node service.", id="Node.js-Node"),
    case("built the billing api on node", "Built the billing API on Node.js.", id="on-node-Node.js"),
    case("set up ci with gh actions", "Set up CI with GitHub Actions.", id="gh-actions-GitHub-Actions"),
    case("set up ci with GitHub Actions", "Set up CI with GH Actions.", id="GitHub-Actions-GH-Actions"),
    case("rewrote the poller in golang", "Rewrote the poller in Go.", id="golang-Go"),
    case("moved uploads to aws s3", "Moved uploads to Amazon S3.", id="aws-s3-Amazon-S3"),
    case("moved the warehouse to gcp", "Moved the warehouse to Google Cloud.", id="gcp-Google-Cloud"),
    case(
        "replaced mongo with postgres for the audit log",
        "Replaced MongoDB with PostgreSQL for the audit log.",
        id="mongo-MongoDB",
    ),
    # the input's own spelling, capitalised
    case("added redis caching to the pricing endpoint", "Added Redis caching to the pricing endpoint.", id="redis"),
    case(
        "built the job queue on rabbitmq + celery", "Built the job queue on RabbitMQ and Celery.", id="rabbitmq-celery"
    ),
    case(
        "tuned elasticsearch shard counts for the search cluster",
        "Tuned Elasticsearch shard counts for the search cluster.",
        id="elasticsearch",
    ),
    case(
        "containerized the cron jobs with docker compose",
        "Containerized the cron jobs with Docker Compose.",
        id="docker-compose",
    ),
    case(
        "debugged a deadlock in the inventory service (Go)",
        "Debugged a deadlock in the Go inventory service.",
        id="Go-in-parens",
    ),
    case("wrote the poller in go", "Wrote the poller in Go.", id="in-go"),
    case("wrote the admin ui in react", "Wrote the admin UI in React.", id="in-react"),
    case("moved the admin ui to react", "Moved the admin UI to React.", id="to-react"),
    case("built the api with express", "Built the API with Express.js.", id="with-express"),
    case("moved the billing service to spring boot", "Moved the billing service to Spring Boot.", id="spring-boot"),
    case("wrote the ios sdk in swift", "Wrote the iOS SDK in Swift.", id="in-swift"),
    case("ported the parser to rust", "Ported the parser to Rust.", id="to-rust"),
    case("integrated stripe webhooks for refunds", "Integrated Stripe webhooks for refunds.", id="stripe"),
    # named only in evidence
    case(
        "built the ingest worker",
        "Built the Kafka-to-ClickHouse ingest worker.",
        ("the ingest worker consumes from kafka and writes to clickhouse",),
        id="evidence-kafka-clickhouse",
    ),
    case(
        "upgraded the monitoring stack",
        "Added Prometheus alerts and Grafana dashboards to the monitoring stack.",
        ("added prometheus alerts and grafana dashboards",),
        id="evidence-prometheus-grafana",
    ),
    # ambiguous words used as ordinary English
    case("shipped the ledger export before go live", "Shipped the ledger export ahead of go-live.", id="go-live"),
    case(
        "helped the team go live with the new checkout",
        "Helped the team go live with the new checkout flow.",
        id="go-live-verb",
    ),
    case("fixed the flaky build", "Fixed the flaky build so releases can go out on time.", id="go-out"),
    case(
        "wrote runbooks so on-call can react to alerts faster",
        "Wrote runbooks so on-call engineers can react to alerts faster.",
        id="react-to-alerts",
    ),
    case(
        "set up paging for payment failures",
        "React to payment failures faster: set up paging.",
        id="React-sentence-initial",
    ),
    case(
        "added alerting on queue lag",
        "Added alerting on queue lag so on-call can react before users notice.",
        id="react-before",
    ),
    case(
        "wrote an rfc for the shared rate limiter",
        "Wrote an RFC inviting teams to express interest in the shared rate limiter.",
        id="express-interest",
    ),
    case("built the express checkout endpoint", "Built the express checkout endpoint.", id="express-checkout"),
    case(
        "triaged the billing service backlog",
        "Triaged the billing service backlog before the spring release.",
        id="spring-release",
    ),
    case(
        "cleaned up stale feature flags",
        "Spring-cleaned stale feature flags in the checkout flow.",
        id="Spring-cleaned",
    ),
    case(
        "added one-click rollback for bad deploys",
        "Added a one-click rollback for swift recovery from bad deploys.",
        id="swift-recovery",
    ),
    case(
        "added rollback for bad deploys",
        "Added rollback for bad deploys, making recovery swift.",
        id="recovery-swift",
    ),
    case(
        "cleared years of rust out of the deploy scripts",
        "Cleared years of rust out of the legacy deploy scripts.",
        id="rust-ordinary",
    ),
    case(
        "tracked down why the node pool kept draining",
        "Tracked down why the node pool kept draining.",
        id="node-pool",
    ),
    # no technology at all
    case(
        "added caching to the product lookup endpoint",
        "Added caching to the product lookup endpoint.",
        id="no-technology",
    ),
    # in notes, an ambiguous name chained to another technology is one too
    case(
        "led the rework of the audit log pipeline: kafka -> s3 -> athena",
        "Built the audit log pipeline that streams events from Kafka to S3 for querying in Athena.",
        id="arrow-chain-athena",
    ),
    case("stack is postgres, redis, spring", "Built the service on Spring with PostgreSQL.", id="list-spring"),
    # short forms engineers write in notes
    case(
        "converted the admin frontend from js to ts",
        "Converted the admin frontend from JavaScript to TypeScript.",
        id="js-ts",
    ),
    case("wrote a py script to backfill timezones", "Wrote a Python script to backfill timezones.", id="py"),
    case("tuned pg autovacuum on the orders db", "Tuned PostgreSQL autovacuum on the orders database.", id="pg"),
    case("put pg bouncer in front of the main db", "Put PgBouncer in front of the main database.", id="pg-bouncer"),
    case("moved the email jobs onto a rabbit queue", "Moved the email jobs onto a RabbitMQ queue.", id="rabbit"),
    case("wrote prom alerting rules for the workers", "Wrote Prometheus alerting rules for the workers.", id="prom"),
    case("built a gql gateway for the mobile app", "Built a GraphQL gateway for the mobile app.", id="gql"),
    case(
        "added a timestamp column to events", "Added a ts column to the events table.", id="ts-in-a-bullet-is-no-claim"
    ),
    case(
        "designed service auth with certs issued by vault",
        "Designed service authentication with certificates issued by Vault.",
        id="issued-by-vault",
    ),
    case("moved the ui to react => vite builds", "Moved the UI build to React and Vite.", id="fat-arrow-react"),
    # English words and places that contain a technology's name
    case(
        "moved the billing jobs to the new scheduler",
        "Moved the billing jobs while the design was in flux.",
        id="in-flux",
    ),
    case(
        "wrote the adapters between billing and ledger",
        "Wrote the glue code between billing and the ledger.",
        id="glue-code",
    ),
    case(
        "set up the read replica for apac reads",
        "Set up a read replica in the Hong Kong region for APAC reads.",
        id="hong-kong",
    ),
    case("wrote the runbook", "Wrote the runbook with Ray from the finance team.", id="ray-a-person"),
    case("moved the billing jobs", "Moved the billing jobs for the Phoenix office.", id="phoenix-a-place"),
    case(
        "added db migrations for billing; my supervisor reviewed them",
        "Added database migrations for billing, reviewed by my supervisor.",
        id="supervisor-is-a-person",
    ),
]

REJECT = [
    pytest.param(
        "added caching to the session lookup",
        "Added Memcached caching to the session lookup.",
        "Memcached",
        id="memcached",
    ),
    pytest.param("built the order events pipeline", "Built the order events pipeline on Kafka.", "Kafka", id="kafka"),
    pytest.param(
        "containerized the api with docker",
        "Containerized the API with Docker and deployed it to Kubernetes.",
        "Kubernetes",
        id="kubernetes-beside-named-docker",
    ),
    pytest.param("deployed the worker with docker compose", "Deployed the worker to k8s.", "k8s", id="k8s-alias-form"),
    pytest.param(
        "wrote infra scripts for the staging env",
        "Wrote Terraform for the staging environment.",
        "Terraform",
        id="terraform",
    ),
    pytest.param(
        "moved the thumbnailer to a serverless function",
        "Moved the thumbnailer to AWS Lambda.",
        "AWS Lambda",
        id="aws-lambda",
    ),
    pytest.param(
        "migrated the orders table to mysql 8",
        "Migrated the orders table to PostgreSQL.",
        "PostgreSQL",
        id="postgres-for-mysql",
    ),
    pytest.param("stored sessions in postgres", "Stored sessions in Redis.", "Redis", id="redis-for-postgres"),
    pytest.param("rewrote the poller in python", "Rewrote the poller in Go.", "Go", id="go-for-python"),
    pytest.param("built the billing service", "Built the Go billing service.", "Go", id="Go-adjective"),
    pytest.param(
        "rewrote the image resizer for speed", "Rewrote the image resizer in Rust for speed.", "Rust", id="rust"
    ),
    pytest.param(
        "built the internal admin dashboard",
        "Built the internal admin dashboard in React.",
        "React",
        id="react",
    ),
    pytest.param(
        "built the webhook api in node", "Built the webhook API in Node with Express.", "Express", id="express"
    ),
    pytest.param(
        "built the billing service in java",
        "Built the billing service in Java with Spring Boot.",
        "Spring Boot",
        id="spring-boot",
    ),
    pytest.param("built the ios push sdk", "Built the iOS push SDK in Swift.", "Swift", id="swift"),
    pytest.param("rewrote the webhook relay", "Rewrote the webhook relay in Node.js.", "Node.js", id="node.js"),
    pytest.param("built the api", "Built the Node API.", "Node", id="Node-adjective"),
    pytest.param("set up ci with jenkins", "Set up CI with GitHub Actions.", "GitHub Actions", id="gha-for-jenkins"),
    pytest.param(
        "added dashboards for the checkout api",
        "Added Datadog dashboards for the checkout API.",
        "Datadog",
        id="datadog",
    ),
    pytest.param(
        "added alerts for the checkout api",
        "Added Prometheus alerts for the checkout API.",
        "Prometheus",
        id="prometheus",
    ),
    pytest.param("built the public product api", "Built the public GraphQL product API.", "GraphQL", id="graphql"),
    pytest.param(
        "wrote the internal pricing rpc service",
        "Wrote the internal pricing service using gRPC.",
        "gRPC",
        id="grpc",
    ),
    pytest.param(
        "set up a local dev env for the api",
        "Set up a Docker-based local dev environment for the API.",
        "Docker",
        id="docker-hyphenated",
    ),
    pytest.param(
        "added sso login to the admin panel", "Added OAuth-based SSO login to the admin panel.", "OAuth", id="oauth"
    ),
    pytest.param(
        "built a nightly etl job into the warehouse",
        "Built a nightly ETL job into Snowflake.",
        "Snowflake",
        id="snowflake",
    ),
    pytest.param(
        "scheduled the etl jobs with cron",
        "Scheduled the ETL jobs with Apache Airflow.",
        "Airflow",
        id="airflow",
    ),
    pytest.param(
        "moved email sending to a background queue",
        "Moved email sending to a Celery background queue.",
        "Celery",
        id="celery",
    ),
    pytest.param("built product search", "Built product search on Elasticsearch.", "Elasticsearch", id="elasticsearch"),
    pytest.param("added latency dashboards", "Added Grafana latency dashboards.", "Grafana", id="grafana"),
    pytest.param("moved the reports bucket to azure", "Moved the reports bucket to GCP.", "GCP", id="gcp-for-azure"),
    pytest.param(
        "wrote the checkout widget in javascript",
        "Wrote the checkout widget in TypeScript.",
        "TypeScript",
        id="typescript-for-javascript",
    ),
    pytest.param(
        "added request tracing to the api",
        "Added OpenTelemetry tracing to the API.",
        "OpenTelemetry",
        id="opentelemetry",
    ),
    pytest.param("moved jobs to the queue", "Moved jobs to SQS.", "SQS", id="sqs"),
    pytest.param(
        "added db migrations for the billing schema",
        "Added Flyway migrations for the billing schema.",
        "Flyway",
        id="flyway",
    ),
    pytest.param("backed up the cluster volumes", "Backed up the cluster volumes with Velero.", "Velero", id="velero"),
    # the language, though "Go to" could read as the verb
    pytest.param(
        "rewrote the image resize worker to use less memory",
        "Rewrote the image resize worker in Go to use less memory.",
        "Go",
        id="in-go-to",
    ),
    pytest.param(
        "ported the parser to save memory", "Ported the parser using Rust to save memory.", "Rust", id="using-rust-to"
    ),
    # names that are mostly people or places still count with a technology context
    pytest.param(
        "moved the batch scoring jobs", "Moved the batch scoring jobs to a Ray cluster.", "Ray", id="ray-cluster"
    ),
    pytest.param("moved the batch scoring jobs", "Moved the batch scoring jobs using Ray.", "Ray", id="using-ray"),
    pytest.param("moved the api routes", "Moved the API routes behind Kong.", "Kong", id="behind-kong"),
    pytest.param("moved the etl jobs", "Moved the ETL jobs to Glue.", "Glue", id="glue-capitalised"),
    # an arrow joins names in a bullet too, and the input must still name each one
    pytest.param(
        "stack is kafka and postgres",
        "Ran Kafka and Postgres -> Athena for the audit log.",
        "Athena",
        id="arrow-in-bullet-still-needs-the-input",
    ),
]


@pytest.mark.parametrize(("notes", "bullet", "evidence"), ACCEPT)
def test_named_technology_is_accepted(notes: str, bullet: str, evidence: tuple[str, ...]) -> None:
    result = run(notes, bullet, evidence)
    assert result.verdict == "accepted", explain(result)
    assert result.violations == (), explain(result)


@pytest.mark.parametrize(("notes", "bullet", "tech"), REJECT)
def test_unnamed_technology_is_a_tool_violation(notes: str, bullet: str, tech: str) -> None:
    result = run(notes, bullet)
    assert result.verdict == "rejected", explain(result)
    assert "tool" in {v.kind for v in result.violations}, explain(result)
    tools = [v.text for v in result.violations if v.kind == "tool"]
    assert any(tech in text for text in tools), explain(result)
    # the span is the technology mention, not the surrounding phrase
    assert all(len(text) <= len(tech) + len("Apache ") for text in tools), explain(result)
    assert_spans(result)


def test_only_the_unnamed_technology_is_flagged() -> None:
    result = run(
        "moved the sessions store from mysql to postgres",
        "Moved the sessions store from MySQL to PostgreSQL, fronted by PgBouncer.",
    )
    assert [(v.kind, v.text) for v in result.violations] == [("tool", "PgBouncer")], explain(result)
    assert_spans(result)
