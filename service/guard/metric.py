"""``metric``: a number the input does not support.

Finds quantities (digits, decimals, percentages, currency, k/M suffixes, units of time/size/rate, ranges,
number words, vague counts like "dozens", multipliers like "3x" or "tenfold", percentiles like p99) and
normalises them, so 2.1s = 2100 ms, 50k = fifty thousand, 1k req/min = 1,000 requests per minute.
Vocabulary: ``data/metric.json``.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from service.guard._data import load
from service.guard._text import GAP_CLAUSE, PhraseTable, Tokens, ngram_matches, norm_phrase


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
    # how exactly the figure is stated: "" (exact), approx ("about 40"), near ("nearly 40"), lower ("over 40"),
    # lower_eq ("40+"), upper ("under 40"), upper_eq ("at most 40"), cap ("up to 40"), hedged (input only:
    # "maybe 40", or in a clause that calls itself an estimate)
    qual: str = ""

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
    cues_before: dict[str, list[tuple[int, str, str]]]  # last word -> (words, phrase, class), longest first
    cues_before_input: dict[str, list[tuple[int, str, str]]]  # the same, with the input's spoken hedges
    cues_after: dict[str, list[tuple[int, str, str]]]  # first word -> (words, phrase, class), longest first
    sign_cues: dict[str, str]  # "~", "<", ">=" ... -> class
    not_bound_for_time: frozenset[str]
    clause_hedges: PhraseTable
    pair_cues: frozenset[str]
    change_before: frozenset[str]
    change_after: frozenset[str]
    frequency: PhraseTable  # frequency hedges ("h") and absolute frequencies ("a")


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
    qual = d["qualifiers"]
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
        cues_before=_cue_index(qual["before"], last=True),
        cues_before_input=_cue_index(
            {**qual["before"], **dict.fromkeys(qual["input_only_before"], "hedged")}, last=True
        ),
        cues_after=_cue_index(qual["after"], last=False),
        sign_cues={k: c for k, c in qual["before"].items() if not k[:1].isalnum()},
        not_bound_for_time=frozenset(qual["not_bound_for_time"]),
        clause_hedges=PhraseTable({norm_phrase(p): True for p in qual["clause_hedges"]}),
        pair_cues=frozenset(qual["pair_cues"]),
        change_before=frozenset(qual["change_before"]),
        change_after=frozenset(qual["change_after"]),
        frequency=PhraseTable(
            {
                **{norm_phrase(p): "a" for p in qual["absolute_frequencies"]},
                **{norm_phrase(p): "h" for p in qual["frequency_hedges"]},
            }
        ),
    )


def _cue_index(cues: dict[str, str], *, last: bool) -> dict[str, list[tuple[int, str, str]]]:
    """Word cues keyed by their last word (``last``) or first word, as token phrases ("est." is "est",
    "i'd say" is "i d say"), longest first; cues that are signs are left to ``sign_cues``."""
    out: dict[str, list[tuple[int, str, str]]] = {}
    for cue, cls in cues.items():
        words = norm_phrase(cue).split()
        if words:
            out.setdefault(words[-1] if last else words[0], []).append((len(words), " ".join(words), cls))
    for entries in out.values():
        entries.sort(reverse=True)
    return out


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


_NEXT_WORD = re.compile(r"[ \t]+([A-Za-z]+)")


def _glued_suffix(
    text: str, m_end: int, suf: str, number: float, v: _Vocab
) -> tuple[str | None, float, float, float, bool]:
    """Interpret a suffix glued to digits. Returns (dim, number, factor, den, ok)."""
    if suf in v.scale_suffixes:
        return None, number * v.scale_suffixes[suf], 1.0, 0.0, True
    low = suf.lower()
    if low == "m":
        # 5m users -> million; 14m / 5m build -> minutes
        nxt = _NEXT_WORD.match(text, m_end)  # at the offset: no copy of the rest of the text
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
            if suf.lower() == "ish":  # "50ish": an approximate 50 (see ``_qualify``)
                suf = ""
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
    out = _spread_range_units(text, out, v)
    if in_input and len(out) > 1:
        out = _carry_unit_forward(text, out, v)
    return _qualify(tokens, out, v, in_input=in_input)


_FIRST_DIGITS = re.compile(r"(\d[\d,]*)(?:\.(\d+))?")
_UNQUALIFIED = ("literal", "vague", "percentile")
_HEDGED = frozenset({"approx", "near", "hedged"})
_ENDS_CLAUSE = frozenset({"", ".", ",", ";", ":", ")", "!", "?", "\n"})  # no cue can follow a figure there


def _step(q: Quantity) -> float:
    """The precision ``q`` is written to, in its value's unit: "67%" -> 1, "1.25 s" -> 0.01 s, "50k" -> 1,000.
    A multiplier word ("halved", "tripled") allows 5% either way; other number words are exact."""
    m = _FIRST_DIGITS.search(q.text)
    if m is None:
        return abs(q.value) * 0.1 if q.dim == "multiplier" else 0.0
    written = float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
    if not written:
        return 0.0
    return abs(q.value) * 10.0 ** -len(m.group(2) or "") / written


def _rounds(q: Quantity) -> bool:
    """May ``q`` round a figure the input states to the precision it shows? Only when it keeps at least two
    significant digits: "1.2M" for 1,213,440 rows and "67%" for 66.7% are the same figure, shortened;
    "2 seconds" for 1.8 s or "2 GB" for 1.9 GB move it by a tenth (trailing zeros of a whole number do not
    count: "50k" is one digit)."""
    m = _FIRST_DIGITS.search(q.text)
    if m is None:
        return False
    whole, decimals = m.group(1).replace(",", ""), m.group(2) or ""
    digits = (whole + decimals).lstrip("0") if decimals else whole.lstrip("0").rstrip("0")
    return len(digits) >= 2


def _qualify(tokens: Tokens, qs: list[Quantity], v: _Vocab, *, in_input: bool) -> list[Quantity]:
    """Set each figure's precision and qualifier: the cue right before it ("about", "over", "~", and in the
    input "maybe", "like"), the cue right after it ("+", "or so", "-ish"), a clause of the input that calls
    itself an estimate ("(rough estimate)", "I think"), and a range whose first figure is approximate
    ("~400 -> 650"). Each figure looks at a window of a few characters on either side: linear in the text."""
    if not qs:
        return qs
    text = tokens.text
    cues_before = v.cues_before_input if in_input else v.cues_before
    cues_after, sign_cues = v.cues_after, v.sign_cues
    starts, ends, lowers, gaps, n = tokens.starts, tokens.ends, tokens.lowers, tokens.gaps, tokens.n
    hedged_from = _hedged_clauses(tokens, v) if in_input else None
    prev: Quantity | None = None
    for k, q in enumerate(qs):
        if q.dim in _UNQUALIFIED:
            prev = None
            continue
        qual = ""
        w = bisect_left(starts, q.start) - 1  # the word before the figure
        gap = text[ends[w] if w >= 0 else 0 : q.start].strip()
        if gap and gap[-2:] not in _ARROWS:  # "~50", "<300ms", "about ~50"; "1% -> 50%" is a step, not "> 50%"
            qual = sign_cues.get(gap[-2:], "") or sign_cues.get(gap[-1:], "")
        if not qual and w >= 0 and gap in ("", ".") and lowers[w] in cues_before:
            cue = _phrase_at(lowers, gaps, w, cues_before[lowers[w]], last=True)
            if cue is not None:
                qual = cue[1]
                if cue[0] in v.not_bound_for_time and (q.dim == "time" or q.dim == "rate:time"):
                    qual = ""  # "over 3 months" is when, not how much
        if not qual and text[q.end : q.end + 1] not in _ENDS_CLAUSE:
            j = bisect_left(starts, q.end, max(w, 0))  # the word after the figure
            after = text[q.end : starts[j] if j < n else len(text)].strip()
            if after[:1] == "+":  # "200+"
                qual = "lower_eq"
            elif j < n and after in ("", "-", "(") and lowers[j] in cues_after:
                cue = _phrase_at(lowers, gaps, j, cues_after[lowers[j]], last=False)
                if cue is not None:
                    qual = cue[1]
            if not qual and q.text[-3:].lower() == "ish":
                qual = "approx"
        if not qual and prev is not None and prev.qual in _HEDGED and v.joiner.fullmatch(text, prev.end, q.start):
            qual = prev.qual  # "~400 -> 650 msgs/s", "from about 400 to 650"
        if hedged_from is not None and qual not in _HEDGED and _in_hedged_clause(q.start, hedged_from):
            qual = "hedged"
        if qual:
            q = q._replace(qual=qual)
            qs[k] = q
        prev = q
    return qs


def _phrase_at(
    lowers: list[str], gaps: list[int], k: int, entries: list[tuple[int, str, str]], *, last: bool
) -> tuple[str, str] | None:
    """The longest cue of ``entries`` whose words end (``last``) or start at word ``k``, its words joined only
    by spaces: (phrase, class)."""
    for size, phrase, cls in entries:
        lo = k - size + 1 if last else k
        hi = lo + size
        if lo < 0 or hi > len(lowers):
            continue
        if size == 1 or (" ".join(lowers[lo:hi]) == phrase and GAP_CLAUSE not in gaps[lo + 1 : hi]):
            return phrase, cls
    return None


def _hedged_clauses(tokens: Tokens, v: _Vocab) -> list[tuple[int, int]] | None:
    """(start, end) offsets of the input's clauses that hold a hedge ("rough estimate", "I think"), in order."""
    matches = ngram_matches(tokens, v.clause_hedges)
    if not matches:
        return None
    gaps, starts, ends = tokens.gaps, tokens.starts, tokens.ends
    out: list[tuple[int, int]] = []
    for i, _j, _value in matches:
        if out and starts[i] < out[-1][1]:
            continue
        a = i
        while a > 0 and gaps[a] != GAP_CLAUSE:
            a -= 1
        b = i + 1
        while b < tokens.n and gaps[b] != GAP_CLAUSE:
            b += 1
        out.append((starts[a], ends[b - 1]))
    return out


