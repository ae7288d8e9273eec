"""The command map's layout: the wall's map with every layer, the side panels,
the layer switches and the legend; the ids its live refresh writes to.

With a first picture (``pages.command_map.first_picture``) in it, the map
draws once, with the right colours, without waiting for a callback.
"""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from dashboard import ids
from dashboard.components.panels import legend
from dashboard.i18n import t
from dashboard.kiosk import Kiosk
from dashboard.leaflet_parts import canvas_map, empty, js
from layers import cadres, grids, incidents
from layers.map_figure import WALL_LAYERS, toggle_of
from layers.registry import LAYERS

# Ids of the live machinery of this page.
LIVE_STATE = "live-state"  # {seq, digests, ok_at}: what this screen shows
# Written by nobody: the callback that keeps the browser's listener for the
# change feed informed (assets/gc_live.js) needs an output.
LISTENING = "wall-listening"
STALE = "stale-note"
KIOSK = "kiosk-options"
SERVICE, TREND_24H, TREND_7D = "service-tiles", "trend-24h", "trend-7d"
CATEGORIES, TICKER = "open-categories", "ticker"
EVENTS_BANNER = "wall-events"
FORECAST = "wall-forecast"  # the next 7 days (dashboard.components.forecast_panel)
RISES = "wall-rises"  # the pairs expected clearly above the usual
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
    FORECAST,
    RISES,
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


def component_id(name: str) -> str:
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
        layers.append(dl.GeoJSON(id=component_id(name), filter=js("shown"), **source, **props))
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
            dcc.Store(id=LISTENING),
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
                            _panel(t("panel.forecast", lang), FORECAST, body=panel[FORECAST]),
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
                            _panel(t("panel.rises", lang), RISES, body=panel[RISES]),
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
