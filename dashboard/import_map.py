"""The /data page's map: a file's shapes and the problems found in them over
the city's towns, on paper colours; and what a check puts on it."""

from __future__ import annotations

import dash_leaflet as dl

from dashboard import ids
from dashboard.import_view import PROBLEM_NAMES, name_of, problem_text
from dashboard.leaflet_parts import FIT, canvas_map, empty, js, towns_layer
from layers.dispatch_lines import fit_bounds
from layers.import_map import import_map_layers
from layers.review_map import PAPER

MAP_LAYERS = {name: f"import-map-{name}" for name in ("towns", "shapes", "problems")}
# The towns as land on paper, their borders grey.
TOWNS = {"color": "#64748b", "weight": 1.2, "fill": "#ffffff"}
DEFAULT_SOURCES = {"towns": "/api/v1/towns.geojson"}


def file_map(sources: dict) -> dl.MapContainer:
    """The file's shapes and problems over the city's towns, on paper colours."""
    layers = [
        towns_layer(MAP_LAYERS["towns"], sources["towns"], TOWNS),
        dl.GeoJSON(
            id=MAP_LAYERS["shapes"], data=empty(), style=js("lineStyle"), onEachFeature=js("each")
        ),
        dl.GeoJSON(
            id=MAP_LAYERS["problems"],
            data=empty(),
            style=js("fillStyle"),
            onEachFeature=js("areaEach"),
        ),
    ]
    return canvas_map(ids.IMPORT_MAP, layers, fit_bounds([]), sources, background=PAPER)


def checked_map(found, lang: str, geometry_version: int) -> list:
    """The map's values for a check with shapes (``found.result``): the
    shapes, the problems named in ``lang``, the towns' URL at this geometry
    version, and the view fitted to the file."""
    shown = import_map_layers(
        found.result.features,
        found.result.problems,
        names={k: name_of(PROBLEM_NAMES, k, lang) for k in PROBLEM_NAMES},
        texts=[problem_text(p, lang, found.kind) for p in found.result.problems],
    )
    return [
        shown["shapes"],
        shown["problems"],
        f"/api/v1/towns.geojson?v={geometry_version}",
        {"bounds": shown["bounds"], "options": FIT},
    ]
