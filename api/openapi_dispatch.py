"""OpenAPI paths of dispatch and the field app (merged into ``api.openapi``)."""

from __future__ import annotations

from api.openapi_parts import ERROR, json_answer, query


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


# Aligned by hand: this table reads better laid out as a table.
_ASSIGNMENT = {
    "type": "object",
    "required": ["incident", "cadre_id"],
    "properties": {
        "incident": {"type": ["string", "integer"],
                     "description": "service request id (JZ…) or incident id"},
        "cadre_id": {"type": "integer"},
        "eta_s": {"type": ["number", "null"], "description": "estimated travel time, s"},
        "position_at": {"type": ["string", "null"], "format": "date-time",
                        "description": "time of the cadre's position the plan used; the "
                                       "dispatch is refused (409) if the cadre moved since"},
    },
}  # fmt: skip
_PLANNED = {
    "type": "object",
    "properties": {
        **_ASSIGNMENT["properties"],
        "incident_id": {"type": "integer"},
        "category": {"type": "string"},
        "priority": {"type": "integer"},
        "cadre_name": {"type": "string"},
        "cadre_phone": {
            "type": ["string", "null"],
            "description": "the cadre's mobile number (for the invite of their "
            "phone, POST /api/v1/field/invites); only to callers "
            "who may see contacts",
        },
        "department": {"type": ["string", "null"]},
        "distance_m": {"type": "number"},
        "paired": {"type": "boolean"},
        "from": {"type": "array", "items": {"type": "number"}, "description": "cadre lon, lat"},
        "to": {"type": "array", "items": {"type": "number"}, "description": "incident lon, lat"},
    },
}
_TOTALS = {
    "type": "object",
    "properties": {
        k: {"type": "number"}
        for k in ("filled", "needed", "unmet", "total_weighted_s", "total_eta_s", "max_eta_s")
    },
}
_KEY = [{"name": "X-API-Key", "in": "header", "required": True, "schema": {"type": "string"}}]
_REFUSED = {
    "400": json_answer(ERROR, "malformed"),
    "404": json_answer(ERROR, "unknown incident or cadre"),
    "409": json_answer(
        ERROR,
        "a cadre was taken (the message says by whom), moved since "
        "the plan, or the incident is closed; nothing was applied",
    ),
}

