"""RFC 9457 problem details: every error the service returns is ``application/problem+json``.

Members: ``type`` (``urn:bulletguard:problem:<slug>``), ``title``, ``status``, ``detail``, ``instance``
(the request path) and ``request_id``; validation problems add ``errors`` (``loc``, ``msg``, ``type``).

Submitted values are never echoed back: notes and evidence are private, so a validation error says
*where* and *what rule*, never *what was sent*.

Malformed JSON bodies are answered with **400** (slug ``malformed-json``): the request could not be
parsed at all, which is different from a well-formed request that breaks a rule (422).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:bulletguard:problem:"

_log = structlog.get_logger("bulletguard.errors")

# Slugs for plain HTTP errors raised by the router (404, 405, ...).
# FastAPI's HTTPException detail for a body it cannot decode (not a JSON syntax error: that is a 422 it raises)
_FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"

_HTTP_SLUGS: Mapping[int, str] = {
    400: "bad-request",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


def problem_type(slug: str) -> str:
    """The full ``type`` URI for a problem slug."""
    return f"{PROBLEM_TYPE_PREFIX}{slug}"


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem+json response."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type: str = "about:blank",
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type if type == "about:blank" or ":" in type else problem_type(type)
        self.extra: dict[str, Any] = dict(extra or {})
        self.headers: dict[str, str] = dict(headers or {})


def request_id_of(scope: Scope) -> str | None:
    """The request id the request-context middleware stored in the ASGI scope, if any."""
    state = scope.get("state")
    if isinstance(state, Mapping):
        value = state.get("request_id")
        if isinstance(value, str):
            return value
    return None


def problem_body(
    *,
    status: int,
    title: str,
    detail: str,
    type: str,
    instance: str,
    request_id: str | None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON members of a problem; ``extra`` never overrides the standard members."""
    body: dict[str, Any] = {
        "type": type,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": request_id,
    }
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return body


def problem_response(
    scope: Scope,
    *,
    status: int,
    title: str,
    detail: str,
    type: str,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Build a problem+json response for the request described by ``scope``."""
    body = problem_body(
        status=status,
        title=title,
        detail=detail,
        type=type,
        instance=str(scope.get("path", "")),
        request_id=request_id_of(scope),
        extra=extra,
    )
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE)


def _status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _loc(raw: Any) -> list[str | int]:
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        return [part if isinstance(part, int) else str(part) for part in raw]
    return [str(raw)]


def _describe_loc(loc: Sequence[str | int]) -> str:
    parts = list(loc[1:] if loc and loc[0] == "body" else loc)
    if not parts:
        return "body"
    text = str(parts[0])
    for part in parts[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def public_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Reduce validation errors to ``loc``/``msg``/``type``; the submitted ``input``/``ctx`` are dropped."""
    cleaned: list[dict[str, Any]] = []
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        cleaned.append(
            {
                "loc": _loc(error.get("loc", ())),
                "msg": str(error.get("msg", "Invalid value")),
                "type": str(error.get("type", "value_error")),
            }
        )
    return cleaned


async def _handle_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request.scope,
        status=exc.status,
        title=exc.title,
        detail=exc.detail,
        type=exc.type,
        extra=exc.extra,
        headers=exc.headers,
    )


def _malformed_json(scope: Scope, errors: list[dict[str, Any]]) -> JSONResponse:
    """The 400 for a body that is not JSON, with the ``errors`` member the documented 400 promises."""
    return problem_response(
        scope,
        status=400,
        title="Malformed JSON",
        detail="The request body is not valid JSON.",
        type=problem_type("malformed-json"),
        extra={"errors": errors},
    )


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = public_errors(exc.errors())
    if any(error["type"] == "json_invalid" for error in errors):
        return _malformed_json(request.scope, [e for e in errors if e["type"] == "json_invalid"])
    fields = sorted({_describe_loc(error["loc"]) for error in errors})
    return problem_response(
        request.scope,
        status=422,
        title="Invalid request",
        detail=f"The request is invalid: check {', '.join(fields)}.",
        type=problem_type("validation-error"),
        extra={"errors": errors},
    )


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 400 and exc.detail == _FASTAPI_BODY_PARSE_ERROR:
        # FastAPI's answer to a body it could not decode at all (e.g. not UTF-8): the same malformed-json
        # problem as a JSON syntax error, with the `errors` member the documented 400 promises.
        return _malformed_json(
            request.scope, [{"loc": ["body"], "msg": "The body could not be decoded.", "type": "json_invalid"}]
        )
    title = _status_title(status)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    if detail is None:
        detail = {
            404: f"No resource at {request.url.path}.",
            405: f"{request.method} is not allowed on {request.url.path}.",
        }.get(status, title)
    return problem_response(
        request.scope,
        status=status,
        title=title,
        detail=detail,
        type=problem_type(_HTTP_SLUGS.get(status, "http-error")),
        headers=exc.headers,
    )


def internal_error_response(scope: Scope, exc: BaseException) -> JSONResponse:
    """A generic 500: logs the exception *type* only (its message may quote private input)."""
    _log.error("unhandled_exception", exc_type=type(exc).__name__)
    return problem_response(
        scope,
        status=500,
        title="Internal Server Error",
        detail="The server hit an unexpected error. Quote the request_id when reporting it.",
        type=problem_type("internal-error"),
    )


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    return internal_error_response(request.scope, exc)


def install_problem_handlers(app: FastAPI) -> None:
    """Register the problem+json exception handlers on ``app``."""
    app.add_exception_handler(ProblemError, _handle_problem)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    # Backstop only: RequestContextMiddleware answers unhandled errors first (without re-raising).
    app.add_exception_handler(Exception, _handle_unexpected)
