"""Shared fixtures: settings isolated from the environment, and app/client factories."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings

from service.http.app import create_app
from service.settings import Settings, get_settings

# Property tests are deterministic on a busy machine: the same examples every run (derandomize, no example
# database carried between runs) and no per-example deadline, which a loaded CI machine would miss.
hypothesis_settings.register_profile("bulletguard", derandomize=True, database=None, deadline=None)
hypothesis_settings.load_profile("bulletguard")

# Clear-cut examples from the issue: the accepted bullet restates the notes; the rejected one
# inflates ownership ("Led"), invents a metric ("70%") and widens the scope ("across all services").
NOTES = "helped debug a memory leak in the notification worker"
ACCEPTED_BULLET = "Helped debug a memory leak in the notification worker."
REJECTED_BULLET = "Led a 70% cut in memory use across all services."

# A /v1/rewrite request: notes with two pieces of work, one piece of evidence, a name to keep out. Both
# ACCEPTED_BULLET and RUNBOOK_BULLET restate its notes.
REWRITE_NOTES = f"{NOTES}; wrote a runbook for restarting it"
RUNBOOK_BULLET = "Wrote a runbook for restarting the notification worker."
REWRITE_BODY: dict[str, Any] = {
    "notes": REWRITE_NOTES,
    "evidence": [{"id": "PR-1423", "text": "Fix unbounded retry queue in notification worker"}],
    "redact": ["Dana"],
    "options": {"max_bullets": 2},
}


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's BULLETGUARD_* variables or a cached Settings."""
    for name in list(os.environ):
        if name.startswith("BULLETGUARD_"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _restored_logging() -> Iterator[None]:
    """A test that configures logging (the CLI sets WARNING for the whole process) leaves it as it found
    it, so a later test's ``structlog.testing.capture_logs()`` still sees info events."""
    saved = structlog.get_config()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    structlog.reset_defaults()
    structlog.configure(**saved)
    root.setLevel(level)
    root.handlers[:] = handlers


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def make_client() -> Callable[..., TestClient]:
    """``make_client(max_bullets=2)`` -> a TestClient on a fresh app with those settings overridden."""

    def factory(**overrides: Any) -> TestClient:
        return TestClient(create_app(Settings(**overrides)))

    return factory


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