def _in_hedged_clause(pos: int, clauses: list[tuple[int, int]]) -> bool:
    k = bisect_right(clauses, (pos, math.inf)) - 1
    return k >= 0 and clauses[k][0] <= pos < clauses[k][1]


_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)*(?!\d|\.\d)|\d{1,2}(?![\d,]|\.\d)")  # a full stop may follow


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


_NO_UNIT_TO_CARRY = frozenset({"count", "vague", "literal", "percentile", "multiplier"})


def _carry_unit_forward(text: str, qs: list[Quantity], v: _Vocab) -> list[Quantity]:
    """In the input, a bare number after a before/after cue takes the unit of the figure before it in the
    same sentence: "build time was 12 minutes, I got it down to 6" is also 6 minutes (a figure that reads
    two ways counts as both). Each figure looks only at the one before it."""
    out: list[Quantity] = []
    prev: Quantity | None = None
    for q in qs:
        out.append(q)
        if (
            prev is not None
            and q.bare
            and prev.dim not in _NO_UNIT_TO_CARRY
            and not prev.dim.startswith("rate:")
            and q.start - prev.end <= _PAIR_GAP
            and _SENTENCE_BREAK.search(text, prev.end, q.start) is None
        ):
            words = _CUE_WORDS.findall(text[max(prev.end, q.start - 12) : q.start].lower())
            if words and words[-1] in v.pair_cues:
                out.append(q._replace(dim=prev.dim, value=q.number * prev.factor, factor=prev.factor))
        if q.dim not in ("vague", "literal"):
            prev = q
    return out


