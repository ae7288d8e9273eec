"""Plain-dict pieces of Leaflet layers (dash-leaflet props), shared by the map layers.

Points travel as small GeoJSON FeatureCollections whose properties say how
to draw each point (``c`` colour, ``r`` radius in CSS px, ``tooltip`` its
hover card as escaped HTML); the functions that draw them live in
dashboard/assets/gc_map.js. Polygons come by URL and are styled there from a
small ``hideout`` mapping, so a live update sends values, not shapes.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence


def card(title: str, lines: Iterable[str]) -> str:
    """A hover card: the title in bold, then one line each, all escaped."""
    rows = [f"<b>{html.escape(str(title))}</b>"]
    rows += [html.escape(str(line)) for line in lines if line]
    return "<br>".join(rows)


def point_collection(
    ids: Sequence, lon: Sequence[float], lat: Sequence[float], properties: Sequence[dict]
) -> dict:
    """A FeatureCollection of points with ids (so a live update can edit it point by point)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": str(fid),
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(x), 6), round(float(y), 6)],
                },
                "properties": props,
            }
            for fid, x, y, props in zip(ids, lon, lat, properties, strict=True)
        ],
    }


def radius(diameter_px: float) -> float:
    """A circle marker's radius for a dot of ``diameter_px``."""
    return round(diameter_px / 2, 1)
