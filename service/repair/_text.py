"""Phrase surgery on bullets: the spans a repair may drop, and tidying what is left into a bullet.

Pure string work (stdlib ``re`` only). A drop never adds a word: every candidate is the bullet with one
stretch removed, then tidied (spaces, a comma or a preposition left dangling, the first letter).
"""

from __future__ import annotations

import itertools
import re

# words that cannot end a bullet or stand before a comma: a phrase was cut after them
PREPOSITIONS = frozenset(
    [
        "using",
        "with",
        "via",
        "in",
        "on",
        "across",
        "for",
        "by",
        "to",
        "at",
        "from",
        "through",
        "into",
        "over",
        "within",
        "including",
        "leveraging",
        "throughout",
        "among",
        "of",
        "per",
        "against",
        "toward",
        "towards",
        "under",
        "around",
    ]
)
JOINERS = frozenset(["and", "or", "&", "while", "thereby", "which", "that"])
ARTICLES = frozenset(["a", "an", "the", "its", "their", "our", "my"])
DANGLING = PREPOSITIONS | JOINERS | ARTICLES
# verbs that cannot end a bullet: their complement was cut ("Search pages went." from "went from 9 to 2")
NEEDS_COMPLEMENT = frozenset(
    {
        "went",
        "moved",
        "grew",
        "dropped",
        "fell",
        "rose",
        "increased",
        "decreased",
        "reduced",
        "improved",
        "cut",
        "got",
        "made",
        "became",
        "changed",
        "migrated",
        "brought",
        "took",
    }
)
_EMPTY_ARROW = re.compile(r"(?:->|→)\s*(?:->|→|[.,;:]|$)|^\s*(?:->|→)")

_WORD = re.compile(r"[^\s,;:()]+")
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z])")


def words(text: str) -> list[str]:
    """The words of ``text``, lower case, punctuation at their edges stripped (``"Kafka,"`` -> ``kafka``)."""
    out = []
    for m in _WORD.finditer(text):
        w = m.group().strip(".!?\"'`").lower()
        if w:
            out.append(w)
    return out


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The comma/semicolon clause holding ``[start, end)``: (offset of the comma before it or the
    sentence start, offset of the comma after it or the sentence end)."""
    left = max(text.rfind(",", 0, start), text.rfind(";", 0, start))
    sent = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=-1)
    left = max(left, sent) if left > sent else sent
    right_c = [i for i in (text.find(",", end), text.find(";", end)) if i >= 0]
    m = _SENTENCE_END.search(text, end)
    right_s = m.start() if m else len(text.rstrip().rstrip(".!?"))
    right = min([*right_c, right_s])
    return left, right


def _word_spans(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group().lower().strip(".!?\"'`")) for m in _WORD.finditer(text)]


def _extend(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span to whole words ("15" in "15+" -> "15+")."""
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "(,;":
        start -= 1
    while end < len(text) and not text[end].isspace() and text[end] not in "),;":
        end += 1
    if end > start and text[end - 1] in ".!?" and end == len(text.rstrip()):
        end -= 1
    return start, end


