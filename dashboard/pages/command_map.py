"""The command map at `/`: the city on one map with its headline figures."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

import dash_leaflet as dl
from dash import Input, Output, State, dcc, html, no_update
from plotly.io.json import to_json_plotly

from dashboard import ids
from dashboard.components.panels import (
    category_bars,
    event_banner,
    kpi_tiles,
    legend,
    service_tiles,
    ticker,
    town_ranking,
    trend_bars,
)
from dashboard.connection import register_connection_note
from dashboard.i18n import t
from dashboard.kiosk import Kiosk
from dashboard.leaflet_parts import FIT, canvas_map, empty, js
from dashboard.live import layer_update
from dashboard.map_view import current_minute, shared_view, shown_layer, town_codes
from layers import cadres, grids, incidents
from layers.map_figure import WALL_LAYERS, toggle_of
from layers.registry import LAYERS
from web.guard import current_principal

# Ids of the live machinery of this page.
LIVE_STATE = "live-state"  # {seq, digests, ok_at}: what this screen shows
STALE = "stale-note"
KIOSK = "kiosk-options"
SERVICE, TREND_24H, TREND_7D = "service-tiles", "trend-24h", "trend-7d"
CATEGORIES, TICKER = "open-categories", "ticker"
EVENTS_BANNER = "wall-events"
# The panels a refresh fills, in the order of ``wall_panels``.
PANELS = (
    ids.KPIS,
    ids.TOWN_RANKING,
    SERVICE,
    TREND_24H,
    TREND_7D,
    CATEGORIES,
    TICKER,
    EVENTS_BANNER,
)


def _panel(title: str, body_id: str, class_name: str | None = None, body=None) -> html.Div:
    return html.Div(
        [html.H2(title), html.Div(body, id=body_id, className=class_name)], className="gc-panel"
    )


# Every layer of the wall: its dash-leaflet component id and the prop a live
# update sets (the polygons' ``hideout``, the points' ``data``).
LIVE_PROPS = {"grids": "hideout", "towns": "hideout"}
WALL = WALL_LAYERS
COUNTY = [[36.01, 119.63], [36.50, 120.21]]  # when the layout comes without a first picture


def _component(name: str) -> str:
    return f"wall-{name}"


def wall_map(
    lang: str, shown: tuple[str, ...], sources: dict, first: dict | None = None
) -> dl.MapContainer:
    """The Leaflet map: one canvas, polygons by URL, points sent as small collections.

    ``first`` (``first_picture``) puts the first values of every layer and the
    focus in the layout, so the map draws once, with the right colours,
    without waiting for a callback.
    """
    values = (first or {}).get("layers") or {}
    functions = {
        "grids": {"style": js("gridStyle"), "onEachFeature": js("gridEach")},
        "towns": {"style": js("townStyle"), "onEachFeature": js("areaEach")},
        "events-areas": {"style": js("areaStyle"), "onEachFeature": js("areaEach")},
        "towns-labels": {"pointToLayer": js("label"), "onEachFeature": js("labelEach")},
    }
    layers = []
    for name in WALL:
        show = toggle_of(name) in shown
        props = functions.get(name, {"pointToLayer": js("point"), "onEachFeature": js("pointEach")})
        value = values.get(name)
        if name == "grids":
            source = {
                "url": sources["grids"],
                "hideout": {**grids.static_hideout(lang, show), **(value or {})},
            }
        elif name == "towns":
            source = {"url": sources["towns"], "hideout": {"show": show, **(value or {})}}
        else:
            source = {"data": value or empty(), "hideout": {"show": show}}
        layers.append(dl.GeoJSON(id=_component(name), filter=js("shown"), **source, **props))
    bounds = (first or {}).get("bounds") or COUNTY
    return canvas_map(ids.MAP, layers, bounds, sources, zoomControl=False)


def layout(
    lang: str, kiosk: Kiosk | None = None, sources: dict | None = None, first: dict | None = None
) -> html.Div:
    """The page in ``lang``, with its first picture (``first_picture``) if given,
    else the map's values and the figures arrive by callback.

    Every ``kiosk.refresh_s`` the screen asks whether the change feed moved
    and gets only the layers that changed (``dashboard.live``). The kiosk
    options of the URL (town focus, layers, tour) come in ``kiosk``;
    ``sources`` holds the grids' and towns' GeoJSON URLs (versioned) and the
    optional tile URL (``map_sources``).
    """
    kiosk = kiosk or Kiosk(refresh_s=2.0)
    sources = sources or {"grids": "/api/v1/grids.geojson", "towns": "/api/v1/towns.geojson"}
    first = first or {}
    panel = dict(zip(PANELS, first.get("panels") or [None] * len(PANELS), strict=True))
    return html.Div(
        [
            dcc.Store(id=ids.SCREEN, data=first.get("screen")),
            dcc.Store(id=LIVE_STATE, data=first.get("state")),
            dcc.Store(id=KIOSK, data={"town": kiosk.town, "tour_s": kiosk.tour_s}),
            dcc.Interval(id=ids.REFRESH, interval=int(kiosk.refresh_s * 1000)),
            html.Div(id=STALE, className="gc-stale", style={"display": "none"}),
            html.Div(" · ".join(kiosk.notes), className="gc-kiosk-note") if kiosk.notes else None,
            html.Div(
                [
                    html.Div(
                        [
                            _panel(
                                t("panel.situation", lang), ids.KPIS, "gc-kpis", panel[ids.KPIS]
                            ),
                            _panel(
                                t("panel.service", lang),
                                SERVICE,
                                "gc-kpis gc-kpis-small",
                                panel[SERVICE],
                            ),
                            _panel(t("panel.trend_24h", lang), TREND_24H, body=panel[TREND_24H]),
                            _panel(t("panel.trend_7d", lang), TREND_7D, body=panel[TREND_7D]),
                        ],
                        className="gc-side",
                    ),
                    html.Div(
                        [
                            html.Div(
                                panel[EVENTS_BANNER], id=EVENTS_BANNER, className="gc-wall-events"
                            ),
                            wall_map(lang, kiosk.layers, sources, first),
                            html.Div(
                                dcc.Checklist(
                                    id=ids.LAYER_TOGGLES,
                                    options=[
                                        {"label": spec.title(lang), "value": spec.id}
                                        for spec in LAYERS
                                    ],
                                    value=list(kiosk.layers),
                                    className="gc-toggles",
                                ),
                                className="gc-wall-layers",
                                title=t("panel.layers", lang),
                            ),
                            html.Div(
                                legend(
                                    [
                                        (t("legend.grids", lang), grids.legend(lang), "swatch"),
                                        (
                                            t("legend.incidents", lang),
                                            incidents.legend(lang),
                                            "dot",
                                        ),
                                        (t("legend.cadres", lang), cadres.legend(lang), "dot"),
                                    ]
                                ),
                                className="gc-wall-legend",
                            ),
                        ],
                        className="gc-map-frame",
                    ),
                    html.Div(
                        [
                            _panel(
                                t("panel.towns", lang),
                                ids.TOWN_RANKING,
                                body=panel[ids.TOWN_RANKING],
                            ),
                            _panel(t("panel.categories", lang), CATEGORIES, body=panel[CATEGORIES]),
                            _panel(t("panel.ticker", lang), TICKER, body=panel[TICKER]),
                            html.Div(first.get("updated"), id=ids.UPDATED, className="gc-updated"),
                        ],
                        className="gc-side",
                    ),
                ],
                className="gc-body",
            ),
        ],
        className="gc-page",
    )


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


def focus_town(kiosk: dict, codes: list[str], now_s: float) -> str | None:
    """The town a screen focuses on now: its ``town``, or the tour's current stop."""
    if kiosk.get("tour_s") and codes:
        return codes[int(now_s // kiosk["tour_s"]) % len(codes)]
    return kiosk.get("town")


def unchanged_panels(panels: list, old: list[str] | None) -> tuple[list, list[str]]:
    """The panels to send (``no_update`` where the screen already shows the
    same one) and their digests."""
    digests = [
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


def register(app, context) -> None:
    """Attach the page's callbacks to ``app``; ``context`` holds store and settings."""
    settings = context.settings

    app.clientside_callback(
        WINDOW_SIZE_JS,
        Output(ids.SCREEN, "data"),
        Input(ids.MAP, "id"),
    )

    @app.callback(
        Output(ids.MAP, "viewport"),
        *[Output(_component(name), LIVE_PROPS.get(name, "data")) for name in WALL],
        Output(ids.KPIS, "children"),
        Output(ids.TOWN_RANKING, "children"),
        Output(SERVICE, "children"),
        Output(TREND_24H, "children"),
        Output(TREND_7D, "children"),
        Output(CATEGORIES, "children"),
        Output(TICKER, "children"),
        Output(EVENTS_BANNER, "children"),
        Output(ids.UPDATED, "children"),
        Output(LIVE_STATE, "data"),
        Input(ids.SCREEN, "data"),
        Input(ids.REFRESH, "n_intervals"),
        State(LIVE_STATE, "data"),
        State(KIOSK, "data"),
        State(ids.LANG, "data"),
    )
    def refresh_map(screen, _tick, state, kiosk, lang):
        lang = lang or settings.lang
        scope = current_principal().town  # a town leader sees their town only
        focus = scope or focus_town(kiosk or {}, town_codes(context.store), time.time())
        first = not state or state.get("focus") != focus  # else the layout's picture stands
        quiet = (
            state
            and state.get("seq") == context.store.latest_seq()
            and not state.get("flash")
            and state.get("minute") == current_minute()
        )
        if not first and quiet:
            return (*[no_update] * (10 + len(WALL)), {**state, "ok_at": _now_ms()})
        view = shared_view(context.store, lang=lang, screen=screen, focus=focus, scope=scope)
        layers = map_updates(view, None if first else state.get("digests"))
        viewport = no_update
        if first:  # a new focus fits the map to it; otherwise zoom and pan stay the operator's
            minx, miny, maxx, maxy = view.bounds
            viewport = {"bounds": [[miny, minx], [maxy, maxx]], "options": FIT}
        panels = wall_panels(view, lang)
        sent, panel_digests = unchanged_panels(panels, None if first else state.get("panels"))
        return (
            viewport,
            *layers,
            *sent,
            updated_note(view, lang),
            wall_state(view, focus, panel_digests),
        )

    # A screen that loses the server keeps its picture and says since when
    # (only after a check went unanswered); the interval keeps asking, so it
    # recovers by itself.
    register_connection_note(app, STALE, ids.CLOCK_TICK, ids.REFRESH, LIVE_STATE, ids.LANG)

    app.clientside_callback(
        TOGGLE_LAYERS_JS,
        *[Output(_component(name), "hideout", allow_duplicate=True) for name in WALL],
        Input(ids.LAYER_TOGGLES, "value"),
        *[State(_component(name), "hideout") for name in WALL],
        prevent_initial_call=True,
    )


def wall_panels(view, lang: str) -> list:
    """The side panels and the events banner of ``view``, in the order of ``PANELS``."""
    return [
        kpi_tiles(view.situation, lang),
        town_ranking(view.ranking, lang),
        service_tiles(view.service, lang),
        trend_bars(view.trend_24h, lang, step="h"),
        trend_bars(view.trend_7d, lang, step="D"),
        category_bars(view.categories.head(6), lang),
        ticker(view.newest.head(6), lang),
        event_banner(view.events, lang),
    ]


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
    view = shared_view(store, lang=lang, screen=screen, focus=focus, scope=scope)
    panels = wall_panels(view, lang)
    _, panel_digests = unchanged_panels(panels, None)
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
        out.append(layer_update(view.layers[name], shown_layer(name, before), kind))
    return out
