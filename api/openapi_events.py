"""OpenAPI paths of wartime events themselves (merged into ``api.openapi``):
declare, list, read and end an event, its CAP alert, and afterwards its
after-action report and replay. The work during an event (tasks, figures,
the board, mobilisation, check-ins) is ``api.openapi_event_work``.
"""

from __future__ import annotations

from api.openapi_parts import ERROR, TIME, TIME_OR_NULL, json_answer
from domain.checkins import MAX_MINUTES, MIN_MINUTES
from domain.events import KINDS, MAX_NAME, SEVERITIES

EVENT_ID = {
    "name": "event_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 64},
    "description": "the event's id",
}
# Aligned by hand: this table reads better laid out as a table.
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
        "started_at": TIME,
        "ended_at": {**TIME_OR_NULL, "description": "null while the event runs"},
        "active": {"type": "boolean"},
        "declared_by": {"type": "string"},
        "checkin_minutes": {"type": "integer"},
        "towns": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
            },
        },
        "area": {"anyOf": [_POLYGON, {"type": "null"}]},
    },
}
DECLARATION = {
    "type": "object",
    "required": ["name", "kind"],
    "properties": {
        "name": {"type": "string", "maxLength": MAX_NAME},
        "kind": {"type": "string", "enum": list(KINDS)},
        "severity": {
            "type": "integer",
            "enum": list(SEVERITIES),
            "description": "1 (level I, gravest) to 4; default 3",
        },
        "started_at": {**TIME, "description": "default now; not in the future"},
        "grids": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the area as grid codes (or give area)",
        },
        "area": _POLYGON,
        "checkin_minutes": {
            "type": "integer",
            "minimum": MIN_MINUTES,
            "maximum": MAX_MINUTES,
            "description": "mobilised cadres check in this often; default 30",
        },
        "actor": {"type": "string", "description": "who declares, for the audit log"},
    },
}
LANG = {
    "name": "lang",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["zh", "en"]},
}
REFUSED = {
    "401": json_answer(ERROR, "no key and nobody signed in"),
    "403": json_answer(ERROR, "the caller may not do this"),
}


PATHS = {
    "/api/v1/events": {
        "get": {
            "summary": "Wartime events, newest first",
            "tags": ["Events"],
            "parameters": [
                {
                    "name": "active",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["true", "false"]},
                }
            ],
            "responses": {
                "200": json_answer(
                    {"type": "object", "properties": {"events": {"type": "array", "items": EVENT}}},
                    "the events",
                ),
                "400": json_answer(ERROR, "active is not true or false"),
                **REFUSED,
            },
        },
        "post": {
            "summary": "Declare an event (permission events)",
            "tags": ["Events"],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": DECLARATION}},
            },
            "responses": {
                "201": json_answer(EVENT, "declared"),
                "400": json_answer(
                    ERROR,
                    "a field is wrong: the area outside the "
                    "city or empty, an unknown kind…; nothing stored",
                ),
                **REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}": {
        "get": {
            "summary": "One event",
            "tags": ["Events"],
            "parameters": [EVENT_ID],
            "responses": {
                "200": json_answer(EVENT, "the event"),
                "404": json_answer(ERROR, "no such event"),
                **REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/end": {
        "post": {
            "summary": "End an event (permission events)",
            "tags": ["Events"],
            "parameters": [EVENT_ID],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "ended_at": {**TIME, "description": "default now"},
                                "actor": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": json_answer(EVENT, "ended"),
                "400": json_answer(
                    ERROR, "ended_at cannot be read, or is before the start or in the future"
                ),
                "404": json_answer(ERROR, "no such event"),
                "409": json_answer(ERROR, "the event has already ended"),
                **REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/cap.xml": {
        "get": {
            "summary": "The event as an OASIS CAP 1.2 alert (Alert while active, an Update "
            "referring to it once ended)",
            "tags": ["Events"],
            "parameters": [EVENT_ID, LANG],
            "responses": {
                "200": {
                    "description": "CAP 1.2 XML",
                    "content": {"application/cap+xml": {"schema": {"type": "string"}}},
                },
                "400": json_answer(ERROR, "lang is not zh or en"),
                "404": json_answer(ERROR, "no such event"),
                **REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/report": {
        "get": {
            "summary": "The after-action report (复盘): cadres mobilised and when, first "
            "contact and completion times, tasks done, figures, unmet needs, "
            "check-ins",
            "tags": ["Events"],
            "parameters": [EVENT_ID, LANG],
            "responses": {
                "200": json_answer(
                    {
                        "type": "object",
                        "properties": {
                            "event": {"type": "object"},
                            "mobilisation": {"type": "object"},
                            "response": {"type": "object"},
                            "tasks": {"type": "object"},
                            "figures": {"type": "array", "items": {"type": "object"}},
                            "unmet": {"type": "object"},
                            "checkins": {"type": "object"},
                            "task_rows": {"type": "array", "items": {"type": "object"}},
                            "cadre_rows": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                    "the report; times are ISO 8601 UTC, durations seconds",
                ),
                "400": json_answer(ERROR, "lang is not zh or en"),
                "404": json_answer(ERROR, "no such event"),
                **REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/report.xlsx": {
        "get": {
            "summary": "The after-action report as an Excel workbook",
            "tags": ["Events"],
            "parameters": [EVENT_ID, LANG],
            "responses": {
                "200": {
                    "description": "the workbook",
                    "content": {
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                "400": json_answer(ERROR, "lang is not zh or en"),
                "404": json_answer(ERROR, "no such event"),
                **REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/replay": {
        "get": {
            "summary": "The event as it was at a time, for the replay's slider: tasks "
            "with their stage, cadres where they were, figures done",
            "tags": ["Events"],
            "parameters": [
                EVENT_ID,
                LANG,
                {
                    "name": "at",
                    "in": "query",
                    "required": False,
                    "schema": TIME,
                    "description": "default the end; held within the event's timeline",
                },
            ],
            "responses": {
                "200": json_answer(
                    {
                        "type": "object",
                        "properties": {
                            "at": TIME,
                            "start": TIME,
                            "end": TIME,
                            "tasks": {"type": "array", "items": {"type": "object"}},
                            "cadres": {"type": "array", "items": {"type": "object"}},
                            "figures": {"type": "array", "items": {"type": "object"}},
                            "overdue": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                    "the frame",
                ),
                "400": json_answer(ERROR, "at or lang cannot be read"),
                "404": json_answer(ERROR, "no such event"),
                **REFUSED,
            },
        },
    },
}
