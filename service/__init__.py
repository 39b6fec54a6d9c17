"""bulletguard: LLM-written resume bullets that never claim more than the notes support."""

from importlib.metadata import PackageNotFoundError, version

try:
    # One version, in one place: pyproject.toml, read back from the installed package's metadata.
    __version__ = version("bulletguard")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
