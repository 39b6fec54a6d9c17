"""Limits and their worst cases: each input of the API at its limit, in a request built to be slow there.

For every row of the table in docs/operations.md ("Limits and their worst cases") this builds that row's
request at the configured limits (``BULLETGUARD_*`` settings, defaults otherwise), runs it in-process
through the real app (``create_app`` behind ``httpx.ASGITransport``: middleware, validation, the guard in
its worker thread; the model replies come from a scripted client) and prints the table with the measured
figures. Each row runs in a subprocess of its own pinned to one core, so no row shares another's caches or
memory peak: after a warm-up request of the same kind (vocabularies loaded, code paths warm), the worst
request is timed, and the memory column is the process's peak RSS with the request's own rise after it.
Time is wall-clock time with the process's CPU time (all its threads) after it: on a busy machine the CPU
time is the steadier figure.

    python evals/bench_limits.py              # every row, as a Markdown table
    python evals/bench_limits.py --row redact # one row, as JSON (what the parent runs in each subprocess)

(Not ``evals/limits.py``: run as a script, that name would shadow the ``limits`` rate-limiting package.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from service.http.app import create_app
from service.http.llm_client import get_llm_client
from service.rewrite.port import LLMReply
from service.settings import Settings

# ownership verbs run together with no sentence break: the family that made fact extraction superlinear
VERB_RUN = "helped led built "
# ordinary words of the notes' kind, for inputs that are long but not built around one family
WORDS = (
    "migrated the billing service to postgres and cut p99 latency from 900ms to 300ms for 12 teams; "
    "wrote the runbook, added alerts in grafana, and reviewed the retry logic of the payments worker. "
)


@dataclass(frozen=True)
class Case:
    """One request: its path and JSON body (or raw bytes), the model's scripted replies, the status expected."""

    path: str
    body: dict[str, Any] | bytes
    status: int = 200
    replies: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    label: str  # the table's "Input" column
    limit: Callable[[Settings], str]  # the "Limit (setting)" column
    worst: str  # the "Worst case built for it" column
    build: Callable[[Settings], Case]  # the worst case at the settings' limits
    warm: Callable[[Settings], Case]  # a small request of the same kind


def _fill(unit: str, chars: int) -> str:
    """``unit`` repeated to exactly ``chars`` characters (cut at the end)."""
    return (unit * (chars // len(unit) + 1))[:chars]


def _verify(notes: str, bullets: list[str], **extra: Any) -> Case:
    return Case("/v1/verify", {"notes": notes, "bullets": bullets, **extra})


def _body(s: Settings) -> Case:
    # declared one byte over the limit and sent whole: refused with a readable 413, the app never runs
    return Case("/v1/verify", b"x" * (s.max_body_bytes + 1), status=413, headers={"Content-Type": "application/json"})


def _bullets(s: Settings) -> Case:
    return _verify(
        _fill(WORDS, min(2_000, s.max_notes_chars)), [_fill(WORDS, s.max_bullet_chars) for _ in range(s.max_bullets)]
    )


def _evidence(s: Settings) -> Case:
    evidence = [{"id": f"E-{k}", "text": _fill(WORDS, s.max_evidence_chars)} for k in range(s.max_evidence_items)]
    return _verify("helped the team", [_fill(WORDS, min(200, s.max_bullet_chars))], evidence=evidence)


def _redact_terms(s: Settings) -> list[str]:
    # distinct terms of distinct words with accents, so no term is a prefix of another and none is ASCII
    word = "zoë{k}x{j}"
    terms = []
    for k in range(s.max_redact_terms):
        words = " ".join(word.format(k=k, j=j) for j in range(s.max_redact_term_chars))
        terms.append(words[: s.max_redact_term_chars].rstrip())
    return terms


def _redact(s: Settings) -> Case:
    terms = _redact_terms(s)
    holding = [f"Worked with {terms[k % len(terms)]} on the export; " for k in range(s.max_bullets)]
    bullets = [_fill(text, s.max_bullet_chars) for text in holding]
    return _verify("worked on the export with a customer", bullets, redact=terms)


def _notes(s: Settings) -> Case:
    return _verify(_fill(VERB_RUN, s.max_notes_chars), [_fill(VERB_RUN.capitalize(), s.max_bullet_chars)])


REWRITE_BULLETS = 8  # the most a rewrite may ask for (options.max_bullets)


def _model_reply(s: Settings) -> Case:
    # the first reply nested 10,000 deep (a format error, re-asked), the second 8 bullets at the bullet limit
    nested = "[" * 10_000 + "]" * 10_000
    text = _fill(WORDS, s.max_bullet_chars - 1).rstrip() + "."
    bullets = [{"text": text, "sources": ["notes"], "proof_area": "data"} for _ in range(REWRITE_BULLETS)]
    body = {"notes": _fill(WORDS, min(2_000, s.max_notes_chars)), "options": {"max_bullets": REWRITE_BULLETS}}
    return Case("/v1/rewrite", body, replies=(nested, json.dumps({"bullets": bullets})))


def _small_verify(s: Settings) -> Case:
    return _verify("migrated the billing service to postgres", ["Migrated the billing service to Postgres."])


def _small_rewrite(s: Settings) -> Case:
    bullet = {"text": "Migrated the billing service to Postgres.", "sources": ["notes"], "proof_area": "data"}
    body = {"notes": "migrated the billing service to postgres", "options": {"max_bullets": 1}}
    return Case("/v1/rewrite", body, replies=(json.dumps({"bullets": [bullet]}),))


ROWS: dict[str, Row] = {
    "body": Row(
        "request body",
        lambda s: f"{s.max_body_bytes // 1024:,} KiB (`MAX_BODY_BYTES`)",
        "one byte over, declared and sent whole: a 413, the app never runs; a slow body: 408 after `BODY_TIMEOUT_S`",
        _body,
        _small_verify,
    ),
    "bullets": Row(
        "`bullets`",
        lambda s: f"{s.max_bullets} x {s.max_bullet_chars:,} chars (`MAX_BULLETS`, `MAX_BULLET_CHARS`)",
        "every bullet at the limit, of words and figures",
        _bullets,
        _small_verify,
    ),
    "evidence": Row(
        "`evidence`",
        lambda s: (
            f"{s.max_evidence_items} x {s.max_evidence_chars:,} chars (`MAX_EVIDENCE_ITEMS`, `MAX_EVIDENCE_CHARS`)"
        ),
        "every item at the limit, of words and figures",
        _evidence,
        _small_verify,
    ),
    "redact": Row(
        "`redact`",
        lambda s: (
            f"{s.max_redact_terms} x {s.max_redact_term_chars:,} chars (`MAX_REDACT_TERMS`, `MAX_REDACT_TERM_CHARS`)"
        ),
        "every term at the limit (accented words), every bullet at the limit holding them",
        _redact,
        _small_verify,
    ),
    "model-reply": Row(
        "model reply",
        lambda s: f"{REWRITE_BULLETS} bullets x `MAX_BULLET_CHARS`; longer replies refused unread",
        "a reply nested 10,000 deep (re-asked), then 8 bullets at the limit",
        _model_reply,
        _small_rewrite,
    ),
    "notes": Row(
        "`notes`",
        lambda s: f"{s.max_notes_chars:,} chars (`MAX_NOTES_CHARS`)",
        "notes at the limit of ownership-verb runs, one bullet at the limit of them",
        _notes,
        _small_verify,
    ),
}


class ScriptedModel:
    """An LLM client that answers with the case's replies in order (the last one again if asked more)."""

    def __init__(self, replies: tuple[str, ...]) -> None:
        self._replies = list(replies)

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        temperature: float,
        response_schema: dict[str, Any],
        timeout: float,
    ) -> LLMReply:
        content = self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]
        return LLMReply(content=content, model=model)


