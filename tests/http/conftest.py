"""HTTP tests count in-memory rate limits on a still clock, so every request of a test falls in one window.
On the wall clock a window's end can split two requests, and the sliding window then weighs the first by
what is left of the new window: in CI, '1/minute' let a second request through at 11:23:59.85 and
11:24:00.02. Redis-backed limits keep their own clock."""

from __future__ import annotations

import pytest

from service.http import ratelimit

STILL = 1_800_000_000.0  # any instant: the clock never moves, so no test sees a window end


@pytest.fixture(autouse=True)
def still_rate_limit_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "wall_clock", lambda: STILL)
