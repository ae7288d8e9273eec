"""The Open311 GeoReport v2 part of the OpenAPI document: discovery, the
services, the service requests (read and report), and the XML twin of each
of these routes (``api.open311_format``), merged into ``api.openapi``.
"""

from __future__ import annotations

import copy

from api.openapi_parts import json_answer, query
from domain.categories import REPORT_CHANNELS
from domain.services import SERVICES

OPEN311_ERRORS = {"$ref": "#/components/schemas/Open311Errors"}
STATUS = {"type": "string", "enum": ["open", "closed"]}
FORMAT_NOTE = "The same route with .xml answers in the spec's XML."
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
    "channel": {"type": "string", "enum": list(REPORT_CHANNELS)},
}


def open311_paths() -> dict:
    """The Open311 routes, built anew for each document (it adds to them)."""
    return {
        "/open311/discovery.json": {
            "get": {
                "summary": "Open311 service discovery",
                "tags": ["Open311"],
                "responses": {
                    "200": json_answer({"type": "object"}, "where the service is, and how")
                },
            }
        },
        "/open311/v2/services.json": {
            "get": {
                "summary": "Open311: the services (our categories). " + FORMAT_NOTE,
                "tags": ["Open311"],
                "parameters": [query("jurisdiction_id", "370281")],
                "responses": {
                    "200": json_answer(
                        {"type": "array", "items": {"type": "object"}}, "the services"
                    ),
                    "404": json_answer(OPEN311_ERRORS, "no such jurisdiction_id"),
                },
            }
        },
        "/open311/v2/services/{service_code}.json": {
            "get": {
                "summary": "Open311: the questions (attributes) of a service. " + FORMAT_NOTE,
                "tags": ["Open311"],
                "parameters": [
                    {
                        "name": "service_code",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "maxLength": 64},
                    }
                ],
                "responses": {
                    "200": json_answer({"type": "object"}, "the service's definition"),
                    "404": json_answer(OPEN311_ERRORS, "no such service or jurisdiction_id"),
                },
            }
        },
        "/open311/v2/requests.json": {
            "get": {
                "summary": "Open311: service requests (last 90 days by default). " + FORMAT_NOTE,
                "tags": ["Open311"],
                "parameters": [
                    query("service_request_id", "comma list; overrides the other filters"),
                    query("service_code", "comma list"),
                    query("start_date", "ISO 8601", {"type": "string", "format": "date-time"}),
                    query("end_date", "ISO 8601", {"type": "string", "format": "date-time"}),
                    query("status", "open or closed", STATUS),
                    query("extensions", "true adds extended_attributes"),
                ],
                "responses": {
                    "200": json_answer(
                        {"type": "array", "items": _REQUEST}, "the service requests"
                    ),
                    "400": json_answer(OPEN311_ERRORS, "a filter cannot be read"),
                    "404": json_answer(OPEN311_ERRORS, "no such jurisdiction_id"),
                },
            },
            "post": {
                "summary": "Open311: report an issue. " + FORMAT_NOTE,
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
                    "200": json_answer(
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
                    "400": json_answer(
                        OPEN311_ERRORS,
                        "a field is missing or wrong (or the body is "
                        "not form-encoded); nothing stored",
                    ),
                    "403": json_answer(OPEN311_ERRORS, "the key may not report, or is wrong"),
                    "404": json_answer(OPEN311_ERRORS, "no such service_code or jurisdiction_id"),
                    "409": json_answer(
                        OPEN311_ERRORS, "the Idempotency-Key is still in use by another request"
                    ),
                    "422": json_answer(
                        OPEN311_ERRORS, "the Idempotency-Key was used with another body"
                    ),
                },
            },
        },
        "/open311/v2/requests/{service_request_id}.json": {
            "get": {
                "summary": "Open311: one service request. " + FORMAT_NOTE,
                "tags": ["Open311"],
                "parameters": [
                    {
                        "name": "service_request_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "maxLength": 64},
                    },
                    query("extensions", "true adds extended_attributes"),
                ],
                "responses": {
                    "200": json_answer(
                        {"type": "array", "items": _REQUEST}, "the request (one item)"
                    ),
                    "404": json_answer(
                        OPEN311_ERRORS,
                        "no such request (in the caller's town), or no such jurisdiction_id",
                    ),
                },
            }
        },
    }


# Open311's XML: each .json route has a .xml twin answering the same records as
# text/xml, lists wrapped in a plural root with one element per item
# (api.open311_format); the schemas carry OpenAPI's xml names.
XML = "text/xml"
_XML_ROOTS = {  # JSON path -> root element (item element for lists)
    "/open311/discovery.json": ("discovery", None),
    "/open311/v2/services.json": ("services", "service"),
    "/open311/v2/services/{service_code}.json": ("service_definition", None),
    "/open311/v2/requests.json": ("service_requests", "request"),
    "/open311/v2/requests/{service_request_id}.json": ("service_requests", "request"),
}
_XML_ITEMS = {"errors": "error", "service_requests": "request", "services": "service"}


def xml_of(schema: dict, root: str) -> dict:
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


def add_xml_twins(paths: dict) -> None:
    """Add to ``paths`` the .xml twin of each Open311 route, its bodies in XML."""
    for path, (root, _) in _XML_ROOTS.items():
        twin = copy.deepcopy(paths[path])
        for operation in twin.values():
            operation["summary"] = operation["summary"].replace(FORMAT_NOTE, "(XML)")
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if "application/json" in content:
                    schema = content.pop("application/json")["schema"]
                    name = root if status.startswith("2") else "errors"
                    content[XML] = {"schema": xml_of(schema, name)}
        paths[path.removesuffix(".json") + ".xml"] = twin
