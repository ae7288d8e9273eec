"""The OpenAPI 3.1 document of every JSON route, at /api/openapi.json.

Written out here rather than generated, so that it says what each route
promises; ``tests/test_openapi.py`` checks that every JSON route of the
server is in it and that the document is valid OpenAPI.
"""

from __future__ import annotations

import copy

from flask import Blueprint, jsonify

from api.openapi_dispatch import PATHS as DISPATCH_PATHS
from api.openapi_events import PATHS as EVENT_PATHS
from api.openapi_review import PATHS as REVIEW_PATHS
from domain.categories import CHANNELS
from domain.lifecycle import STATUSES
from domain.services import SERVICES

blueprint = Blueprint("openapi", __name__)

_ERROR = {"$ref": "#/components/schemas/Error"}
_OPEN311_ERRORS = {"$ref": "#/components/schemas/Open311Errors"}
_FEATURES = {"$ref": "#/components/schemas/FeatureCollection"}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _json(schema: dict, description: str, media: str = "application/json") -> dict:
    return {"description": description, "content": {media: {"schema": schema}}}


def _geojson(summary: str, params: list[dict]) -> dict:
    responses = {
        "200": _json(_FEATURES, "the features", "application/geo+json"),
        "304": {"description": "unchanged since the ETag sent in If-None-Match"},
    }
    if params:  # only a filter can be malformed
        responses["400"] = _json(_ERROR, "a filter is malformed")
    return {
        "get": {
            "summary": summary,
            "tags": ["GeoJSON"],
            "parameters": params,
            "responses": responses,
        }
    }


_BBOX = _query("bbox", "minlon,minlat,maxlon,maxlat (WGS84)")
_TOWN = _query("town", "town code, e.g. 370281009")
_STATUS = {"type": "string", "enum": ["open", "closed"]}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_FORMAT_NOTE = "The same route with .xml answers in the spec's XML."
_REQUEST = {"$ref": "#/components/schemas/ServiceRequest"}

_FORM_FIELDS = {
    "api_key": {"type": "string"},
    "jurisdiction_id": {"type": "string"},
    "service_code": {"type": "string", "enum": [s.code for s in SERVICES]},
    "lat": {"type": "number", "minimum": -90, "maximum": 90},
    "long": {"type": "number", "minimum": -180, "maximum": 180},
    "address_string": {"type": "string", "maxLength": 200},
    "description": {"type": "string", "minLength": 1, "maxLength": 2000},
    "first_name": {"type": "string"},
    "last_name": {"type": "string"},
    "email": {"type": "string"},
    "phone": {"type": "string"},
    "media_url": {"type": "string", "maxLength": 500},
    "coordinate_system": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"]},
    "channel": {"type": "string", "enum": list(CHANNELS)},
}