class Derived(NamedTuple):
    """A figure computed from the input's own figures: a percentage change, ratio or difference of a
    before/after pair ("50 min to 20 min": 60%, 2.5x, 30 min), or the multiplier a stated change equals
    ("cut by 50%": halved). ``hedged`` when a figure it comes from is approximate."""

    dim: str
    value: float
    hedged: bool
    before: str  # the figures it comes from, as written, for hints
    after: str
    what: str  # cut | rise | ratio | difference | same


_SENTENCE_BREAK = re.compile(r"[.;!?\n](?:\s|\Z)|\n")
_ARROWS = ("->", "=>")  # the ">" of an arrow between figures is no "more than"
_PAIR_GAP = 80  # characters: farther apart, two figures are not read as a before/after pair
_CUE_WORDS = re.compile(r"[\w']+|->|=>|[\u2192\u27f6]")


def derive(text: str, qs: Sequence[Quantity]) -> list[Derived]:
    """Figures the arithmetic of one input text supports. A pair is two figures of one quantity in one
    sentence, the second the next of its dimension after the first, within a few words of each other and
    with a before/after cue between them ("from 50 to 20 min", "1200ms before, 450ms after"): so each
    figure is in at most one pair as the first and one as the second, and the work is linear."""
    v = vocab()
    out: list[Derived] = []
    last: dict[str, Quantity] = {}
    prev_end = -1
    for q in qs:
        if q.dim in _UNQUALIFIED:
            continue
        if prev_end >= 0 and _SENTENCE_BREAK.search(text, prev_end, q.start):
            last.clear()
        prev_end = q.end
        hedged = q.qual in _HEDGED
        if q.dim in ("percent", "multiplier") and q.value > 0 and _is_change(text, q, v):
            _single(q, hedged, out)
        p = last.get(q.dim)
        last[q.dim] = q
        if p is None or q.start - p.end > _PAIR_GAP or p.value <= 0 or q.value <= 0:
            continue
        between = text[p.end : q.start].lower()
        if not any(w in v.pair_cues for w in _CUE_WORDS.findall(between)):
            continue
        h = hedged or p.qual in _HEDGED
        a_text, b_text = p.text.strip(), q.text.strip()
        lo, hi = sorted((p.value, q.value))
        what = "cut" if q.value < p.value else "rise"
        out.append(Derived("percent", abs(q.value - p.value) / p.value * 100, h, a_text, b_text, what))
        out.append(Derived("percent", abs(q.value - p.value) / q.value * 100, h, b_text, a_text, "other"))
        out.append(Derived("multiplier", hi / lo, h, a_text, b_text, "ratio"))
        out.append(Derived("multiplier", lo / hi, h, a_text, b_text, "ratio"))
        out.append(Derived(q.dim, hi - lo, h, a_text, b_text, "difference"))
    return out


