"""GeoJSON (RFC 7946) feeds of the map layers, for the map itself and GIS tools.

/api/v1/towns.geojson, /api/v1/grids.geojson, /api/v1/incidents.geojson and
/api/v1/cadres.geojson. Coordinates are WGS84 longitude, latitude; polygon
exterior rings run counter-clockwise as RFC 7946 asks.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import shapely
from flask import Blueprint, Response, current_app, request

from api.guard import current_principal
from api.params import parse_bbox, parse_choices, parse_int, parse_statuses, parse_time
from domain.access import town_scope
from domain.cadres import CADRE_STATUSES
from domain.categories import BY_CODE
from layers.grids import LOAD_CLASSES, with_load

MEDIA_TYPE = "application/geo+json"
MAX_LIMIT = 100_000
DEFAULT_LIMIT = 10_000

blueprint = Blueprint("geojson", __name__)


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


def _store():
    return current_app.extensions["gridcommand.store"]


def _grid_shapes(store) -> dict[str, str]:
    """GeoJSON geometry text of every grid, kept until the boundaries change.

    Grid geometry is static between imports, and decoding and serialising
    12,000 polygons is most of a grids request; each worker keeps its own copy
    and rebuilds it when the store's geometry version moves on.
    """
    cache = current_app.extensions.setdefault("gridcommand.grid_shapes", {})
    version = store.geometry_version()
    if cache.get("version") != version:
        grids = store.grids()
        cache["shapes"] = dict(zip(grids["code"], geometry_json(grids.geometry), strict=True))
        cache["version"] = version
    return cache["shapes"]


# How long a browser keeps geometry asked for by its version (``?v=``).
VERSIONED_MAX_AGE_S = 86_400


def _respond(body: str, store=None) -> Response:
    """The GeoJSON with an ETag. Asked for with ``?v=`` the store's current
    geometry version (as the maps ask), a browser may keep it: the URL
    changes with the boundaries. Otherwise it asks again each time."""
    response = Response(body, mimetype=MEDIA_TYPE)
    versioned = store is not None and request.args.get("v") == str(store.geometry_version())
    response.headers["Cache-Control"] = (
        f"private, max-age={VERSIONED_MAX_AGE_S}" if versioned else "no-cache"
    )
    response.add_etag()
    return response.make_conditional(request)


@blueprint.get("/api/v1/towns.geojson")
def towns_geojson():
    store = _store()
    towns = store.towns()
    props = towns[["code", "name", "name_en", "kind", "population", "households", "area_km2"]]
    return _respond(feature_collection(towns.geometry.to_numpy(), props), store)


@blueprint.get("/api/v1/grids.geojson")
def grids_geojson():
    town = town_scope(current_principal(), request.args.get("town") or None)
    bbox = parse_bbox(request.args.get("bbox"), "bbox")
    load_class = request.args.get("load_class")
    store = _store()
    grids = with_load(store.grids(town=town, bbox=bbox, geometry=False), store.open_load())
    if load_class not in (None, ""):
        wanted = parse_int(load_class, "load_class", 0, 0, len(LOAD_CLASSES) - 1)
        grids = grids[grids["load_class"] == wanted]
    columns = [
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
    shapes = _grid_shapes(store)
    body = feature_collection([shapes[code] for code in grids["code"]], grids[columns])
    return _respond(body, store)


@blueprint.get("/api/v1/incidents.geojson")
def incidents_geojson():
    args = request.args
    limit = parse_int(args.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    frame = _store().incidents(
        parse_statuses(args.get("status"), "status"),
        town=town_scope(current_principal(), args.get("town") or None),
        bbox=parse_bbox(args.get("bbox"), "bbox"),
        since=parse_time(args.get("since"), "since"),
        limit=limit + 1,
    )
    truncated = len(frame) > limit
    frame = frame.head(limit)
    props = frame[
        [
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
    ].copy()
    props["category_name"] = frame["category"].map(lambda c: BY_CODE[c].zh if c in BY_CODE else c)
    for column in ("reported_at", "first_contact_at", "resolved_at", "closed_at", "updated_at"):
        props[column] = _iso(frame[column])
    return _respond(feature_collection(points(frame), props, truncated=truncated))


@blueprint.get("/api/v1/cadres.geojson")
def cadres_geojson():
    args = request.args
    statuses = parse_choices(args.get("status"), "status", CADRE_STATUSES)
    town = town_scope(current_principal(), args.get("town") or None)
    frame = _store().cadres(town=town, statuses=statuses)
    frame = frame.dropna(subset=["lon", "lat"])
    props = frame[["id", "name", "role", "department", "town_code", "status"]].copy()
    props["position_at"] = _iso(frame["position_at"])
    return _respond(feature_collection(points(frame), props))


def _iso(times: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(times, utc=True)
    return stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(stamps.notna(), None)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


def _default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")