def outer_clauses(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The trailing clauses (after a comma) that hold one of ``spans``."""
    out = []
    for start, end in spans:
        left, right = _clause_bounds(text, start, end)
        if left > 0 and text[left] in ",;":
            out.append((left, right))
    return out


def clause_drop(text: str, start: int, end: int) -> str | None:
    """The bullet without the trailing clause that holds the span (", improving engagement by 40%"),
    or ``None`` when the span is in the main clause."""
    left, right = _clause_bounds(text, start, end)
    if left <= 0 or text[left] not in ",;":
        return None
    return text[:left] + text[right:]


def clause_is_effect(text: str, start: int, end: int) -> bool:
    """Is the span in a trailing clause that states an effect (", improving…", ", resulting in…")?"""
    left, _ = _clause_bounds(text, start, end)
    if left <= 0 or text[left] not in ",;":
        return False
    first = words(text[left + 1 : start + 1] or text[left + 1 : end])
    return bool(first) and (first[0].endswith("ing") or first[0] in {"which", "thereby", "for", "so"})


def phrase_drops(text: str, start: int, end: int) -> list[str]:
    """Bullets without the phrase carrying the span, smallest cut first: a preposition's phrase
    ("using React.js", "with Kafka"), a list member ("React and Kafka"), the word itself ("15+")."""
    start, end = _extend(text, start, end)
    spans = _word_spans(text)
    out: list[str] = []
    left, right = _clause_bounds(text, start, end)
    before = [s for s in spans if s[1] <= start and s[0] > left]
    after = [s for s in spans if s[0] >= end and s[1] <= right]
    # a member of a list: "React and Kafka", "Kafka, Redis and React"
    if before and before[-1][2] in {"and", "or", "&"} and before[-1][1] <= start:
        out.append(text[: before[-1][0]] + text[end:])
    if after and after[0][2] in {"and", "or", "&"}:
        out.append(text[:start] + text[after[0][1] :])
    gap = text[end : end + 2]
    if gap.startswith(", ") and any(a[2] in {"and", "or"} for a in after):
        out.append(text[:start] + text[end + 2 :])
    # a preposition within three words before the span opens its phrase
    for s in reversed(before[-3:]):
        if s[2] in PREPOSITIONS:
            # to the next preposition, connective or clause end: "with Kafka streams" leaves no "streams"
            stop = next((a[0] for a in after if a[2] in PREPOSITIONS or a[2] in JOINERS), right)
            out.append(text[: s[0]] + text[max(stop, end) :])
            break
    out.append(text[:start] + text[end:])
    return out


def sentence_drop(text: str, start: int, end: int) -> str | None:
    """The bullet without the sentence holding the span, when it has more than one."""
    bounds = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text)]
    if len(bounds) < 3:
        return None
    for a, b in itertools.pairwise(bounds):
        if a <= start < b:
            return text[:a] + text[b:]
    return None


_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE = re.compile(r"\s+([,;:.!?)])")
_DOUBLE_PUNCT = re.compile(r"([,;:])\s*(?=[,;:.!?]|$)")
_EMPTY_PARENS = re.compile(r"\(\s*\)")
_OPEN_SPACE = re.compile(r"\(\s+")


def _drop_dangling(text: str) -> str:
    """Remove prepositions, joiners and articles left before a comma or at the end ("with , " -> ",")."""
    changed = True
    while changed:
        changed = False
        for m in re.finditer(r"(\s+)([A-Za-z&]+)(?=\s*(?:[,;.!?]|$))", text):
            if m.group(2).lower() in DANGLING:
                text = text[: m.start()] + text[m.end() :]
                changed = True
                break
    return text


def tidy(text: str) -> str:
    """A cut bullet tidied: single spaces, no space before punctuation, no empty parentheses, no comma
    or connective left dangling, no leading punctuation, the first letter capitalised."""
    text = _EMPTY_PARENS.sub("", text)
    text = _OPEN_SPACE.sub("(", text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _DOUBLE_PUNCT.sub("", text)
    text = _drop_dangling(text)
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = text.strip().lstrip(",;:-– ").strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text


def reads_as_bullet(text: str) -> bool:
    """Does ``text`` read as a bullet: three words or more, a capital (or a figure) first, no dangling
    comma, preposition or connective, balanced parentheses, no doubled punctuation?"""
    ws = words(text)
    if len(ws) < 3:  # "Error rate." is a stub, not a bullet
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    if ws[-1] in DANGLING or ws[-1] in NEEDS_COMPLEMENT or text.rstrip(".!? ").endswith((",", ";", ":", "-", ">")):
        return False
    if _EMPTY_ARROW.search(text):  # "50% -> -> 100%": a figure cut out of a sequence
        return False
    if text.count("(") != text.count(")"):
        return False
    tail = text.rsplit(",", 1)[1] if "," in text else ""
    if tail and len(words(tail)) < 2:  # "…, used": what is left of a cut clause
        return False
    return re.search(r"[,;:]\s*[,;:.]|\s{2,}", text) is None
