"""The FastAPI application factory.

Run with ``uvicorn --factory service.http.app:create_app`` (what ``bulletguard serve`` does). There is no
module-level app: every call builds a fresh, independent app, which is what the tests use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from service import __version__
from service.http.body_limit import BodySizeLimitMiddleware
from service.http.context import RequestContextMiddleware
from service.http.hardening import install_hardening
from service.http.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from service.http.routes import chatops, check_edit, coach, health, page, rewrite, verify
from service.logs import configure_logging
from service.settings import Settings, get_settings

if TYPE_CHECKING:
    from service.rewrite.llm.local_model import LocalModel

DESCRIPTION = """\
Turns backend engineers' work notes into resume bullets, and guarantees they stay true.

`POST /v1/rewrite` writes bullets from notes with an LLM and returns only those the guard accepted (with
the refused ones and their violations beside them). `POST /v1/verify` runs the deterministic truthfulness
guard on bullets you already have. Both flag weak bullets as non-blocking `warnings`; `POST /v1/questions`
asks for the proof the notes lack and `POST /v1/match` tailors to a job posting honestly. Every error is
an RFC 9457 `application/problem+json` document carrying the request's `request_id`.
"""


def create_app(settings: Settings | None = None, *, local_model: LocalModel | None = None) -> FastAPI:
    """Build the app. ``settings`` defaults to :func:`~service.settings.get_settings` (the environment);
    ``local_model`` is the bundled model's server when this process runs it (``/readyz`` reports it)."""
    settings = settings if settings is not None else get_settings()
    configure_logging(settings)

    app = FastAPI(
        title="bulletguard",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.local_model = local_model
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(verify.router)
    app.include_router(rewrite.router)
    app.include_router(check_edit.router)  # /v1/check-edit (resume files)
    app.include_router(coach.router)  # /v1/questions and /v1/match (proof coaching, no LLM)
    app.include_router(chatops.router)  # Slack and Mattermost slash commands (404 until configured)
    app.include_router(page.router)  # the review page at / (not in the OpenAPI document)

    # Added last = outermost: the request id exists before the body limit can answer 413.
    app.add_middleware(
        BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes, body_timeout_s=settings.body_timeout_s
    )
    # /metrics, API keys (401), rate limits (429), the LLM concurrency gate: see service/http/hardening.py
    install_hardening(app, settings)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)

    _serve_errors_as_problem_json(app)
    return app


def _serve_errors_as_problem_json(app: FastAPI) -> None:
    """Declare error responses (4xx/5xx) with the media type they are really sent with."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = default_openapi()
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status[:1] in {"4", "5"} and "application/json" in content:
                        content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
