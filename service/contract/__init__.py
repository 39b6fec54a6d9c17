"""The requests every edge shares: the request/response models of the HTTP contract (also read by the
chat-ops commands and the CLI) and the two runs they start (:func:`verification.run_verify`,
:func:`rewriting.run_rewrite`). May import the rewrite, the core and the settings, never an edge.
"""
