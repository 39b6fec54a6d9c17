"""Salvage: may a refused model bullet's repair be returned in its place, as an accepted bullet?

A repair is enough for a suggestion that a person reads beside the refused bullet (``/v1/verify``). In a
rewrite nobody reads the original next to it: the salvaged bullet must stand on its own. It is salvaged
when it

1. keeps most of the bullet's substance (:attr:`Repair.kept` >= :data:`SALVAGE_MIN_KEPT`);
2. keeps what the bullet was about: the object of its main verb ("Led the *migration* of billing" ->
   "Helped migrate billing"), or else two words side by side that the input names its work with
   ("notification worker");
3. makes sense without what was cut (:func:`sense_problems`): no claim of change or figure left beside a
   figure the repair dropped ("Helped debug a cut in memory use." from "a 70% cut in memory use";
   "99.5% of queries." from "99.5% of queries under 28ms"), no preposition or article left before a
   verb or a connective where a phrase was cut ("used by moved them"), and no sentence of one or two
   words ("…so support can undo one. SQLAlchemy.");
4. states no figure the input does not (the guard also accepts figures it derives from the input's: "cut
   p95 by 67%" from 900 ms -> 300 ms, which the model did not write that way);
5. is accepted by the guard against the same input (checked again here).

Pure and deterministic, no I/O.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from service.guard import BulletResult, Facts, analyse_bullet, check_bullet
from service.repair._text import ARTICLES, JOINERS, PREPOSITIONS, words
from service.repair.repair import Repair, input_text, repair

# "Led the debugging of a memory leak in the notification worker using Kafka." -> "Helped debug a memory
# leak in the notification worker." keeps 1.0 (the tool's phrase is no substance); a bullet cut to its verb
# and one noun keeps too little to stand in for what the model wrote.
SALVAGE_MIN_KEPT = 0.5
# words on either side of a dropped figure that belong to the statement it was part of
_WINDOW = 3
# a claim of change or a comparative that means nothing once its figure is gone ("a cut in memory use")
CHANGE_WORDS = frozenset(
    [
        "cut",
        "cuts",
        "reduction",
        "reductions",
        "increase",
        "increases",
        "decrease",
        "decreases",
        "drop",
        "drops",
        "improvement",
        "improvements",
        "gain",
        "gains",
        "speedup",
        "speedups",
        "boost",
        "boosts",
        "saving",
        "savings",
        "growth",
        "uplift",
        "jump",
        "rise",
        "fall",
        "decline",
        "lift",
        "faster",
        "slower",
        "lower",
        "higher",
        "fewer",
        "less",
        "more",
        "smaller",
        "larger",
        "bigger",
        "better",
        "quicker",
        "cheaper",
        "shorter",
        "longer",
    ]
)
# words that need what follows them: a cut right after one leaves it without its object
_NEEDS_OBJECT = (PREPOSITIONS - {"including", "throughout"}) | {"than", "the", "a", "an"}
_FIGURE = re.compile(r"\d")
_MARKER = re.compile(r"\s*\d+[.)]\s")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class Salvage:
    """The verdict on salvaging ``bullet``: ``repair`` is its repair (``None`` when it has none), and
    ``refused`` says why that repair may not stand in for it (``None``: salvaged)."""

    bullet: str
    repair: Repair | None
    refused: str | None

    @property
    def salvaged(self) -> bool:
        return self.repair is not None and self.refused is None

    @property
    def text(self) -> str | None:
        """The salvaged bullet (``None`` when not salvaged)."""
        return self.repair.suggestion if self.salvaged and self.repair is not None else None


def _token_spans(text: str) -> list[tuple[int, int, str]]:
    """Words with their offsets, lower case, edge punctuation stripped (as :func:`words` reads them)."""
    out = []
    for m in re.finditer(r"[^\s,;:()]+", text):
        w = m.group().strip(".!?\"'`").lower()
        if w:
            out.append((m.start(), m.end(), w))
    return out


def _clause_window(text: str, start: int, end: int) -> tuple[int, int]:
    """The stretch of ``text`` around ``[start, end)`` up to the nearest clause mark either side."""
    left = max(text.rfind(c, 0, start) for c in ",;:()")
    rights = [i for i in (text.find(c, end) for c in ",;:()") if i >= 0]
    right = min(rights) if rights else len(text)
    return left + 1, right


def _clause_words(text: str, start: int, end: int) -> tuple[list[str], list[str]]:
    """The words of the clause holding ``[start, end)``: all of them, and the :data:`_WINDOW` nearest
    either side of it."""
    lo, hi = _clause_window(text, start, end)
    spans = [s for s in _token_spans(text) if s[0] >= lo and s[1] <= hi and not (s[0] >= start and s[1] <= end)]
    before = [s[2] for s in spans if s[1] <= start]
    after = [s[2] for s in spans if s[0] >= end]
    return before + after, before[-_WINDOW:] + after[:_WINDOW]


def _list_marker(bullet: str, start: int) -> bool:
    m = _MARKER.match(bullet)
    return m is not None and start < m.end()


def _dropped_figures(fix: Repair) -> list[tuple[int, int, str]]:
    """The bullet's figures that the repair removed without putting another figure in their place."""
    out = []
    for q in analyse_bullet(fix.bullet).quantities:
        if not _FIGURE.search(q.text) or q.text in fix.suggestion or _list_marker(fix.bullet, q.start):
            continue  # no figure, or kept, or a list marker ("1. Rewrote…")
        replaced = any(e.start < q.end and q.start < e.end and _FIGURE.search(e.replacement) for e in fix.edits)
        if not replaced:
            out.append((q.start, q.end, q.text))
    return out


