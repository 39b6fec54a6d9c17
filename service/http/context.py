"""Request context for the HTTP edge: request ids, the access log, and the last-resort 500.

Logs carry metadata only (see :mod:`service.logs`, which masks private fields in every log line).
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.http.metrics import Metrics
from service.http.problems import internal_error_response

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_HEADER_BYTES = REQUEST_ID_HEADER.encode()
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

_access_log = structlog.get_logger("bulletguard.access")


def is_valid_request_id(value: str) -> bool:
    """A client-supplied request id is kept only if it is a plain token of at most 128 characters."""
    return bool(_REQUEST_ID_RE.fullmatch(value))


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Pure ASGI middleware: request id, one access line per request, the request metrics, and the
    last-resort 500.

    * takes ``X-Request-ID`` from the request when it is a sane token, else generates a uuid4 hex;
    * stores it in ``scope["state"]["request_id"]``, binds it to structlog's contextvars for every
      log line of the request, and returns it in the ``X-Request-ID`` response header;
    * logs ``method``, ``path``, ``status`` and ``duration_ms`` (never bodies or query strings);
    * with ``metrics``, counts and times the request by method, route template and status, and keeps the
      in-flight gauge (one layer and one pair of clock reads for the log line and the metrics);
    * answers an unhandled exception with a generic problem+json 500 and does not re-raise it, so no
      traceback (which might quote private input) reaches the server's logs.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = self._request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        request_id_header = (_REQUEST_ID_HEADER_BYTES, request_id.encode())
        metrics = self.metrics
        status = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                headers = [pair for pair in message.get("headers", []) if pair[0].lower() != _REQUEST_ID_HEADER_BYTES]
                headers.append(request_id_header)
                message = {**message, "headers": headers}
            await send(message)

        if metrics is not None:
            metrics.http_in_flight.inc()
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_request_id)
            except Exception as exc:
                if response_started:
                    # Too late for a problem response; the connection is dropped by the server.
                    internal_error_response(scope, exc)
                else:
                    await internal_error_response(scope, exc)(scope, receive, send_with_request_id)
            finally:
                elapsed = time.perf_counter() - started
                if metrics is not None:
                    metrics.http_in_flight.dec()
                    metrics.observe_request(scope, status, elapsed)
                _access_log.info(
                    "request",
                    method=scope.get("method", ""),
                    path=scope.get("path", ""),
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )

    @staticmethod
    def _request_id(scope: Scope) -> str:
        for name, value in scope.get("headers", []):
            if name.lower() == _REQUEST_ID_HEADER_BYTES:
                candidate = bytes(value).decode("latin-1").strip()
                if is_valid_request_id(candidate):
                    return candidate
                break
        return new_request_id()
