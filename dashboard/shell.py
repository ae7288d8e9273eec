"""The Dash app: layout shell, router and pages, on a Flask server made by ``server``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import DependencyException
from dash.fingerprint import check_fingerprint
from flask import Flask, abort, request, send_file
from flask_wtf.csrf import generate_csrf

from dashboard import field_invite_panel, ids, signin
from dashboard.i18n import TEXT, pick_language, t
from dashboard.kiosk import parse_kiosk
from dashboard.pages import admin, command_map, console, data_import, events, review
from domain.access import ADMIN, DISPATCH, VIEW
from web import guard

ASSETS = Path(__file__).resolve().parent / "assets"
# The charts' plotly.js (scripts/plotly_bundle). Dash must not load it with the
# assets on every page: parsing it delayed the wall's map by about a second,
# and the wall draws no plotly at all. dcc.Graph loads plotly.js by itself, on
# the first graph of a page, from Dash's plotly.min.js URL: that URL is
# answered with this bundle (``_charts_plotly_is_the_bundle``).
CHART_PLOTLY = ASSETS / "vendor" / "plotly-custom.min.js"
# Dash loads @babel/polyfill (core-js and regenerator) before everything on
# every page: its evaluation took about 0.2 s of the wall's first draw on this
# kind of machine, for browsers that need no polyfill. What Dash's own
# scripts do need of it is the global ``regeneratorRuntime`` (their compiled
# async functions call it), so every page loads regenerator's runtime alone
# instead (scripts/regenerator_runtime, the same place in the order).
POLYFILL = re.compile(
    r'<script src="[^"]*/_dash-component-suites/dash/deps/polyfill@[^"]*"></script>'
)
REGENERATOR = ASSETS / "vendor" / "regenerator-runtime.js"
DCC_PLOTLY = ("plotly", "package_data/plotly.min.js")  # what dcc.Graph asks for

PAGES = {
    "/": command_map,
    "/dispatch": console,
    "/review": review,
    "/events": events,
    "/admin": admin,
    "/data": data_import,
}
# What a caller must be allowed to do to be shown a page (its callbacks check again).
PAGE_PERMISSION = {
    "/": VIEW,
    "/dispatch": DISPATCH,
    "/review": VIEW,
    "/events": VIEW,
    "/admin": ADMIN,
    "/data": ADMIN,
}

TITLE_JS = """
function (lang) {
    const titles = %s;
    if (titles[lang]) { document.title = titles[lang]; }
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    return lang;
}
"""

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


HTML_LANG = {"zh": "zh-CN", "en": "en"}  # <html lang>: what a screen reader speaks
# Component libraries the wall never draws: its index leaves their scripts
# out (AG Grid's is 1.3 MB for the browser to parse before Dash boots), so
# its header's links load the next page whole (``nav_links(full_load=True)``).
WALL_UNUSED = ("dash_ag_grid",)


def preload_links(urls: list[tuple[str, str]]) -> str:
    """``<link rel=preload>`` tags for (URL, ``as``) pairs. A fetch preload is
    made with ``crossorigin=anonymous``, the credentials of dash-leaflet's plain
    ``fetch(url)``, so that the browser hands that fetch the preloaded answer."""
    cors = {"fetch": ' crossorigin="anonymous"'}
    return "".join(
        f'<link rel="preload" href="{escape(url)}" as="{kind}"{cors.get(kind, "")}>'
        for url, kind in urls
    )


def without_scripts(scripts: str, packages: tuple[str, ...]) -> str:
    """Dash's script tags ``scripts`` less those of the component ``packages``."""
    names = "|".join(re.escape(name) for name in packages)
    return re.sub(
        rf'<script src="[^"]*/_dash-component-suites/(?:{names})/[^"]*"></script>\s*', "", scripts
    )


def without_polyfill(scripts: str, runtime_url: str) -> str:
    """Dash's script tags ``scripts`` with regenerator's runtime at ``runtime_url``
    in place of Dash's @babel/polyfill (``POLYFILL``); unchanged if Dash names
    its polyfill otherwise (tests/test_dashboard_server.py says so)."""
    tag = f'<script src="{escape(runtime_url)}"></script>'
    return POLYFILL.sub(lambda _: tag, scripts, count=1)


