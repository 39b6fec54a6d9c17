"""The guard's fast paths read exactly what their plain definitions read.

``check_bullet`` runs once per bullet, so its hot paths are written for speed: a tokenizer that splits by the
word pattern, word tries instead of long regex alternations, digit runs instead of a scan of every position,
redact terms matched in a folded skeleton of the text, indexes of the input's quantities and claims. Each
test here compares one of them with the plain definition it replaces, on many generated texts (seeded, so
runs are reproducible).
"""

from __future__ import annotations

import json
import math
import random
import re
import re._parser as sre_parse
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.guard import _text, metric, ownership, redaction
from service.guard.metric import Quantity
from service.guard.ownership import Claim

# characters that make tokenising, number reading and case-insensitive matching interesting: dots, signs,
# currency, Unicode spaces and digits, and letters with unusual case mappings (Kelvin sign, long s, dotted I)
TRICKY = list("aZ09_.+#$€£¥₹pPUS \t\n-/,;:()%'’µμ\u00a0\u2003٣é\u212a\u017f\u0130")
FRAGMENTS = [".NET", ".net", "NET", "Node.js", "C++", "C#", "ASP.NET", "3.5µs", "US$", "p99", "2,000", " . ", ".."]


def _texts(seed: int, count: int, alphabet: list[str], longest: int = 14) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest))) for _ in range(count)]


# --- tokenizer ---------------------------------------------------------------------------------------------------

_REFERENCE_WORD = re.compile(r"\.?[A-Za-z0-9_\u00b5\u03bc]+(?:\.[A-Za-z0-9_]+)*[+#]*")


def _reference_tokens(text: str) -> list[tuple[str, str, int, int, int]]:
    """The plain definition: every word-pattern match, a leading dot dropped except in ".NET", and the kind
    of the gap before each word (a clause break before the first)."""
    out = []
    prev_end = 0
    for i, m in enumerate(_REFERENCE_WORD.finditer(text)):
        start, end = m.span()
        word = m.group()
        if word[0] == "." and word.lower() != ".net":
            word, start = word[1:], start + 1
        gap = _text.GAP_CLAUSE if i == 0 else _text._classify_gap(text[prev_end:start])
        out.append((word, word.lower(), start, end, gap))
        prev_end = end
    return out


def test_tokenize_reads_what_the_word_pattern_reads() -> None:
    texts = _texts(1, 20000, TRICKY + FRAGMENTS)
    texts += _dev_texts()
    for text in texts:
        t = _text.tokenize(text)
        assert list(zip(t.words, t.lowers, t.starts, t.ends, t.gaps, strict=True)) == _reference_tokens(text), text
        assert t.joined == " ".join(t.lowers)
        assert t.last == {w: k for k, w in enumerate(t.lowers)}


def _dev_texts() -> list[str]:
    """Notes and bullets of the public sample cases, when they are checked out beside the repository."""
    dev = Path(__file__).resolve().parents[2].parent / "shared" / "guard-cases" / "dev.jsonl"
    if not dev.is_file():
        return []
    cases = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [text for case in cases for text in (case["notes"], case["bullet"])]


# --- word tries --------------------------------------------------------------------------------------------------


