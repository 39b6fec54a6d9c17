"""Pure ASGI middleware that refuses request bodies larger than ``max_body_bytes`` with a 413."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.http.problems import problem_response, problem_type

# A body declared (or found) over the limit is still read and dropped up to this many times the limit, so
# its 413 can be read; a larger one is answered at once and the connection closed.
_DRAIN_FACTOR = 4


class BodySizeLimitMiddleware:
    """Answer 413 problem+json when a request body is larger than ``max_body_bytes``.

    A declared ``Content-Length`` above the limit is refused before any of the body is read. Bodies
    without one (chunked transfer) - or with a false one - are read up to the limit and counted as
    they stream in; the app only runs once the whole body is known to fit, and then receives it
    replayed from the buffer. At the default limit (256 KiB) buffering is cheap.

    ``body_timeout_s`` bounds the time the whole body may take to arrive (a client trickling a body byte by
    byte holds a connection and a task): past it, a 408 problem+json and the connection is closed.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout_s: float | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        declared = self._content_length(scope)
        if declared == -1:
            await problem_response(
                scope,
                status=400,
                title="Bad Request",
                detail="The Content-Length header is not a valid non-negative integer.",
                type=problem_type("bad-request"),
            )(scope, receive, send)
            return
        if declared is not None and declared > self.max_body_bytes:
            if declared <= _DRAIN_FACTOR * self.max_body_bytes:
                await self._drain(receive)
            await self._too_large(scope, receive, send)
            return

        chunks: list[bytes] = []
        try:
            async with asyncio.timeout(self.body_timeout_s):
                done = await self._read(receive, chunks)
        except TimeoutError:
            await problem_response(
                scope,
                status=408,
                title="Request Timeout",
                detail=f"The request body did not arrive within {self.body_timeout_s:g} s.",
                type=problem_type("request-timeout"),
                headers={"Connection": "close"},
            )(scope, receive, send)
            return
        if done is None:  # the client went away
            return
        if not done:
            await self._drain(receive)
            await self._too_large(scope, receive, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive, chunks: list[bytes]) -> bool | None:
        """Read the body into ``chunks``: True when it fits, False when it is over the limit, None when the
        client disconnected."""
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return True

    async def _drain(self, receive: Receive) -> None:
        """Read and drop what is left of a body that is a little over the limit (bounded in bytes and time),
        so the 413 reaches a client that sent it all at once: closing a socket with unread data in it
        makes the kernel answer with a reset, and the client would see that instead of the 413."""
        budget = _DRAIN_FACTOR * self.max_body_bytes
        try:
            async with asyncio.timeout(self.body_timeout_s if self.body_timeout_s is not None else 5.0):
                while budget > 0:
                    message = await receive()
                    if message["type"] != "http.request":
                        return
                    budget -= len(message.get("body", b""))
                    if not message.get("more_body", False):
                        return
        except TimeoutError:
            return

    @staticmethod
    def _content_length(scope: Scope) -> int | None:
        """The declared length; ``None`` when absent, ``-1`` when malformed."""
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                text = value.decode("latin-1").strip()
                return int(text) if text.isascii() and text.isdigit() else -1
        return None

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await problem_response(
            scope,
            status=413,
            title="Content Too Large",
            detail=f"The request body exceeds the limit of {self.max_body_bytes} bytes.",
            type=problem_type("payload-too-large"),
            extra={"max_body_bytes": self.max_body_bytes},
            headers={"Connection": "close"},
        )(scope, receive, send)
