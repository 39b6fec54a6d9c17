"""The HTTP edge: the app factory (:func:`service.http.app.create_app`), its routes, middleware (auth, rate
limits, body limit, request context, metrics), problem documents, the LLM client it injects, the review
page's static files. May import everything below it (contract, rewrite, core, settings) and chat-ops.
"""
