"""Grounding: is a proposed bullet about the input at all?

The guard (``service.guard``) refuses what a bullet *adds* to true work: numbers, tools, ownership,
scope, confidential names. A bullet can pass all of that and still describe work the notes never
mention, e.g. a small model copying its prompt's example ("Helped move the nightly export job to the
job queue.") for notes about pagination. This check compares a bullet's content words with the words
of the notes and evidence: when most of them are absent, the bullet is refused as ``source`` (it rests on
no source of the request). Words every bullet may use (function words, generic resume verbs) are data:
``data/grounding.json``. Figures and technology names are left to the guard.

Pure: no I/O at call time, no clock, no settings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from service.guard import Violation

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ers", "er", "ed", "es", "s", "ly")
_PREFIX_CHARS = 5  # "migrate" ~ "migration", "paginate" ~ "pagination"
_MAX_REPORTED = 5


@cache
def _vocabulary() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("service.rewrite").joinpath("data/grounding.json").read_text("utf-8")
    )
    return data


@cache
def _ignored() -> frozenset[str]:
    data = _vocabulary()
    return frozenset(_stem(w) for key in ("function_words", "number_words", "generic_words") for w in data[key])


# Bounded: every distinct word of every request would otherwise stay in memory for good (100 rewrites of
# random words grew the process by 400 MB). 2**16 words is a few MB and holds any one request's words.
STEM_CACHE_SIZE = 65_536


@lru_cache(maxsize=STEM_CACHE_SIZE)
def _stem(word: str) -> str:
    word = word.casefold().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.strip("'-")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word[:-1] if word.endswith("e") and len(word) > 4 else word  # "move" ~ "moved"


def _stems(text: str) -> Iterable[tuple[str, int, int]]:
    for m in _WORD_RE.finditer(text):
        yield _stem(m.group()), m.start(), m.end()


class Grounding:
    """The words of one request's input; :meth:`check` tells whether a bullet rests on them."""

    def __init__(self, texts: Iterable[str]) -> None:
        stems = {stem for text in texts for stem, _, _ in _stems(text)}
        self._stems = frozenset(stems)
        self._prefixes = frozenset(s[:_PREFIX_CHARS] for s in stems if len(s) >= _PREFIX_CHARS)

    def _known(self, stem: str) -> bool:
        return stem in self._stems or (len(stem) >= _PREFIX_CHARS and stem[:_PREFIX_CHARS] in self._prefixes)

    def check(self, bullet: str) -> list[Violation]:
        """No violation when the bullet is mostly made of the input's words; otherwise one ``source``
        violation per absent word (the first few), each a span of the bullet."""
        data = _vocabulary()
        ignored = _ignored()
        content = [(stem, start, end) for stem, start, end in _stems(bullet) if stem not in ignored and len(stem) > 1]
        missing: dict[str, tuple[int, int]] = {}  # one per distinct word, first place
        for stem, start, end in content:
            if not self._known(stem):
                missing.setdefault(stem, (start, end))
        grounded = sum(1 for stem, _, _ in content if stem not in missing)
        if len(content) < data["min_content_words"]:  # "Helped.", "...", "Improved performance."
            text = bullet.strip()
            start = bullet.index(text) if text else 0
            return [
                Violation(
                    "source",
                    text,
                    start,
                    start + len(text),
                    f"'{text}' says too little to be a bullet: it names none of the work in the input.",
                    "Name the system, API or data the work touched, as the notes do.",
                )
            ]
        if len(missing) < data["min_missing"] or grounded / len(content) >= data["min_grounded_share"]:
            return []
        return [
            Violation(
                "source",
                bullet[start:end],
                start,
                end,
                f"'{bullet[start:end]}' is not in the notes or evidence: most of this bullet describes something "
                "the input does not mention.",
                "Restate work the notes or evidence describe, in their words.",
            )
            for start, end in list(missing.values())[:_MAX_REPORTED]
        ]
