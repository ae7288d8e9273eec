"""One Flask server for everything: the HTTP API, the Dash screens beside it,
and what guards them both (access, rate limits, security headers).

``create_app`` is what the command line and the tests start;
``create_server`` is the WSGI entry for servers such as gunicorn.
"""

from __future__ import annotations

import sys

from dash import Dash
from flask import Flask
from flask_compress import Compress

from api import register_api
from api.feed_watch import LIVE_WAITERS
from api.feed_watch import stop_waiting as stop_waiting  # serve's SIGTERM
from api.field_app import PUBLIC_URL
from api.geojson import MEDIA_TYPE
from api.intake_lane import install_intake_lane
from api.media import MEDIA_STORE, PHOTO_MAX_BYTES
from dashboard.access_rules import rules_for
from dashboard.shell import create_dash
from data.media_store import open_media_store
from data.store import Store
from fieldapp import register_fieldapp
from resident import register_resident
from settings import Settings
from web import guard
from web.headers import content_security_policy, install_headers
from web.limits import install_limits


def create_app(settings: Settings | None = None) -> Dash:
    """Settings in, the Dash app out (the store opened, the schema checked)."""
    settings = settings or Settings.from_env()
    return compose(settings, Store.open(settings.database_url, sla_policy=settings.sla_policy))


def create_server() -> Flask:
    """The Flask server for WSGI servers such as gunicorn."""
    settings = Settings.from_env()
    server = create_app(settings).server
    warn_calendar(settings)
    return server


def share_views(directory: str | None) -> None:
    """Let this worker share the wall's pictures with the server's other
    workers through ``directory`` (``dashboard.view_share``; None: it builds its own)."""
    from dashboard.view_share import share_views as share

    share(directory)


def warn_calendar(settings: Settings) -> None:
    """Say on stderr when this year or the next has no State Council holiday notice yet."""
    from domain.calendar_days import notice_line

    for year in settings.calendar.missing_notices():
        print(f"grid-command: {notice_line(year)}", file=sys.stderr, flush=True)


def compose(settings: Settings, store) -> Dash:
    """The API and the screens on one Flask server, every request guarded."""
    server = _flask_server()
    server.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        GC_LANG=settings.lang,
    )
    register_api(server, store)
    server.extensions[MEDIA_STORE] = open_media_store(settings.media)
    server.config[PHOTO_MAX_BYTES] = settings.photo_max_bytes
    server.config[PUBLIC_URL] = settings.public_url
    server.config[LIVE_WAITERS] = settings.live_waiters
    register_fieldapp(server)
    register_resident(server)
    app = create_dash(server, settings, store)
    # Every request is authorised before its view; every answer gets the
    # security headers, with the hashes of Dash's inline scripts, which are
    # only known once every clientside callback is in place.
    guard.install(
        server,
        store,
        rules_for(app),
        secure_cookies=settings.secure_cookies,
        upload_bytes=settings.max_upload_bytes,
        photo_bytes=settings.photo_max_bytes,
    )
    install_limits(
        server,
        storage_uri=settings.rate_limit_storage,
        sign_in=settings.signin_rate,
        intake=settings.intake_rate,
        resident=settings.resident_rate,
        resident_device=settings.resident_device_rate,
    )
    install_headers(server, content_security_policy(app.csp_hashes(), settings.tile_url))
    trust_proxies(server, settings.proxy_hops)
    install_intake_lane(server, store)
    _warm_up(app)
    return app


def trust_proxies(server: Flask, hops: int) -> None:
    """Behind ``hops`` reverse proxies, take the client's address and scheme from
    the X-Forwarded-For/-Proto they add, so that the rate limits count residents,
    not the proxy. With none (the default) those headers are ignored: a client
    could otherwise name any address and escape its limit."""
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops)


def _warm_up(app: Dash) -> None:
    """Make Dash set itself up now, before real traffic arrives.

    Dash registers its script paths on the first request, after marking the
    set-up as done: with threaded workers a second request that arrives
    meanwhile finds no registered scripts and fails ("dash is not a registered
    library"). One request at start-up closes that window.
    """
    response = app.server.test_client().get("/login")
    if response.status_code != 200:
        raise RuntimeError(f"the dashboard failed to start: HTTP {response.status_code}")


def _flask_server() -> Flask:
    """The Flask server, configured before Dash sets up compression on it."""
    # GeoJSON is most of what a map load transfers, and flask-compress skips its
    # media type unless told (region grids: 7.0 MB raw, 1.1 MB gzipped). It reads
    # the list once, when Dash wraps the server, so it is set first, on top of
    # the defaults that flask-compress puts into a config it initialises.
    defaults = Flask("defaults")
    Compress(defaults)
    server = Flask("dashboard")  # its import name: where Flask looks for files
    server.config["COMPRESS_MIMETYPES"] = [*defaults.config["COMPRESS_MIMETYPES"], MEDIA_TYPE]
    return server
