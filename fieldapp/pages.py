"""The shell of the field app, its manifest and its service worker.

The shell holds no data: the page's script asks /api/v1/field/me who is
signed in and what they have to do. Everything is served from here, nothing
from the internet. A version made from the files' contents names the
service worker's cache and the static files' URLs, so a new release replaces
what phones hold and an unchanged one is never fetched again.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Response, render_template

from fieldapp import blueprint
from web.phone_worker import worker_response

HERE = Path(__file__).parent
STATIC = HERE / "static"
SCOPE = "/field"
# The shell's own files, cached by the service worker: every file under static/,
# so a module added later is never missing offline.
SHELL_FILES = tuple(sorted(p.name for p in STATIC.iterdir() if p.is_file()))
# The page may ask for the position and open the camera; the rest of the site may not
# (web.headers sets camera=(), geolocation=() for every answer without its own).
PERMISSIONS = "camera=(self), microphone=(), geolocation=(self)"
THEME = "#0b3d91"


@lru_cache(maxsize=1)
def version() -> str:
    """A short hash of the shell, its static files and the service worker."""
    digest = hashlib.sha256()
    for path in sorted(
        [*(STATIC / name for name in SHELL_FILES), *(HERE / "templates" / "fieldapp").iterdir()]
    ):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def static_url(name: str) -> str:
    """The versioned URL of a shell file."""
    return f"{SCOPE}/static/{name}?v={version()}"


@blueprint.get(SCOPE)
def page():
    """The one page of the field app (its sections are shown by its script)."""
    html = render_template("fieldapp/shell.html", static=static_url, version=version())
    return Response(
        html,
        mimetype="text/html",
        headers={"Cache-Control": "no-cache", "Permissions-Policy": PERMISSIONS},
    )


@blueprint.get(f"{SCOPE}/manifest.webmanifest")
def manifest():
    """The web app manifest that makes the page installable."""
    body = {
        "name": "网格指挥·外勤",
        "short_name": "外勤",
        "description": "网格指挥外勤：任务、到场、进度、照片与报到",
        "lang": "zh-CN",
        "id": SCOPE,
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": [
            {"src": static_url("icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static_url("icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static_url("icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return Response(
        json.dumps(body, ensure_ascii=False),
        mimetype="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


@blueprint.get(f"{SCOPE}/sw.js")
def service_worker():
    """The service worker, scoped to /field (above its own folder, hence the header)."""
    files = [SCOPE, f"{SCOPE}/manifest.webmanifest", *(static_url(n) for n in SHELL_FILES)]
    return worker_response(
        prefix="gc-field-", version=version(), scope=SCOPE, pages=[SCOPE], files=files
    )
