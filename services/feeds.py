"""GeoJSON (RFC 7946) texts of the map layers: towns, grids, incidents, cadres.

Coordinates are WGS84 longitude, latitude; polygon exterior rings run
counter-clockwise as RFC 7946 asks. The HTTP feeds (api/geojson.py) and the
review's exports serve these texts.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import shapely

from domain.categories import BY_CODE
from layers.grids import LOAD_CLASSES, with_load
from services.geometry_cache import PerGeometry

__all__ = ["LOAD_CLASSES"]


def geometry_json(geometries) -> list[str]:
    """GeoJSON geometry texts of shapely geometries (WGS84), RFC 7946 winding."""
    geoms = shapely.orient_polygons(np.asarray(geometries, dtype=object), exterior_cw=False)
    return list(shapely.to_geojson(geoms)) if len(geoms) else []


def feature_collection(geometries, properties: pd.DataFrame, **members) -> str:
    """Serialise geometries (shapely array, WGS84) and a property table.

    ``geometries`` may also be a list of ready GeoJSON geometry texts. Builds
    the text directly from ``shapely.to_geojson`` strings: at 12,000 polygons
    this is several times faster than going through dicts.
    """
    if len(geometries) and isinstance(geometries[0], str):
        texts = list(geometries)
    else:
        texts = geometry_json(geometries)
    records = properties.astype(object).where(properties.notna(), None).to_dict("records")
    features = [
        f'{{"type":"Feature","geometry":{g},"properties":{_dumps(p)}}}'
        for g, p in zip(texts, records, strict=True)
    ]
    extra = "".join(f',"{key}":{_dumps(value)}' for key, value in members.items())
    return '{"type":"FeatureCollection"' + extra + ',"features":[' + ",".join(features) + "]}"


def points(frame: pd.DataFrame) -> np.ndarray:
    """Point geometries from lon/lat columns (WGS84)."""
    return shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))


def _read_grid_shapes(store) -> dict[str, str]:
    grids = store.grids()
    return dict(zip(grids["code"], geometry_json(grids.geometry), strict=True))


# _grid_shapes(store): GeoJSON geometry text of every grid, kept until the
# boundaries change. Grid geometry is static between imports, and decoding
# and serialising 12,000 polygons is most of a grids request; each worker
# keeps its own copy.
_grid_shapes = PerGeometry(_read_grid_shapes)


def towns_feed(store) -> str:
    towns = store.towns()
    props = towns[["code", "name", "name_en", "kind", "population", "households", "area_km2"]]
    return feature_collection(towns.geometry.to_numpy(), props)


GRID_PROPERTIES = [
    "code",
    "name",
    "town_code",
    "community_code",
    "community_name",
    "population",
    "households",
    "area_km2",
    "worker_name",
    "open",
    "urgent",
    "load_class",
]


def grids_feed(store, *, town, bbox, load_class: int | None) -> str:
    """The grids with their open load; ``load_class`` keeps one class only."""
    grids = with_load(store.grids(town=town, bbox=bbox, geometry=False), store.open_load())
    if load_class is not None:
        grids = grids[grids["load_class"] == load_class]
    shapes = _grid_shapes(store)
    return feature_collection([shapes[code] for code in grids["code"]], grids[GRID_PROPERTIES])


INCIDENT_PROPERTIES = [
    "public_id",
    "category",
    "channel",
    "status",
    "priority",
    "headcount",
    "grid_code",
    "grid_name",
    "town_code",
    "description",
]


def incidents_feed(store, statuses, *, town, bbox, since, limit: int) -> str:
    """At most ``limit`` incidents; ``truncated`` says whether more matched."""
    frame = store.incidents(statuses, town=town, bbox=bbox, since=since, limit=limit + 1)
    truncated = len(frame) > limit
    frame = frame.head(limit)
    props = frame[INCIDENT_PROPERTIES].copy()
    props["category_name"] = frame["category"].map(lambda c: BY_CODE[c].zh if c in BY_CODE else c)
    for column in ("reported_at", "first_contact_at", "resolved_at", "closed_at", "updated_at"):
        props[column] = _iso(frame[column])
    return feature_collection(points(frame), props, truncated=truncated)


def cadres_feed(store, *, town, statuses) -> str:
    frame = store.cadres(town=town, statuses=statuses).dropna(subset=["lon", "lat"])
    props = frame[["id", "name", "role", "department", "town_code", "status"]].copy()
    props["position_at"] = _iso(frame["position_at"])
    return feature_collection(points(frame), props)


def _iso(times: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(times, utc=True)
    return stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(stamps.notna(), None)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


def _default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")
