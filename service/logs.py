"""Structured logging: structlog on stderr (JSON or console lines), and the masking of private fields.

Note text must never reach a log line. Two layers make sure of that:

* code logs only metadata (method, path, status, counts, durations) - never request bodies;
* :func:`mask_private_fields`, a processor in every configured chain, masks any value logged under a
  private key name (``notes``, ``evidence``, ``bullets``, ...), however deeply nested, in case a
  future change logs one by accident.

Shared by every entry point (the app, the CLI, the eval runner); request ids and the access log are the
HTTP edge's (:mod:`service.http.context`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from service.settings import Settings

# Key names whose values are (or may contain) user-provided text.
PRIVATE_KEYS: frozenset[str] = frozenset(
    {
        "notes",
        "evidence",
        "bullets",
        "bullet",
        "text",
        "redact",
        "prompt",
        "messages",
        "body",
        "input",
    }
)
MASK = "[masked]"


# Values of these exact types have nothing inside to mask (most values of most log lines).
_SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def _mask(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Mapping):
        return {
            key: (MASK if isinstance(key, str) and key.lower() in PRIVATE_KEYS else _mask(item))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_mask(item) for item in value]
    return value


def mask_private_fields(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: replace values under private key names with ``[masked]``, recursively."""
    for key, value in list(event_dict.items()):
        if key.lower() in PRIVATE_KEYS:
            event_dict[key] = MASK
        elif type(value) not in _SCALARS:
            event_dict[key] = _mask(value)
    return event_dict


def _stderr_logger(*args: Any) -> structlog.PrintLogger:
    # Looks sys.stderr up per logger, so a swapped stream (test capture, reopened stderr) is honoured.
    return structlog.PrintLogger(file=sys.stderr)


def configure_logging(settings: Settings) -> None:
    """Configure structlog (JSON or console lines on stderr) and the stdlib root logger level."""
    level = logging.getLevelNamesMapping()[settings.log_level]
    renderer: Any = structlog.processors.JSONRenderer() if settings.log_json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            mask_private_fields,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        # Not cached: tests swap processors (structlog.testing.capture_logs) after loggers exist.
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)
