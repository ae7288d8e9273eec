"""HTTP receivers for tests: a real server on 127.0.0.1 (http.server in a
thread) that records each request and answers from a script, standing in for
a work-chat robot or an SMS gateway."""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OK = (200, {"errcode": 0, "errmsg": "ok"})


class Receiver:
    """An HTTP server that records each request and answers from a script
    (the last answer repeats)."""

    def __init__(self, answers, check=None):
        self.answers = list(answers)
        self.check = check  # request -> an answer overriding the script, or None
        self.requests: list[dict] = []
        self.url = ""

    def answer(self, request: dict) -> tuple[int, object]:
        self.requests.append(request)
        if self.check is not None and (override := self.check(request)) is not None:
            return override
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@contextlib.contextmanager
def receiving(*answers, check=None) -> Iterator[Receiver]:
    receiver = Receiver(answers or [OK], check)

    class Handler(BaseHTTPRequestHandler):
        def _any(self):
            length = int(self.headers.get("Content-Length") or 0)
            parts = urllib.parse.urlsplit(self.path)
            request = {
                "method": self.command,
                "path": parts.path,
                "query": urllib.parse.parse_qs(parts.query),
                "raw_query": parts.query,
                "headers": dict(self.headers),
                "body": self.rfile.read(length),
            }
            status, body = receiver.answer(request)
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _any

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
