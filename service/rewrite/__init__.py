"""The rewrite: notes -> masked prompt -> LLM -> reply validation -> guard and grounding -> bounded re-asks.

Its loop (:mod:`service.rewrite.pipeline`) talks to a model through the ``LLMClient`` port only; the
providers behind that port live in :mod:`service.rewrite.llm`. May import the pure core (``service.guard``,
``service.coach``), never an edge (``service.contract``, ``service.http``, chat-ops, evals, the CLI) nor the settings.
"""
