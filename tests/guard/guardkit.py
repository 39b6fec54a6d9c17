"""What the guard's table-driven tests share: one bullet checked against notes (evidence items get the ids
``e1``, ``e2``...), and a failure message that shows what the guard reported."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence

from service.guard import BulletResult, EvidenceItem, verify


def run(
    notes: str, bullet: str, evidence: Sequence[str] | None = (), redact: Sequence[str] | None = ()
) -> BulletResult:
    items = [EvidenceItem(f"e{i}", text) for i, text in enumerate(evidence or (), 1)]
    (result,) = verify(notes, items, list(redact or ()), [bullet])
    return result


def explain(result: BulletResult) -> str:
    return f"{result.bullet!r} -> {[(v.kind, v.text) for v in result.violations]}"


# The worst-case tests' bounds: 4x the input may cost at most MAX_RATIO times the time (a quadratic path
# costs 16 times, the cubic one issue 12 found 64), unless the larger run stays under NOISE_FLOOR_S, where
# a few milliseconds against a few more is cache and timer noise on a shared machine, not a blow-up.
MAX_RATIO = 8.0
NOISE_FLOOR_S = 0.1


def cpu_seconds(work: Callable[[], object], repeat: int = 5) -> float:
    """The least CPU time of this process that ``work`` took in ``repeat`` runs: ``time.process_time``, so
    other processes on a busy machine do not count, and the garbage collector paused, so each run starts
    from the same heap. The worst-case tests compare such figures for inputs of n and 4n characters."""
    best = float("inf")
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.process_time()
            work()
            best = min(best, time.process_time() - start)
    finally:
        if was_enabled:
            gc.enable()
    return best
