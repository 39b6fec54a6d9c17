"""A real OpenAI-compatible chat-completions server on a loopback port, for tests that run the service in
another process (the installed wheel's smoke test): every completion answers the JSON reply given on the
command line. Counts the completions it served at ``GET /calls``.

    python tests/stub_model_server.py PORT REPLY_JSON
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CALLS = 0


class Handler(BaseHTTPRequestHandler):
    def _send(self, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.endswith("/calls"):
            self._send({"calls": CALLS})
        else:
            self._send({"object": "list", "data": [{"id": "stub-model", "object": "model"}]})

    def do_POST(self) -> None:
        global CALLS
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        CALLS += 1
        self._send(
            {
                "id": f"chatcmpl-{CALLS}",
                "object": "chat.completion",
                "created": 1,
                "model": "stub-model",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        )

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    REPLY = sys.argv[2]
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
