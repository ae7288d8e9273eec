"""The OpenAPI 3.1 document of every JSON route, at /api/openapi.json.

Written out here rather than generated, so that it says what each route
promises; ``tests/test_openapi.py`` checks that every JSON route of the
server is in it and that the document is valid OpenAPI.
"""

from __future__ import annotations

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
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}  # fmt: skip


def _json(schema: dict, description: str = "OK", media: str = "application/json") -> dict:
    return {"description": description, "content": {media: {"schema": schema}}}


def _geojson(summary: str, params: list[dict]) -> dict:
    return {"get": {
        "summary": summary, "tags": ["GeoJSON"], "parameters": params,
        "responses": {"200": _json(_FEATURES, media="application/geo+json"),
                      "304": {"description": "unchanged since the ETag sent"},
                      "400": _json(_ERROR, "a filter is malformed")},
    }}  # fmt: skip


_BBOX = _query("bbox", "minlon,minlat,maxlon,maxlat (WGS84)")
_TOWN = _query("town", "town code, e.g. 370281009")
_STATUS = {"type": "string", "enum": ["open", "closed"]}
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
    "first_name": {"type": "string"}, "last_name": {"type": "string"},
    "email": {"type": "string"}, "phone": {"type": "string"},
    "media_url": {"type": "string", "maxLength": 500},
    "coordinate_system": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"]},
    "channel": {"type": "string", "enum": list(CHANNELS)},
}  # fmt: skip


def document(base_url: str = "/") -> dict:
    """The OpenAPI document, with ``base_url`` as its server."""
    paths = {
        "/api/v1/health": {"get": {
            "summary": "Database backend, schema version, change-feed position, row counts",
            "tags": ["Operations"],
            "responses": {"200": _json({"type": "object"})},
        }},
        "/api/v1/towns.geojson": _geojson("Town polygons", []),
        "/api/v1/grids.geojson": _geojson("Grid polygons with open incidents", [
            _TOWN, _BBOX,
            _query("load_class", "colour class 0..4", {"type": "integer", "minimum": 0,
                                                        "maximum": 4}),
        ]),
        "/api/v1/incidents.geojson": _geojson("Incidents as points", [
            _TOWN, _BBOX,
            _query("status", f"comma list of open or {', '.join(STATUSES)}"),
            _query("since", "changed at or after (ISO 8601)", {"type": "string",
                                                                 "format": "date-time"}),
            _query("limit", "at most this many (default 10,000)",
                   {"type": "integer", "minimum": 1, "maximum": 100000}),
        ]),
        "/api/v1/cadres.geojson": _geojson("Cadres at their last position", [
            _TOWN, _query("status", "comma list of available, en_route, on_site, off_duty"),
        ]),
        "/api/openapi.json": {"get": {
            "summary": "This document", "tags": ["Operations"],
            "responses": {"200": _json({"type": "object"})},
        }},
        "/open311/discovery.json": {"get": {
            "summary": "Open311 service discovery", "tags": ["Open311"],
            "responses": {"200": _json({"type": "object"})},
        }},
        "/open311/v2/services.json": {"get": {
            "summary": "Open311: the services (our categories). " + _FORMAT_NOTE,
            "tags": ["Open311"], "parameters": [_query("jurisdiction_id", "370281")],
            "responses": {"200": _json({"type": "array", "items": {"type": "object"}}),
                          "404": _json(_OPEN311_ERRORS)},
        }},
        "/open311/v2/services/{service_code}.json": {"get": {
            "summary": "Open311: the questions (attributes) of a service. " + _FORMAT_NOTE,
            "tags": ["Open311"],
            "parameters": [{"name": "service_code", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": _json({"type": "object"}), "404": _json(_OPEN311_ERRORS)},
        }},
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
                "responses": {"200": _json({"type": "array", "items": _REQUEST}),
                              "400": _json(_OPEN311_ERRORS)},
            },
            "post": {
                "summary": "Open311: report an issue. " + _FORMAT_NOTE,
                "tags": ["Open311"],
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 255}}],
                "requestBody": {"required": True, "content": {
                    "application/x-www-form-urlencoded": {"schema": {
                        "type": "object", "properties": _FORM_FIELDS,
                        "required": ["api_key", "service_code", "description"],
                    }},
                }},
                "responses": {
                    "200": _json({"type": "array", "items": {"type": "object", "properties": {
                        "service_request_id": {"type": "string"},
                        "service_notice": {"type": "string"},
                        "account_id": {"type": ["string", "null"]}}}}),
                    "400": _json(_OPEN311_ERRORS), "403": _json(_OPEN311_ERRORS),
                    "404": _json(_OPEN311_ERRORS), "409": _json(_OPEN311_ERRORS),
                    "422": _json(_OPEN311_ERRORS),
                },
            },
        },
        "/open311/v2/requests/{service_request_id}.json": {"get": {
            "summary": "Open311: one service request. " + _FORMAT_NOTE, "tags": ["Open311"],
            "parameters": [{"name": "service_request_id", "in": "path", "required": True,
                            "schema": {"type": "string"}},
                           _query("extensions", "true adds extended_attributes")],
            "responses": {"200": _json({"type": "array", "items": _REQUEST}),
                          "404": _json(_OPEN311_ERRORS)},
        }},
    }  # fmt: skip
    paths.update(DISPATCH_PATHS)
    paths.update(REVIEW_PATHS)
    paths.update(EVENT_PATHS)
    _add_access(paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Grid Command", "version": "1",
                 "description": "胶州市网格化指挥中心: GeoJSON feeds, Open311 GeoReport v2, "
                                "dispatch and the field app."},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {"securitySchemes": SECURITY_SCHEMES, "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "properties": {"code": {"type": "integer"},
                                                 "message": {"type": "string"},
                                                 "message_zh": {"type": "string"}}}}},
            "Open311Errors": {"type": "array", "items": {"type": "object", "properties": {
                "code": {"type": "integer"}, "description": {"type": "string"}}}},
            "FeatureCollection": {"type": "object", "required": ["type", "features"],
                                  "properties": {"type": {"const": "FeatureCollection"},
                                                 "features": {"type": "array"}}},
            "ServiceRequest": {"type": "object", "properties": {
                "service_request_id": {"type": "string"}, "status": _STATUS,
                "status_notes": {"type": "string"}, "service_name": {"type": "string"},
                "service_code": {"type": "string"}, "description": {"type": "string"},
                "requested_datetime": {"type": ["string", "null"]},
                "updated_datetime": {"type": ["string", "null"]},
                "expected_datetime": {"type": ["string", "null"]},
                "lat": {"type": "number"}, "long": {"type": "number"},
            }},
        }},
    }  # fmt: skip


