"""The dispatch console's map: its layers, and what a callback sends to it.

Town and grid outlines come once by URL; the incidents, cadres, lines and
labels are small collections (``dispatch_view.console_map``) sent as the
operator picks an incident or ticks a plan's rows.
"""

from __future__ import annotations

import dash_leaflet as dl
from dash import html, no_update

from dashboard import ids
from dashboard.dispatch_view import console_map, map_size
from dashboard.i18n import t
from dashboard.leaflet_parts import canvas_map, empty, js
from layers.dispatch_lines import (
    BACKDROP,
    BEST,
    INCIDENT,
    LAYERS,
    OTHER,
    PLAN_KINDS,
    SENT,
    fit_bounds,
)

MAP_REVISION = "console-map-revision"  # what the map was last fitted to
# The console's map: town and grid outlines by URL, the rest as small collections.
DEFAULT_SOURCES = {"grids": "/api/v1/grids.geojson", "towns": "/api/v1/towns.geojson"}
GRID_OUTLINE = {"color": "#4d7fb3", "weight": 0.8, "opacity": 0.35}


def layer_id(name: str) -> str:
    return f"console-{name}"


def dispatch_map(lang: str, sources: dict | None = None) -> html.Div:
    """The map of the chosen incident or of the plan, with its legend."""
    sources = sources or DEFAULT_SOURCES
    marks = [
        ("dot", INCIDENT, t("map.incident", lang)),
        ("line", BEST, t("map.best", lang)),
        ("line", OTHER, t("map.other", lang)),
        ("line", SENT, t("map.sent", lang)),
        ("dot", BACKDROP, t("map.open", lang)),
    ] + [("line", colour, zh if lang == "zh" else en) for _, _, colour, zh, en in PLAN_KINDS]
    legend = html.Div(
        [
            html.Span(
                [html.Span(className=f"gc-key-{shape}", style={"background": colour}), label],
                className="gc-key",
            )
            for shape, colour, label in marks
        ],
        className="gc-map-legend",
    )
    drawn = {"lines": {"style": js("lineStyle"), "onEachFeature": js("each")}}
    points = {"pointToLayer": js("point"), "onEachFeature": js("pointEach")}
    layers = [
        dl.GeoJSON(
            id=layer_id("grids"),
            url=sources["grids"],
            style=js("outlineStyle"),
            onEachFeature=js("each"),
            hideout=GRID_OUTLINE,
        ),
        dl.GeoJSON(
            id=layer_id("towns"),
            url=sources["towns"],
            style=js("townStyle"),
            onEachFeature=js("areaEach"),
            hideout={},
        ),
        *[
            dl.GeoJSON(id=layer_id(name), data=empty(), **drawn.get(name, points))
            for name in LAYERS
        ],
        dl.GeoJSON(
            id=layer_id("labels"),
            data=empty(),
            pointToLayer=js("label"),
            onEachFeature=js("labelEach"),
        ),
    ]
    return html.Div(
        [
            canvas_map(ids.DISPATCH_MAP, layers, fit_bounds([]), sources),
            legend,
        ],
        className="gc-map-frame gc-console-map",
    )


def fit_room(scale: float) -> dict:
    """Room around what the map is fitted to, in CSS px at the screen's
    ``scale``: for the cadres' number tags above their dots, and for the
    legend along the bottom."""
    return {
        "paddingTopLeft": [48 * scale, 56 * scale],
        "paddingBottomRight": [48 * scale, 72 * scale],
    }


def map_update(
    store, screen, shown, lang, *, chosen=None, planned=None, token: object = ""
) -> list:
    """What the map callbacks send (``pages.console.map_targets``) for what is
    to be shown: the view, fitted anew only for something else to show (zoom
    and pan stay the operator's), each layer's value, and the revision shown."""
    drawn = console_map(
        store,
        lang=lang or "zh",
        screen=screen,
        chosen=chosen,
        planned=planned,
        plan_token=token,
    )
    viewport = (
        no_update
        if drawn["revision"] == shown
        else {"bounds": drawn["bounds"], "options": fit_room(map_size(screen)[2])}
    )
    return [viewport, *[drawn["layers"][name] for name in (*LAYERS, "labels")], drawn["revision"]]
