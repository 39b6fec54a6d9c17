"""FastAPI dependencies, as ``Annotated`` aliases so tests can swap them via ``app.dependency_overrides``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.settings import Settings


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (see :func:`service.http.app.create_app`). ``async`` only so
    FastAPI calls it on the event loop instead of a worker thread (it does no I/O and never blocks)."""
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
