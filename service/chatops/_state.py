"""Per-app chat-ops state: the running jobs and the counters (refusals, job outcomes).

The counters are plain :class:`collections.Counter` objects, readable at any time, and every increment
is also passed to the listeners registered with :meth:`ChatopsStats.subscribe` (the hook for a metrics
exporter)::

    stats = chatops_state(app).stats
    stats.subscribe(lambda event, platform, label: counter.labels(event, platform, label).inc())

Events: ``refused`` (label: why - ``missing_header``, ``malformed_header``, ``stale_timestamp``,
``bad_signature``, ``replayed``, ``missing_token``, ``bad_token``, ``response_url_not_allowed``) and ``job``
(label: outcome - ``ok``, ``llm_error``, ``bad_input``, ``error``, ``delivery_failed``, ``cancelled``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import FastAPI

from service.settings import Settings

_log = structlog.get_logger("bulletguard.chatops")

Listener = Callable[[str, str, str], None]  # (event, platform, label)


class ChatopsStats:
    """Counters of refused requests and finished jobs, keyed by ``(platform, label)``."""

    def __init__(self) -> None:
        self.refusals: Counter[tuple[str, str]] = Counter()
        self.jobs: Counter[tuple[str, str]] = Counter()
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(event, platform, label)`` on every increment from now on."""
        self._listeners.append(listener)

    def refused(self, platform: str, reason: str) -> None:
        self.refusals[(platform, reason)] += 1
        _log.warning("chatops_refused", platform=platform, reason=reason)
        self._emit("refused", platform, reason)

    def job_finished(self, platform: str, outcome: str) -> None:
        self.jobs[(platform, outcome)] += 1
        self._emit("job", platform, outcome)

    def _emit(self, event: str, platform: str, label: str) -> None:
        for listener in self._listeners:
            try:
                listener(event, platform, label)
            except Exception as exc:  # a broken exporter must not break a request
                _log.error("chatops_listener_failed", exc_type=type(exc).__name__)


class JobRunner:
    """Runs slash-command jobs as asyncio tasks after the ack, at most ``max_jobs`` at once.

    Tasks are kept referenced until done (asyncio holds only weak references), every end is logged
    (a crash with its exception type only), and :meth:`drain` waits for them at shutdown."""

    def __init__(self, max_jobs: int) -> None:
        self.max_jobs = max_jobs
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)

    @property
    def running(self) -> int:
        return len(self._tasks)

    def start(self, job: Callable[[], Coroutine[Any, Any, None]]) -> bool:
        """Start ``job()`` in the background; False (and nothing started) when ``max_jobs`` are running."""
        if len(self._tasks) >= self.max_jobs:
            return False
        task = asyncio.create_task(job(), name=f"chatops-job-{next(self._ids)}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return True

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            _log.warning("chatops_job_cancelled", task=task.get_name())
        elif (exc := task.exception()) is not None:
            _log.error("chatops_job_crashed", task=task.get_name(), exc_type=type(exc).__name__)

    async def drain(self, timeout_s: float | None = None) -> int:
        """Wait for the running jobs; after ``timeout_s``, cancel the rest (each then tells its user).
        Returns how many were cancelled."""
        pending = set(self._tasks)
        if not pending:
            return 0
        _, still_running = await asyncio.wait(pending, timeout=timeout_s)
        for task in still_running:
            task.cancel()
        if still_running:
            # a cancelled job posts a short "run it again" note: give that a bounded moment
            await asyncio.wait(still_running, timeout=10.0)
            _log.warning("chatops_jobs_abandoned", count=len(still_running))
        return len(still_running)


@dataclass(frozen=True, slots=True)
class ChatopsState:
    stats: ChatopsStats
    jobs: JobRunner


def chatops_state(app: FastAPI) -> ChatopsState:
    """The app's chat-ops state, created on first use (from the app's settings)."""
    state = getattr(app.state, "chatops", None)
    if isinstance(state, ChatopsState):
        return state
    settings = app.state.settings
    assert isinstance(settings, Settings)
    state = ChatopsState(stats=ChatopsStats(), jobs=JobRunner(settings.chatops_max_jobs))
    app.state.chatops = state
    return state
