"""Run every case × prompt × model × repeat through the real pipeline, with bounded concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from service.evals.cases import Case
from service.evals.recording import (
    CallLog,
    MissingRecording,
    Mode,
    RecordingError,
    RecordingLLM,
    RecordingStore,
    RunContext,
)
from service.evals.records import BulletRecord, RunRecord, ViolationRecord
from service.rewrite.llm.errors import LLMMisconfigured

# The pipeline's own normalisation of a bullet (its dedupe key), to tell which reply first held a bullet.
from service.rewrite.pipeline import RewriteResult, _clean_text, _dedupe_key, rewrite
from service.rewrite.port import LLMClient
from service.rewrite.prompts import PROMPTS_DIR
from service.rewrite.reply import parse_reply

DEFAULT_CONCURRENCY = 2
DEFAULT_MAX_BULLETS = 3
DEFAULT_MAX_REASKS = 2
DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class EvalConfig:
    prompts: tuple[str, ...]
    models: tuple[str, ...]
    repeat: int = 1
    max_bullets: int = DEFAULT_MAX_BULLETS
    max_reasks: int = DEFAULT_MAX_REASKS
    temperature: float | None = None  # None: the pipeline's default
    timeout_s: float = DEFAULT_TIMEOUT_S
    concurrency: int = DEFAULT_CONCURRENCY
    mode: Mode = "live"
    pass_k: int | None = None  # a case passes when >= pass_k of its repeats pass; None: a majority
    # the pipeline's salvage and fallback (BULLETGUARD_REWRITE_REPAIR): a refused bullet's repair stands in
    # for it, and the notes' own sentences when nothing usable came back
    repair: bool = True

    def __post_init__(self) -> None:
        if not self.prompts or not self.models:
            raise ValueError("at least one prompt and one model are needed")
        if self.repeat < 1:
            raise ValueError("repeat must be >= 1")
        if not 1 <= self.max_bullets <= 8:
            raise ValueError("max_bullets must be between 1 and 8")
        if self.max_reasks < 0:
            raise ValueError("max_reasks must be >= 0")
        if self.concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        if self.pass_k is not None and not 1 <= self.pass_k <= self.repeat:
            raise ValueError("pass_k must be between 1 and repeat")

    @property
    def k(self) -> int:
        return self.pass_k if self.pass_k is not None else self.repeat // 2 + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "prompts": list(self.prompts),
            "models": list(self.models),
            "repeat": self.repeat,
            "pass_k": self.k,
            "max_bullets": self.max_bullets,
            "max_reasks": self.max_reasks,
            "temperature": self.temperature,
            "timeout_s": self.timeout_s,
            "concurrency": self.concurrency,
            "mode": self.mode,
            "repair": self.repair,
        }


@dataclass(frozen=True, slots=True)
class _Job:
    case: Case
    prompt: str
    model: str
    repeat: int


def _reply_keys(calls: Sequence[CallLog]) -> list[set[str]]:
    out: list[set[str]] = []
    for call in calls:
        parsed, _ = parse_reply(call.reply.content)
        out.append(set() if parsed is None else {_dedupe_key(_clean_text(b.text)) for b in parsed.bullets})
    return out


def _attempt_of(text: str, reply_keys: Sequence[set[str]], known: int = 0) -> int:
    """The call whose reply first held ``text``: ``known`` when the pipeline says (a polished bullet no
    longer equals the reply's text), else found among the replies."""
    if known > 0:
        return known
    key = _dedupe_key(_clean_text(text))
    for attempt, keys in enumerate(reply_keys, 1):
        if key in keys:
            return attempt
    return max(1, len(reply_keys))


def _usage(job: _Job, calls: Sequence[CallLog]) -> dict[str, Any]:
    costs = [c.reply.cost_usd for c in calls]
    return {
        "case_id": job.case.id,
        "prompt": job.prompt,
        "model": job.model,
        "repeat": job.repeat,
        "latency_s": round(sum(c.latency_s for c in calls), 4),
        "prompt_tokens": sum(c.reply.prompt_tokens for c in calls),
        "completion_tokens": sum(c.reply.completion_tokens for c in calls),
        "cost_usd": sum(c for c in costs if c is not None) if costs and None not in costs else None,
    }


def _record(job: _Job, result: RewriteResult, calls: Sequence[CallLog]) -> RunRecord:
    keys = _reply_keys(calls)
    return RunRecord(
        accepted=tuple(
            BulletRecord(
                b.text,
                b.attempt if b.origin != "model" else _attempt_of(b.text, keys, b.attempt),
                b.proof_area,
                b.sources,
                tuple(ViolationRecord(v.kind, v.text, v.start, v.end, v.message) for v in b.original_violations),
                origin=b.origin,
                original=b.original,
            )
            for b in result.bullets
        ),
        rejected=tuple(
            BulletRecord(
                b.text,
                _attempt_of(b.text, keys),
                b.proof_area,
                b.sources,
                tuple(ViolationRecord(v.kind, v.text, v.start, v.end, v.message) for v in b.violations),
            )
            for b in result.rejected
        ),
        attempts=result.attempts,
        schema_valid_attempts=result.schema_valid_attempts,
        reply_errors=result.reply_errors,
        answered_by=result.model,
        **_usage(job, calls),
    )


def _failed(job: _Job, exc: Exception, calls: Sequence[CallLog]) -> RunRecord:
    return RunRecord(
        attempts=len(calls),
        schema_valid_attempts=sum(parse_reply(c.reply.content)[0] is not None for c in calls),
        error=f"{type(exc).__name__}: {exc}",
        **_usage(job, calls),
    )


async def _run_one(
    job: _Job, config: EvalConfig, llm: LLMClient | None, store: RecordingStore | None, prompts_dir: Path
) -> RunRecord:
    client = RecordingLLM(llm, config.mode, store, RunContext(job.case.id, job.prompt, job.repeat))
    options: dict[str, Any] = {}
    if config.temperature is not None:
        options["temperature"] = config.temperature
    try:
        result = await rewrite(
            client,
            job.case.notes,
            job.case.evidence,
            job.case.redact,
            model=job.model,
            max_bullets=config.max_bullets,
            max_reasks=config.max_reasks,
            prompt_version=job.prompt,
            timeout=config.timeout_s,
            prompts_dir=prompts_dir,
            salvage=config.repair,
            fallback=config.repair,
            **options,
        )
    except (MissingRecording, RecordingError):
        raise  # the recordings do not fit the run: no result of this eval would mean anything
    except LLMMisconfigured:
        raise  # a wrong setting fails every run the same way: stop, and say which setting
    except Exception as exc:  # an LLM failure (or a broken reply path) is one run's outcome, not the eval's
        return _failed(job, exc, client.calls)
    return _record(job, result, client.calls)


def _progress(console: Console | None, enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]eval[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        disable=not enabled,
        transient=False,
    )


async def run_eval(
    cases: Sequence[Case],
    config: EvalConfig,
    *,
    llm: LLMClient | None,
    store: RecordingStore | None = None,
    show_progress: bool = True,
    console: Console | None = None,
    prompts_dir: Path = PROMPTS_DIR,
    prompt_dirs: Mapping[str, Path] | None = None,
) -> list[RunRecord]:
    """All runs, ordered by prompt, model, case and repeat (whatever order they finished in).

    ``llm`` may be None only in ``replay`` mode. ``prompt_dirs`` maps a prompt version to the directory
    that holds it (``--prompts DIR``); other versions come from ``prompts_dir``. Raises
    :class:`MissingRecording` or :class:`RecordingError` when replay cannot proceed, and
    :class:`~service.rewrite.llm.errors.LLMMisconfigured` at the first call a wrong setting failed; any other
    failure of a run is in its record."""
    dirs = dict(prompt_dirs or {})
    jobs = [
        _Job(case, prompt, model, repeat)
        for prompt in config.prompts
        for model in config.models
        for case in cases
        for repeat in range(1, config.repeat + 1)
    ]
    semaphore = asyncio.Semaphore(config.concurrency)
    records: list[RunRecord] = []
    with _progress(console, show_progress) as progress:
        label = f"{len(cases)} cases × {len(config.prompts)} prompt(s) × {len(config.models)} model(s)"
        task = progress.add_task(f"{label} × {config.repeat}", total=len(jobs))

        stop = asyncio.Event()  # set by a failure that ends the eval: no run starts after it

        async def guarded(job: _Job) -> None:
            async with semaphore:
                if stop.is_set():
                    return
                try:
                    records.append(await _run_one(job, config, llm, store, dirs.get(job.prompt, prompts_dir)))
                except BaseException:
                    stop.set()  # before the slot is released, so that the next run does not start a call
                    raise
            progress.advance(task)

        try:
            async with asyncio.TaskGroup() as group:
                for job in jobs:
                    group.create_task(guarded(job))
        except ExceptionGroup as eg:
            first = eg.exceptions[0]
            raise first from None
    order = {(j.prompt, j.model, j.case.id, j.repeat): i for i, j in enumerate(jobs)}
    return sorted(records, key=lambda r: order[(r.prompt, r.model, r.case_id, r.repeat)])
