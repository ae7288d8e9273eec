"""The command map at `/`: the city on one map with its headline figures.

Every ``kiosk.refresh_s`` a screen asks whether the change feed moved and
gets only the layers and panels that changed (``refreshed``); the layout is
in ``dashboard.command_map_layout``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

from dash import ClientsideFunction, Input, Output, State, no_update
from plotly.io.json import to_json_plotly

from dashboard import ids
from dashboard.command_map_layout import (
    CATEGORIES,
    EVENTS_BANNER,
    FORECAST,
    KIOSK,
    LISTENING,
    LIVE_PROPS,
    LIVE_STATE,
    PANELS,
    RISES,
    SERVICE,
    STALE,
    TICKER,
    TREND_7D,
    TREND_24H,
    WALL,
    component_id,
    layout,  # noqa: F401  (the router calls layout)
)
from dashboard.components.forecast_panel import forecast_panel, rises_panel
from dashboard.components.panels import (
    category_bars,
    event_banner,
    kpi_tiles,
    service_tiles,
    ticker,
    town_ranking,
    trend_bars,
)
from dashboard.connection import register_connection_note
from dashboard.i18n import t
from dashboard.kiosk import Kiosk
from dashboard.leaflet_parts import FIT
from dashboard.live import layer_update
from dashboard.map_view import current_minute, town_codes
from dashboard.view_cache import memo, shared_view, shown_layer
from dashboard.wiring import Callbacks
from layers.map_figure import toggle_of
from web.guard import current_principal

# Layer switches run in the browser: each layer's ``hideout.show`` says
# whether its features pass the filter, so nothing goes to the server.
TOGGLE_LAYERS_JS = """
function (visible, ...hideouts) {
    const shown = new Set(visible || []);
    const toggles = TOGGLES;
    return hideouts.map((h, i) => (h && h.show === shown.has(toggles[i]))
        ? window.dash_clientside.no_update
        : Object.assign({}, h || {}, {show: shown.has(toggles[i])}));
}
""".replace("TOGGLES", json.dumps([toggle_of(name) for name in WALL]))


def map_sources(store, settings) -> dict:
    """The wall's geometry URLs, versioned so a browser keeps them until the
    boundaries change, and the centre's tile server, if any."""
    version = store.geometry_version()
    return {
        "grids": f"/api/v1/grids.geojson?v={version}",
        "towns": f"/api/v1/towns.geojson?v={version}",
        "tiles": settings.tile_url,
        "attribution": settings.tile_attribution,
    }


# dash-leaflet's GeoJSON layer is a chunk of its own, loaded by webpack when
# the first GeoJSON mounts (after the router's answer): relative to the
# package's scripts, no fingerprint.
GEOJSON_CHUNK = "_dash-component-suites/dash_leaflet/async-GeoJSON.js"


def preloads(store, settings, prefix: str = "/") -> list[tuple[str, str]]:
    """What the wall always needs but asks for only late, as (URL, ``as``) of
    ``<link rel=preload>``: dash-leaflet's GeoJSON chunk and the versioned
    grids and towns, so they arrive while Dash's scripts load and the router
    builds the first picture, instead of after it."""
    sources = map_sources(store, settings)
    return [
        (prefix + GEOJSON_CHUNK, "script"),
        (sources["grids"], "fetch"),
        (sources["towns"], "fetch"),
    ]


