"""bulletguard: LLM-written resume bullets that never claim more than the notes support."""

from importlib.metadata import PackageNotFoundError, version

try:
    # One version, in one place: pyproject.toml, read back from the installed package's metadata.
    __version__ = version("bulletguard")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

# The core's compiled build, when present and built from these sources (service/_native.py says how).
from service import _native  # noqa: F401