async def send(app: FastAPI, case: Case) -> httpx.Response:
    """``case`` through ``app`` (its model scripted by the case's replies)."""
    app.dependency_overrides.clear()
    if case.replies:
        model = ScriptedModel(case.replies)
        app.dependency_overrides[get_llm_client] = lambda: model
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://limits", timeout=None) as client:
        if isinstance(case.body, bytes):
            return await client.post(case.path, content=case.body, headers=case.headers)
        return await client.post(case.path, json=case.body, headers=case.headers)


def _pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(name: str) -> dict[str, Any]:
    """Run row ``name`` in this process: a warm-up request, then the timed worst case."""
    _pin_to_one_core()
    settings = Settings(log_level="WARNING")
    row = ROWS[name]
    app = create_app(settings)
    warm = asyncio.run(send(app, row.warm(settings)))
    case = row.build(settings)
    before_mb = _peak_rss_mb()
    started, started_cpu = time.perf_counter(), time.process_time()
    response = asyncio.run(send(app, case))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
    return {
        "row": name,
        "status": response.status_code,
        "expected": case.status,
        "warm_status": warm.status_code,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,  # every thread of the process: less disturbed by other processes
        "peak_mb": _peak_rss_mb(),
        "rise_mb": _peak_rss_mb() - before_mb,
    }


def _time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--row", choices=sorted(ROWS), help="run one row in this process and print it as JSON")
    args = parser.parse_args(argv)
    if args.row:
        print(json.dumps(measure(args.row)))
        return 0
    print("| Input | Limit (setting) | Worst case built for it | Time (CPU) | Peak memory (request's rise) |")
    print("|---|---|---|---|---|")
    failed = False
    settings = Settings()
    for name, row in ROWS.items():
        limit = row.limit(settings)
        child = subprocess.run(
            [sys.executable, __file__, "--row", name], capture_output=True, text=True, check=False, timeout=900
        )
        if child.returncode != 0:
            print(f"| {row.label} | {limit} | {row.worst} | failed: {child.stderr.strip()[-200:]} | - |")
            failed = True
            continue
        result = json.loads(child.stdout.strip().splitlines()[-1])
        if result["status"] != result["expected"] or result["warm_status"] != 200:
            failed = True
        status = "" if result["status"] == result["expected"] else f" (HTTP {result['status']}!)"
        memory = f"{result['peak_mb']:.0f} MB (+{result['rise_mb']:.0f} MB)"
        time_cell = f"{_time(result['seconds'])} ({_time(result['cpu_seconds'])}){status}"
        print(f"| {row.label} | {limit} | {row.worst} | {time_cell} | {memory} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