def _orphans(fix: Repair, facts: Facts) -> list[str]:
    """Claims of change and figures that stood with a dropped figure and are still in the suggestion. A
    claim of change the input makes in the same words ("the search page faster") needs no figure."""
    left = words(fix.suggestion)
    pairs = set(itertools.pairwise(left))
    source = words(input_text(facts))
    source_pairs = set(itertools.pairwise(source))
    kept_figures = {w for w in left if _FIGURE.search(w)}
    problems: list[str] = []
    for start, end, figure in _dropped_figures(fix):
        clause, near = _clause_words(fix.bullet, start, end)
        for word in near:
            if word not in CHANGE_WORDS or word not in left:
                continue
            own = {p for p in pairs if word in p} & source_pairs
            if not own:
                problems.append(f"'{word}' is left without its figure '{figure}'")
        for word in clause:
            if _FIGURE.search(word) and word in kept_figures and word != figure.lower():
                problems.append(f"'{word}' is left without '{figure}', which it was stated with")
    return problems


def _seams(fix: Repair) -> list[str]:
    """Function words left before a verb, a connective or nothing where a stretch of the bullet was cut."""
    a, b = words(fix.bullet), words(fix.suggestion)
    raw = fix.suggestion.split()
    problems: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, _j2 in matcher.get_opcodes():
        if op != "delete" or j1 == 0:
            continue
        before = b[j1 - 1]
        if before not in _NEEDS_OBJECT or (j1 - 1 < len(raw) and raw[j1 - 1][-1:] in ",;:."):
            continue
        after = b[j1] if j1 < len(b) else None
        if after is None or after in JOINERS or after in PREPOSITIONS or _verb_like(after):
            cut = " ".join(a[i1:i2])
            problems.append(f"'{before}' is left without its object where '{cut}' was cut")
    spans = _token_spans(fix.bullet)
    for op, i1, i2, j1, _ in matcher.get_opcodes():
        if op != "delete" or j1 >= len(b):
            continue
        # "dropped [40%] of its errors": the figure's own "of" or "than" is left behind it
        if b[j1] in {"of", "than"} and any(_FIGURE.search(w) for w in a[i1:i2]):
            problems.append(f"'{b[j1]}' is left without the figure before it")
        # "retry logic [and Grafana] dashboards": a list member cut out of the middle of a phrase
        gap = fix.bullet[spans[i2 - 1][1] : spans[i2][0]] if i2 < len(spans) and len(spans) == len(a) else " "
        if a[i1] in {"and", "or", "&"} and j1 > 0 and _content(b[j1 - 1]) and _content(b[j1]) and not gap.strip():
            problems.append(f"'{b[j1 - 1]} {b[j1]}' runs together where '{' '.join(a[i1:i2])}' was cut")
    return problems


def _verb_like(word: str) -> bool:
    """A past-tense form ("moved", "added"): no object of a preposition."""
    return word.isalpha() and len(word) > 4 and word.endswith("ed")


def _fragments(text: str) -> list[str]:
    """Sentences of fewer than three words ("…so support can undo one. SQLAlchemy.")."""
    return [f"'{s}' is a fragment, not a sentence" for s in _SENTENCE.split(text) if 0 < len(words(s)) < 3]


def _next_content(ws: Sequence[str], i: int, n: int) -> list[str]:
    return [w[:5] for w in ws[i + 1 :] if _content(w) or _FIGURE.search(w)][:n]


