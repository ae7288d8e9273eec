"""Real HTTP servers for tests: the app in a thread (the real process is in scripts/)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from werkzeug.serving import make_server

from scripts.app_process import ROOT, app_process, free_port  # noqa: F401  (re-exported)


@contextlib.contextmanager
def thread_server(wsgi_app) -> Iterator[str]:
    """Serve ``wsgi_app`` on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