def _flat(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@pytest.mark.parametrize("flags", [re.IGNORECASE, 0], ids=["ignorecase", "case-sensitive"])
@pytest.mark.parametrize("after", ["", r"\b", r"(?![\w])", r"s?\b", r"\s+x"])
def test_a_word_trie_matches_like_the_longest_first_alternation(flags: int, after: str) -> None:
    data = json.loads(files("service.guard").joinpath("data/metric.json").read_text(encoding="utf-8"))
    vocab = [*data["units"], *data["rate_units"], *data["multiplier_words"], *data["vague_quantities"]]
    rng = random.Random(2)
    cases = [rng.sample(vocab, rng.randint(1, 12)) for _ in range(40)]
    cases += [["ms", "msec", "msecs", "m", "min", "µs", "μs", "s"], ["k", "\u212a", "K"], ["s", "\u017f", "ss"], [""]]
    pieces = [*vocab, "x", " ", "s", "\u212a", "\u017f", "\u0130", "µ", "μ", "-", "/"]
    for words in cases:
        trie = re.compile(f"(?:{metric._alt(words, ignorecase=bool(flags))}){after}", flags)
        flat = re.compile(f"(?:{_flat(words)}){after}", flags)
        for text in ("".join(rng.choice(pieces) for _ in range(rng.randint(1, 4))) for _ in range(60)):
            for pos in range(len(text) + 1):
                a, b = trie.match(text, pos), flat.match(text, pos)
                assert (a and a.span()) == (b and b.span()), (words, text, pos)


# --- digit runs --------------------------------------------------------------------------------------------------

_REFERENCE_DIGIT_START = re.compile(r"(?:US\$|[$€£¥₹])\s?\.?\d|[pP]\d|\.?\d")


def _digit_matches(text: str, starts: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    last_end = -1
    pattern = metric.vocab().digit_pattern
    for start in starts:
        if start >= last_end:
            m = pattern.match(text, start)
            if m is not None:
                out.append(m.span())
                last_end = m.end()
    return out


def test_digit_runs_find_the_quantities_a_scan_of_every_position_finds() -> None:
    alphabet = list("0123456789 .,$€£¥₹pPUS\t\nab-/#%k٣\u00a0\u2003")
    for text in _texts(3, 40000, alphabet):
        scan = [m.start() for m in _REFERENCE_DIGIT_START.finditer(text)]
        runs = metric._ASCII_DIGITS if text.isascii() else metric._DIGITS
        fast = [metric._digit_start(text, m.start()) for m in runs.finditer(text)]
        assert _digit_matches(text, fast) == _digit_matches(text, scan), text


# --- redact terms through skeletons -------------------------------------------------------------------------------

TERM = st.text(alphabet="abmnAB xX.-'1sSeEßéаÅ\u200b", min_size=1, max_size=6)
# accents precomposed and combining, zero-width space and soft hyphen, Cyrillic and Greek look-alikes,
# fullwidth letters, sharp s in both cases, apostrophes
TEXT = st.text(alphabet="abmΜμnΝAB xX.-'’sSeE_1\t\n,ßẞéèe\u0301\u0308\u200b\u00adаАΑａＡÅ", max_size=30)


def _per_letter_pattern(terms: list[str]) -> re.Pattern[str] | None:
    """The plain definition the skeleton matcher replaces: each folded letter of a term as a class of all of
    its spellings, marks and ignorables after it (slow to compile at 50 x 100 characters, exact otherwise)."""
    cleaned = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    alts = "|".join(r"\s+".join(redaction._word(part) for part in t.split()) for t in cleaned)
    return re.compile(rf"(?<![\w])(?:{alts})(?i:{redaction._suffixes()})?(?![\w])")


def _covered(spans: list[tuple[int, int]]) -> set[int]:
    return {k for start, end in spans for k in range(start, end)}


@settings(max_examples=400, deadline=None, database=None)
@given(terms=st.lists(TERM, min_size=1, max_size=3), texts=st.lists(TEXT, min_size=1, max_size=10))
def test_the_skeleton_matcher_redacts_all_the_per_letter_pattern_does(terms: list[str], texts: list[str]) -> None:
    terms = [t for t in terms if t.replace("\u200b", "").strip()]  # zero-width characters only: nothing to see
    reference = _per_letter_pattern(terms)
    matcher = redaction.compile_terms(terms)
    assert (reference is None) == (matcher is None)
    if reference is None or matcher is None:
        return
    for text in texts:
        expected = [m.span() for m in reference.finditer(text)]
        found = [m.span() for m in matcher.finditer(text)]
        for start, end in found:
            assert 0 <= start < end <= len(text)
        assert _covered(expected) <= _covered(found), (terms, text, expected, found)
        if text.isascii() and all(t.isascii() for t in terms):  # no spelling to tell apart: the same matches
            assert found == expected, (terms, text)


def test_every_placeholder_match_holds_the_marker() -> None:
    marker = redaction.placeholder_marker()
    top = list(sre_parse.parse(redaction.placeholder_pattern().pattern))
    literals = "".join(chr(av) if op is sre_parse.LITERAL else "\0" for op, av in top)
    assert marker in literals, "the marker must be a required literal of the placeholder pattern"


def test_a_text_said_to_hold_no_placeholder_has_no_placeholder_match() -> None:
    alphabet = [*TRICKY, "REDACTED", "redacted", "Redacted", "REDACT", "[[", "]]", "_", "1", "\u200b"]
    alphabet.append("ＲＥＤＡＣＴＥＤ")  # fullwidth
    texts = _texts(12, 4000, alphabet, longest=8)
    texts += ["[[REDACTED_1]]", "redacted 12", "[REDACTED-3]", "ReDaCtEd_4", "ＲＥＤＡＣＴＥＤ_5", "no placeholder 1"]
    for text in texts:
        if not redaction.may_hold_placeholder(text):
            assert redaction.placeholder_pattern().search(text) is None, text


# --- indexes of the input ----------------------------------------------------------------------------------------


def _reference_supports(q: Quantity, facts: list[Quantity]) -> bool:
    def same(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)

    if q.dim == "literal":
        return any(p.dim == "literal" and p.literal == q.literal for p in facts)
    if q.dim == "vague":
        return any(
            (p.dim == "vague" and p.literal == q.literal)
            or (p.dim not in ("vague", "literal") and q.low <= p.number < q.high)
            for p in facts
        )
    return any(
        (p.dim == q.dim and same(p.value, q.value))
        or (q.dim == "count" and p.dim not in ("vague", "literal") and same(p.number, q.number))
        or (p.dim == "rate:" + q.dim and same(p.number * p.factor, q.value))
        for p in facts
    )


def _random_quantity(rng: random.Random) -> Quantity:
    dim = rng.choice(["count", "time", "percent", "money:USD", "rate:count", "rate:time", "vague", "literal"])
    number = rng.choice([1.0, 2.0, 3.0, 40.0, 300.0, 900.0, 2000.0, 0.3, 1e-7, 1.0000001])
    factor = rng.choice([1.0, 0.001, 60.0])
    value = number * factor / rng.choice([1.0, 3600.0]) if dim.startswith("rate:") else number * factor
    literal = rng.choice(["5xx", "v2", "dozens", "hundreds"]) if dim in ("vague", "literal") else ""
    low, high = (rng.choice([(24.0, 144.0), (200.0, 1000.0)])) if dim == "vague" else (0.0, 0.0)
    return Quantity(dim, value, number, 0, 1, "x", factor, low, high, literal)


def test_the_quantity_index_supports_what_the_input_quantities_support() -> None:
    rng = random.Random(4)
    for _ in range(3000):
        facts = [_random_quantity(rng) for _ in range(rng.randint(0, 8))]
        index = metric.QuantityIndex(facts)
        for _ in range(5):
            q = _random_quantity(rng)
            assert metric.supports(q, index) == _reference_supports(q, facts), (q, facts)


def _reference_allowed(claim: Claim, facts: list[Claim], others: list[Claim]) -> tuple[int, int]:
    """``allowed_level`` the slow way: score every input claim, no index."""
    content = claim.content
    pool = [f for f in facts if (f.obj | f.content) & (claim.obj | content)]
    if not pool and others:
        content = content.union(*(o.content for o in others))
        pool = [f for f in facts if (f.obj | f.content) & content]
    if not pool:
        implicit = ownership.vocab().implicit_level
        if not facts:
            return implicit, -1
        top = max(f.level for f in facts)
        first = next(k for k, f in enumerate(facts) if f.level == top)
        return (top, first) if top <= implicit else (implicit, -1)

    def key(k: int) -> tuple[int, int, int, int, int, int]:
        f = facts[k]
        return (
            len(claim.obj & f.obj),
            len(claim.obj & f.content),
            len(content & f.content),
            -len(f.obj - claim.obj),
            f.level,
            -k,
        )

    best = max((facts.index(f) for f in pool), key=key)
    return facts[best].level, best


def _random_claim(rng: random.Random) -> Claim:
    words = ["api", "schema", "gateway", "cache", "search", "index"]
    content = frozenset(rng.sample(words, rng.randint(0, 3)))
    obj = frozenset(w for w in content if rng.random() < 0.5)
    return Claim(rng.randint(1, 4), "built", 0, 5, content, obj)


def test_the_claim_index_allows_what_the_input_claims_allow() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        facts = [_random_claim(rng) for _ in range(rng.randint(0, 6))]
        index = ownership.ClaimIndex(facts)
        for _ in range(5):
            claim = _random_claim(rng)
            others = [_random_claim(rng) for _ in range(rng.randint(0, 2))]
            level, k = ownership.allowed_level(claim, index, others)
            ref_level, ref_k = _reference_allowed(claim, facts, others)
            # the input claim named is the first one equal to the one that set the rung (as hints quote it)
            assert (level, k if k < 0 else facts.index(facts[k])) == (ref_level, ref_k), (claim, facts)
