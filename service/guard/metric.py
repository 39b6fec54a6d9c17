"""``metric``: a number the input does not support.

Finds quantities (digits, decimals, percentages, currency, k/M suffixes, units of time/size/rate, ranges,
number words, vague counts like "dozens", multipliers like "3x" or "tenfold", percentiles like p99) and
normalises them, so 2.1s = 2100 ms, 50k = fifty thousand, 1k req/min = 1,000 requests per minute.
Vocabulary: ``data/metric.json``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from service.guard._data import load
from service.guard._text import Tokens


class Quantity(NamedTuple):
    """A quantity read from a text. A named tuple: bullets are read many times a request, and a tuple is
    much cheaper to build than a frozen dataclass (same fields, repr, equality and hashing)."""

    dim: str  # count | time | size | percent | multiplier | percentile | money:USD | rate:<dim> | vague | literal
    value: float  # in the dimension's base unit (seconds, bytes, per second for rates)
    number: float  # the number as written, scale applied (50k -> 50000), before any unit factor
    start: int
    end: int
    text: str
    factor: float = 1.0  # unit factor applied to ``number`` (used to carry a unit across a range)
    low: float = 0.0  # vague quantities: the range they stand for
    high: float = 0.0
    literal: str = ""  # vague word or literal token, lower case

    @property
    def bare(self) -> bool:
        return self.dim == "count"


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)


@dataclass(frozen=True, slots=True)
class _Vocab:
    digit_pattern: re.Pattern[str]
    word_pattern: re.Pattern[str]
    word_triggers: frozenset[str]
    number_words: dict[str, float]
    compound_only: dict[str, float]
    scale_words: dict[str, float]
    scale_suffixes: dict[str, float]
    vague: dict[str, tuple[float, float]]
    percent_phrases: dict[str, float]
    units: dict[str, tuple[str, float]]
    units_ci: dict[str, tuple[str, float]]
    rate_units: dict[str, float]
    dens: dict[str, float]
    rate_adverbs: dict[str, float]
    multiplier_words: dict[str, float]
    currencies: dict[str, str]
    currency_words: dict[str, str]
    unit_after: re.Pattern[str]
    scale_after: re.Pattern[str]
    den_after: re.Pattern[str]
    noun_after: re.Pattern[str]
    currency_after: re.Pattern[str]
    joiner: re.Pattern[str]
    noun_stop: frozenset[str]


def _alt(words: list[str], *, ignorecase: bool = True) -> str:
    """A regex alternation of ``words``, longest first, written as a trie: it matches exactly what
    ``"|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))`` matches (same span, same
    backtracking order), but at each position only the words that can start there are tried, instead of
    every word in turn. ``ignorecase``: whether the alternation sits in a case-insensitive pattern."""
    flags = re.IGNORECASE if ignorecase else 0
    # characters the regex engine cannot tell apart ("K"/"k" case-insensitively, also "µ"/"μ") share a branch
    same: dict[str, str] = {}
    representatives: list[str] = []
    for ch in sorted({c for w in words for c in w}):
        for r in representatives:
            if re.fullmatch(re.escape(r), ch, flags) and re.fullmatch(re.escape(ch), r, flags):
                same[ch] = r
                break
        else:
            representatives.append(ch)
            same[ch] = ch
    trie: _Trie = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(same[ch], {})
        node[""] = {}  # a word ends here
    return _trie_regex(trie)


_Trie = dict[str, "_Trie"]


def _trie_regex(node: _Trie) -> str:
    """Longer words first: every branch is tried before the word that ends at this node (if any)."""
    branches = [re.escape(ch) + _trie_regex(sub) for ch, sub in node.items() if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and "" not in node else "(?:" + "|".join(branches) + ")"
    return body + "?" if "" in node else body


@cache
def vocab() -> _Vocab:
    d = load("metric")
    number_words = {k: float(v) for k, v in d["number_words"].items()}
    compound_only = {k: float(v) for k, v in d["compound_only_words"].items()}
    scale_words = {k: float(v) for k, v in d["scale_words"].items()}
    vague = {k: (float(v[0]), float(v[1])) for k, v in d["vague_quantities"].items()}
    units = {k: (v[0], float(v[1])) for k, v in d["units"].items()}
    rate_units = {k.lower(): float(d["rate_denominators"][v[0]]) for k, v in d["rate_units"].items()}
    dens = {k: float(v) for k, v in d["rate_denominators"].items()}
    mult = {k: float(v) for k, v in d["multiplier_words"].items()}
    frac = {k: float(v) for k, v in d["percent_phrases"].items()}
    all_num_words = [*number_words, *compound_only, *scale_words]
    word_num = (
        rf"(?:(?:a|an|half\s+a)\s+)?(?:{_alt(all_num_words)})"
        rf"(?:(?:\s+and\s+|[\s-]+)(?:{_alt(all_num_words)}))*"
    )
    digit_pattern = re.compile(
        "|".join(
            [
                # percentiles: p95, P99.9, 99th percentile
                r"(?P<pct>(?<![\w.])[pP](?P<pctv>\d{1,2}(?:\.\d+)?)(?!\w|\.\d))",
                r"(?P<pct2>(?<![\w.])(?P<pct2v>\d{1,2}(?:\.\d+)?)(?:th|st|nd|rd)?[\s-]+percentile)",
                # 24/7-style literals
                r"(?P<lit>\b\d+/\d+\b)",
                # digits with an optional currency prefix and a glued suffix: $40k, 1.2GB, 900ms, 3x, 5xx
                r"(?P<num>(?P<cur>US\$|[$€£¥₹])?\s?(?<![\w.#/])(?<![A-Za-z]-)"
                r"(?P<digits>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?P<suf>[A-Za-zµμ%×]+)?(?![\w]))",
            ]
        ),
        re.IGNORECASE,
    )
    word_pattern = re.compile(
        "|".join(
            [
                # vague counts and multiplier words before plain number words (longest first)
                rf"(?P<frac>(?:{_alt(list(frac))})\b)",
                rf"(?P<vague>(?:{_alt(list(vague))})\b)",
                rf"(?P<mult>(?:{_alt(list(mult))})\b)",
                rf"(?P<words>{word_num}\b)",
            ]
        ),
        re.IGNORECASE,
    )
    phrases = [*number_words, *compound_only, *scale_words, *vague, *mult, *frac, "a", "an", "half"]
    triggers = frozenset(re.split(r"[\s-]+", p.lower())[0] for p in phrases)
    den_alt = _alt(list(dens))
    per_alt = _alt(d["per_words"])
    return _Vocab(
        digit_pattern=digit_pattern,
        word_pattern=word_pattern,
        word_triggers=triggers,
        number_words=number_words,
        compound_only=compound_only,
        scale_words=scale_words,
        scale_suffixes={k: float(v) for k, v in d["scale_suffixes"].items()},
        vague=vague,
        percent_phrases=frac,
        units=units,
        units_ci={k.lower(): v for k, v in units.items()},
        rate_units=rate_units,
        dens=dens,
        rate_adverbs={k: float(v) for k, v in d["rate_adverbs"].items()},
        multiplier_words=mult,
        currencies=d["currencies"],
        currency_words=d["currency_words"],
        unit_after=re.compile(
            rf"(?:[ \t]?-?[ \t]?)(?P<u>{_alt([u for u in units if len(u) > 1 or u == '%'])})(?![\w])"
            # a one-letter unit after a space only in lower case and standing alone ("300 s", "30 d")
            rf"|[ \t](?P<u1>(?-i:{_alt(d['spaced_letter_units'], ignorecase=False)}))(?![\w'’])",
            re.IGNORECASE,
        ),
        scale_after=re.compile(rf"[ \t-]+(?P<s>{_alt(list(scale_words))})\b", re.IGNORECASE),
        den_after=re.compile(
            rf"[ \t]*(?:/[ \t]*|[ \t]+(?:{per_alt})[ \t]+)(?P<d>{den_alt})s?\b"
            rf"|[ \t]+(?P<ru>{_alt(list(d['rate_units']))})(?![\w/])"
            rf"|[ \t]+(?P<adv>{_alt(list(d['rate_adverbs']))})\b",
            re.IGNORECASE,
        ),
        noun_after=re.compile(r"[ \t-]+(?P<n>[A-Za-z][A-Za-z'-]*)"),
        currency_after=re.compile(rf"[ \t]+(?P<c>{_alt(list(d['currency_words']))})\b", re.IGNORECASE),
        joiner=re.compile(  # "14-9 min", "~400 -> ~650 msgs/s": an approximation mark may follow
            rf"\s*(?:{_alt(d['range_joiners'])})\s*(?:[~\u2248]\s*)?",
            re.IGNORECASE,
        ),
        noun_stop=frozenset(d["count_noun_stopwords"]),
    )


def _parse_word_number(words: str, v: _Vocab) -> float | None:
    """Value of "twenty-five", "fifty thousand", "two hundred and fifty", "a dozen", "half a dozen"."""
    parts = [p for p in re.split(r"[\s-]+", words.lower()) if p and p != "and"]
    if not parts:
        return None
    half = False
    if parts[0] in {"a", "an"}:
        parts = parts[1:]
    elif parts[0] == "half" and len(parts) > 1 and parts[1] == "a":
        half = True
        parts = parts[2:]
    if len(parts) == 1 and parts[0] in v.compound_only:
        return None  # a lone "one" is an article, not a claim
    total = 0.0
    current = 0.0
    seen_any = False
    for p in parts:
        if p in v.number_words or p in v.compound_only:
            current += v.number_words.get(p, v.compound_only.get(p, 0.0))
            seen_any = True
        elif p in v.scale_words:
            scale = v.scale_words[p]
            current = (current or 1.0) * scale
            if scale >= 1000:
                total += current
                current = 0.0
            seen_any = True
        else:
            return None
    if not seen_any:
        return None
    value = total + current
    return value / 2 if half else value


def _apply_after(
    text: str, pos: int, number: float, v: _Vocab, dim: str | None, factor: float
) -> tuple[str, float, float, float, int]:
    """Read scale words, units, currency and rate denominators after a number.

    Returns (dim, number, factor, den_seconds, end). ``dim`` None on entry means no unit yet.
    """
    end = pos
    m = v.scale_after.match(text, end)
    while m and (dim is None or dim.startswith("money:")):
        number *= v.scale_words[m.group("s").lower()]
        end = m.end()
        m = v.scale_after.match(text, end)
    if dim is None:
        m = v.unit_after.match(text, end)
        if m:
            u = m.group("u") or m.group("u1")
            unit = v.units.get(u) or v.units_ci.get(u.lower())
            if unit is not None:
                dim, factor = unit
                end = m.end()
    if dim is None or dim.startswith("money"):
        m = v.currency_after.match(text, end)
        if m and dim is None:
            dim, factor = "money:" + v.currency_words[m.group("c").lower()], 1.0
            end = m.end()
    # a rate: "/s", "per hour", "a day", possibly after up to two count nouns ("2k jobs/hour")
    den = 0.0
    probe = end
    for _ in range(3):
        m = v.den_after.match(text, probe)
        if m:
            if m.group("ru"):
                den = v.rate_units[m.group("ru").lower()]
            elif m.group("adv"):
                den = v.rate_adverbs[m.group("adv").lower()]
            else:
                den = v.dens[m.group("d").lower()]
            end = m.end()
            break
        n = v.noun_after.match(text, probe)
        if n is None or n.group("n").lower() in v.noun_stop or dim not in (None, "multiplier"):
            break
        probe = n.end()
    if den and dim == "multiplier":
        dim, factor = None, 1.0  # "3 times a day" is a count per day
    return (dim or "count", number, factor, den, end)


def _glued_suffix(
    text: str, m_end: int, suf: str, number: float, v: _Vocab
) -> tuple[str | None, float, float, float, bool]:
    """Interpret a suffix glued to digits. Returns (dim, number, factor, den, ok)."""
    if suf in v.scale_suffixes:
        return None, number * v.scale_suffixes[suf], 1.0, 0.0, True
    low = suf.lower()
    if low == "m":
        # 5m users -> million; 14m / 5m build -> minutes
        nxt = re.match(r"[ \t]+([A-Za-z]+)", text[m_end:])
        if nxt and nxt.group(1).lower() not in v.noun_stop and nxt.group(1).lower() not in v.dens:
            return None, number * 1e6, 1.0, 0.0, True
        return "time", number, 60.0, 0.0, True
    if low in v.rate_units:
        return "count", number, 1.0, v.rate_units[low], True
    if suf in v.units:
        dim, factor = v.units[suf]
        return dim, number, factor, 0.0, True
    if low in v.units_ci:
        dim, factor = v.units_ci[low]
        return dim, number, factor, 0.0, True
    # a scale suffix followed by a unit: 1.2kB is a unit, 5kms is not worth guessing
    return None, number, 1.0, 0.0, False


def _make(dim: str, number: float, factor: float, den: float, start: int, end: int, text: str) -> Quantity:
    value = number * factor
    if den:
        return Quantity(f"rate:{dim}", value / den, number, start, end, text[start:end], factor)
    return Quantity(dim, value, number, start, end, text[start:end], factor)


# runs of digits; written to start with a single character class, which lets the regex engine skip ahead
# to the next digit instead of trying every position; ASCII text needs no Unicode digit lookups
_DIGITS = re.compile(r"\d\d*")
_ASCII_DIGITS = re.compile(r"[0-9][0-9]*")
_CURRENCY_SIGNS = frozenset("$€£¥₹")


def _digit_start(text: str, ds: int) -> int:
    r"""Where a quantity written with the digits at ``ds`` can start: at a currency sign before them
    ("$40", "US$ 5", "€.5": the sign, then at most one space and a dot), at a percentile's "p" ("p99"), at
    a dot (".5"), or at the digits. This is where a scan for the leftmost match of
    ``(?:US\$|[$€£¥₹])\s?\.?\d+|[pP]\d+|\.?\d+`` would find them (a match never starts right after a digit,
    nor inside an earlier one, as every digit run ends the match before it)."""
    k = ds
    if k and text[k - 1] in "pP":
        return k - 1
    if k and text[k - 1] == ".":
        k -= 1
    dot = k
    if k and text[k - 1].isspace():
        k -= 1
    if k and text[k - 1] in _CURRENCY_SIGNS:
        k -= 1
        return k - 2 if k >= 2 and text[k - 2 : k] == "US" and text[k] == "$" else k
    return dot


def _candidates(tokens: Tokens, v: _Vocab) -> list[re.Match[str]]:
    """Matches of the quantity patterns: the digit pattern where a run of digits (or a currency sign or
    "p" right before it) starts, and the word pattern only where a token could start a number word, which
    keeps the scan cheap."""
    text = tokens.text
    found: list[re.Match[str]] = []
    last_end = -1
    for run in (_ASCII_DIGITS if text.isascii() else _DIGITS).finditer(text):
        start = _digit_start(text, run.start())
        if start >= last_end:
            m = v.digit_pattern.match(text, start)
            if m is not None:
                found.append(m)
                last_end = m.end()
    triggers = v.word_triggers.intersection(tokens.last)
    if triggers:
        last_end = -1
        starts = tokens.starts
        for k in tokens.positions(triggers):
            if starts[k] >= last_end:
                m = v.word_pattern.match(text, starts[k])
                if m is not None and m.group():
                    found.append(m)
                    last_end = m.end()
        if len(found) > 1:
            found.sort(key=re.Match.start)
    return found


def _phrase_key(m: re.Match[str]) -> str:
    """A matched vocabulary phrase as its data file spells it: lower case, single spaces."""
    return re.sub(r"\s+", " ", m.group().lower())


def find(tokens: Tokens, skip_after: frozenset[int] = frozenset(), *, in_input: bool = False) -> list[Quantity]:
    """Every quantity in the tokenised text. ``skip_after``: offsets where a technology name ends, so
    the version number right after it (Python 3.11, OAuth 2.0) is not read as a quantity. ``in_input``:
    the text is notes or evidence, where a figure that reads two ways counts as both facts."""
    text = tokens.text
    v = vocab()
    out: list[Quantity] = []
    for m in _candidates(tokens, v):
        kind = m.lastgroup
        start, end = m.start(), m.end()
        if out and start < out[-1].end:
            continue  # already read as part of the previous quantity ("$180 million")
        if kind in ("pct", "pct2"):
            val = float(m.group("pctv") or m.group("pct2v"))
            out.append(Quantity("percentile", val, val, start, end, m.group()))
        elif kind == "frac":  # "half the time": 50%
            val = v.percent_phrases[_phrase_key(m)]
            out.append(Quantity("percent", val, val, start, end, m.group()))
        elif kind == "vague":
            word = _phrase_key(m)
            low, high = v.vague[word]
            out.append(Quantity("vague", 0.0, 0.0, start, end, m.group(), low=low, high=high, literal=word))
        elif kind == "mult":
            val = v.multiplier_words[_phrase_key(m)]
            r_dim, r_number, r_factor, r_den, r_end = _apply_after(text, end, val, v, "multiplier", 1.0)
            if r_den:  # "twice a day" is a count per day (as "2x/day" is), not a multiplier
                out.append(_make(r_dim, r_number, r_factor, r_den, start, r_end, text))
            else:
                out.append(Quantity("multiplier", val, val, start, end, m.group()))
        elif kind == "lit":
            out.append(Quantity("literal", 0.0, 0.0, start, end, m.group(), literal=m.group().lower()))
        elif kind == "words":
            word_value = _parse_word_number(m.group(), v)
            if word_value is None:
                continue
            w_dim, w_number, w_factor, w_den, q_end = _apply_after(text, end, word_value, v, None, 1.0)
            out.append(_make(w_dim, w_number, w_factor, w_den, start, q_end, text))
        elif kind == "num":
            digits_start = m.start("digits")
            if m.group("cur") is None and _follows_version_anchor(text, digits_start, skip_after):
                continue
            number = float(m.group("digits").replace(",", ""))
            suf = m.group("suf") or ""
            dim: str | None = None
            factor, den = 1.0, 0.0
            if m.group("cur"):
                cur = m.group("cur")
                dim = "money:" + (v.currencies.get(cur) or v.currencies.get(cur.upper(), "USD"))
            if suf:
                if dim is None and suf == "s" and number.is_integer() and 100 <= number < 600:
                    # "502s": HTTP status codes in the plural; read as the bare number. In the input it
                    # may as well be seconds ("raised the timeout to 300s"), so there it is both.
                    out.append(Quantity("count", number, number, m.start("digits"), end, m.group().strip()))
                    if not in_input:
                        continue
                g_dim, number, g_factor, g_den, ok = _glued_suffix(text, end, suf, number, v)
                if not ok:
                    lit_start = start if m.group("cur") else digits_start
                    lit = text[lit_start:end]
                    out.append(Quantity("literal", 0.0, 0.0, lit_start, end, lit, literal=lit.lower()))
                    continue
                if g_dim is not None and dim is None:
                    dim, factor = g_dim, g_factor
                den = g_den
            q_start = start if m.group("cur") else digits_start
            if den:
                out.append(_make(dim or "count", number, factor, den, q_start, end, text))
                continue
            a_dim, number, factor, den, q_end = _apply_after(text, end, number, v, dim, factor)
            out.append(_make(a_dim, number, factor, den, q_start, q_end, text))
    return _spread_range_units(text, out, v)


_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)*(?![\d.])|\d{1,2}(?![\d.,])")


def _follows_version_anchor(text: str, pos: int, anchors: frozenset[int]) -> bool:
    """True when the digits at ``pos`` are a version right after a technology name (with a space, slash
    or 'v'): "Python 3.11", "Java 17", "HTTP/2" — but not "Nginx 504 errors"."""
    if not anchors:
        return False
    i = pos
    if i > 0 and text[i - 1] in "vV":
        i -= 1
    j = i
    while j > 0 and text[j - 1] in " /\t":
        j -= 1
    return j in anchors and j != i and _VERSION.match(text, pos) is not None


def _spread_range_units(text: str, qs: list[Quantity], v: _Vocab) -> list[Quantity]:
    """'from 14 to 9 minutes', '2-5 s': the unit of the second number applies to the first."""
    for k in range(len(qs) - 1, 0, -1):
        a, b = qs[k - 1], qs[k]
        if a.bare and not b.bare and b.dim not in ("vague", "literal", "percentile", "multiplier"):
            between = text[a.end : b.start]
            if v.joiner.fullmatch(between):
                base_dim = b.dim[5:] if b.dim.startswith("rate:") else b.dim
                value = a.number * b.factor
                if b.dim.startswith("rate:") and b.number:
                    value = value * (b.value / (b.number * b.factor))
                qs[k - 1] = a._replace(
                    dim=b.dim if b.dim.startswith("rate:") else base_dim, value=value, factor=b.factor
                )
    return qs


class QuantityIndex:
    """The input's quantities arranged for ``supports``: grouped by dimension once per request, so
    checking a bullet's quantity compares it only with input quantities that could support it."""

    __slots__ = ("by_dim", "literals", "numbers", "rate_values", "vague_literals")

    def __init__(self, facts: Sequence[Quantity]) -> None:
        by_dim: dict[str, list[float]] = {}
        rate_values: dict[str, list[float]] = {}
        for p in facts:
            by_dim.setdefault(p.dim, []).append(p.value)
            if p.dim.startswith("rate:"):
                rate_values.setdefault(p.dim[5:], []).append(p.number * p.factor)
        self.by_dim = by_dim
        self.rate_values = rate_values  # "rate:<dim>" quantities by <dim>: their value without the rate
        self.literals = frozenset(p.literal for p in facts if p.dim == "literal")
        self.vague_literals = frozenset(p.literal for p in facts if p.dim == "vague")
        self.numbers = tuple(p.number for p in facts if p.dim not in ("vague", "literal"))