def _is_change(text: str, q: Quantity, v: _Vocab) -> bool:
    """A percentage or multiplier that states a change: "by 50%", "+40%", "3x faster", "60% less"."""
    if q.dim == "multiplier":
        return True
    before = _CUE_WORDS.findall(text[max(0, q.start - 6) : q.start].lower())
    if (before and before[-1] in v.change_before) or text[q.start - 1 : q.start] in ("+", "-", "\u2212"):
        return True
    after = _CUE_WORDS.findall(text[q.end : q.end + 16].lower())
    return bool(after) and after[0] in v.change_after


def _single(q: Quantity, hedged: bool, out: list[Derived]) -> None:
    """The other ways to state one change: a cut by p% is a multiplier of 1 - p/100 ("by 50%" = "halved")
    and a speed-up of 1 / (1 - p/100) ("67% less time" = "3x faster"); a rise by p% a multiplier of
    1 + p/100; a multiplier m a change of |m - 1| (or |1 - 1/m|) as a percentage."""
    t = q.text.strip()
    x = q.value
    if q.dim == "percent":
        if x < 100:
            out.append(Derived("multiplier", 1 - x / 100, hedged, t, t, "same"))
            out.append(Derived("multiplier", 100 / (100 - x), hedged, t, t, "same"))
        out.append(Derived("multiplier", 1 + x / 100, hedged, t, t, "same"))
    else:
        out.append(Derived("percent", abs(x - 1) * 100, hedged, t, t, "same"))
        out.append(Derived("percent", abs(1 - 1 / x) * 100, hedged, t, t, "same"))