def focus_town(kiosk: dict, codes: list[str], now_s: float) -> str | None:
    """The town a screen focuses on now: its ``town``, or the tour's current stop."""
    if kiosk.get("tour_s") and codes:
        return codes[int(now_s // kiosk["tour_s"]) % len(codes)]
    return kiosk.get("town")


def unchanged_panels(
    panels: list, old: list[str] | None, digests: list[str] | None = None
) -> tuple[list, list[str]]:
    """The panels to send (``no_update`` where the screen already shows the
    same one) and their digests (``digests``: already computed)."""
    digests = digests or [
        hashlib.blake2b(to_json_plotly(panel).encode(), digest_size=8).hexdigest()
        for panel in panels
    ]
    if old is None or len(old) != len(digests):
        return panels, digests
    return [
        no_update if a == b else panel for panel, a, b in zip(panels, digests, old, strict=True)
    ], digests


def _now_ms() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp() * 1000)


# The browser window's size, written into a dcc.Store once the page is up.
WINDOW_SIZE_JS = "function(_) { return {width: window.innerWidth, height: window.innerHeight}; }"


callbacks = Callbacks()


def register(app, context) -> None:
    """Attach the page's callbacks to ``app``; ``context`` holds store and settings."""
    callbacks.register(app, context)
    # A screen that loses the server keeps its picture and says since when
    # (only after a check went unanswered); the interval keeps asking, so it
    # recovers by itself.
    register_connection_note(app, STALE, ids.CLOCK_TICK, ids.REFRESH, LIVE_STATE, ids.LANG)


callbacks.clientside(WINDOW_SIZE_JS, Output(ids.SCREEN, "data"), Input(ids.MAP, "id"))


@callbacks(
    Output(ids.MAP, "viewport"),
    *[Output(component_id(name), LIVE_PROPS.get(name, "data")) for name in WALL],
    Output(ids.KPIS, "children"),
    Output(ids.TOWN_RANKING, "children"),
    Output(SERVICE, "children"),
    Output(TREND_24H, "children"),
    Output(TREND_7D, "children"),
    Output(CATEGORIES, "children"),
    Output(TICKER, "children"),
    Output(EVENTS_BANNER, "children"),
    Output(FORECAST, "children"),
    Output(RISES, "children"),
    Output(ids.UPDATED, "children"),
    Output(LIVE_STATE, "data"),
    Input(ids.SCREEN, "data"),
    Input(ids.REFRESH, "n_intervals"),
    State(LIVE_STATE, "data"),
    State(KIOSK, "data"),
    State(ids.LANG, "data"),
)
def refresh_map(context, screen, _tick, state, kiosk, lang):
    scope = current_principal().town  # a town leader sees their town only
    lang = lang or context.settings.lang
    return refreshed(context.store, screen=screen, state=state, kiosk=kiosk, lang=lang, scope=scope)


# The browser listens for the change feed (assets/gc_live.js: a long poll) and,
# when it moves past the position this screen shows, makes the refresh tick at
# once, so a new report goes out without waiting for the next check; the
# interval's own checks stay, should the listening fail.
callbacks.clientside(
    ClientsideFunction("gc_live", "shown"), Output(LISTENING, "data"), Input(LIVE_STATE, "data")
)


callbacks.clientside(
    TOGGLE_LAYERS_JS,
    *[Output(component_id(name), "hideout", allow_duplicate=True) for name in WALL],
    Input(ids.LAYER_TOGGLES, "value"),
    *[State(component_id(name), "hideout") for name in WALL],
    prevent_initial_call=True,
)


def refreshed(store, *, screen, state, kiosk, lang: str, scope: str | None) -> tuple:
    """What a screen's refresh sends, in the order of ``refresh_map``'s
    outputs: while nothing moved, only the time of this answer in its state;
    else the layers and panels that differ from what the screen shows
    (``state``), everything for a new focus, and the new state."""
    focus = scope or focus_town(kiosk or {}, town_codes(store), time.time())
    first = not state or state.get("focus") != focus  # else the layout's picture stands
    quiet = (
        state
        and state.get("seq") == store.latest_seq()
        and not state.get("flash")
        and state.get("minute") == current_minute()
    )
    if not first and quiet:
        return (*[no_update] * (2 + len(PANELS) + len(WALL)), {**state, "ok_at": _now_ms()})
    view = shared_view(
        store, lang=lang, screen=screen, focus=focus, scope=scope, prepare=panels_of(lang)
    )
    layers = map_updates(view, None if first else state.get("digests"))
    viewport = no_update
    if first:  # a new focus fits the map to it; otherwise zoom and pan stay the operator's
        minx, miny, maxx, maxy = view.bounds
        viewport = {"bounds": [[miny, minx], [maxy, maxx]], "options": FIT}
    panels, digests = shared_panels(view, lang)
    sent, panel_digests = unchanged_panels(panels, None if first else state.get("panels"), digests)
    return (
        viewport,
        *layers,
        *sent,
        updated_note(view, lang),
        wall_state(view, focus, panel_digests),
    )


def wall_panels(view, lang: str) -> list:
    """The side panels and the events banner of ``view``, in the order of ``PANELS``."""
    return [
        kpi_tiles(view.situation, lang, view.risk, view.spots),
        town_ranking(view.ranking, lang),
        service_tiles(view.service, lang),
        trend_bars(view.trend_24h, lang, step="h"),
        trend_bars(view.trend_7d, lang, step="D"),
        category_bars(view.categories.head(6), lang),
        ticker(view.newest.head(6), lang),
        event_banner(view.events, lang),
        forecast_panel(view.week, lang, view.town_names or {}, view.week_model),
        rises_panel(view.week, lang, view.town_names or {}),
    ]


def shared_panels(view, lang: str) -> tuple[list, list[str]]:
    """The panels of ``view`` and their digests, built once for all its screens."""
    return memo(view, ("panels", lang), lambda: unchanged_panels(wall_panels(view, lang), None))


def panels_of(lang: str):
    """``shared_view``'s ``prepare``: the panels in ``lang``, built by the worker
    that builds the picture and read with it by the others."""
    return lambda view: shared_panels(view, lang)


def updated_note(view, lang: str) -> str:
    stamp = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))
    return f"{t('updated', lang)} {stamp:%H:%M:%S} · #{view.change_seq}"