def _titled_index(app: Dash, default_lang: str, preloads=None) -> None:
    """Every page opens with its language declared and its window title in
    that language (a wall in English is titled in English from its first paint).

    The wall's page (``/``) also names what it will need after Dash has
    booted, ``preloads()`` (``command_map.preloads``), for the browser to
    fetch at once, and leaves out the scripts of ``WALL_UNUSED``."""
    plain = app.interpolate_index

    def interpolate_index(**parts):
        lang = pick_language(request.args.get("lang"), default_lang)
        parts["scripts"] = without_polyfill(
            parts["scripts"], app.get_asset_url(f"vendor/{REGENERATOR.name}")
        )
        if preloads is not None and request.path == "/":
            parts["metas"] = parts.get("metas", "") + preload_links(preloads())
            parts["scripts"] = without_scripts(parts["scripts"], WALL_UNUSED)
        page = plain(**{**parts, "title": t("doc_title", lang)})
        return page.replace("<html>", f'<html lang="{HTML_LANG[lang]}">', 1)

    app.interpolate_index = interpolate_index


def create_dash(server: Flask, settings, store) -> Dash:
    """The Dash app serving every screen on ``server`` (the API is mounted beside it)."""
    app = Dash(
        __name__,
        server=server,
        title=t("doc_title", settings.lang),  # per request: _titled_index
        update_title=None,
        assets_folder=str(ASSETS),
        # File names, loaded by hand: see CHART_PLOTLY and REGENERATOR.
        assets_ignore=r"^(plotly-custom\.min|regenerator-runtime)\.js$",
        use_pages=False,
        serve_locally=True,
        compress=True,
        suppress_callback_exceptions=True,  # pages are rendered by the router
    )
    app.server.register_blueprint(signin.blueprint)
    app.layout = html.Div(
        [
            dcc.Location(id=ids.URL),
            dcc.Store(id=ids.LANG),
            dcc.Store(id=ids.DOC_TITLE),
            dcc.Store(id=ids.WINDOW),
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
        Input(ids.WINDOW, "data"),  # set in the browser first: the wall's first picture fits it
    )
    def route(pathname, search, window):
        lang = pick_language(_query(search).get("lang"), settings.lang)
        page = PAGES.get(pathname or "/")
        principal = guard.current_principal()
        if page is not None and not principal.can(PAGE_PERMISSION[pathname or "/"]):
            body = html.Div(t("no_permission", lang), className="gc-empty")
            return screen_frame(body, lang, principal, full_load=page is command_map), lang
        if page is command_map:
            query = _query(search)
            kiosk = parse_kiosk(query, _town_index(store), settings.refresh_s, lang)
            first = command_map.first_picture(
                store, lang=lang, kiosk=kiosk, screen=window, scope=principal.town
            )
            body = page.layout(lang, kiosk, command_map.map_sources(store, settings), first)
        elif page is review:
            body = page.layout(
                lang, _query(search), principal, store, command_map.map_sources(store, settings)
            )
        elif page is events:
            body = page.layout(lang, store, command_map.map_sources(store, settings))
        elif page in (console, data_import):
            body = page.layout(lang, command_map.map_sources(store, settings))
        else:
            body = (
                page.layout(lang)
                if page
                else html.Div(
                    [t("not_found", lang), " · ", dcc.Link(t("home", lang), href="/")],
                    className="gc-empty",
                )
            )
        # the wall's index lacks scripts of other pages: its links load them whole
        return screen_frame(body, lang, principal, full_load=page is command_map), lang

    prefix = app.config.requests_pathname_prefix
    _titled_index(app, settings.lang, lambda: command_map.preloads(store, settings, prefix))
    # Once per page load, before the router runs (its input), without a round trip.
    app.clientside_callback(
        command_map.WINDOW_SIZE_JS, Output(ids.WINDOW, "data"), Input(ids.URL, "id")
    )
    # The window's title follows the language when a link switches it, too.
    app.clientside_callback(
        TITLE_JS % json.dumps({lang: t("doc_title", lang) for lang in TEXT}, ensure_ascii=False),
        Output(ids.DOC_TITLE, "data"),
        Input(ids.LANG, "data"),
    )
    app.clientside_callback(
        CLOCK_JS,
        Output(ids.CLOCK, "children"),
        Input(ids.CLOCK_TICK, "n_intervals"),
        State(ids.LANG, "data"),
    )
    for page in PAGES.values():
        page.register(app, context)
    field_invite_panel.register(app, context)
    _unknown_scripts_not_found(app.server)
    _charts_plotly_is_the_bundle(app.server)
    return app


def nav_links(principal, lang: str, full_load: bool = False) -> list:
    """The pages this caller may open, as header links (all of them before sign-in).

    ``full_load``: each link loads its page whole, with its own index (the
    wall's leaves out scripts that other pages need: ``WALL_UNUSED``)."""
    anyone = principal is None
    person = anyone or principal.kind == "user"
    pages = [
        ("nav.map", "/", True),
        ("nav.console", "/dispatch", anyone or principal.can(DISPATCH)),
        ("nav.review", "/review", person),
        ("nav.events", "/events", person),
        ("nav.admin", "/admin", not anyone and principal.can(ADMIN)),
        ("nav.data", "/data", not anyone and principal.can(ADMIN)),
    ]
    return [
        dcc.Link(t(key, lang), href=f"{path}?lang={lang}", className="gc-nav", refresh=full_load)
        for key, path, shown in pages
        if shown
    ]


def _town_index(store) -> dict[str, str]:
    """Town code and name (Chinese and English) to code, for kiosk URLs."""
    index = {}
    for row in store.towns().itertuples(index=False):
        index[row.code] = index[row.name] = index[str(row.name_en)] = row.code
    return index


def _unknown_scripts_not_found(server: Flask) -> None:
    """Answer 404, not 500, for a script path Dash does not serve.

    Dash raises DependencyException for it, which reaches the client as an
    internal error: a free 500 for anyone who asks.
    """
    endpoint = "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>"
    serve = server.view_functions[endpoint]

    def serve_known(**kwargs):
        try:
            return serve(**kwargs)
        except DependencyException:
            abort(404)

    server.view_functions[endpoint] = serve_known


def _charts_plotly_is_the_bundle(server: Flask) -> None:
    """Answer dcc.Graph's request for plotly.js with the small chart bundle.

    dcc.Graph loads ``_dash-component-suites/plotly/package_data/plotly.min.js``
    (the python package's full 4.8 MB plotly.js) when a graph mounts and
    ``window.Plotly`` is not there; only pages with a graph ask for it, after
    their first paint. It gets ``CHART_PLOTLY`` instead, revalidated by ETag.
    """
    endpoint = "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>"
    serve = server.view_functions[endpoint]

    def serve_bundle(package_name, fingerprinted_path, **kwargs):
        path, _ = check_fingerprint(fingerprinted_path)
        if (package_name, path) == DCC_PLOTLY:
            return send_file(
                CHART_PLOTLY, mimetype="text/javascript", conditional=True, etag=True, max_age=0
            )
        return serve(package_name=package_name, fingerprinted_path=fingerprinted_path, **kwargs)

    server.view_functions[endpoint] = serve_bundle


def account(principal, lang: str) -> list:
    """Who is signed in, and the sign-out button (a form: a POST with the CSRF token)."""
    if principal.kind != "user":
        return []  # a wall shown with a display key: nobody to sign out
    return [
        html.Span(principal.name, className="gc-user", title=t(f"role.{principal.role}", lang)),
        html.Form(
            [
                dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
                html.Button(t("signout", lang), type="submit", className="gc-signout"),
            ],
            action="/logout",
            method="post",
            className="gc-signout-form",
        ),
    ]


def screen_frame(body, lang: str, principal=None, full_load: bool = False) -> html.Div:
    """Title bar (city, title, clock, who is signed in, language switch) above
    a page's body; ``full_load``: see ``nav_links``."""
    other = "en" if lang == "zh" else "zh"
    return html.Div(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.Span(t("city", lang)),
                            *nav_links(principal, lang, full_load),
                        ],
                        className="gc-header-left",
                    ),
                    html.Div([t("title", lang), html.Small("GRID COMMAND")], className="gc-title"),
                    html.Div(
                        [
                            html.Span(id=ids.CLOCK, className="gc-clock"),
                            *(account(principal, lang) if principal is not None else []),
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