def document(base_url: str = "/") -> dict:
    """The OpenAPI document, with ``base_url`` as its server."""
    paths = {
        "/api/v1/health": {
            "get": {
                "summary": "Database backend, schema version, change-feed position, row counts",
                "tags": ["Operations"],
                "responses": {"200": _json({"type": "object"}, "the server's state")},
            }
        },
        "/api/v1/towns.geojson": _geojson("Town polygons", []),
        "/api/v1/grids.geojson": _geojson(
            "Grid polygons with open incidents",
            [
                _TOWN,
                _BBOX,
                _query(
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
                _query("status", f"comma list of open or {', '.join(STATUSES)}"),
                _query(
                    "since",
                    "changed at or after (ISO 8601)",
                    {"type": "string", "format": "date-time"},
                ),
                _query(
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
                _query("status", "comma list of available, en_route, on_site, off_duty"),
            ],
        ),
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "tags": ["Operations"],
                "responses": {"200": _json({"type": "object"}, "this document")},
            }
        },
        "/open311/discovery.json": {
            "get": {
                "summary": "Open311 service discovery",
                "tags": ["Open311"],
                "responses": {"200": _json({"type": "object"}, "where the service is, and how")},
            }
        },
        "/open311/v2/services.json": {
            "get": {
                "summary": "Open311: the services (our categories). " + _FORMAT_NOTE,
                "tags": ["Open311"],
                "parameters": [_query("jurisdiction_id", "370281")],
                "responses": {
                    "200": _json({"type": "array", "items": {"type": "object"}}, "the services"),
                    "404": _json(_OPEN311_ERRORS, "no such jurisdiction_id"),
                },
            }
        },
        "/open311/v2/services/{service_code}.json": {
            "get": {
                "summary": "Open311: the questions (attributes) of a service. " + _FORMAT_NOTE,
                "tags": ["Open311"],
                "parameters": [
                    {
                        "name": "service_code",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": _json({"type": "object"}, "the service's definition"),
                    "404": _json(_OPEN311_ERRORS, "no such service or jurisdiction_id"),
                },
            }
        },
        "/open311/v2/requests.json": {
            "get": {
                "summary": "Open311: service requests (last 90 days by default). " + _FORMAT_NOTE,
                "tags": ["Open311"],
                "parameters": [
                    _query("service_request_id", "comma list; overrides the other filters"),
                    _query("service_code", "comma list"),
                    _query("start_date", "ISO 8601", {"type": "string", "format": "date-time"}),
                    _query("end_date", "ISO 8601", {"type": "string", "format": "date-time"}),
                    _query("status", "open or closed", _STATUS),
                    _query("extensions", "true adds extended_attributes"),
                ],
                "responses": {
                    "200": _json({"type": "array", "items": _REQUEST}, "the service requests"),
                    "400": _json(_OPEN311_ERRORS, "a filter cannot be read"),
                    "404": _json(_OPEN311_ERRORS, "no such jurisdiction_id"),
                },
            },
            "post": {
                "summary": "Open311: report an issue. " + _FORMAT_NOTE,
                "tags": ["Open311"],
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 255},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": _FORM_FIELDS,
                                "required": ["api_key", "service_code", "description"],
                            }
                        },
                    },
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "service_request_id": {"type": "string"},
                                    "service_notice": {"type": "string"},
                                    "account_id": {"type": ["string", "null"]},
                                },
                            },
                        },
                        "the request is taken: its id, and what happens next",
                    ),
                    "400": _json(
                        _OPEN311_ERRORS,
                        "a field is missing or wrong (or the body is "
                        "not form-encoded); nothing stored",
                    ),
                    "403": _json(_OPEN311_ERRORS, "the key may not report, or is wrong"),
                    "404": _json(_OPEN311_ERRORS, "no such service_code or jurisdiction_id"),
                    "409": _json(
                        _OPEN311_ERRORS, "the Idempotency-Key is still in use by another request"
                    ),
                    "422": _json(_OPEN311_ERRORS, "the Idempotency-Key was used with another body"),
                },
            },
        },
        "/open311/v2/requests/{service_request_id}.json": {
            "get": {
                "summary": "Open311: one service request. " + _FORMAT_NOTE,
                "tags": ["Open311"],
                "parameters": [
                    {
                        "name": "service_request_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    _query("extensions", "true adds extended_attributes"),
                ],
                "responses": {
                    "200": _json({"type": "array", "items": _REQUEST}, "the request (one item)"),
                    "404": _json(
                        _OPEN311_ERRORS,
                        "no such request (in the caller's town), or no such jurisdiction_id",
                    ),
                },
            }
        },
    }
    paths.update(DISPATCH_PATHS)
    paths.update(REVIEW_PATHS)
    paths.update(EVENT_PATHS)
    _add_xml_twins(paths)
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
                        "status": _STATUS,
                        "status_notes": {"type": "string"},
                        "service_name": {"type": "string"},
                        "service_code": {"type": "string"},
                        "description": {"type": "string"},
                        "agency_responsible": {"type": "string"},
                        "service_notice": {"type": "string"},
                        "requested_datetime": _TIME_OR_NULL,
                        "updated_datetime": _TIME_OR_NULL,
                        "expected_datetime": {**_TIME_OR_NULL, "description": "null: no deadline"},
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
        open311 = path.startswith("/open311/")
        schema = _OPEN311_ERRORS if open311 else _ERROR
        media = _XML if path.endswith(".xml") and open311 else "application/json"

        def error(description: str, schema=schema, media=media) -> dict:
            return _json(_xml_of(schema, "errors") if media == _XML else schema, description, media)

        if path.removesuffix(".xml") + ".json" in _PUBLIC_PATHS or path in _PUBLIC_PATHS:
            for operation in operations.values():  # open to all; a key sent must still be good
                responses = operation.setdefault("responses", {})
                responses.setdefault("403", error("the key sent is wrong or revoked"))
            continue
        for method, operation in operations.items():
            schemes = ["open311Key", "apiKey", "session"] if open311 else ["apiKey", "session"]
            operation["security"] = [{scheme: []} for scheme in schemes]
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", error("no key and nobody signed in"))
            responses.setdefault(
                "403", error("not allowed (role, scope, town), or the key is wrong or revoked")
            )
            if open311 and method == "post":
                responses.setdefault("429", error("over the intake rate; try again later"))


# Open311's XML: each .json route has a .xml twin answering the same records as
# text/xml, lists wrapped in a plural root with one element per item
# (api.open311_format); the schemas carry OpenAPI's xml names.
_XML = "text/xml"
_XML_ROOTS = {  # JSON path -> root element (item element for lists)
    "/open311/discovery.json": ("discovery", None),
    "/open311/v2/services.json": ("services", "service"),
    "/open311/v2/services/{service_code}.json": ("service_definition", None),
    "/open311/v2/requests.json": ("service_requests", "request"),
    "/open311/v2/requests/{service_request_id}.json": ("service_requests", "request"),
}
_XML_ITEMS = {"errors": "error", "service_requests": "request", "services": "service"}


def _xml_of(schema: dict, root: str) -> dict:
    """``schema`` (a JSON body's) with the XML element names of ``root``."""
    item = _XML_ITEMS.get(root)
    if item is None:
        return {**schema, "xml": {"name": root}}
    items = schema.get("items", {"type": "object"})
    if "$ref" in schema:  # Open311Errors
        items = {
            "type": "object",
            "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        }
    return {
        "type": "array",
        "xml": {"name": root, "wrapped": True},
        "items": {**items, "xml": {"name": item}},
    }


def _add_xml_twins(paths: dict) -> None:
    for path, (root, _) in _XML_ROOTS.items():
        twin = copy.deepcopy(paths[path])
        for operation in twin.values():
            operation["summary"] = operation["summary"].replace(_FORMAT_NOTE, "(XML)")
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if "application/json" in content:
                    schema = content.pop("application/json")["schema"]
                    name = root if status.startswith("2") else "errors"
                    content[_XML] = {"schema": _xml_of(schema, name)}
        paths[path.removesuffix(".json") + ".xml"] = twin


@blueprint.get("/api/openapi.json")
def openapi_json():
    from flask import request

    return jsonify(document(request.host_url))
