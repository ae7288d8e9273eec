"""OpenAPI paths of wartime events (merged into ``api.openapi``)."""

from __future__ import annotations

from domain.checkins import MAX_MINUTES, MIN_MINUTES
from domain.event_tasks import MAX_HEADCOUNT, MAX_TITLE, MEASURES
from domain.events import KINDS, MAX_NAME, SEVERITIES
from domain.mobilisation import TIERS

_ERROR = {"$ref": "#/components/schemas/Error"}
_ID = {
    "name": "event_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "the event's id",
}
_TIME = {"type": "string", "format": "date-time"}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}  # OpenAPI 3.1: no nullable
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
        "started_at": _TIME,
        "ended_at": {**_TIME_OR_NULL, "description": "null while the event runs"},
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
        "started_at": {**_TIME, "description": "default now; not in the future"},
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
_LANG = {
    "name": "lang",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["zh", "en"]},
}
_TASK_ID = {
    "name": "task_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "the task's incident id",
}
_FIGURES = {
    "type": "object",
    "description": "measure -> number; the event kind's measures: "
    + ", ".join(f"{code} ({m.en}, {m.unit_en})" for code, m in MEASURES.items()),
    "additionalProperties": {"type": "number", "minimum": 0},
}
FIGURE = {
    "type": "object",
    "properties": {
        "measure": {"type": "string", "enum": list(MEASURES)},
        "label": {"type": "string"},
        "unit": {"type": "string"},
        "target": {"type": ["number", "null"]},
        "done": {"type": "number"},
    },
}
TASK = {
    "type": "object",
    "required": ["id", "public_id", "title", "status", "headcount", "figures"],
    "properties": {
        "id": {"type": "integer"},
        "public_id": {"type": "string"},
        "title": {"type": "string"},
        "category": {"type": "string"},
        "priority": {"type": "integer"},
        "status": {"type": "string"},
        "headcount": {"type": "integer"},
        "on_task": {"type": "integer", "description": "cadres on it now"},
        "lon": {"type": "number"},
        "lat": {"type": "number"},
        "grid": {"type": ["string", "null"]},
        "town_code": {"type": ["string", "null"]},
        "reported_at": _TIME,
        "resolved_at": _TIME_OR_NULL,
        "figures": {"type": "array", "items": FIGURE},
    },
}
NEW_TASK = {
    "type": "object",
    "required": ["title", "lon", "lat"],
    "properties": {
        "title": {"type": "string", "maxLength": MAX_TITLE},
        "lon": {"type": "number"},
        "lat": {"type": "number", "description": "WGS84; inside the event's area"},
        "headcount": {"type": "integer", "minimum": 1, "maximum": MAX_HEADCOUNT},
        "priority": {"type": "integer", "minimum": 1, "maximum": 4},
        "category": {"type": "string", "description": "default the event kind's"},
        "targets": _FIGURES,
        "actor": {"type": "string"},
    },
}
BOARD = {
    "type": "object",
    "properties": {
        "event_id": {"type": "integer"},
        "active": {"type": "boolean"},
        "checkin_minutes": {"type": "integer"},
        "tasks": {"type": "array", "items": TASK},
        "tasks_open": {"type": "integer"},
        "hands_needed": {"type": "integer"},
        "hands_on_task": {"type": "integer"},
        "figures": {"type": "array", "items": FIGURE},
        "mobilised": {"type": "array", "items": {"type": "object"}},
        "overdue": {
            "type": "array",
            "description": "cadres who missed their check-in",
            "items": {
                "type": "object",
                "properties": {
                    "cadre_id": {"type": "integer"},
                    "name": {"type": "string"},
                    "task_id": {"type": "integer"},
                    "last_seen_at": _TIME,
                    "late_min": {"type": "integer"},
                },
            },
        },
    },
}
_PLAN_TOTALS = {
    "type": "object",
    "properties": {"filled": {"type": "integer"}, "total_weighted_s": {"type": "number"}},
}
PROPOSAL = {
    "type": "object",
    "properties": {
        "assignments": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "incident": {"type": "string"},
                    "incident_id": {"type": "integer"},
                    "cadre_id": {"type": "integer"},
                    "cadre_name": {"type": "string"},
                    "tier": {"type": "string", "enum": list(TIERS)},
                    "eta_s": {"type": "number"},
                    "distance_m": {"type": "number"},
                    "position_at": _TIME_OR_NULL,
                },
            },
        },
        "needed": {"type": "integer"},
        "filled": {"type": "integer"},
        "unmet": {"type": "array", "items": {"type": "object"}},
        "tiers": {"type": "object", "additionalProperties": {"type": "integer"}},
        "by_department": {"type": "array", "items": {"type": "object"}},
        "eta_p50_s": {"type": "number"},
        "eta_max_s": {"type": "number"},
        "affected_towns": {"type": "array", "items": {"type": "object"}},
        "neighbour_towns": {"type": "array", "items": {"type": "object"}},
        "left_thin": {
            "type": "array",
            "description": "departments and towns that would keep "
            "less than half of their available cadres",
            "items": {"type": "object"},
        },
        "optimal": _PLAN_TOTALS,
        "greedy": _PLAN_TOTALS,
        "gain_vs_greedy_pct": {
            "type": "number",
            "description": "weighted arrival time the "
            "proposal saves over the same tiers filled nearest-first, %",
        },
    },
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_REFUSED = {
    "401": _json(_ERROR, "no key and nobody signed in"),
    "403": _json(_ERROR, "the caller may not do this"),
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
                "200": _json(
                    {"type": "object", "properties": {"events": {"type": "array", "items": EVENT}}},
                    "the events",
                ),
                "400": _json(_ERROR, "active is not true or false"),
                **_REFUSED,
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
                "201": _json(EVENT, "declared"),
                "400": _json(
                    _ERROR,
                    "a field is wrong: the area outside the "
                    "city or empty, an unknown kind…; nothing stored",
                ),
                **_REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}": {
        "get": {
            "summary": "One event",
            "tags": ["Events"],
            "parameters": [_ID],
            "responses": {
                "200": _json(EVENT, "the event"),
                "404": _json(_ERROR, "no such event"),
                **_REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/end": {
        "post": {
            "summary": "End an event (permission events)",
            "tags": ["Events"],
            "parameters": [_ID],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "ended_at": {**_TIME, "description": "default now"},
                                "actor": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(EVENT, "ended"),
                "400": _json(
                    _ERROR, "ended_at cannot be read, or is before the start or in the future"
                ),
                "404": _json(_ERROR, "no such event"),
                "409": _json(_ERROR, "the event has already ended"),
                **_REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/cap.xml": {
        "get": {
            "summary": "The event as an OASIS CAP 1.2 alert (Alert while active, an Update "
            "referring to it once ended)",
            "tags": ["Events"],
            "parameters": [
                _ID,
                {
                    "name": "lang",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["zh", "en"]},
                },
            ],
            "responses": {
                "200": {
                    "description": "CAP 1.2 XML",
                    "content": {"application/cap+xml": {"schema": {"type": "string"}}},
                },
                "400": _json(_ERROR, "lang is not zh or en"),
                "404": _json(_ERROR, "no such event"),
                **_REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/report": {
        "get": {
            "summary": "The after-action report (复盘): cadres mobilised and when, first "
            "contact and completion times, tasks done, figures, unmet needs, "
            "check-ins",
            "tags": ["Events"],
            "parameters": [_ID, _LANG],
            "responses": {
                "200": _json(
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
                "400": _json(_ERROR, "lang is not zh or en"),
                "404": _json(_ERROR, "no such event"),
                **_REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/report.xlsx": {
        "get": {
            "summary": "The after-action report as an Excel workbook",
            "tags": ["Events"],
            "parameters": [_ID, _LANG],
            "responses": {
                "200": {
                    "description": "the workbook",
                    "content": {
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                "400": _json(_ERROR, "lang is not zh or en"),
                "404": _json(_ERROR, "no such event"),
                **_REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/replay": {
        "get": {
            "summary": "The event as it was at a time, for the replay's slider: tasks "
            "with their stage, cadres where they were, figures done",
            "tags": ["Events"],
            "parameters": [
                _ID,
                _LANG,
                {
                    "name": "at",
                    "in": "query",
                    "required": False,
                    "schema": _TIME,
                    "description": "default the end; held within the event's timeline",
                },
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "at": _TIME,
                            "start": _TIME,
                            "end": _TIME,
                            "tasks": {"type": "array", "items": {"type": "object"}},
                            "cadres": {"type": "array", "items": {"type": "object"}},
                            "figures": {"type": "array", "items": {"type": "object"}},
                            "overdue": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                    "the frame",
                ),
                "400": _json(_ERROR, "at or lang cannot be read"),
                "404": _json(_ERROR, "no such event"),
                **_REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/board": {
        "get": {
            "summary": "The running picture of an event: tasks and their figures, "
            "mobilised cadres, missed check-ins",
            "tags": ["Events"],
            "parameters": [
                _ID,
                {
                    "name": "lang",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["zh", "en"]},
                },
            ],
            "responses": {
                "200": _json(BOARD, "the board"),
                "400": _json(_ERROR, "lang is not zh or en"),
                "404": _json(_ERROR, "no such event"),
                **_REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/tasks": {
        "post": {
            "summary": "Add a task to an active event (permission events): an incident "
            "with a place, headcount and figures",
            "tags": ["Events"],
            "parameters": [_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": NEW_TASK}},
            },
            "responses": {
                "201": _json(TASK, "added"),
                "400": _json(_ERROR, "a field is wrong; nothing stored"),
                "404": _json(_ERROR, "no such event"),
                "409": _json(_ERROR, "the event has ended"),
                **_REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/tasks/{task_id}/progress": {
        "post": {
            "summary": "Add what the field did since its last report to a task's figures "
            "(permission field or events)",
            "tags": ["Events"],
            "parameters": [_ID, _TASK_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["done"],
                            "properties": {"done": _FIGURES, "actor": {"type": "string"}},
                        }
                    }
                },
            },
            "responses": {
                "200": _json(TASK, "the task with its figures"),
                "400": _json(_ERROR, "a negative or unknown figure; nothing stored"),
                "404": _json(_ERROR, "no such event or task"),
                "409": _json(_ERROR, "the event has ended"),
                **_REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/mobilisation": {
        "get": {
            "summary": "Who to send to the event's tasks: paired departments first, then "
            "neighbouring towns (nothing is written; permission events)",
            "tags": ["Events"],
            "parameters": [
                _ID,
                {
                    "name": "include_rest",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["true", "false"]},
                    "description": "also call on the rest of the city",
                },
                {
                    "name": "max_travel_min",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "number"},
                    "description": "furthest anyone is sent; default 120",
                },
                {
                    "name": "lang",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["zh", "en"]},
                },
            ],
            "responses": {
                "200": _json(PROPOSAL, "the proposal"),
                "400": _json(_ERROR, "a parameter is wrong"),
                "404": _json(_ERROR, "no such event"),
                "409": _json(_ERROR, "the event has ended"),
                **_REFUSED,
            },
        },
        "post": {
            "summary": "Send the confirmed cadres to the event's tasks, all or none "
            "(permission events)",
            "tags": ["Events"],
            "parameters": [_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["assignments"],
                            "properties": {
                                "assignments": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["incident", "cadre_id"],
                                        "properties": {
                                            "incident": {"type": "string"},
                                            "cadre_id": {"type": "integer"},
                                            "eta_s": {"type": "number"},
                                            "position_at": _TIME,
                                        },
                                    },
                                },
                                "actor": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": _json(
                    {
                        "type": "object",
                        "properties": {
                            "dispatch_ids": {"type": "array", "items": {"type": "integer"}},
                            "sent": {"type": "integer"},
                        },
                    },
                    "sent",
                ),
                "400": _json(
                    _ERROR, "an assignment is wrong or not to this event's tasks; nobody sent"
                ),
                "404": _json(_ERROR, "no such event, task or cadre"),
                "409": _json(
                    _ERROR,
                    "a cadre is already on an assignment, or the event has ended; nobody sent",
                ),
                **_REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/checkins": {
        "post": {
            "summary": "A mobilised cadre checks in (permission field or events)",
            "tags": ["Events"],
            "parameters": [_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["cadre_id"],
                            "properties": {
                                "cadre_id": {"type": "integer"},
                                "lon": {"type": "number"},
                                "lat": {"type": "number"},
                                "actor": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": _json(
                    {"type": "object", "properties": {"id": {"type": "integer"}}}, "checked in"
                ),
                "400": _json(_ERROR, "a field is wrong"),
                "404": _json(_ERROR, "no such event"),
                "409": _json(
                    _ERROR, "the cadre is not mobilised for this event, or the event has ended"
                ),
                **_REFUSED,
            },
        },
    },
}