# Who may call what is api.guard's ROUTE_RULES; the document says how to
# authenticate and what a refusal looks like.
SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "a key with scopes (open311, field, display, dispatch, events)"},
    "open311Key": {"type": "apiKey", "in": "query", "name": "api_key",
                   "description": "Open311's own api_key (POST: in the form)"},
    "session": {"type": "apiKey", "in": "cookie", "name": "session",
                "description": "a signed-in person's session (POSTs also need X-CSRFToken)"},
}  # fmt: skip
_PUBLIC_PATHS = {"/api/v1/health", "/api/openapi.json", "/open311/discovery.json",
                 "/open311/v2/services.json", "/open311/v2/services/{service_code}.json"}  # fmt: skip


def _add_access(paths: dict) -> None:
    """Mark every non-public operation as needing a key or a session, and document
    its 401 (nobody), 403 (not allowed, or not this town) and, for the intake, 429."""
    for path, operations in paths.items():
        open311 = path.startswith("/open311/")
        error = _json(_OPEN311_ERRORS) if open311 else _json({"$ref": "#/components/schemas/Error"})
        if path in _PUBLIC_PATHS:  # open to all; a key that is sent must still be good
            for operation in operations.values():
                operation.setdefault("responses", {}).setdefault(
                    "403", {**error, "description": "the key sent is wrong or revoked"}
                )
            continue
        for method, operation in operations.items():
            schemes = ["open311Key", "apiKey", "session"] if open311 else ["apiKey", "session"]
            operation["security"] = [{scheme: []} for scheme in schemes]
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", {**error, "description": "no key and nobody signed in"})
            responses.setdefault("403", {**error, "description": "not allowed (role, scope, town)"})
            if open311 and method == "post":
                responses.setdefault("429", {**error, "description": "over the intake rate"})


@blueprint.get("/api/openapi.json")
def openapi_json():
    from flask import request

    return jsonify(document(request.host_url))
