"""Missing-proof questions: for each proof area the notes touch, the questions a reviewer would ask that
the notes and evidence do not answer yet. Areas, questions and what answers them are data
(``data/questions.json``); see its ``comment``.

The questions are asked, never answered: nothing here writes a fact into a bullet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal, cast, get_args

from service.coach._read import Condition, any_holds, compile_conditions, load, read_inputs
from service.guard import EvidenceItem, Facts

ProofArea = Literal["api", "data", "performance", "reliability", "security", "ownership", "collaboration"]
PROOF_AREAS: tuple[str, ...] = get_args(ProofArea)


@dataclass(frozen=True, slots=True)
class Question:
    proof_area: ProofArea
    question: str
    why: str

    def as_dict(self) -> dict[str, object]:
        return {"proof_area": self.proof_area, "question": self.question, "why": self.why}


@dataclass(frozen=True, slots=True)
class _Ask:
    id: str
    question: Question
    only_if: tuple[Condition, ...]
    answered_if: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class _Area:
    name: ProofArea
    touched_if: tuple[Condition, ...]
    asks: tuple[_Ask, ...]


def _proof_area(name: str) -> ProofArea:
    if name not in PROOF_AREAS:
        raise ValueError(f"unknown proof area {name!r}")
    return cast(ProofArea, name)


@cache
def vocab() -> tuple[_Area, ...]:
    areas: list[_Area] = []
    for raw in load("questions")["areas"]:
        name = _proof_area(raw["area"])
        asks = tuple(
            _Ask(
                id=q["id"],
                question=Question(name, q["question"], q["why"]),
                only_if=compile_conditions(q.get("only_if")),
                answered_if=compile_conditions(q.get("answered_if")),
            )
            for q in raw["questions"]
        )
        areas.append(_Area(name, compile_conditions(raw["touched_if"]), asks))
    return tuple(areas)


def touched_areas(notes: str, evidence: Sequence[EvidenceItem] = ()) -> tuple[ProofArea, ...]:
    """The proof areas the notes or evidence touch, in the order of :data:`PROOF_AREAS`."""
    readings = read_inputs(notes, evidence)
    return tuple(area.name for area in vocab() if any_holds(area.touched_if, readings))


def questions_for(
    notes: str, evidence: Sequence[EvidenceItem] = (), facts: Facts | None = None
) -> tuple[Question, ...]:
    """The unanswered questions of every touched proof area: areas in a fixed order, then questions in
    the order of the data file. The same input always gives the same questions. ``facts``: the guard's
    facts of the same notes and evidence, when the caller has them already (the notes are read once)."""
    readings = read_inputs(notes, evidence, facts)
    out: list[Question] = []
    for area in vocab():
        if not any_holds(area.touched_if, readings):
            continue
        for ask in area.asks:
            if ask.only_if and not any_holds(ask.only_if, readings):
                continue
            if any_holds(ask.answered_if, readings):
                continue
            out.append(ask.question)
    return tuple(out)
