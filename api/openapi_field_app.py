"""OpenAPI paths of the field app's API (merged into ``api.openapi``): a cadre
signed in on their phone, acting on their own tasks."""

from __future__ import annotations

from api.openapi_parts import ERROR, TIME, TIME_OR_NULL, json_answer
from domain.event_tasks import MEASURES

SECURITY = [{"fieldSession": []}]
KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "maxLength": 100},
    "description": "one per action (the phone makes a UUID and keeps it while it retries)",
}
FIELD_HEADER = {
    "name": "X-GC-Field",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "enum": ["1"]},
    "description": "sent by the field app with every change",
}
DISPATCH_ID = {
    "name": "dispatch_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
    "description": "the assignment (one per cadre per task)",
}
STRING_OR_NULL = {"type": ["string", "null"]}
NUMBER_OR_NULL = {"type": ["number", "null"]}
INTEGER_OR_NULL = {"type": ["integer", "null"]}
NAV = {
    "type": "object",
    "required": ["amap", "baidu", "tencent"],
    "properties": {
        "amap": {"type": "string", "description": "Amap URI, GCJ-02"},
        "baidu": {"type": "string", "description": "baidumap:// scheme, BD-09"},
        "tencent": {"type": "string", "description": "qqmap:// scheme, GCJ-02"},
    },
}
PHOTO_LINK = {
    "type": "object",
    "required": ["id", "url", "thumb_url"],
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "thumb_url": {"type": "string"},
    },
}
TASK = {
    "type": "object",
    "required": ["dispatch_id", "incident_id", "public_id", "lon", "lat", "nav", "measures"],
    "properties": {
        "dispatch_id": {"type": "integer"},
        "incident_id": {"type": "integer"},
        "public_id": {"type": "string"},
        "category": {"type": "string"},
        "category_zh": {"type": "string"},
        "category_en": {"type": "string"},
        "description": STRING_OR_NULL,
        "address": STRING_OR_NULL,
        "lon": {"type": "number"},
        "lat": {"type": "number"},
        "grid_code": STRING_OR_NULL,
        "headcount": {"type": "integer"},
        "priority": {"type": "integer"},
        "due_resolve_at": TIME_OR_NULL,
        "sent_at": TIME_OR_NULL,
        "accepted_at": TIME_OR_NULL,
        "arrived_at": TIME_OR_NULL,
        "incident_status": {"type": "string"},
        "distance_m": INTEGER_OR_NULL,
        "event_id": INTEGER_OR_NULL,
        "measures": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "measure": {"type": "string", "enum": list(MEASURES)},
                    "target": NUMBER_OR_NULL,
                    "done": {"type": "number"},
                    "zh": {"type": "string"},
                    "en": {"type": "string"},
                    "unit_zh": {"type": "string"},
                    "unit_en": {"type": "string"},
                },
            },
        },
        "nav": NAV,
        "photos": {"type": "array", "items": PHOTO_LINK},
    },
}
NOTIFICATION = {
    "type": "object",
    "required": ["id", "kind"],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string"},
        "created_at": TIME,
        "text_zh": {"type": "string"},
        "text_en": {"type": "string"},
        "read_at": TIME_OR_NULL,
    },
}
ME = {
    "type": "object",
    "required": ["cadre", "duty", "position_interval_s", "tasks", "checkin", "notifications"],
    "properties": {
        "cadre": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "role": {"type": "string"},
                "status": {"type": "string"},
                "town_code": STRING_OR_NULL,
            },
        },
        "duty": {"type": "string", "enum": ["on", "off"]},
        "position_interval_s": {
            "type": "integer",
            "description": "how often to share the position; 0: not at all",
        },
        "tasks": {"type": "array", "items": TASK, "description": "nearest first"},
        "checkin": {
            "type": ["object", "null"],
            "properties": {
                "event_id": {"type": "integer"},
                "event_name": {"type": "string"},
                "interval_minutes": {"type": "integer"},
                "last_at": TIME_OR_NULL,
                "due_at": TIME_OR_NULL,
            },
        },
        "notifications": {"type": "array", "items": NOTIFICATION},
    },
}
OK = {
    "type": "object",
    "required": ["ok"],
    "properties": {"ok": {"const": True}},
    "additionalProperties": True,
}
POSITION = {
    "type": "object",
    "required": ["lon", "lat"],
    "properties": {
        "lon": {"type": "number"},
        "lat": {"type": "number"},
        "coordinate_system": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"]},
        "accuracy_m": {"type": "number"},
        "note": {"type": "string", "maxLength": 500},
    },
}
ACTION_BODIES = {
    "accept": {"type": "object"},
    "decline": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "maxLength": 200}},
    },
    "arrive": POSITION,
    "progress": {
        "type": "object",
        "required": ["amounts"],
        "properties": {
            "amounts": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}}
        },
    },
    "done": {
        "type": "object",
        "properties": {
            "note": {"type": "string", "maxLength": 500},
            "photo_ids": {"type": "array", "items": {"type": "integer"}},
        },
    },
}


