"""The rewrite with the salvage and the fallback on (``BULLETGUARD_REWRITE_REPAIR``, on by default): a
refused bullet whose repair the salvage accepts comes back in place of a re-ask, a re-ask asks only for the
bullets still missing; when nothing usable comes back, the notes' own sentences."""

from __future__ import annotations

from typing import Any

import pytest

from service.contract.rewrite import RewriteRequest
from service.contract.rewriting import run_rewrite
from service.guard import check_bullet, extract_facts
from service.rewrite.pipeline import RewriteResult, rewrite
from service.settings import Settings
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


KINDS = [
    pytest.param(
        "Wrote a runbook for restarting the notification worker using Kubernetes.",
        "Wrote a runbook for restarting the notification worker.",
        {"tool"},
        id="tool",
    ),
    pytest.param(
        "Wrote a runbook for restarting the notification worker across all services.",
        "Wrote a runbook for restarting the notification worker.",
        {"scope"},
        id="scope",
    ),
    pytest.param(
        "Led the debugging of a memory leak in the notification worker.",
        "Helped debug a memory leak in the notification worker.",
        {"ownership"},
        id="ownership",
    ),
    pytest.param(
        "Wrote a runbook for restarting the notification worker, improving team velocity.",
        "Wrote a runbook for restarting the notification worker.",
        {"outcome"},
        id="outcome",
    ),
    pytest.param(
        "Helped debug a 2GB memory leak in the notification worker.",
        "Helped debug a memory leak in the notification worker.",
        {"metric"},
        id="metric",
    ),
]


@pytest.mark.parametrize(("refused", "salvaged", "kinds"), KINDS)
async def test_a_refused_bullet_of_each_kind_comes_back_repaired_with_its_original(
    refused: str, salvaged: str, kinds: set[str]
) -> None:
    llm = FakeLLM(reply((refused, ["notes"], "reliability")))

    result = await rewrite_with_repair(llm, NOTES, model="m", max_bullets=1, max_reasks=2)

    assert len(llm.calls) == 1  # no re-ask spent on it
    (bullet,) = result.bullets
    assert (bullet.text, bullet.origin, bullet.original, bullet.attempt) == (salvaged, "repaired", refused, 1)
    assert {v.kind for v in bullet.original_violations} == kinds
    assert not check_bullet(bullet.text, extract_facts(NOTES, (), ())).violations  # re-verifies
    assert result.rejected == ()


LOSES_ITS_SENSE = "Led a 70% cut in memory use across all services."  # repaired: "Helped debug a cut in memory use."


async def test_a_bullet_whose_repair_reads_wrong_is_re_asked_not_salvaged() -> None:
    llm = FakeLLM(reply((LOSES_ITS_SENSE, ["notes"], "performance")), reply((GOOD, ["notes"], "ownership")))

    result = await rewrite_with_repair(llm, NOTES, model="m", max_bullets=1, max_reasks=1)

    assert len(llm.calls) == 2
    assert LOSES_ITS_SENSE in llm.calls[1].messages[3]["content"]  # the re-ask names the refused bullet
    assert [(b.text, b.origin, b.attempt) for b in result.bullets] == [(GOOD, "model", 2)]
    assert "cut in memory use" not in " ".join(b.text for b in result.bullets)


async def test_a_salvaged_bullet_is_not_asked_for_again() -> None:
    # two wanted: one salvaged, one re-asked for; the re-ask's feedback names only the bullet still refused
    llm = FakeLLM(
        reply((INFLATED, ["notes"], "reliability"), (LOSES_ITS_SENSE, ["notes"], "performance")),
        reply((GOOD, ["notes"], "ownership")),
    )

    result = await rewrite_with_repair(llm, NOTES, model="m", max_bullets=2, max_reasks=2)

    assert len(llm.calls) == 2
    feedback = llm.calls[1].messages[3]["content"]
    assert "Write 1 more bullet," in feedback
    assert LOSES_ITS_SENSE in feedback and INFLATED not in feedback
    assert [b.origin for b in result.bullets] == ["repaired", "model"]


async def test_with_the_salvage_off_a_refused_bullet_is_only_re_asked() -> None:
    replies = (reply((INFLATED, ["notes"], "reliability")), reply(("1.1", ["notes"], "api")))
    llm = FakeLLM(*replies)

    result = await rewrite(llm, NOTES, model="m", max_bullets=1, max_reasks=1, salvage=False, fallback=False)

    assert len(llm.calls) == 2
    assert result.bullets == ()
    assert [r.text for r in result.rejected] == [INFLATED, "1.1"]

    on = FakeLLM(*replies)
    salvaged = await rewrite_with_repair(on, NOTES, model="m", max_bullets=1, max_reasks=1)
    assert len(on.calls) == 1 and [b.origin for b in salvaged.bullets] == ["repaired"]


async def test_the_service_setting_turns_the_salvage_on_by_default_and_off() -> None:
    request = RewriteRequest.model_validate({"notes": NOTES, "options": {"max_bullets": 1}})
    on = FakeLLM(reply((INFLATED, ["notes"], "reliability")))
    result = await run_rewrite(on, request, Settings(max_reasks=1))
    assert [b.origin for b in result.bullets] == ["repaired"] and len(on.calls) == 1

    off = FakeLLM(reply((INFLATED, ["notes"], "reliability")), reply(("1.1", ["notes"], "api")))
    result = await run_rewrite(off, request, Settings(max_reasks=1, rewrite_repair=False))
    assert result.bullets == () and len(off.calls) == 2
