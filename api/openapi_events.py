"""OpenAPI paths of wartime events (merged into ``api.openapi``)."""

from __future__ import annotations

from domain.events import KINDS, MAX_NAME, SEVERITIES

_ERROR = {"$ref": "#/components/schemas/Error"}
_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "string"},
       "description": "the event's id"}  # fmt: skip
_TIME = {"type": "string", "format": "date-time"}
_POLYGON = {"type": "object", "required": ["type"], "description":
            "a GeoJSON Polygon or MultiPolygon (or a Feature or FeatureCollection of them), WGS84",
            "properties": {"type": {"type": "string"}}}  # fmt: skip
EVENT = {
    "type": "object",
    "required": ["id", "name", "kind", "severity", "started_at", "active", "area"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": list(KINDS)},
        "kind_name": {"type": "string"},
        "severity": {"type": "integer", "enum": list(SEVERITIES)},
        "severity_name": {"type": "string"},
        "started_at": _TIME,
        "ended_at": {**_TIME, "nullable": True},
        "active": {"type": "boolean"},
        "declared_by": {"type": "string"},
        "towns": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "name": {"type": "string"}}}},
        "area": {**_POLYGON, "nullable": True},
    },
}  # fmt: skip
DECLARATION = {
    "type": "object",
    "required": ["name", "kind"],
    "properties": {
        "name": {"type": "string", "maxLength": MAX_NAME},
        "kind": {"type": "string", "enum": list(KINDS)},
        "severity": {"type": "integer", "enum": list(SEVERITIES),
                     "description": "1 (level I, gravest) to 4; default 3"},
        "started_at": {**_TIME, "description": "default now; not in the future"},
        "grids": {"type": "array", "items": {"type": "string"},
                  "description": "the area as grid codes (or give area)"},
        "area": _POLYGON,
        "actor": {"type": "string", "description": "who declares, for the audit log"},
    },
}  # fmt: skip


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_REFUSED = {"401": _json(_ERROR, "no key and nobody signed in"),
            "403": _json(_ERROR, "the caller may not do this")}  # fmt: skip

PATHS = {
    "/api/v1/events": {
        "get": {"summary": "Wartime events, newest first", "tags": ["Events"],
                "parameters": [{"name": "active", "in": "query", "required": False,
                                "schema": {"type": "string", "enum": ["true", "false"]}}],
                "responses": {"200": _json({"type": "object", "properties": {
                    "events": {"type": "array", "items": EVENT}}}, "the events"),
                    "400": _json(_ERROR, "active is not true or false"), **_REFUSED}},
        "post": {"summary": "Declare an event (permission events)", "tags": ["Events"],
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": DECLARATION}}},
                 "responses": {"201": _json(EVENT, "declared"),
                               "400": _json(_ERROR, "a field is wrong: the area outside the "
                                            "city or empty, an unknown kind…; nothing stored"),
                               **_REFUSED}},
    },
    "/api/v1/events/{event_id}": {
        "get": {"summary": "One event", "tags": ["Events"], "parameters": [_ID],
                "responses": {"200": _json(EVENT, "the event"),
                              "404": _json(_ERROR, "no such event"), **_REFUSED}},
    },
    "/api/v1/events/{event_id}/end": {
        "post": {"summary": "End an event (permission events)", "tags": ["Events"],
                 "parameters": [_ID],
                 "requestBody": {"required": False, "content": {"application/json": {
                     "schema": {"type": "object", "properties": {
                         "ended_at": {**_TIME, "description": "default now"},
                         "actor": {"type": "string"}}}}}},
                 "responses": {"200": _json(EVENT, "ended"),
                               "400": _json(_ERROR, "ended_at cannot be read, or is before "
                                            "the start or in the future"),
                               "404": _json(_ERROR, "no such event"),
                               "409": _json(_ERROR, "the event has already ended"),
                               **_REFUSED}},
    },
    "/api/v1/events/{event_id}/cap.xml": {
        "get": {"summary": "The event as an OASIS CAP 1.2 alert (Alert while active, an Update "
                           "referring to it once ended)", "tags": ["Events"],
                "parameters": [_ID, {"name": "lang", "in": "query", "required": False,
                                     "schema": {"type": "string", "enum": ["zh", "en"]}}],
                "responses": {"200": {"description": "CAP 1.2 XML", "content": {
                    "application/cap+xml": {"schema": {"type": "string"}}}},
                    "400": _json(_ERROR, "lang is not zh or en"),
                    "404": _json(_ERROR, "no such event"), **_REFUSED}},
    },
}  # fmt: skip
