"""The map of an import's check at /admin/data: the file's shapes over the
city as it stands, and each problem where it is.

The file's shapes are one GeoJSON line layer of the map (MapLibre draws
12,000 grids in one go; plotly traces would not), simplified to about ten
metres, which is finer than a desk map shows. Problems with a place are
filled: overlaps and surface outside the parent in red, gaps in amber,
repairs in blue; hovering one tells what it is.

Pure: a GeoDataFrame and problems in, a plotly figure (dict) out.
"""

from __future__ import annotations

import json

import shapely

from layers.basemap import view_for
from layers.review_charts import FONT
from layers.review_map import PAPER, light_map

SHAPE_LINE = "#1d4ed8"
PROBLEM_FILL = {"overlap": "rgba(220,38,38,0.55)", "outside_parent": "rgba(220,38,38,0.45)",
                "gap": "rgba(217,119,6,0.55)", "repaired": "rgba(37,99,235,0.35)",
                "unrepairable": "rgba(127,29,29,0.6)", "not_polygon": "rgba(127,29,29,0.6)"}  # fmt: skip
SIMPLIFY_DEG = 0.0001  # about 10 m
SHOWN_PROBLEMS = 500  # the list has them all; the map the largest


def _geojson(shapes, properties: list[dict]) -> dict:
    simple = shapely.set_precision(shapely.simplify(shapes, SIMPLIFY_DEG), 1e-6)
    features = [{"type": "Feature", "properties": props, "geometry": json.loads(text)}
                for props, text in zip(properties, shapely.to_geojson(simple), strict=True)
                if text is not None and text != "null"]  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def _problem_trace(problems: list, names: dict[str, str], texts: list[str] | None) -> list[dict]:
    said = dict(zip(map(id, problems), texts or [p.message for p in problems], strict=True))
    placed = [p for p in problems if p.geometry is not None and not p.geometry.is_empty
              and p.geometry.geom_type in ("Polygon", "MultiPolygon")]  # fmt: skip
    placed = sorted(placed, key=lambda p: -(p.area_m2 or 0))[:SHOWN_PROBLEMS]
    if not placed:
        return []
    ids = [str(n) for n in range(len(placed))]
    geojson = _geojson([p.geometry for p in placed], [{"id": i} for i in ids])
    kinds = sorted({p.kind for p in placed})
    colours = [PROBLEM_FILL.get(k, "rgba(220,38,38,0.5)") for k in kinds]
    scale = [[0, colours[0]], [1, colours[0]]] if len(kinds) == 1 else [
        [edge, colour] for n, colour in enumerate(colours)
        for edge in (n / len(kinds), (n + 1) / len(kinds))]  # fmt: skip
    return [{
        "type": "choroplethmap", "uid": "import-problems", "name": "problems",
        "geojson": geojson, "featureidkey": "properties.id", "locations": ids,
        "z": [kinds.index(p.kind) for p in placed], "zmin": -0.5, "zmax": len(kinds) - 0.5,
        "colorscale": scale, "showscale": False,
        "marker": {"line": {"color": "#7f1d1d", "width": 1.5}},
        "text": [f"{names.get(p.kind, p.kind)}：{said[id(p)]}" for p in placed],
        "hovertemplate": "%{text}<extra></extra>",
    }]  # fmt: skip


def import_map_figure(features, problems: list, *, towns_geojson, names: dict[str, str],
                      texts: list[str] | None = None, width_px: float = 1000,
                      height_px: float = 720) -> dict:  # fmt: skip
    """The figure: ``features`` (WGS84, code) as lines, ``problems`` filled."""
    usable = features[features.geometry.notna() & ~features.geometry.is_empty]
    bounds = tuple(usable.total_bounds) if len(usable) else (119.5, 36.0, 120.3, 36.6)
    centre, zoom = view_for(bounds, width_px, height_px)
    shapes = _geojson(usable.geometry.to_numpy(), [{"code": str(c)} for c in usable["code"]])
    layout_map = light_map(towns_geojson, centre, zoom, town_line=1.2)
    layout_map["layers"].append({"sourcetype": "geojson", "source": shapes, "type": "line",
                                 "color": SHAPE_LINE, "line": {"width": 1.4}})  # fmt: skip
    data = _problem_trace(problems, names, texts) or [
        {"type": "scattermap", "lon": [], "lat": [], "mode": "markers", "hoverinfo": "skip"}
    ]
    return {
        "data": data,
        "layout": {"map": layout_map, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
                   "paper_bgcolor": PAPER, "showlegend": False,
                   "font": {"family": FONT, "color": "#1f2937"},
                   "hoverlabel": {"font": {"family": FONT}}, "uirevision": f"{bounds}"},
    }  # fmt: skip
