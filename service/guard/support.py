"""What the input supports, asked for one span of a bullet: facts the repair needs and the guard keeps.

Public helpers beside the checks (no check calls them): :func:`supporting_verbs` names the input's own
ownership verbs a refused claim may fall back to, strongest first, and :func:`past_form` puts a ladder
verb in the past tense of a bullet ("helping" -> "helped"). Pure, like the rest of the guard.
"""

from __future__ import annotations

from functools import cache

from service.guard import ownership
from service.guard._data import load
from service.guard._facts import Facts, analyse_bullet


@cache
def _past_forms() -> dict[str, str]:
    """Every ladder word -> its past form, when the data lists one sharing its stem ("helps" -> "helped")."""
    out: dict[str, str] = {}
    for lv in load("ownership")["levels"]:
        past = list(lv["past"])
        for word in past:
            out[word] = word
        for word in lv["other"]:
            stem = word[:4]
            matches = [p for p in past if p[:4] == stem]
            if matches:
                out[word] = min(matches, key=len)
    return out


def past_form(verb: str) -> str | None:
    """The past form of a one-word ladder verb (lower case), or ``None`` when the ladder has none."""
    return _past_forms().get(verb.lower())


def supporting_verbs(bullet: str, start: int, end: int, facts: Facts) -> tuple[tuple[str, str, int], ...]:
    """The input's claims that support the work of the bullet's claim at ``[start, end)``: the one the
    guard judged it by first, then the input's other claims about the same work at or below the rung it
    allows, strongest first. Each as (its verb as the input writes it, the input's next word, its rung).
    Empty when the span is no claim of the bullet."""
    claims = analyse_bullet(bullet).claims
    claim = next((c for c in claims if c.start == start and c.end == end), None)
    if claim is None:
        return ()
    others = [c for c in claims if c is not claim]
    allowed, k = ownership.allowed_level(claim, facts.lookup.claim_index, others)
    # the work: the claim's object and the words of its own clause ("Architected services, reducing
    # latency" is about services, not about the input's "cut latency")
    comma = bullet.find(",", end)
    clause = bullet[end : comma if comma >= 0 else len(bullet)].lower()
    work = claim.obj | {w for w in claim.content if w in clause}
    ranked = sorted(
        (i for i, c in enumerate(facts.claims) if c.level <= allowed and (c.content | c.obj) & work),
        key=lambda i: -facts.claims[i].level,
    )
    if k in ranked:
        ranked.remove(k)
        ranked.insert(0, k)
    out: list[tuple[str, str, int]] = []
    for i in ranked:
        c = facts.claims[i]
        text = facts.claim_sources[i].analysis.text
        following = text[c.end :].split(None, 1)
        entry = (c.text, following[0].strip(".,;:()") if following else "", c.level)
        if entry not in out:
            out.append(entry)
    return tuple(out)
