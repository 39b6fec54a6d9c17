"""The HTTP/1.1 protocol ``bulletguard serve`` runs: uvicorn's h11 protocol, with the requests the server
refuses before the app runs answered like the app's own errors.

uvicorn answers a request it cannot parse (a ``Content-Length`` that is not one non-negative integer, a
garbage request line, a header without a colon, request line and headers over the size limit) with a
plain-text 400 written by the protocol itself. Here the same refusal is an RFC 9457
``application/problem+json`` document with the status h11 gives the error (400; 431 when the request line
and headers outgrow ``h11_max_incomplete_event_size``; 501 for a transfer coding h11 does not implement)
and ``Connection: close``. Nothing of the request is echoed; there is no path or request id to report,
since the request was never read.

The server is pinned to h11 (``server_limits`` passes this class as ``http=``) even where httptools is
installed: the header-size bound is h11's, and the service's pinned dependencies do not include httptools.
"""

from __future__ import annotations

import json
import sys
from http import HTTPStatus

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from service.http.problems import PROBLEM_MEDIA_TYPE, problem_body, problem_type

# h11's status hints (``RemoteProtocolError.error_status_hint``) -> problem slug and detail
_REFUSALS: dict[int, tuple[str, str]] = {
    400: (
        "bad-request",  # the slug the app gives a malformed Content-Length it sees itself (body_limit.py)
        "The request is not valid HTTP/1.1 (request line, header syntax, or a Content-Length that is not one "
        "non-negative integer); it was not read. The connection is closed.",
    ),
    431: (
        "request-header-fields-too-large",
        "The request line and headers are longer than the server accepts{limit}; it was not read. "
        "The connection is closed.",
    ),
    501: (
        "transfer-coding-not-implemented",
        "The request uses a transfer coding the server does not implement (only chunked is); it was not read. "
        "The connection is closed.",
    ),
}


def refusal_body(status: int, *, header_limit: int | None) -> bytes:
    """The problem+json document for a request the server refuses unread with ``status``."""
    slug, detail = _REFUSALS[status]
    document = problem_body(
        status=status,
        title=HTTPStatus(status).phrase,
        detail=detail.format(limit="" if header_limit is None else f" ({header_limit} bytes)"),
        type=problem_type(slug),
        instance="",
        request_id=None,
    )
    return json.dumps(document, separators=(",", ":")).encode()


class ProblemH11Protocol(H11Protocol):
    """uvicorn's h11 protocol whose refusals of unparseable requests are problem+json."""

    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this inside its ``except h11.RemoteProtocolError`` block, so the exception being
        # handled is the parse error and its hint the right status (431 for headers over the size limit)
        error = sys.exc_info()[1]
        hint = error.error_status_hint if isinstance(error, h11.RemoteProtocolError) else 400
        status = hint if hint in _REFUSALS else 400
        body = refusal_body(status, header_limit=self.config.h11_max_incomplete_event_size)
        headers = [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase.encode()),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            output = self.conn.send(event)
            if output:
                self.transport.write(output)
        self.transport.close()