def supports(q: Quantity, index: QuantityIndex) -> bool:
    """Does any input quantity (arranged in ``index``) support bullet quantity ``q``?"""
    dim = q.dim
    if dim == "literal":
        return q.literal in index.literals
    if dim == "vague":
        return q.literal in index.vague_literals or any(q.low <= n < q.high for n in index.numbers)
    # equal values first (the usual case, and what ``_same`` says first), then close ones
    value = q.value
    same_dim = index.by_dim.get(dim, ())
    if value in same_dim:
        return True
    if dim == "count":
        number = q.number
        if number in index.numbers or any(_same(n, number) for n in index.numbers):
            return True
    # "$40k/yr" supports "$40k": dropping the rate claims less
    rates = index.rate_values.get(dim, ())
    return value in rates or any(_same(x, value) for x in same_dim) or any(_same(x, value) for x in rates)


_DIM_NAMES = {
    "count": "number",
    "time": "duration",
    "size": "size",
    "percent": "percentage",
    "multiplier": "multiplier",
    "percentile": "percentile",
    "vague": "count",
    "literal": "figure",
}


def describe(q: Quantity) -> str:
    if q.dim.startswith("rate:"):
        return "rate"
    if q.dim.startswith("money:"):
        return "amount of money"
    return _DIM_NAMES.get(q.dim, "number")


def nearest(q: Quantity, facts: Sequence[Quantity]) -> int:
    """Position in ``facts`` of the input quantity closest to ``q`` (-1 when there is none): same dimension
    first, then closest in magnitude; the first of equally close ones."""
    best = -1
    best_key: tuple[int, float] | None = None
    for k, p in enumerate(facts):
        same_dim = 0 if p.dim == q.dim else 1
        a, b = abs(p.value) or 1e-12, abs(q.value) or 1e-12
        key = (same_dim, abs(math.log10(a) - math.log10(b)))
        if best_key is None or key < best_key:
            best, best_key = k, key
    return best
