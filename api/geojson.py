"""GeoJSON (RFC 7946) feeds of the map layers, for the map itself and GIS tools.

/api/v1/towns.geojson, /api/v1/grids.geojson, /api/v1/incidents.geojson and
/api/v1/cadres.geojson (texts built by services/feeds.py).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from api.params import parse_bbox, parse_choices, parse_int, parse_statuses, parse_time
from domain.access import town_scope
from domain.cadres import CADRE_STATUSES
from services import feeds
from web.guard import current_principal

MEDIA_TYPE = "application/geo+json"
MAX_LIMIT = 100_000
DEFAULT_LIMIT = 10_000

blueprint = Blueprint("geojson", __name__)


def _store():
    return current_app.extensions["gridcommand.store"]


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
    return _respond(feeds.towns_feed(store), store)


@blueprint.get("/api/v1/grids.geojson")
def grids_geojson():
    town = town_scope(current_principal(), request.args.get("town") or None)
    bbox = parse_bbox(request.args.get("bbox"), "bbox")
    load_class = request.args.get("load_class")
    wanted = None
    if load_class not in (None, ""):
        wanted = parse_int(load_class, "load_class", 0, 0, len(feeds.LOAD_CLASSES) - 1)
    store = _store()
    return _respond(feeds.grids_feed(store, town=town, bbox=bbox, load_class=wanted), store)


@blueprint.get("/api/v1/incidents.geojson")
def incidents_geojson():
    args = request.args
    limit = parse_int(args.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    body = feeds.incidents_feed(
        _store(),
        parse_statuses(args.get("status"), "status"),
        town=town_scope(current_principal(), args.get("town") or None),
        bbox=parse_bbox(args.get("bbox"), "bbox"),
        since=parse_time(args.get("since"), "since"),
        limit=limit,
    )
    return _respond(body)


@blueprint.get("/api/v1/cadres.geojson")
def cadres_geojson():
    args = request.args
    statuses = parse_choices(args.get("status"), "status", CADRE_STATUSES)
    town = town_scope(current_principal(), args.get("town") or None)
    return _respond(feeds.cadres_feed(_store(), town=town, statuses=statuses))
