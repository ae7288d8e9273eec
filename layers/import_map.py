"""The map of an import's check at /admin/data: the file's shapes over the
city as it stands, and each problem where it is.

The file's shapes are outlines, simplified to about ten metres (finer than a
desk map shows). Problems with a place are filled: overlaps and surface
outside the parent in red, gaps in amber, repairs in blue; hovering one tells
what it is. The largest problems are drawn first, so a small one is never
hidden under a large one.

Pure: a GeoDataFrame and problems in, plain GeoJSON dicts (dash-leaflet's
``data``) and the bounds to fit out.
"""

from __future__ import annotations

import json

import shapely

from layers.dispatch_lines import fit_bounds
from layers.leaflet import card

SHAPE_LINE = "#1d4ed8"
# kind -> (fill colour, fill opacity)
# Aligned by hand: this table reads better laid out as a table.
PROBLEM_FILL = {"overlap": ("#dc2626", 0.55), "outside_parent": ("#dc2626", 0.45),
                "gap": ("#d97706", 0.55), "repaired": ("#2563eb", 0.35),
                "unrepairable": ("#7f1d1d", 0.6), "not_polygon": ("#7f1d1d", 0.6)}  # fmt: skip
OTHER_FILL = ("#dc2626", 0.5)
PROBLEM_LINE = "#7f1d1d"
SIMPLIFY_DEG = 0.0001  # about 10 m
SHOWN_PROBLEMS = 500  # the list has them all; the map the largest


def _features(shapes, properties: list[dict], simplify: float) -> list[dict]:
    simple = shapely.simplify(shapes, simplify) if simplify else shapes
    texts = shapely.to_geojson(shapely.set_precision(simple, 1e-6))
    return [
        {"type": "Feature", "properties": props, "geometry": json.loads(text)}
        for props, text in zip(properties, texts, strict=True)
        if text is not None and text != "null"
    ]


def _placed(problems: list) -> list:
    placed = [
        p
        for p in problems
        if p.geometry is not None
        and not p.geometry.is_empty
        and p.geometry.geom_type in ("Polygon", "MultiPolygon")
    ]
    return sorted(placed, key=lambda p: -(p.area_m2 or 0))[:SHOWN_PROBLEMS]


def problem_layer(problems: list, names: dict[str, str], texts: list[str] | None = None) -> dict:
    """The problems with a place, filled by kind, each with its hover card."""
    said = dict(zip(map(id, problems), texts or [p.message for p in problems], strict=True))
    placed = _placed(problems)
    properties = [
        {
            "kind": p.kind,
            "c": PROBLEM_FILL.get(p.kind, OTHER_FILL)[0],
            "o": PROBLEM_FILL.get(p.kind, OTHER_FILL)[1],
            "line": PROBLEM_LINE,
            "tooltip": card(names.get(p.kind, p.kind), [said[id(p)]]),
        }
        for p in placed
    ]
    # Problems are small slivers: never simplified away.
    features = _features([p.geometry for p in placed], properties, 0.0) if placed else []
    return {"type": "FeatureCollection", "features": features}


def shape_layer(features) -> dict:
    """The file's usable shapes as outlines (``code`` kept for the hover)."""
    usable = features[features.geometry.notna() & ~features.geometry.is_empty]
    if not len(usable):
        return {"type": "FeatureCollection", "features": []}
    properties = [{"code": str(c), "c": SHAPE_LINE, "w": 1.4} for c in usable["code"]]
    return {
        "type": "FeatureCollection",
        "features": _features(usable.geometry.to_numpy(), properties, SIMPLIFY_DEG),
    }


def file_bounds(features) -> list[list[float]]:
    """Leaflet bounds [[south, west], [north, east]] of the file's shapes
    (the county's when it has none)."""
    usable = features[features.geometry.notna() & ~features.geometry.is_empty]
    minx, miny, maxx, maxy = (float(v) for v in usable.total_bounds) if len(usable) else (0,) * 4
    return fit_bounds([(minx, miny), (maxx, maxy)] if len(usable) else [])


def import_map_layers(
    features, problems: list, *, names: dict[str, str], texts: list[str] | None = None
) -> dict:
    """``features`` (WGS84, with ``code``) as outlines, ``problems`` filled,
    and the bounds that fit the file."""
    return {
        "shapes": shape_layer(features),
        "problems": problem_layer(problems, names, texts),
        "bounds": file_bounds(features),
    }
