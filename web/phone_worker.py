"""The service worker of the phone pages (the field app, the residents' pages).

One script, ``phone_worker.js``, for both: each page's blueprint serves it at
its own scope with its settings (which pages and files to keep for a day
with no signal). A change to the script changes every cache's name, so the
phones fetch their shells again.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Response

SCRIPT = Path(__file__).with_name("phone_worker.js")


@lru_cache(maxsize=1)
def _script() -> tuple[str, str]:
    text = SCRIPT.read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode()).hexdigest()[:8]


def worker_response(
    *, prefix: str, version: str, scope: str, pages: list[str], files: list[str]
) -> Response:
    """The worker for ``scope``: its cache named ``prefix`` + version, keeping
    ``pages`` (paths, with no query) and ``files`` (the URLs it caches)."""
    text, own = _script()
    settings = {
        "PREFIX": prefix,
        "VERSION": f"{version}-{own}",
        "SCOPE": scope,
        "PAGES": pages,
        "FILES": files,
    }
    lines = '"use strict";\n' + "".join(
        f"const {name} = {json.dumps(value)};\n" for name, value in settings.items()
    )
    return Response(
        lines + text,
        mimetype="text/javascript",
        headers={"Service-Worker-Allowed": scope, "Cache-Control": "no-cache"},
    )
