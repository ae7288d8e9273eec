"""The residents' pages: report, follow a case, cases near me; their service worker.

The pages hold no data: their scripts call the public API (/api/v1/public/...).
Every word is rendered here in the page's language (``?lang=en``, else Chinese),
and the words the scripts need travel in a JSON data block (not a script, so the
strict Content-Security-Policy stays as it is). A version made from the files'
contents names the service worker's cache and the static files' URLs.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from functools import lru_cache
from pathlib import Path

from flask import Response, abort, current_app, render_template, request

from resident import blueprint
from resident.words import SCRIPT_KEYS, words
from services import feeds
from web.leaflet_files import leaflet_in_memory
from web.phone_worker import worker_response

HERE = Path(__file__).parent
STATIC = HERE / "static"
SCOPE = "/report"
# Every static file, so a module one page imports is never missing offline.
SHELL_FILES = tuple(sorted(p.name for p in STATIC.iterdir() if p.suffix in (".js", ".css")))
LEAFLET = ("leaflet.js", "leaflet.css")  # from dash-leaflet's bundle (web/leaflet_files.py)
# The pages may ask for the position and open the camera (web.headers forbids both elsewhere).
PERMISSIONS = "camera=(self), microphone=(), geolocation=(self)"


@lru_cache(maxsize=1)
def version() -> str:
    """A short hash of the pages' templates and static files."""
    digest = hashlib.sha256()
    for path in sorted(
        [*(STATIC / name for name in SHELL_FILES), *(HERE / "templates" / "resident").iterdir()]
    ):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def static_url(name: str) -> str:
    """The versioned URL of a static file."""
    return f"{SCOPE}/static/{name}?v={version()}"


def page_lang() -> str:
    """'en' when the page is asked for in English (``?lang=en``), else 'zh'."""
    return "en" if request.args.get("lang", "").lower().startswith("en") else "zh"


def _render(template: str, script: str, **context) -> Response:
    lang = page_lang()
    text = words(lang)
    html = render_template(
        f"resident/{template}",
        t=text,
        lang=lang,
        html_lang="en" if lang == "en" else "zh-CN",
        other_lang_url=f"{request.path}?lang={'zh' if lang == 'en' else 'en'}",
        static=static_url,
        script=static_url(script),
        words_json=json.dumps({k: text[k] for k in SCRIPT_KEYS}, ensure_ascii=False),
        version=version(),
        **context,
    )
    return Response(
        html,
        mimetype="text/html",
        headers={"Cache-Control": "no-cache", "Permissions-Policy": PERMISSIONS},
    )


@blueprint.get(SCOPE)
def report():
    """The report form: service, place, photos, words, send."""
    return _render("report.html", "report.js")


@blueprint.get(f"{SCOPE}/c/<token>")
def case(token: str):
    """One case as its reporter (or a 'me too' follower) sees it."""
    return _render("case.html", "case.js", token=token)


@blueprint.get(f"{SCOPE}/near")
def near():
    """Open cases near the resident, each with 'me too'."""
    return _render("near.html", "near.js")


@blueprint.get(f"{SCOPE}/sw.js")
def service_worker():
    """The service worker, scoped to /report: the pages open with no signal."""
    pages = [SCOPE, f"{SCOPE}?lang=en", f"{SCOPE}/near", f"{SCOPE}/near?lang=en"]
    files = [
        *pages,
        *(static_url(n) for n in SHELL_FILES),
        *(f"{SCOPE}/leaflet/{n}" for n in LEAFLET),
    ]
    return worker_response(
        prefix="gc-report-",
        version=version(),
        scope=SCOPE,
        pages=[SCOPE, f"{SCOPE}/near"],
        files=files,
    )


@blueprint.get(f"{SCOPE}/leaflet/<path:filename>")
def leaflet(filename: str):
    """Leaflet's own files (script, stylesheet, pictures), served from here: no CDN."""
    found = leaflet_in_memory().get(filename)
    if found is None:
        abort(404)
    kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = Response(found, mimetype=kind)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@blueprint.get(f"{SCOPE}/towns.geojson")
def towns():
    """The towns' outlines (code, name, population: public facts) for the small map."""
    store = current_app.extensions["gridcommand.store"]
    response = Response(feeds.towns_feed(store), mimetype="application/geo+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
