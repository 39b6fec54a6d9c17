"""A stand-in for llama.cpp's server that dies the way a build for another CPU does: it answers
``GET /v1/models``, then kills itself with the signal named on its command line on the first completion.

    python tests/rewrite/crashing_model_server.py PORT SIGSEGV
"""

from __future__ import annotations

import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"object": "list", "data": [{"id": "smollm2-135m-instruct", "object": "model"}]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        signal.signal(SIGNAL, signal.SIG_DFL)
        os.kill(os.getpid(), SIGNAL)

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    SIGNAL = signal.Signals[sys.argv[2]]
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