PATHS = {
    "/api/v1/changes": {
        "get": {
            "summary": "The change feed: what changed since sequence number N (oldest first)",
            "tags": ["Live"],
            "parameters": [
                {"name": "since", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                },
            ],
            "responses": {
                "200": json_answer(
                    {
                        "type": "object",
                        "properties": {
                            "seq": {"type": "integer"},
                            "more": {"type": "boolean"},
                            "changes": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                    "the changes, oldest first",
                ),
                "400": json_answer(ERROR, "since or limit is not a whole number in range"),
            },
        }
    },
    "/api/v1/changes/wait": {
        "get": {
            "summary": "Wait until the change feed moves past position N (a long poll of live screens)",
            "tags": ["Live"],
            "parameters": [
                query("after", "the position known; absent: answer at once", {"type": "integer"}),
                query("wait", "seconds to wait at most (0 to 25, default 25)", {"type": "integer"}),
            ],
            "responses": {
                "200": json_answer(
                    {
                        "type": "object",
                        "properties": {
                            "seq": {"type": "integer"},
                            "moved": {"type": "boolean"},
                            "busy": {"type": "boolean"},
                        },
                    },
                    "the feed's newest position: past after, or unchanged after wait "
                    "seconds; busy: too many wait at this server process, ask later",
                ),
                "400": json_answer(ERROR, "after or wait is not a whole number in range"),
            },
        }
    },
    "/api/v1/incidents/{service_request_id}/actions": {
        "post": {
            "summary": "A lifecycle move: register, reject, merge, dispatch, start, escalate, "
            "park, unpark, resolve, verify, send_back, close, rate, reopen",
            "tags": ["Lifecycle"],
            "parameters": [
                {
                    "name": "service_request_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "maxLength": 64},
                }
            ],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["actor", "action"],
                    "properties": {
                        "actor": {"type": "string", "maxLength": 60},
                        "action": {"type": "string"},
                        "note": {"type": "string"},
                        "photo_url": {"type": "string"},
                        "callback": {"type": "string"},
                        "checkin": {
                            "type": "array",
                            "items": {"type": "number"},
                            "minItems": 2,
                            "maxItems": 2,
                        },
                        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                        "into": {"type": "string", "description": "merge: the original's id (JZ…)"},
                    },
                }
            ),
            "responses": {
                "200": json_answer(
                    {
                        "type": "object",
                        "required": ["incident", "action", "status"],
                        "properties": {
                            "incident": {"type": "string"},
                            "action": {"type": "string"},
                            "status": {"type": "string"},
                        },
                    },
                    "the move is made; status is the incident's new status",
                ),
                "400": json_answer(ERROR, "an illegal move: the message says which are legal"),
                "404": json_answer(ERROR, "no such incident (or, to merge into, original)"),
                "409": json_answer(
                    ERROR, "someone moved the incident meanwhile; nothing was applied"
                ),
            },
        }
    },
    "/api/v1/dispatch/recommendations": {
        "get": {
            "summary": "The best available cadres for one incident, each with its reason",
            "tags": ["Dispatch"],
            "parameters": [
                {
                    "name": "incident",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "service request id (JZ…) or incident id",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 50},
                },
                {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["zh", "en"]}},
            ],
            "responses": {
                "200": json_answer(
                    {
                        "type": "object",
                        "properties": {
                            "recommendations": {"type": "array", "items": {"type": "object"}}
                        },
                    },
                    "the cadres, best first",
                ),
                "400": json_answer(ERROR, "incident, limit or lang is malformed"),
                "404": json_answer(ERROR, "no such incident"),
            },
        }
    },
    "/api/v1/dispatch/plan": {
        "post": {
            "summary": "Plan all open work: the optimal assignment, with the totals of the "
            "optimal and the greedy (nearest-first) plan",
            "tags": ["Dispatch"],
            "requestBody": _body(
                {
                    "type": "object",
                    "properties": {
                        "town": {"type": "string"},
                        "incidents": {"type": "array", "items": {"type": "string"}},
                        "max_travel_min": {"type": "number", "exclusiveMinimum": 0, "maximum": 240},
                    },
                }
            ),
            "responses": {
                "200": json_answer(
                    {
                        "type": "object",
                        "properties": {
                            "assignments": {"type": "array", "items": _PLANNED},
                            "unmet": {"type": "array", "items": {"type": "object"}},
                            "optimal": _TOTALS,
                            "greedy": _TOTALS,
                            "gain_vs_greedy_pct": {"type": "number"},
                            "extra_filled_vs_greedy": {"type": "integer"},
                        },
                    },
                    "the plan; nothing is sent",
                ),
                "400": json_answer(ERROR, "a field is malformed"),
                "404": json_answer(ERROR, "no such town or incident"),
            },
        }
    },
    "/api/v1/dispatch/confirm": {
        "post": {
            "summary": "Send cadres: a whole plan or part of it, all or nothing",
            "tags": ["Dispatch"],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["actor", "assignments"],
                    "properties": {
                        "actor": {"type": "string", "maxLength": 60},
                        "assignments": {"type": "array", "items": _ASSIGNMENT},
                    },
                }
            ),
            "responses": {
                "200": json_answer(
                    {
                        "type": "object",
                        "properties": {
                            "dispatched": {"type": "array", "items": {"type": "object"}}
                        },
                    },
                    "all are sent",
                ),
                **_REFUSED,
            },
        }
    },
    "/api/v1/field/positions": {
        "post": {
            "summary": "A batch of cadre positions from the field app (kept as history)",
            "tags": ["Field"],
            "parameters": _KEY,
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["positions"],
                    "properties": {
                        "positions": {
                            "type": "array",
                            "maxItems": 1000,
                            "items": {
                                "type": "object",
                                "required": ["cadre_id", "lon", "lat", "recorded_at"],
                                "properties": {
                                    "cadre_id": {"type": "integer"},
                                    "lon": {"type": "number"},
                                    "lat": {"type": "number"},
                                    "recorded_at": {"type": "string", "format": "date-time"},
                                    "coordinate_system": {
                                        "type": "string",
                                        "enum": ["wgs84", "gcj02", "bd09"],
                                    },
                                },
                            },
                        }
                    },
                }
            ),
            "responses": {
                "200": json_answer(
                    {"type": "object", "properties": {"stored": {"type": "integer"}}},
                    "the positions are stored",
                ),
                "400": json_answer(ERROR, "a position is malformed; nothing stored"),
            },
        }
    },
    "/api/v1/field/status": {
        "post": {
            "summary": "A cadre's status: arrived (stamps the arrival), done (releases the "
            "assignment), off_duty, on_duty",
            "tags": ["Field"],
            "parameters": _KEY,
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["cadre_id", "status"],
                    "properties": {
                        "cadre_id": {"type": "integer"},
                        "status": {
                            "type": "string",
                            "enum": ["arrived", "done", "off_duty", "on_duty"],
                        },
                        "at": {"type": "string", "format": "date-time"},
                    },
                }
            ),
            "responses": {
                "200": json_answer({"type": "object"}, "the status is recorded"),
                "400": json_answer(ERROR, "a field is malformed; nothing stored"),
                "404": json_answer(ERROR, "no such cadre"),
            },
        }
    },
    "/api/v1/cadres/{cadre_id}/trail.geojson": {
        "get": {
            "summary": "A cadre's reported positions as a GeoJSON LineString (last 24 h by default)",
            "tags": ["Field"],
            "parameters": [
                {"name": "cadre_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                {
                    "name": "since",
                    "in": "query",
                    "schema": {"type": "string", "format": "date-time"},
                },
            ],
            "responses": {
                "200": {
                    "description": "the trail (a Feature)",
                    "content": {"application/geo+json": {"schema": {"type": "object"}}},
                },
                "400": json_answer(ERROR, "since cannot be read"),
                "404": json_answer(ERROR, "no such path (cadre_id is not a positive whole number)"),
            },
        }
    },
}
