"""The review's map: the grids coloured by the metric over the towns, hot
spots on top, the colour key; and its live values for one ``Review``.

The grids come by one URL (per geometry version and town) and are styled
from a small ``hideout``; a drill changes the hideout, not the URL.
"""

from __future__ import annotations

import dash_leaflet as dl
from dash import html

from dashboard import ids
from dashboard.leaflet_parts import PAPER_LAND, canvas_map, empty, js, towns_layer
from layers.dispatch_lines import fit_bounds
from layers.review_map import PAPER, TOWN_LINE, review_map_layers

MAP_LAYERS = {name: f"review-map-{name}" for name in ("land", "grids", "towns", "hot")}
TOWN_BORDERS = {"color": TOWN_LINE, "weight": 1.6}


def grids_url(geometry_version: int, town: str | None) -> str:
    """The review's grids, by URL: the browser keeps them per geometry version and town."""
    return f"/api/v1/grids.geojson?v={geometry_version}" + (f"&town={town}" if town else "")


def map_layers(review, lang: str, viewport: dict | None = None) -> dict:
    """The map's live values for ``review``: the grids' hideout, the hot spots,
    the legend, and the bounds to fit ([[south, west], [north, east]])."""
    hot = review.hot_spots.rename(columns={"grid_code": "code"}) if len(review.hot_spots) else None
    width = float((viewport or {}).get("width") or 1920)
    drawn = review_map_layers(
        review.grids,
        metric=review.metric,
        period_label=review.query.period.label(lang),
        lang=lang,
        selected=review.query.code if review.query.level == "grid" else None,
        hot=hot,
        scale=2.0 if width >= 3000 else 1.0,
    )
    drawn["bounds"] = fit_bounds([review.bounds[:2], review.bounds[2:]] if review.bounds else [])
    return drawn


def review_map(sources: dict) -> html.Div:
    """The grids coloured by the metric over the towns as land, the town
    borders above them, hot spots on top, and the colour key.

    The grids' URL comes with their first ``hideout``, in one update: a
    GeoJSON layer fetching its URL before the hideout came would draw with
    the empty one and keep it (its filter shows only the area's grids)."""
    layers = [
        towns_layer(MAP_LAYERS["land"], sources["towns"], PAPER_LAND),
        dl.GeoJSON(
            id=MAP_LAYERS["grids"],
            style=js("reviewStyle"),
            onEachFeature=js("reviewEach"),
            filter=js("reviewShown"),
            hideout={},
        ),
        towns_layer(MAP_LAYERS["towns"], sources["towns"], TOWN_BORDERS),
        dl.GeoJSON(
            id=MAP_LAYERS["hot"],
            data=empty(),
            pointToLayer=js("point"),
            onEachFeature=js("pointEach"),
        ),
    ]
    return html.Div(
        [
            canvas_map(ids.REVIEW_MAP, layers, fit_bounds([]), sources, background=PAPER),
            html.Div(id=ids.REVIEW_LEGEND, className="gc-review-legend"),
        ],
        className="gc-review-map",
    )


def legend_view(legend: dict) -> list:
    """The colour key over the map: metric and unit, period, scale, no-data swatch."""
    return [
        html.Div(legend["title"], className="gc-review-legend-title"),
        html.Div(legend["period"], className="gc-review-legend-period"),
        html.Div(className="gc-review-legend-bar", style={"background": legend["gradient"]}),
        html.Div([html.Span(tick) for tick in legend["ticks"]], className="gc-review-legend-ticks"),
        html.Div(
            [html.Span(style={"background": legend["nodata"]}), legend["nodata_label"]],
            className="gc-review-legend-none",
        ),
    ]