class QuantityIndex:
    """The input's quantities arranged for ``supports``: per class of statement (exact, approximate, a lower
    bound, an upper bound) and per dimension, sorted values, so a bullet's figure is looked up by bisection
    (logarithmic in the number of input figures) instead of being compared with each of them."""

    __slots__ = ("by_magnitude", "classes", "derived", "literals", "nearest_keys", "numbers", "vague_literals")

    def __init__(self, facts: Sequence[Quantity], derived: Sequence[Derived] = ()) -> None:
        # class -> key -> values; x: stated exactly (or as a bound), h: approximately, l: as a lower bound,
        # u: as an upper bound or a maximum ("up to"); dx, dh: derived (see ``derive``). Keys: the dimension;
        # "r:<dim>" for a rate's value without its rate ("$40k/yr" supports "$40k"); "#" for every figure's
        # bare number (a count in a bullet)
        classes: dict[str, dict[str, list[float]]] = {"x": {}, "h": {}, "l": {}, "u": {}, "dx": {}, "dh": {}}
        numbers: list[float] = []
        firsts: dict[str, dict[float, int]] = {}  # dim -> value -> first position among that dim's figures
        counts: dict[str, int] = {}
        for p in facts:
            dim = p.dim
            k = counts.get(dim, 0)
            counts[dim] = k + 1
            firsts.setdefault(dim, {}).setdefault(abs(p.value), k)
            if dim in ("vague", "literal"):
                continue
            numbers.append(p.number)
            qual = p.qual
            if qual in _HEDGED:
                cls = "h"
            elif qual == "cap":  # "up to 40%" is a maximum, not the figure
                cls = "u"
            else:
                cls = "x"
                if qual in ("lower", "lower_eq"):
                    classes["l"].setdefault(dim, []).append(p.value)
                elif qual in ("upper", "upper_eq"):  # "p99 < 300ms": a threshold, stated
                    classes["u"].setdefault(dim, []).append(p.value)
            group = classes[cls]
            group.setdefault(dim, []).append(p.value)
            if dim.startswith("rate:"):
                group.setdefault("r:" + dim[5:], []).append(p.number * p.factor)
            group.setdefault("#", []).append(p.number)
        hints: dict[str, list[tuple[float, int]]] = {}
        for k, d in enumerate(derived):
            classes["dh" if d.hedged else "dx"].setdefault(d.dim, []).append(d.value)
            if d.what in ("cut", "rise", "ratio"):  # what a hint can show as arithmetic
                hints.setdefault(d.dim, []).append((d.value, k))
        for group in classes.values():
            for values in group.values():
                values.sort()
        self.classes = classes
        self.derived = tuple(derived)
        self.nearest_keys = {k: sorted(hints_of) for k, hints_of in hints.items()}  # dim -> (value, position)
        self.literals = frozenset(p.literal for p in facts if p.dim == "literal")
        self.vague_literals = frozenset(p.literal for p in facts if p.dim == "vague")
        numbers.sort()
        self.numbers = numbers
        # dim -> (sorted log magnitudes, first position of each): for ``nearest``
        self.by_magnitude = {
            dim: ([_magnitude(x) for x in sorted(f)], [f[x] for x in sorted(f)]) for dim, f in firsts.items()
        }

    def nearest(self, q: Quantity) -> int:
        """Position, among the input figures of ``q``'s dimension (in input order), of the one closest to
        ``q`` in magnitude; the first of equally close ones; -1 when there is none."""
        keys_pos = self.by_magnitude.get(q.dim)
        if not keys_pos:
            return -1
        keys, pos = keys_pos
        m = _magnitude(abs(q.value))
        i = bisect_left(keys, m)
        best, best_d = -1, math.inf
        for j in (i - 1, i):
            if 0 <= j < len(keys):
                d = abs(keys[j] - m)
                if d < best_d or (d == best_d and pos[j] < best):
                    best, best_d = pos[j], d
        return best

    def nearest_derived(self, q: Quantity) -> Derived | None:
        """The derived figure of ``q``'s dimension closest to it in value (None when there is none)."""
        pairs = self.nearest_keys.get(q.dim)
        if not pairs:
            return None
        i = bisect_left(pairs, (q.value, -1))
        best: tuple[float, int] | None = None
        for j in (i - 1, i):
            if 0 <= j < len(pairs) and (best is None or abs(pairs[j][0] - q.value) < abs(best[0] - q.value)):
                best = pairs[j]
        return None if best is None else self.derived[best[1]]


