"""Build the Dash app: layout shell, router, pages and the HTTP API beside them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, dcc, html
from flask import Flask
from flask_compress import Compress

from api import register_api
from api.geojson import MEDIA_TYPE
from dashboard import ids
from dashboard.i18n import pick_language, t
from dashboard.kiosk import parse_kiosk
from dashboard.pages import command_map, console

ASSETS = Path(__file__).resolve().parent / "assets"

PAGES = {"/": command_map, "/dispatch": console}

CLOCK_JS = """
function (_, lang) {
    const parts = {};
    new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", {timeZone: "Asia/Shanghai", hour12: false,
        year: "numeric", month: "2-digit", day: "2-digit", weekday: "short",
        hour: "2-digit", minute: "2-digit", second: "2-digit"})
        .formatToParts(new Date()).forEach((p) => { parts[p.type] = p.value; });
    return `${parts.year}-${parts.month}-${parts.day} ${parts.weekday} ` +
        `${parts.hour}:${parts.minute}:${parts.second}`;
}
"""


@dataclass(frozen=True)
class AppContext:
    """What callbacks need beside their inputs."""

    settings: object
    store: object


def create_dash(settings, store) -> Dash:
    """The Dash app serving every screen, with the API on the same Flask server."""
    store.sla_policy = settings.sla_policy
    app = Dash(
        __name__,
        server=_flask_server(),
        title="胶州市网格化指挥中心",
        update_title=None,
        assets_folder=str(ASSETS),
        use_pages=False,
        serve_locally=True,
        compress=True,
        suppress_callback_exceptions=True,  # pages are rendered by the router
    )
    app.server.config["SECRET_KEY"] = settings.secret_key
    register_api(app.server, store)
    app.layout = html.Div(
        [
            dcc.Location(id=ids.URL),
            dcc.Store(id=ids.LANG),
            dcc.Interval(id=ids.CLOCK_TICK, interval=1000),
            html.Div(id=ids.PAGE, className="gc-root"),
        ],
        className="gc-root",
    )
    context = AppContext(settings=settings, store=store)

    @app.callback(
        Output(ids.PAGE, "children"),
        Output(ids.LANG, "data"),
        Input(ids.URL, "pathname"),
        Input(ids.URL, "search"),
    )
    def route(pathname, search):
        lang = pick_language(_query(search).get("lang"), settings.lang)
        page = PAGES.get(pathname or "/")
        if page is command_map:
            query = _query(search)
            kiosk = parse_kiosk(query, _town_index(store), settings.refresh_s, lang)
            body = page.layout(lang, kiosk)
        else:
            body = (
                page.layout(lang)
                if page
                else html.Div(
                    [t("not_found", lang), " · ", dcc.Link(t("home", lang), href="/")],
                    className="gc-empty",
                )
            )
        return screen_frame(body, lang), lang

    app.clientside_callback(
        CLOCK_JS,
        Output(ids.CLOCK, "children"),
        Input(ids.CLOCK_TICK, "n_intervals"),
        State(ids.LANG, "data"),
    )
    for page in PAGES.values():
        page.register(app, context)
    _warm_up(app)
    return app


def _town_index(store) -> dict[str, str]:
    """Town code and name (Chinese and English) to code, for kiosk URLs."""
    index = {}
    for row in store.towns().itertuples(index=False):
        index[row.code] = index[row.name] = index[str(row.name_en)] = row.code
    return index


def _warm_up(app: Dash) -> None:
    """Make Dash set itself up now, before real traffic arrives.

    Dash registers its script paths on the first request, after marking the
    set-up as done: with threaded workers a second request that arrives
    meanwhile finds no registered scripts and fails ("dash is not a registered
    library"). One request at start-up closes that window.
    """
    response = app.server.test_client().get("/")
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
    server = Flask(__name__)
    server.config["COMPRESS_MIMETYPES"] = [*defaults.config["COMPRESS_MIMETYPES"], MEDIA_TYPE]
    return server


def screen_frame(body, lang: str) -> html.Div:
    """Title bar (city, title, clock, language switch) above a page's body."""
    other = "en" if lang == "zh" else "zh"
    return html.Div(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.Span(t("city", lang)),
                            dcc.Link(t("nav.map", lang), href=f"/?lang={lang}", className="gc-nav"),
                            dcc.Link(
                                t("nav.console", lang),
                                href=f"/dispatch?lang={lang}",
                                className="gc-nav",
                            ),
                        ],
                        className="gc-header-left",
                    ),
                    html.Div([t("title", lang), html.Small("GRID COMMAND")], className="gc-title"),
                    html.Div(
                        [
                            html.Span(id=ids.CLOCK, className="gc-clock"),
                            html.A(t("switch", lang), href=f"?lang={other}", className="gc-lang"),
                        ],
                        className="gc-header-right",
                    ),
                ],
                className="gc-header",
            ),
            body,
        ],
        className="gc-screen",
    )


def _query(search: str | None) -> dict[str, str]:
    values = parse_qs((search or "").lstrip("?"))
    return {key: items[-1] for key, items in values.items()}
