"""OpenAPI paths of the work during a wartime event (merged into
``api.openapi``): its tasks and their figures, the board, mobilising cadres
and their check-ins. The event itself is ``api.openapi_events``.
"""

from __future__ import annotations

from api.openapi_events import EVENT_ID, LANG, REFUSED
from api.openapi_parts import ERROR, TIME, TIME_OR_NULL, json_answer
from domain.event_tasks import MAX_HEADCOUNT, MAX_TITLE, MEASURES
from domain.mobilisation import TIERS

_TASK_ID = {
    "name": "task_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 64},
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
        "reported_at": TIME,
        "resolved_at": TIME_OR_NULL,
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
                    "last_seen_at": TIME,
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
                    "cadre_phone": {
                        "type": ["string", "null"],
                        "description": "the cadre's mobile number, for their phone's invite; "
                        "only to callers who may dispatch and see contacts",
                    },
                    "tier": {"type": "string", "enum": list(TIERS)},
                    "eta_s": {"type": "number"},
                    "distance_m": {"type": "number"},
                    "position_at": TIME_OR_NULL,
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


PATHS = {
    "/api/v1/events/{event_id}/board": {
        "get": {
            "summary": "The running picture of an event: tasks and their figures, "
            "mobilised cadres, missed check-ins",
            "tags": ["Events"],
            "parameters": [EVENT_ID, LANG],
            "responses": {
                "200": json_answer(BOARD, "the board"),
                "400": json_answer(ERROR, "lang is not zh or en"),
                "404": json_answer(ERROR, "no such event"),
                **REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/tasks": {
        "post": {
            "summary": "Add a task to an active event (permission events): an incident "
            "with a place, headcount and figures",
            "tags": ["Events"],
            "parameters": [EVENT_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": NEW_TASK}},
            },
            "responses": {
                "201": json_answer(TASK, "added"),
                "400": json_answer(ERROR, "a field is wrong; nothing stored"),
                "404": json_answer(ERROR, "no such event"),
                "409": json_answer(ERROR, "the event has ended"),
                **REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/tasks/{task_id}/progress": {
        "post": {
            "summary": "Add what the field did since its last report to a task's figures "
            "(permission field or events)",
            "tags": ["Events"],
            "parameters": [EVENT_ID, _TASK_ID],
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
                "200": json_answer(TASK, "the task with its figures"),
                "400": json_answer(ERROR, "a negative or unknown figure; nothing stored"),
                "404": json_answer(ERROR, "no such event or task"),
                "409": json_answer(ERROR, "the event has ended"),
                **REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/mobilisation": {
        "get": {
            "summary": "Who to send to the event's tasks: paired departments first, then "
            "neighbouring towns (nothing is written; permission events)",
            "tags": ["Events"],
            "parameters": [
                EVENT_ID,
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
                LANG,
            ],
            "responses": {
                "200": json_answer(PROPOSAL, "the proposal"),
                "400": json_answer(ERROR, "a parameter is wrong"),
                "404": json_answer(ERROR, "no such event"),
                "409": json_answer(ERROR, "the event has ended"),
                **REFUSED,
            },
        },
        "post": {
            "summary": "Send the confirmed cadres to the event's tasks, all or none "
            "(permission events)",
            "tags": ["Events"],
            "parameters": [EVENT_ID],
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
                                            "position_at": TIME,
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
                "201": json_answer(
                    {
                        "type": "object",
                        "properties": {
                            "dispatch_ids": {"type": "array", "items": {"type": "integer"}},
                            "sent": {"type": "integer"},
                        },
                    },
                    "sent",
                ),
                "400": json_answer(
                    ERROR, "an assignment is wrong or not to this event's tasks; nobody sent"
                ),
                "404": json_answer(ERROR, "no such event, task or cadre"),
                "409": json_answer(
                    ERROR,
                    "a cadre is already on an assignment, or the event has ended; nobody sent",
                ),
                **REFUSED,
            },
        },
    },
    "/api/v1/events/{event_id}/checkins": {
        "post": {
            "summary": "A mobilised cadre checks in (permission field or events)",
            "tags": ["Events"],
            "parameters": [EVENT_ID],
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
                "201": json_answer(
                    {"type": "object", "properties": {"id": {"type": "integer"}}}, "checked in"
                ),
                "400": json_answer(ERROR, "a field is wrong"),
                "404": json_answer(ERROR, "no such event"),
                "409": json_answer(
                    ERROR, "the cadre is not mobilised for this event, or the event has ended"
                ),
                **REFUSED,
            },
        },
    },
}
