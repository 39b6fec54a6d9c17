"""bulletguard: LLM-written resume bullets that never claim more than the notes support."""

__version__ = "0.1.0"
