"""A real OpenAI-compatible chat-completions server on a loopback port, for the code paths that reach the
model through the network from another process or through the CLI (``bulletguard rewrite``, the MCP
server): each ``POST /v1/chat/completions`` answers the next queued reply text (as the assistant's
message) and records the request body; running out of replies answers 500, which the test then sees.

    with stub_llm_server(reply(...)) as stub:
        env = {"BULLETGUARD_API_BASE": stub.api_base, "BULLETGUARD_MODEL": "openai/stub-model", ...}
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.openai_stub import completion


@dataclass
class StubLLM:
    api_base: str
    replies: deque[str]
    requests: list[dict[str, Any]] = field(default_factory=list)
    model: str = "stub-model"

    @property
    def env(self) -> dict[str, str]:
        """Settings that point bulletguard's LLM client at this server."""
        return {
            "BULLETGUARD_API_BASE": self.api_base,
            "BULLETGUARD_MODEL": f"openai/{self.model}",
            "BULLETGUARD_API_KEY": "stub-key",
            "BULLETGUARD_LLM_MAX_RETRIES": "0",
            "BULLETGUARD_MAX_REASKS": "0",
        }


@contextmanager
def stub_llm_server(
    *replies: str, model: str = "stub-model", prompt_tokens: int = 42, completion_tokens: int = 7
) -> Iterator[StubLLM]:
    """Serve ``replies`` in order; ``model`` is the name in :attr:`StubLLM.env`, the token counts each answer's."""
    stub = StubLLM(api_base="", replies=deque(replies), model=model)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            with lock:
                stub.requests.append(body)
                content = stub.replies.popleft() if stub.replies else None
            if content is None:
                self._answer(500, {"error": {"message": "stub: no reply queued", "type": "server_error"}})
            else:
                usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}
                self._answer(200, completion(content, model=str(body.get("model", model)), **usage))

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.api_base = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
