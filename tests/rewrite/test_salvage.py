"""The rewrite with the repair and the fallback on (``BULLETGUARD_REWRITE_REPAIR``; off by default): a
refused bullet the repair makes true is accepted in place of a re-ask; when nothing usable comes back, the
notes' own sentences."""

from __future__ import annotations

from typing import Any

import pytest

from service.rewrite.pipeline import RewriteResult, rewrite
from tests.fakes import FakeLLM, reply

NOTES = "helped debug a memory leak in the notification worker; wrote a runbook for restarting it"
pytestmark = pytest.mark.anyio


async def rewrite_with_repair(*args: Any, **options: Any) -> RewriteResult:
    options.setdefault("salvage", True)
    options.setdefault("fallback", True)
    return await rewrite(*args, **options)


GOOD = "Wrote a runbook for restarting the notification worker."
INFLATED = "Led the debugging of a memory leak in the notification worker using Kafka."


async def test_a_repairable_bullet_is_accepted_as_repaired_without_a_reask() -> None:
    llm = FakeLLM(reply((INFLATED, ["notes"], "reliability"), (GOOD, ["notes"], "ownership")))

    result = await rewrite_with_repair(llm, NOTES, model="m", max_bullets=2, max_reasks=2)

    assert len(llm.calls) == 1
    repaired, model = result.bullets
    assert (repaired.text, repaired.origin, repaired.original) == (
        "Helped debug a memory leak in the notification worker.",
        "repaired",
        INFLATED,
    )
    assert {v.kind for v in repaired.original_violations} == {"ownership", "tool"}
    assert (model.text, model.origin, model.attempt) == (GOOD, "model", 1)
    assert result.rejected == ()


async def test_a_reask_asks_only_for_the_bullets_still_missing() -> None:
    unsalvageable = "Architected a blockchain ledger for 10 million users."
    llm = FakeLLM(
        reply((INFLATED, ["notes"], "reliability"), (unsalvageable, ["notes"], "ownership")),
        reply((GOOD, ["notes"], "ownership")),
    )

    result = await rewrite_with_repair(llm, NOTES, model="m", max_bullets=2, max_reasks=2)

    assert len(llm.calls) == 2
    assert "Write 1 more bullet" in llm.calls[1].messages[3]["content"]
    assert [b.origin for b in result.bullets] == ["repaired", "model"]
    assert [b.attempt for b in result.bullets] == [1, 2]


async def test_a_bullet_citing_no_source_of_the_request_is_never_salvaged() -> None:
    llm = FakeLLM(reply((INFLATED, ["PR-9"], "reliability")))

    result = await rewrite_with_repair(llm, NOTES, model="m", max_bullets=1, max_reasks=0, fallback=False)

    assert result.bullets == ()
    assert result.rejected[0].text == INFLATED


async def test_fragments_from_the_model_give_the_notes_own_sentences_marked_as_fallback() -> None:
    llm = FakeLLM(reply(("1.1", ["notes"], "api")), reply(("1.2", ["notes"], "api")))

    result = await rewrite_with_repair(llm, NOTES, model="m", max_bullets=3, max_reasks=1)

    assert [(b.text, b.origin, b.attempt) for b in result.bullets] == [
        ("Helped debug a memory leak in the notification worker.", "fallback", 0),
        ("Wrote a runbook for restarting it.", "fallback", 0),
    ]


async def test_no_fallback_when_the_model_gave_a_usable_bullet() -> None:
    llm = FakeLLM(reply((GOOD, ["notes"], "ownership")), reply(("1.1", ["notes"], "api")))

    result = await rewrite_with_repair(llm, NOTES, model="m", max_bullets=2, max_reasks=1)

    assert [b.origin for b in result.bullets] == ["model"]


async def test_notes_that_state_no_work_give_no_fallback() -> None:
    llm = FakeLLM(reply(("1.1", ["notes"], "api")))

    result = await rewrite_with_repair(
        llm, "memory leak; notification worker; oncall week", model="m", max_bullets=2, max_reasks=0
    )

    assert result.bullets == ()
