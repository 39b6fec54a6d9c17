"""The Model Context Protocol edge: ``bulletguard mcp``, a stdio server on the official ``mcp`` SDK whose tools
(verify_bullets, rewrite_notes, check_edit, questions) take the HTTP API's request models and run the same
contract runs. May import the core, the rewrite, the contract and the HTTP edge's shared helpers."""
