"""The LLM edge of the rewrite: the litellm client with its retries and fallback router, the transport
errors it raises, and the bundled local model server. May import :mod:`service.rewrite` (the port) and
the core, never the HTTP edge: admission (gate, rate limits) is the app's business (:mod:`service.http`).
"""