def wall_state(view, focus: str | None, panel_digests: list[str]) -> dict:
    """What a screen shows (``LIVE_STATE``): the next refresh sends only what differs."""
    return {
        "seq": view.change_seq,
        "digests": view.digests,
        "ok_at": _now_ms(),
        "flash": view.flash_until is not None,
        "focus": focus,
        "panels": panel_digests,
        "minute": current_minute(),
    }


def first_picture(
    store, *, lang: str, kiosk: Kiosk, screen: dict | None, scope: str | None
) -> dict:
    """The wall's first picture, for its layout: every layer's value, the
    focus's bounds, the panels and the live state, as the first refresh would
    send them, so the map draws once without waiting for a callback.

    ``scope`` is the caller's town (a town leader's wall shows only it), as in
    the refresh.
    """
    focus = scope or focus_town(
        {"town": kiosk.town, "tour_s": kiosk.tour_s}, town_codes(store), time.time()
    )
    view = shared_view(
        store, lang=lang, screen=screen, focus=focus, scope=scope, prepare=panels_of(lang)
    )
    panels, panel_digests = shared_panels(view, lang)
    minx, miny, maxx, maxy = view.bounds
    return {
        "layers": view.layers,
        "bounds": [[miny, minx], [maxy, maxx]],
        "panels": panels,
        "updated": updated_note(view, lang),
        "screen": screen,
        "state": wall_state(view, focus, panel_digests),
    }


def map_updates(view, old: dict | None) -> list:
    """What to send for each wall layer (in the order of ``WALL``): nothing where
    the screen shows it already, point edits where the worker still holds
    what the screen shows, else the whole value."""
    out = []
    for name in WALL:
        digest = (view.digests or {}).get(name)
        before = (old or {}).get(name)
        if old is not None and before == digest:
            out.append(no_update)
            continue
        kind = LIVE_PROPS.get(name, "data")
        out.append(
            memo(
                view,
                ("update", name, before),
                lambda n=name, b=before, k=kind: layer_update(view.layers[n], shown_layer(n, b), k),
            )
        )
    return out
