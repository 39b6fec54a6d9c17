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


# The worst-case tests' bounds: ten times the input (2,000 against 20,000 characters, the API's limit for
# notes) may cost at most MAX_RATIO times the time. Linear work costs 10 times, n log n about 13, a quadratic
# path 100 (the cubic one issue 12 found, 1,000), so 25 leaves room for a noisy machine without letting a
# quadratic path through. Under NOISE_FLOOR_S for the larger input, a few milliseconds against a few more
# is cache and timer noise on a shared machine, not a blow-up.
SMALL, LARGE = 2_000, 20_000
MAX_RATIO = 25.0
NOISE_FLOOR_S = 0.1


def cpu_seconds(work: Callable[[], object], repeat: int = 5) -> float:
    """The least CPU time of this process that ``work`` took in ``repeat`` runs (see ``growth``)."""
    (best,) = _least_cpu_seconds([work], repeat)
    return best


def growth(small: Callable[[], object], large: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    """The least CPU time each of two pieces of work took, their runs interleaved (small, large, small...),
    so a machine that slows down in the middle of a test slows both alike instead of one of them."""
    best_small, best_large = _least_cpu_seconds([small, large], repeat)
    return best_small, best_large


def assert_linear(small: Callable[[], object], large: Callable[[], object], what: str = "") -> tuple[float, float]:
    """Fail unless ``large`` (ten times the input of ``small``) costs at most MAX_RATIO times as much, or
    stays under the noise floor. Returns both figures for further bounds."""
    small_s, large_s = growth(small, large)
    assert large_s <= max(NOISE_FLOOR_S, MAX_RATIO * small_s), (
        f"{what}: {SMALL} chars took {small_s:.4f} s, {LARGE} chars {large_s:.4f} s ({large_s / small_s:.1f}x)"
    )
    return small_s, large_s


def _least_cpu_seconds(works: Sequence[Callable[[], object]], repeat: int) -> list[float]:
    """``time.process_time``, so other processes on a busy machine do not count. Before each run the
    garbage collector clears what the last run left (so no run pays for its predecessor's garbage, nor
    for fresh pages of a heap that kept growing), and it is paused during the run."""
    best = [float("inf")] * len(works)
    was_enabled = gc.isenabled()
    try:
        for _ in range(repeat):
            for k, work in enumerate(works):
                gc.collect()
                gc.disable()
                start = time.process_time()
                work()
                best[k] = min(best[k], time.process_time() - start)
                gc.enable()
    finally:
        if not was_enabled:
            gc.disable()
    return best
