"""Polish: a bullet written the way bullets are written, without changing what it claims.

Rules, in order: no list marker; no leading "I"/"We"; a capitalised first word; technology names in the
guard vocabulary's spelling ("grafana" -> "Grafana", "postgres" -> "PostgreSQL"); figures written one
way (the unit glued to its number: "40%", "900ms", "3x"); single spaces; one final period (one policy
for every bullet the service returns). A polished bullet is checked again: when its verdict or its kinds of
violation differ from the bullet's, the bullet is returned unpolished. :func:`polish_warnings` names
what polish cannot fix (more than one sentence, first person inside the sentence).
"""

from __future__ import annotations

import re

from service.guard import Facts, analyse_bullet, check_bullet

_MARKER = re.compile(r"^\s*(?:[-*•·–]|\d+[.)])\s+")
_FIRST_PERSON = re.compile(r"^(?:I|i|We|we)\s+(?=[A-Za-z])")
_PERCENT = re.compile(r"(\d)\s*(?:%|percent\b|per cent\b)")
_UNIT = re.compile(r"(\d)\s+(ms|µs|us|ns|GB|MB|TB|KB|kB|GiB|MiB|TiB|x)\b")
_SPACES = re.compile(r"[ \t]{2,}")
_FINAL = re.compile(r"[\s.;,:]+$")
_SENTENCES = re.compile(r"[.!?]\s+[A-Z]")
_INNER_FIRST_PERSON = re.compile(r"\b(?:I|my|we|our|me|us)\b")


def _tech_names(text: str, facts: Facts | None) -> str:
    """Technology mentions spelled as the vocabulary spells them: the bullet's own mentions, and words
    the input names a technology with when the bullet writes them in other letter case."""
    swaps: list[tuple[int, int, str]] = []
    for m in analyse_bullet(text).techs:
        if m.text != m.name and " " not in m.text.strip() and len(m.text) >= 3:
            swaps.append((m.start, m.end, m.name))
    if facts is not None:
        taken = {(s, e) for s, e, _ in swaps}
        for source in facts.sources:
            for m in source.analysis.techs:
                if len(m.text) < 4 or m.text == m.name:
                    continue
                for hit in re.finditer(rf"(?<![\w.-]){re.escape(m.text)}(?![\w-])", text, re.IGNORECASE):
                    if (hit.start(), hit.end()) not in taken and hit.group() != m.name:
                        swaps.append((hit.start(), hit.end(), m.name))
                        taken.add((hit.start(), hit.end()))
    for start, end, name in sorted(swaps, reverse=True):
        text = text[:start] + name + text[end:]
    return text


def _polish_text(bullet: str, facts: Facts | None) -> str:
    text = _MARKER.sub("", bullet.strip())
    text = _FIRST_PERSON.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _PERCENT.sub(r"\1%", text)
    text = _UNIT.sub(r"\1\2", text)
    text = _tech_names(text, facts)
    text = _FINAL.sub("", text)
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in "!?":
        text += "."
    return text


def _kinds(bullet: str, facts: Facts) -> tuple[str, ...]:
    return tuple(sorted(v.kind for v in check_bullet(bullet, facts).violations))


def polish(bullet: str, facts: Facts | None = None) -> str:
    """``bullet`` polished. With ``facts``, polish never changes the guard's verdict: when the polished
    bullet is judged differently (its kinds of violation), the bullet comes back as it was."""
    text = _polish_text(bullet, facts)
    if not text or text == bullet:
        return bullet
    if facts is not None and _kinds(text, facts) != _kinds(bullet, facts):
        return bullet
    return text


def polish_warnings(bullet: str) -> list[str]:
    """What polish cannot fix in ``bullet``, as short sentences (empty when nothing)."""
    text = _polish_text(bullet, None)
    out: list[str] = []
    if _SENTENCES.search(text):
        out.append("More than one sentence: a bullet states one piece of work in one sentence.")
    if _INNER_FIRST_PERSON.search(text):
        out.append("First person inside the bullet ('I', 'my', 'we', 'our'): say what was done instead.")
    return out
