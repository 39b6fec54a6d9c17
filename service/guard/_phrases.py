"""One pass over a bullet for the phrase tables of the outcome and reach checks.

Each table keeps its own meaning (longest-first, left-to-right, non-overlapping matches, as
``ngram_matches`` gives them), but a bullet is walked once for all of them instead of once per table.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from service.guard import outcome, scope
from service.guard._text import GAP_JOIN, PhraseTable, Tokens

Hits = dict[str, list[tuple[int, int, object]]]


class _MultiTable:
    """Phrases of several tables in one word trie: node = [{table name: value} or None, following words]."""

    __slots__ = ("heads", "trie")

    def __init__(self, tables: dict[str, PhraseTable]) -> None:
        trie: dict[str, list[Any]] = {}
        for name, table in tables.items():
            for key in table:
                level = trie
                node: list[Any] = []
                for word in key.split(" "):
                    node = level.setdefault(word, [None, {}])
                    level = node[1]
                if node[0] is None:
                    node[0] = {}
                node[0][name] = table.get(key)
        # each node's values as a tuple of (table name, value) pairs: cheaper to walk than a dict
        stack = list(trie.values())
        while stack:
            node = stack.pop()
            if node[0] is not None:
                node[0] = tuple(node[0].items())
            stack.extend(node[1].values())
        self.trie = trie
        self.heads = frozenset(trie)


@cache
def _bullet_table() -> _MultiTable:
    o, r = outcome.vocab(), scope.reach_vocab()
    return _MultiTable(
        {
            "trigger": o.triggers,
            "anywhere": o.anywhere,
            "plural": r.plurals,
            "department": r.departments,
            "broad": r.broad,
        }
    )


def scan(tokens: Tokens) -> Hits:
    """Every table's matches in a bullet: table name -> [(first token, end token, value)]."""
    table = _bullet_table()
    heads = table.heads.intersection(tokens.last)
    if not heads:
        return {}
    trie = table.trie
    lowers, gaps, n = tokens.lowers, tokens.gaps, tokens.n
    out: Hits = {}
    free: dict[str, int] = {}
    for i in tokens.positions(heads):
        values, following = trie[lowers[i]]
        found = [(name, i + 1, value) for name, value in values] if values else []
        k = i + 1
        while following and k < n and gaps[k] == GAP_JOIN:
            node = following.get(lowers[k])
            if node is None:
                break
            k += 1
            values, following = node
            if values:
                found += [(name, k, value) for name, value in values]  # longer phrases come later
        for name, j, value in found:
            if i >= free.get(name, 0):
                hits = out.get(name)
                if hits is None:
                    out[name] = [(i, j, value)]
                elif hits[-1][0] == i:
                    hits[-1] = (i, j, value)  # a longer phrase of the same table at the same start
                else:
                    hits.append((i, j, value))
        for name, j, _ in found:
            if free.get(name, 0) < j:
                free[name] = j
    return out
