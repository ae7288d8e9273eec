"""The OpenAPI 3.1 document of every JSON route, at /api/openapi.json.

Written out here rather than generated, so that it says what each route
promises; ``tests/test_openapi.py`` checks that every JSON route of the
server is in it and that the document is valid OpenAPI. This module holds
the health and GeoJSON feeds, the shared schemas and who may call what; each
other resource's routes are a module of their own, merged here: Open311
(``api.openapi_open311``), dispatch, the review, events and their work.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from api.openapi_dispatch import PATHS as DISPATCH_PATHS
from api.openapi_event_work import PATHS as EVENT_WORK_PATHS
from api.openapi_events import PATHS as EVENT_PATHS
from api.openapi_field_app import PATHS as FIELD_APP_PATHS
from api.openapi_media import PATHS as MEDIA_PATHS
from api.openapi_open311 import (
    OPEN311_ERRORS,
    STATUS,
    XML,
    add_xml_twins,
    open311_paths,
    xml_of,
)
from api.openapi_parts import ERROR, TIME_OR_NULL, json_answer, query
from api.openapi_resident import PATHS as RESIDENT_PATHS
from api.openapi_review import PATHS as REVIEW_PATHS
from domain.lifecycle import STATUSES

blueprint = Blueprint("openapi", __name__)

_FEATURES = {"$ref": "#/components/schemas/FeatureCollection"}


def _geojson(summary: str, params: list[dict]) -> dict:
    responses = {
        "200": json_answer(_FEATURES, "the features", "application/geo+json"),
        "304": {"description": "unchanged since the ETag sent in If-None-Match"},
    }
    if params:  # only a filter can be malformed
        responses["400"] = json_answer(ERROR, "a filter is malformed")
    return {
        "get": {
            "summary": summary,
            "tags": ["GeoJSON"],
            "parameters": params,
            "responses": responses,
        }
    }


_BBOX = query("bbox", "minlon,minlat,maxlon,maxlat (WGS84)")
_TOWN = query("town", "town code, e.g. 370281009")


def document(base_url: str = "/") -> dict:
    """The OpenAPI document, with ``base_url`` as its server."""
    paths = {
        "/api/v1/health": {
            "get": {
                "summary": "Database backend, schema version, change-feed position, row counts",
                "tags": ["Operations"],
                "responses": {"200": json_answer({"type": "object"}, "the server's state")},
            }
        },
        "/api/v1/towns.geojson": _geojson("Town polygons", []),
        "/api/v1/grids.geojson": _geojson(
            "Grid polygons with open incidents",
            [
                _TOWN,
                _BBOX,
                query(
                    "load_class",
                    "colour class 0..4",
                    {"type": "integer", "minimum": 0, "maximum": 4},
                ),
            ],
        ),
        "/api/v1/incidents.geojson": _geojson(
            "Incidents as points",
            [
                _TOWN,
                _BBOX,
                query("status", f"comma list of open or {', '.join(STATUSES)}"),
                query(
                    "since",
                    "changed at or after (ISO 8601)",
                    {"type": "string", "format": "date-time"},
                ),
                query(
                    "limit",
                    "at most this many (default 10,000)",
                    {"type": "integer", "minimum": 1, "maximum": 100000},
                ),
            ],
        ),
        "/api/v1/cadres.geojson": _geojson(
            "Cadres at their last position",
            [
                _TOWN,
                query("status", "comma list of available, en_route, on_site, off_duty"),
            ],
        ),
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "tags": ["Operations"],
                "responses": {"200": json_answer({"type": "object"}, "this document")},
            }
        },
    }
    paths.update(open311_paths())
    paths.update(DISPATCH_PATHS)
    paths.update(REVIEW_PATHS)
    paths.update(EVENT_PATHS)
    paths.update(EVENT_WORK_PATHS)
    paths.update(FIELD_APP_PATHS)
    paths.update(MEDIA_PATHS)
    paths.update(RESIDENT_PATHS)
    add_xml_twins(paths)
    _add_access(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Grid Command",
            "version": "1",
            "description": "胶州市网格化指挥中心: GeoJSON feeds, Open311 GeoReport v2, "
            "dispatch and the field app.",
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "integer"},
                                "message": {"type": "string"},
                                "message_zh": {"type": "string"},
                                "message_en": {"type": "string"},
                                "reason": {
                                    "type": "string",
                                    "description": "a slug a client may act on, e.g. "
                                    "note_needed (an arrival far from the place needs a note)",
                                },
                            },
                        }
                    },
                },
                "Open311Errors": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["code", "description"],
                        "properties": {
                            "code": {"type": "integer"},
                            "description": {"type": "string"},
                        },
                    },
                },
                "FeatureCollection": {
                    "type": "object",
                    "required": ["type", "features"],
                    "properties": {
                        "type": {"const": "FeatureCollection"},
                        "features": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Feature"},
                        },
                        "truncated": {"type": "boolean"},
                    },
                },
                "Feature": {
                    "type": "object",
                    "required": ["type", "geometry", "properties"],
                    "properties": {
                        "type": {"const": "Feature"},
                        "geometry": {
                            "type": ["object", "null"],
                            "required": ["type", "coordinates"],
                        },
                        "properties": {"type": ["object", "null"]},
                    },
                },
                "ServiceRequest": {
                    "type": "object",
                    "required": [
                        "service_request_id",
                        "status",
                        "service_code",
                        "requested_datetime",
                        "lat",
                        "long",
                    ],
                    "properties": {
                        "service_request_id": {"type": "string"},
                        "status": STATUS,
                        "status_notes": {"type": "string"},
                        "service_name": {"type": "string"},
                        "service_code": {"type": "string"},
                        "description": {"type": "string"},
                        "agency_responsible": {"type": "string"},
                        "service_notice": {"type": "string"},
                        "requested_datetime": TIME_OR_NULL,
                        "updated_datetime": TIME_OR_NULL,
                        "expected_datetime": {**TIME_OR_NULL, "description": "null: no deadline"},
                        "address": {"type": "string"},
                        "media_url": {"type": "string"},
                        "lat": {"type": "number"},
                        "long": {"type": "number"},
                        "extended_attributes": {
                            "type": "object",
                            "description": "with extensions=true",
                        },
                    },
                },
            },
        },
    }


# Who may call what is web.guard's ROUTE_RULES; the document says how to
# authenticate and what a refusal looks like.
# Aligned by hand: this table reads better laid out as a table.
SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "a key with scopes (open311, field, display, dispatch, events)"},
    "open311Key": {"type": "apiKey", "in": "query", "name": "api_key",
                   "description": "Open311's own api_key (POST: in the form)"},
    "session": {"type": "apiKey", "in": "cookie", "name": "session",
                "description": "a signed-in person's session (POSTs also need X-CSRFToken)"},
    "fieldSession": {"type": "apiKey", "in": "cookie", "name": "gc_field",
                     "description": "a cadre's phone session, from a one-time invite link "
                     "(/field/join/…); POSTs also need the header X-GC-Field: 1"},
}  # fmt: skip
_PUBLIC_PATHS = {
    "/api/v1/health",
    "/api/openapi.json",
    "/open311/discovery.json",
    "/open311/v2/services.json",
    "/open311/v2/services/{service_code}.json",
}


def _add_access(paths: dict) -> None:
    """Mark every non-public operation as needing a key or a session, and document
    its 401 (nobody), 403 (not allowed, or not this town) and, for the intake, 429."""
    for path, operations in paths.items():
        if path.startswith("/api/v1/public/"):
            continue  # the residents' page: public, each operation says so itself
        open311 = path.startswith("/open311/")
        schema = OPEN311_ERRORS if open311 else ERROR
        media = XML if path.endswith(".xml") and open311 else "application/json"

        def error(description: str, schema=schema, media=media) -> dict:
            return json_answer(
                xml_of(schema, "errors") if media == XML else schema, description, media
            )

        if path.removesuffix(".xml") + ".json" in _PUBLIC_PATHS or path in _PUBLIC_PATHS:
            for operation in operations.values():  # open to all; a key sent must still be good
                responses = operation.setdefault("responses", {})
                responses.setdefault("403", error("the key sent is wrong or revoked"))
            continue
        for method, operation in operations.items():
            schemes = ["open311Key", "apiKey", "session"] if open311 else ["apiKey", "session"]
            operation.setdefault("security", [{scheme: []} for scheme in schemes])
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", error("no key and nobody signed in"))
            responses.setdefault(
                "403", error("not allowed (role, scope, town), or the key is wrong or revoked")
            )
            if open311 and method == "post":
                responses.setdefault("429", error("over the intake rate; try again later"))


@blueprint.get("/api/openapi.json")
def openapi_json():
    from flask import request

    return jsonify(document(request.host_url))
