"""Loads the guard's vocabularies: JSON files packaged beside the code, read once per process."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def load(name: str) -> Any:
    """The parsed contents of ``data/<name>.json``."""
    return json.loads((files("service.guard") / "data" / f"{name}.json").read_text(encoding="utf-8"))
