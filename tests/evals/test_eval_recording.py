"""Record/replay of LLM calls, and the runner: bounded concurrency, failures kept per run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from service.evals import (
    MissingRecording,
    RecordingError,
    RecordingLLM,
    RecordingStore,
    RunContext,
    cache_key,
    run_eval,
)
from service.rewrite.llm.errors import LLMTimeout, LLMUnavailable
from service.rewrite.port import LLMReply
from tests.evals.evalkit import API, CASES, PERF, config
from tests.fakes import FakeLLM, reply

API_OK = reply(("Helped add cursor pagination to the orders endpoint.", ["notes", "e1"], "api"))
API_BAD = reply(("Led cursor pagination for all endpoints with Kafka.", ["notes"], "api"))
PERF_BAD = reply(("Rebuilt the billing ledger in Rust for all services.", ["notes"], "performance"))
PERF_OK = reply(("Cut p95 latency from 900 ms to 180 ms with a Redis cache on PostgreSQL.", ["notes"], "performance"))


def _run(fake: Any, mode: str, store: RecordingStore | None, **overrides: Any) -> list[Any]:
    cfg = config(mode=mode, concurrency=1, max_bullets=1, **overrides)
    return asyncio.run(run_eval(CASES, cfg, llm=fake, store=store, show_progress=False))


def test_a_recorded_run_replays_exactly_offline(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path / "rec")
    fake = FakeLLM(API_BAD, PERF_BAD, PERF_OK, cost_usd=0.001)
    recorded = _run(fake, "record", store)
    assert fake.remaining == 0 and len(fake.calls) == 3
    files = sorted((tmp_path / "rec").rglob("*.json"))
    assert len(files) == 3
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert path.parent.name == data["key"][:2] and path.stem == data["key"]

    replayed = _run(None, "replay", store)  # no LLM at all
    assert [r.as_dict() for r in replayed] == [r.as_dict() for r in recorded]

    api, perf = recorded
    # the refused bullet is repaired in place: no re-ask, the original and its violations recorded
    (repaired,) = api.accepted
    assert (repaired.origin, repaired.attempt, repaired.original) == (
        "repaired",
        1,
        "Led cursor pagination for all endpoints with Kafka.",
    )
    assert repaired.text == "Helped add cursor pagination."
    assert {v.kind for v in repaired.violations} >= {"ownership", "tool"}
    assert api.attempts == 1 and api.schema_valid_attempts == 1 and api.cost_usd == pytest.approx(0.001)
    # a bullet the repair cannot save (it rests on no source) is re-asked
    assert [b.attempt for b in perf.accepted] == [2] and [b.attempt for b in perf.rejected] == [1]
    assert perf.accepted[0].origin == "model" and perf.error is None


def test_a_missing_recording_is_a_clear_error_naming_the_case(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path / "rec")
    _run(FakeLLM(API_OK, PERF_OK), "record", store)
    with pytest.raises(MissingRecording, match="api-01-pagination") as info:
        _run(None, "replay", store, repeat=2)  # repeat 2 was never recorded
    assert "repeat 2" in str(info.value) and "--record" in str(info.value)
    with pytest.raises(MissingRecording, match="perf-01-cache"):
        asyncio.run(
            run_eval([PERF], config(mode="replay", models=("other-model",)), llm=None, store=store, show_progress=False)
        )


def test_live_mode_writes_nothing(tmp_path: Path) -> None:
    records = _run(FakeLLM(API_OK, PERF_OK), "live", None)
    assert [len(r.accepted) for r in records] == [1, 1]
    assert not list(tmp_path.iterdir())


def test_a_corrupt_recording_is_refused(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    _run(FakeLLM(API_OK, PERF_OK), "record", store)
    victim = sorted(tmp_path.rglob("*.json"))[0]
    victim.write_text("{", encoding="utf-8")
    with pytest.raises(RecordingError, match="unreadable"):
        _run(None, "replay", store)


def test_the_key_covers_everything_that_decides_the_reply() -> None:
    base: dict[str, Any] = {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.2,
        "response_schema": {"type": "object"},
        "prompt_version": "v1",
        "repeat": 1,
        "call": 1,
    }
    key = cache_key(**base)
    assert key == cache_key(**dict(base)) and len(key) == 64
    changes = {
        "model": "m2",
        "messages": [{"role": "user", "content": "hi!"}],
        "temperature": 0.0,
        "response_schema": {"type": "array"},
        "prompt_version": "v2",
        "repeat": 2,
        "call": 3,  # a re-ask may send the very messages of the call before it
    }
    assert len({cache_key(**{**base, name: value}) for name, value in changes.items()} | {key}) == 8


def test_modes_need_what_they_use(tmp_path: Path) -> None:
    context = RunContext("c", "v1", 1)
    with pytest.raises(ValueError, match="store"):
        RecordingLLM(FakeLLM(), "record", None, context)
    with pytest.raises(ValueError, match="client"):
        RecordingLLM(None, "live", None, context)
    with pytest.raises(ValueError, match="mode"):
        RecordingLLM(FakeLLM(), "bogus", RecordingStore(tmp_path), context)  # type: ignore[arg-type]


def test_an_llm_failure_is_recorded_for_its_case_and_the_rest_runs(tmp_path: Path) -> None:
    fake = FakeLLM(LLMUnavailable("The model fake-model could not be reached."), PERF_OK)
    api, perf = _run(fake, "record", RecordingStore(tmp_path))
    assert api.error is not None and api.error.startswith("LLMUnavailable") and not api.accepted
    assert perf.error is None and len(perf.accepted) == 1


def test_a_recorded_llm_failure_replays_as_the_same_failure(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    fake = FakeLLM(LLMTimeout("The model fake-model did not answer in time."), PERF_OK)
    recorded = _run(fake, "record", store)
    (error_file,) = [p for p in tmp_path.rglob("*.json") if "error" in json.loads(p.read_text(encoding="utf-8"))]
    assert json.loads(error_file.read_text(encoding="utf-8"))["error"]["slug"] == "llm-timeout"

    replayed = _run(None, "replay", store)  # offline: the timeout comes back from the recording

    assert [r.as_dict() for r in replayed] == [r.as_dict() for r in recorded]
    assert replayed[0].error is not None and replayed[0].error.startswith("LLMTimeout")


class _Counting:
    """Wraps a FakeLLM and remembers the most calls in flight at once."""

    def __init__(self, inner: FakeLLM) -> None:
        self.inner = inner
        self.in_flight = 0
        self.peak = 0

    async def complete(self, messages: list[dict[str, str]], **kwargs: Any) -> LLMReply:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            return await self.inner.complete(messages, **kwargs)
        finally:
            self.in_flight -= 1


@pytest.mark.parametrize("concurrency", [1, 2, 3])
def test_concurrency_is_bounded_and_results_keep_their_order(concurrency: int) -> None:
    good = reply(("Worked on the orders endpoint.", ["notes"], "api"))
    client = _Counting(FakeLLM(*[good] * 8))
    cfg = config(repeat=4, concurrency=concurrency, max_bullets=1)
    records = asyncio.run(run_eval(CASES, cfg, llm=client, show_progress=False))
    assert client.peak == concurrency
    assert [(r.case_id, r.repeat) for r in records] == [(c.id, n) for c in CASES for n in range(1, 5)]
    assert API.id == records[0].case_id