ANSWERS = {
    "400": "bad input; nothing changed",
    "404": "not your task, or no such thing",
    "409": "clashes with the task's state (released, declined, on duty with a task…)",
    "422": "this Idempotency-Key was used for another request",
}


def _post(
    summary: str,
    body: dict | None,
    statuses: tuple[str, ...],
    *,
    ok: dict = OK,
    params=(),
    media="application/json",
    idempotent: bool = True,
) -> dict:
    responses = {"200": json_answer(ok, "done (with Idempotent-Replayed: true, done before)")}
    responses |= {status: json_answer(ERROR, ANSWERS[status]) for status in statuses}
    operation = {
        "summary": summary,
        "security": SECURITY,
        "parameters": [*params, *((KEY,) if idempotent else ()), FIELD_HEADER],
        "responses": responses,
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {media: {"schema": body}}}
    return {"post": operation}


PATHS = {
    "/api/v1/field/me": {
        "get": {
            "summary": "The signed-in cadre's work: tasks nearest first, check-in, notifications",
            "security": SECURITY,
            "parameters": [
                {"name": n, "in": "query", "required": False, "schema": {"type": "number"}}
                for n in ("lon", "lat")
            ],
            "responses": {
                "200": json_answer(ME, "the cadre's work"),
                "400": json_answer(ERROR, "a bad position"),
            },
        }
    },
    "/api/v1/field/tasks/{dispatch_id}/{action}": _post(
        "Act on one of your tasks: accept, decline, arrive, progress or done",
        {"oneOf": list(ACTION_BODIES.values())},
        ("400", "404", "409", "422"),
        params=(
            DISPATCH_ID,
            {
                "name": "action",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "enum": list(ACTION_BODIES)},
            },
        ),
    ),
    "/api/v1/field/tasks/{dispatch_id}/photos": _post(
        "Add a photo (JPEG, PNG or WebP) to your task: EXIF position kept as evidence, "
        "then stripped",
        {
            "type": "object",
            "required": ["photo"],
            "properties": {"photo": {"type": "string", "format": "binary"}},
        },
        ("400", "404", "422"),
        ok={
            **OK,
            "properties": {
                "ok": {"const": True},
                "photo": {
                    "type": "object",
                    "required": ["id", "url", "thumb_url"],
                    "properties": {
                        **PHOTO_LINK["properties"],
                        "exif_lon": NUMBER_OR_NULL,
                        "exif_lat": NUMBER_OR_NULL,
                        "width": {"type": "integer"},
                        "height": {"type": "integer"},
                    },
                },
            },
        },
        params=(DISPATCH_ID,),
        media="multipart/form-data",
    ),
    "/api/v1/field/duty": _post(
        "Go on or off duty",
        {"type": "object", "required": ["on"], "properties": {"on": {"type": "boolean"}}},
        ("400", "409", "422"),
    ),
    "/api/v1/field/me/positions": _post(
        "Share the phone's positions (a batch, as queued while offline)",
        {
            "type": "object",
            "required": ["positions"],
            "properties": {
                "positions": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1000,
                    "items": {
                        **POSITION,
                        "required": ["lon", "lat", "at"],
                        "properties": {**POSITION["properties"], "at": TIME},
                    },
                }
            },
        },
        ("400", "422"),
    ),
    "/api/v1/field/checkin": _post(
        "Check in to your event: I am here and well", POSITION, ("400", "422")
    ),
    "/api/v1/field/invites": {
        "post": {
            "summary": "A one-time sign-in link for a cadre's phone (the desk, an integration)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["phone"],
                            "properties": {
                                "phone": {"type": "string", "description": "as on the roster"}
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": json_answer(
                    {
                        "type": "object",
                        "required": ["url", "cadre", "expires_at"],
                        "properties": {
                            "url": {"type": "string"},
                            "cadre": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "integer"},
                                    "name": {"type": "string"},
                                    "phone": {"type": "string"},
                                },
                            },
                            "expires_at": TIME,
                        },
                    },
                    "the link: it signs one phone in, once, until expires_at",
                ),
                "400": json_answer(ERROR, "no phone given"),
                "404": json_answer(ERROR, "no cadre of the roster has that phone"),
            },
        }
    },
    "/api/v1/field/notifications/{notification_id}/read": _post(
        "Mark one of your notifications read (again: the first time is kept)",
        None,
        ("404",),
        idempotent=False,
        params=(
            {
                "name": "notification_id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            },
        ),
    ),
}
