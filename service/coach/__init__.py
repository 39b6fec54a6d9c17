"""Proof coaching: a pure, deterministic reviewer's eye on resume bullets and the notes behind them.

- :func:`lint_bullet` flags weak bullets ("worked on microservices", "built REST APIs", "scalable" with
  no scale, "secure" with no mechanism, a list of technologies) with the reason and the proof that
  would fix them. Warnings never change the guard's verdict.
- :func:`questions_for` asks, for each proof area the notes touch, the questions the input does not
  answer yet ("Which auth method?", "What did you measure before and after, and where?").
- :func:`match_posting` says which of a job posting's technologies and keywords the notes support (with
  both wordings) and which they do not (gaps, never to be added).

Same rules as :mod:`service.guard`: no I/O beyond reading packaged vocabularies once, no clock, no
settings, no framework. Rules, questions and keywords are data (``data/*.json``). Part of the pure
core: may import :mod:`service.guard` and the stdlib, nothing else.
"""

from service.coach.lint import LintWarning, lint_bullet
from service.coach.match import Gap, MatchResult, SupportedTerm, match_posting
from service.coach.questions import PROOF_AREAS, ProofArea, Question, questions_for

__all__ = [
    "PROOF_AREAS",
    "Gap",
    "LintWarning",
    "MatchResult",
    "ProofArea",
    "Question",
    "SupportedTerm",
    "lint_bullet",
    "match_posting",
    "questions_for",
]
