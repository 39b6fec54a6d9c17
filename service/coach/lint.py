"""Weak-bullet lint: the patterns a reviewer of backend resumes skips past, each with the reason and the
proof that would fix it. Rules are data (``data/lint.json``); see its ``comment`` for their form.

A warning is advice about a bullet's *strength*; it never says the bullet is untrue and never changes
the guard's verdict. The fixes ask for proof only as far as the notes state it: the guard still refuses
anything the notes do not support.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from service.coach._read import (
    GAP_JOIN,
    Analysis,
    Condition,
    Phrases,
    Reading,
    Tokens,
    any_holds,
    compile_conditions,
    load,
    phrase_list,
    read_bullet,
)


@dataclass(frozen=True, slots=True)
class LintWarning:
    """One weak span of a bullet: ``text == bullet[start:end]``."""

    code: str
    text: str
    start: int
    end: int
    message: str
    fix: str

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class _Rule:
    code: str
    patterns: Phrases
    not_before: frozenset[str]
    requires: tuple[Condition, ...]
    unless: tuple[Condition, ...]
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class _SkillsList:
    code: str
    min_technologies: int
    min_share: float
    filler: frozenset[str]
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class _RepeatedWord:
    code: str
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class _Vocab:
    rules: tuple[_Rule, ...]
    skills: _SkillsList
    repeated: _RepeatedWord


@cache
def vocab() -> _Vocab:
    data = load("lint")
    rules = tuple(
        _Rule(
            code=raw["code"],
            patterns=Phrases(phrase_list(raw["patterns"])),
            not_before=frozenset(word.lower() for word in raw.get("not_before", ())),
            requires=compile_conditions(raw.get("requires")),
            unless=compile_conditions(raw.get("unless")),
            message=raw["message"],
            fix=raw["fix"],
        )
        for raw in data["rules"]
    )
    skills = data["skills_list"]
    repeated = data["repeated_word"]
    return _Vocab(
        rules=rules,
        skills=_SkillsList(
            code=skills["code"],
            min_technologies=int(skills["min_technologies"]),
            min_share=float(skills["min_technology_share"]),
            filler=frozenset(word.lower() for word in skills["filler"]),
            message=skills["message"],
            fix=skills["fix"],
        ),
        repeated=_RepeatedWord(code=repeated["code"], message=repeated["message"], fix=repeated["fix"]),
    )


def rule_codes() -> tuple[str, ...]:
    """Every rule id, in the order the rules are applied (ties at one offset are reported in it)."""
    v = vocab()
    return (*(rule.code for rule in v.rules), v.skills.code, v.repeated.code)


def lint_bullet(bullet: str, analysis: Analysis | None = None) -> tuple[LintWarning, ...]:
    """The weak spans of ``bullet``, ordered by offset (then by rule order). ``analysis``: the bullet
    as :func:`service.guard.analyse_bullet` read it, when the caller already has it (for the guard)."""
    v = vocab()
    reading = read_bullet(bullet, analysis)
    tokens = reading.tokens
    found: list[tuple[int, int, LintWarning]] = []
    for order, rule in enumerate(v.rules):
        matches = rule.patterns.find(tokens)
        if not matches:
            continue
        if rule.requires and not any_holds(rule.requires, (reading,)):
            continue
        if any_holds(rule.unless, (reading,)):
            continue
        for i, j, _ in matches:
            if j < tokens.n and tokens.gaps[j] == GAP_JOIN and tokens.lowers[j] in rule.not_before:
                continue
            start, end = tokens.starts[i], tokens.ends[j - 1]
            found.append((start, order, _warning(rule.code, bullet, start, end, rule.message, rule.fix)))
    skills = _skills_list(bullet, reading, v.skills)
    if skills is not None:
        found.append((skills.start, len(v.rules), skills))
    for repeat in _repeated_words(bullet, tokens, v.repeated):
        found.append((repeat.start, len(v.rules) + 1, repeat))
    found.sort(key=lambda item: (item[0], item[1]))
    return tuple(warning for _, _, warning in found)


def _warning(code: str, bullet: str, start: int, end: int, message: str, fix: str) -> LintWarning:
    text = bullet[start:end]
    return LintWarning(code, text, start, end, message.replace("{text}", text), fix.replace("{text}", text))


def _repeated_words(bullet: str, tokens: Tokens, rule: _RepeatedWord) -> list[LintWarning]:
    """Each run of one word said again right after itself, across spaces only ("alert alert alert")."""
    out: list[LintWarning] = []
    k = 0
    while k + 1 < tokens.n:
        j = k
        word = tokens.lowers[k]
        while (
            j + 1 < tokens.n
            and word.isalpha()
            and tokens.lowers[j + 1] == word
            and bullet[tokens.ends[j] : tokens.starts[j + 1]].isspace()
        ):
            j += 1
        if j > k:
            out.append(_warning(rule.code, bullet, tokens.starts[k], tokens.ends[j], rule.message, rule.fix))
        k = j + 1
    return out


def _skills_list(bullet: str, reading: Reading, rule: _SkillsList) -> LintWarning | None:
    """A bullet that is mostly technology names, with no action verb and no figure."""
    tokens = reading.tokens
    if tokens.n == 0 or len({m.name for m in reading.techs}) < rule.min_technologies:
        return None
    if reading.has_claim() or reading.has_figure():
        return None
    tech_tokens = reading.tech_token_indexes()
    content = [k for k in range(tokens.n) if k in tech_tokens or tokens.lowers[k] not in rule.filler]
    share = sum(1 for k in content if k in tech_tokens) / len(content)
    if share < rule.min_share:
        return None
    return _warning(rule.code, bullet, tokens.starts[0], tokens.ends[tokens.n - 1], rule.message, rule.fix)
