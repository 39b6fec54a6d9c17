"""The fixtures' edits and what the check must say of them: shared by the core, CLI, HTTP and MCP tests.

``*.honest.*`` rewords, reorders and keeps bullets: nothing new is claimed. ``*.inflated.*`` makes four
bullets claim more than the earlier resume: a "Led", a figure, a tool, and an outcome ("improving
reliability") reaching "across all services". The guard's kind ``outcome`` is being added elsewhere: where
it exists, the outcome bullet must carry it; until then the bullet must be rejected all the same (for its
scope).
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

from service.guard import ViolationKind
from service.resume import plain

FIXTURES = Path(__file__).parent / "fixtures"
HAS_OUTCOME = "outcome" in typing.get_args(ViolationKind)

# fixture base name -> (before, honest edit, inflated edit)
CASES = {
    "json-resume": ("resume.json", "resume.honest.json", "resume.inflated.json"),
    "rendercv": ("Sam_Rivera_CV.yaml", "Sam_Rivera_CV.honest.yaml", "Sam_Rivera_CV.inflated.yaml"),
}

# what each inflated bullet must carry: (a phrase of the bullet, the kinds that must be among its violations)
INFLATED: list[tuple[str, set[str]]] = [
    ("Led the debugging", {"ownership"}),
    ("for 40% fewer failed deliveries", {"metric"}),
    ("improving reliability across all services", {"outcome", "scope"} if HAS_OUTCOME else {"scope"}),
    ("PostgreSQL on Kubernetes", {"tool"}),
]


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def line_of(name: str, phrase: str) -> int:
    """The line of fixture ``name`` holding ``phrase`` (inline Markdown read as plain text)."""
    return next(i for i, line in enumerate(read(name).splitlines(), start=1) if phrase in plain(line))


def assert_honest(response: dict[str, Any]) -> None:
    """The /v1/check-edit answer (as JSON) to an honest edit: accepted, and the reworded bullets judged."""
    assert response["verdict"] == "accepted", response
    summary = response["summary"]
    assert summary["rejected"] == 0
    assert summary["accepted"] >= 2 and summary["unchanged"] >= 3  # reworded ones judged, kept ones not


def assert_inflated(response: dict[str, Any], name: str, *, with_lines: bool = True) -> None:
    """The answer to an inflated edit: exactly the four changed bullets rejected, each on its line with
    its kinds; every other bullet unchanged."""
    assert response["verdict"] == "rejected"
    bullets = [b for entry in response["entries"] for b in entry["bullets"]]
    rejected = [b for b in bullets if b["verdict"] == "rejected"]
    assert len(rejected) == len(INFLATED), rejected
    assert all(b["verdict"] in ("rejected", "unchanged") for b in bullets)
    for phrase, kinds in INFLATED:
        bullet = next(b for b in rejected if phrase in b["text"])
        assert kinds <= {v["kind"] for v in bullet["violations"]}, (phrase, bullet["violations"])
        if with_lines:
            assert bullet["line"] == line_of(name, phrase)
        for v in bullet["violations"]:
            assert bullet["text"][v["start"] : v["end"]] == v["text"]