def _grafts(fix: Repair, facts: Facts) -> list[str]:
    """Words the repair put in (the input's verb, figure or noun) that take another object in the
    suggestion than in the input: "Helped debug a team…" from "Led a team…" when the input helped debug a
    memory leak. The object must be one of the next two words the input gives that word."""
    mine = {w[:5] for w in words(fix.bullet)}
    ws = words(fix.suggestion)
    source = words(input_text(facts))
    problems: list[str] = []
    for i, word in enumerate(ws):
        if word[:5] in mine or not (_content(word) or _FIGURE.search(word)):
            continue
        following = _next_content(ws, i, 1)
        if not following or following[0] in {w[:5] for w in ws if w[:5] not in mine}:
            continue  # the end, or another word the repair put in ("Helped debug")
        objects = {o for j, w in enumerate(source) if w[:5] == word[:5] for o in _next_content(source, j, 2)}
        if following[0] not in objects:
            problems.append(f"'{word}' takes another object here than in the input")
    return problems


def sense_problems(fix: Repair, facts: Facts) -> list[str]:
    """What makes ``fix``'s suggestion read wrong once its cuts are made (empty when nothing)."""
    problems = _orphans(fix, facts) + _seams(fix) + _fragments(fix.suggestion) + _grafts(fix, facts)
    for part in re.split(r"(?<=[.!?;])\s+", fix.suggestion):  # sentences, and clauses after a semicolon
        first = words(part)[:1]
        if first and first[0] in PREPOSITIONS | JOINERS:
            problems.append(f"a sentence opens with '{first[0]}'")
    for sentence in re.split(r"(?<=[.!?])\s+", fix.suggestion)[1:]:
        if sentence[:1].islower() and sentence not in fix.bullet:  # lower case where the bullet had none
            problems.append(f"a sentence opens in lower case: '{sentence[:20]}'")
    return problems


def _content(word: str) -> bool:
    return len(word) >= 3 and word.isalpha() and word not in ARTICLES | PREPOSITIONS | JOINERS


def main_object(bullet: str) -> str | None:
    """The object of the bullet's main verb: the first content word after its first word, in its first
    clause, skipping figures, articles and prepositions ("Led a 70% cut in memory use" -> "cut")."""
    head = re.split(r"[,;:(]", bullet, maxsplit=1)[0]
    ws = [w for w in words(head) if not _FIGURE.search(w) and w not in {"i", "we"}]
    return next((w for w in ws[1:] if _content(w)), None)


def _input_pairs(facts: Facts) -> set[tuple[str, str]]:
    ws = words(input_text(facts))
    return {(x[:5], y[:5]) for x, y in itertools.pairwise(ws) if _content(x) and _content(y)}


def keeps_the_work(fix: Repair, facts: Facts) -> bool:
    """Does the suggestion keep what the bullet was about: its main object, or two words side by side
    that the input names its work with?"""
    left = words(fix.suggestion)
    obj = main_object(fix.bullet)
    if obj is not None and obj[:5] in {w[:5] for w in left}:
        return True
    pairs = {(x[:5], y[:5]) for x, y in itertools.pairwise(left) if _content(x) and _content(y)}
    return bool(pairs & _input_pairs(facts))


def unstated_figures(text: str, facts: Facts) -> list[str]:
    """Figures of ``text`` that no input figure states (same dimension and value). The guard also accepts
    figures it can derive from the input's; a salvaged bullet keeps only the input's own."""
    stated = {(q.dim, round(q.value, 6)) for s in facts.sources for q in s.analysis.quantities}
    lower = input_text(facts).lower()
    return [
        q.text
        for q in analyse_bullet(text).quantities
        if _FIGURE.search(q.text) and (q.dim, round(q.value, 6)) not in stated and q.text.lower() not in lower
    ]


def salvage(bullet: str, facts: Facts, result: BulletResult | None = None) -> Salvage:
    """Whether the repair of the refused ``bullet`` may be returned in its place (see the module's rules)."""
    fix = repair(bullet, facts, result)
    if fix is None:
        return Salvage(bullet, None, "no repair")
    if fix.kept < SALVAGE_MIN_KEPT:
        return Salvage(bullet, fix, f"keeps {fix.kept:.0%} of the bullet's substance")
    if not keeps_the_work(fix, facts):
        return Salvage(bullet, fix, "loses what the bullet was about")
    problems = sense_problems(fix, facts)
    if problems:
        return Salvage(bullet, fix, problems[0])
    unstated = unstated_figures(fix.suggestion, facts)
    if unstated:
        return Salvage(bullet, fix, f"'{unstated[0]}' is a figure the input does not state")
    if check_bullet(fix.suggestion, facts).violations:  # repair checks it too; a salvage never rests on that
        return Salvage(bullet, fix, "refused by the guard")
    return Salvage(bullet, fix, None)