def _magnitude(x: float) -> float:
    return math.log10(x or 1e-12)


def _any(values: Sequence[float] | None, lo: float, hi: float) -> bool:
    if not values:
        return False
    i = bisect_left(values, lo)
    return i < len(values) and values[i] <= hi


def _intervals(qual: str, s: float, step: float, rounds: bool = False) -> list[tuple[str, float, float]]:
    """Where a true value may lie for a figure ``s`` stated with ``qual``, per class of input figure (x:
    stated exactly, h: approximately, l: as a lower bound, u: as an upper bound; dx, dh: derived from exact
    or approximate figures). A figure the input states is restated at its value, or rounded to the shown
    precision when the bullet keeps two significant digits (``rounds``: "1.2M" for 1,213,440, not "2
    seconds" for 1.8 s). A derived figure has no precision of its own, so a stated one may round it to the shown
    precision (strictly less than half a step away): 66.7% is "67%". A bound must hold in its direction, and
    only an approximate statement may rest on an approximate figure."""
    eps = 1e-6 * abs(s) + 1e-12
    r = max(step / 2 - eps, eps)
    if qual == "":
        return [("x", s - r if rounds else s - eps, s + r if rounds else s + eps), ("dx", s - r, s + r)]
    if qual in ("approx", "hedged"):
        loose = max(step / 2, 0.05 * abs(s), eps)
        return [
            ("x", s - eps, s + eps),
            ("h", s - eps, s + eps),
            ("dx", s - loose, s + loose),
            ("dh", s - loose, s + loose),
        ]
    if qual == "near":  # "nearly 40%": a little under 40
        return [
            ("x", 0.9 * s - eps, s + eps),
            ("dx", 0.9 * s - eps, s + r),
            ("h", s - eps, s + eps),
            ("dh", s - r, s + r),
        ]
    if qual == "cap":  # "up to 40%": a maximum of 40, reached
        return [("x", 0.8 * s - eps, s + eps), ("dx", 0.8 * s - eps, s + r), ("u", 0.8 * s - eps, s + eps)]
    if qual == "lower":  # "over 90%": above 90 (and not by more than double)
        return [("x", s + eps, 2 * s + eps), ("dx", s + eps, 2 * s + eps), ("l", s - eps, 2 * s + eps)]
    if qual == "lower_eq":  # "90%+", "at least 90%"
        return [("x", s - eps, 2 * s + eps), ("dx", s - eps, 2 * s + eps)]
    if qual == "upper":  # "under 1%"
        return [("x", -math.inf, s - eps), ("dx", -math.inf, s - eps), ("u", -math.inf, s + eps)]
    return [("x", -math.inf, s + eps), ("dx", -math.inf, s + eps), ("u", -math.inf, s + eps)]  # upper_eq


