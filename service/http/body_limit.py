"""Pure ASGI middleware that refuses request bodies larger than ``max_body_bytes`` with a 413."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.http.problems import problem_response, problem_type


class BodySizeLimitMiddleware:
    """Answer 413 problem+json when a request body is larger than ``max_body_bytes``.

    A declared ``Content-Length`` above the limit is refused before any of the body is read. Bodies
    without one (chunked transfer) - or with a false one - are read up to the limit and counted as
    they stream in; the app only runs once the whole body is known to fit, and then receives it
    replayed from the buffer. At the default limit (256 KiB) buffering is cheap.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

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
            await self._too_large(scope, receive, send)
            return

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

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