def supports(q: Quantity, index: QuantityIndex, qual: str | None = None) -> bool:
    """Does any input quantity (arranged in ``index``) support bullet quantity ``q``, stated as ``qual``
    (default: as the bullet states it)?"""
    dim = q.dim
    if dim == "literal":
        return q.literal in index.literals
    if dim == "vague":
        return q.literal in index.vague_literals or _any(index.numbers, q.low, q.high - 1e-9 * q.high)
    classes = index.classes
    qual = q.qual if qual is None else qual
    rate_key = "r:" + dim
    value = q.value
    if not qual:  # the usual case first: the input states the figure as it is
        eps = 1e-6 * abs(value) + 1e-12
        group = classes["x"]
        if _any(group.get(dim), value - eps, value + eps) or _any(group.get(rate_key), value - eps, value + eps):
            return True
    step = _step(q)
    for cls, lo, hi in _intervals(qual, value, step, not qual and _rounds(q)):
        group = classes[cls]
        if _any(group.get(dim), lo, hi) or _any(group.get(rate_key), lo, hi):
            return True
    if dim == "count":  # a bare count: the number of any input figure
        for cls, lo, hi in _intervals(qual, q.number, step):
            if _any(classes[cls].get("#"), lo, hi):
                return True
    return False


def _hedged_support(q: Quantity, index: QuantityIndex) -> bool:
    """Would an approximate input figure support ``q`` stated as an approximation?"""
    h, dh = index.classes["h"], index.classes["dh"]
    if not h and not dh:
        return False
    keys = (q.dim, "r:" + q.dim, "#") if q.dim == "count" else (q.dim, "r:" + q.dim)
    s = q.value
    eps = 1e-6 * abs(s) + 1e-12
    if h and any(_any(h.get(k), s - eps, s + eps) for k in keys):
        return True
    if dh:
        loose = max(_step(q) / 2, 0.05 * abs(s), eps)
        return any(_any(dh.get(k), s - loose, s + loose) for k in keys)
    return False


def why_not(q: Quantity, index: QuantityIndex) -> str:
    """A hint for an unsupported bullet figure when the input comes close: the figure is approximate in the
    input ("roughly 25%"), or the arithmetic of the input's figures gives another value ("50 min → 20 min
    is a 60% cut, not 75%"). Empty when neither."""
    if q.dim in _UNQUALIFIED:
        return ""
    if q.qual not in ("approx", "hedged") and _hedged_support(q, index):
        t = q.text.strip()
        return f"The input gives {t} only as an estimate; state it as one ('about {t}') or remove '{t}'."
    d = index.nearest_derived(q)
    if d is None or not d.value or not q.value or max(d.value, q.value) / min(d.value, q.value) > 2:
        return ""
    shown = _fmt(d.value)
    if d.dim == "percent" and d.what in ("cut", "rise"):
        t = q.text.strip()
        return f"{d.before} → {d.after} is a {shown}% {d.what}, not {t}; use {shown}% or remove '{t}'."
    if d.dim == "multiplier" and d.what == "ratio":
        t = q.text.strip()
        return f"{d.before} → {d.after} is a change of {shown}x, not {t}; use {shown}x or remove '{t}'."
    return ""


def _fmt(x: float) -> str:
    if abs(x - round(x)) < 0.05:
        return str(round(x))
    return f"{x:.1f}" if x >= 1 else f"{x:.2g}"


def frequencies(tokens: Tokens) -> list[tuple[int, int, bool]]:
    """Frequency phrases in a text: (first token, one past the last, is a hedge like "usually" / "most
    weeks" rather than an absolute like "consistently" / "every week")."""
    return [(i, j, value == "h") for i, j, value in ngram_matches(tokens, vocab().frequency)]


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
