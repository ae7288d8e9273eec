"""The OpenAPI paths of the residents' reporting page (``api.resident``);
merged into the document by ``api.openapi``. Public: no key, no sign-in."""

from __future__ import annotations

from api.openapi_parts import ERROR, TIME, json_answer, query

_TEXT = {"type": "string"}
_NULL_TEXT = {"type": ["string", "null"]}
_FOLLOW = {
    "type": "object",
    "required": ["case", "follow_url", "token"],
    "properties": {
        "case": {"type": "string", "description": "the case number (public id)"},
        "follow_url": {"type": "string", "description": "/report/c/<token>: the private link"},
        "token": {"type": "string", "description": "the follow link's token (kept on the phone)"},
    },
}
_STEP = {
    "type": "object",
    "properties": {
        "at": TIME,
        "step": {
            "type": "string",
            "enum": [
                "received",
                "registered",
                "dispatched",
                "resolved",
                "closed",
                "merged",
                "reopened",
                "rated",
            ],
        },
        "text_zh": _TEXT,
        "text_en": _TEXT,
    },
}
_CASE = {
    "type": "object",
    "properties": {
        "case": _TEXT,
        "category": _TEXT,
        "place": {"type": "string", "description": "town and grid names"},
        "status": _TEXT,
        "timeline": {"type": "array", "items": _STEP},
        "reply": {**_NULL_TEXT, "description": "the department's note when resolved"},
        "proof_photos": {"type": "array", "items": _TEXT},
        "can_rate": {"type": "boolean"},
        "rating": {"type": ["integer", "null"]},
    },
}
_NEAR = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "the case number"},
            "category": _TEXT,
            "place": _TEXT,
            "reported_at": TIME,
            "metres": {"type": "integer"},
            "me_too_count": {"type": "integer"},
        },
    },
}
_CHOICE = {
    "type": "object",
    "required": ["key", "zh", "en"],
    "properties": {k: _TEXT for k in ("key", "zh", "en")},
}
_QUESTION = {
    "type": "object",
    "description": "a question of the service (an Open311 attribute): answer it as attribute[code]",
    "required": ["code", "zh", "en", "datatype", "required", "choices"],
    "properties": {
        **{k: _TEXT for k in ("code", "zh", "en")},
        "datatype": {
            "type": "string",
            "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"],
        },
        "required": {"type": "boolean"},
        "choices": {"type": "array", "items": _CHOICE, "description": "the list's answers"},
    },
}
_SERVICES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "zh", "en", "group_zh", "group_en", "questions"],
        "properties": {
            **{k: _TEXT for k in ("code", "zh", "en", "group_zh", "group_en")},
            "questions": {"type": "array", "items": _QUESTION},
        },
    },
}
_HEADER = {
    "Idempotency-Key": "one per form: a replay is answered as the first, and stored once",
    "X-GC-Device": "the phone's id made by the page: rate limits and me-too count per phone",
    "Accept-Language": "zh (default) or en: the language of error messages",
}


def _header(name: str, required: bool = False) -> dict:
    schema = {"type": "string", "maxLength": 255}
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": _HEADER[name],
        "schema": schema,
    }


def _path(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "maxLength": 64}}  # fmt: skip


_TOKEN = _path("token", "the follow link's token")


def _op(summary: str, ok: tuple[str, dict, str], *, params=(), body=None, errors=()) -> dict:
    status, schema, what = ok
    answers = {status: json_answer(schema, what)}
    for code, description in (*errors, _WRONG_KEY):
        answers[code] = json_answer(ERROR, description)
    operation = {
        "summary": summary,
        "tags": ["Residents"],
        "security": [],
        "parameters": [*params, _header("Accept-Language")],
        "responses": answers,
    }
    if body is not None:
        operation["requestBody"] = body
    return operation


_WRONG_KEY = ("403", "an API key was sent and it is wrong or revoked (none is needed)")
_BAD = ("400", "bad input, said in the resident's language; nothing was stored")
_LIMIT = ("429", "too many posts from this address or phone; try again later")
_JSON_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"type": "object"}}},
}
_REPORT_FORM = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["category", "description", "lon", "lat"],
                "properties": {
                    "category": _TEXT,
                    "description": {"type": "string", "minLength": 1, "maxLength": 500},
                    "lon": {"type": "number"},
                    "lat": {"type": "number"},
                    "crs": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"]},
                    "phone": {"type": "string", "description": "a Chinese mobile number"},
                    "anonymous": {"type": "string", "enum": ["0", "1"]},
                    "website": {"type": "string", "description": "must be empty (honeypot)"},
                    "photos": {
                        "type": "array",
                        "maxItems": 3,
                        "items": {"type": "string", "format": "binary"},
                    },
                },
                "patternProperties": {
                    r"^attribute\[[A-Za-z0-9_.-]{1,64}\]$": {
                        "type": "string",
                        "maxLength": 500,
                        "description": "the answer to the service's question of that code "
                        "(see GET /api/v1/public/services), e.g. attribute[depth]=knee",
                    }
                },
            }
        }
    },
}

PATHS = {
    "/api/v1/public/services": {
        "get": _op("What a resident may report, in groups", ("200", _SERVICES, "the services"))
    },
    "/api/v1/public/reports": {
        "post": _op(
            "A resident's report, through the Open311 intake (channel app)",
            ("201", _FOLLOW, "stored: the case number and the private follow link"),
            params=[_header("Idempotency-Key", True), _header("X-GC-Device")],
            body=_REPORT_FORM,
            errors=(
                _BAD,
                ("409", "the same Idempotency-Key is in flight"),
                ("413", "the photos are too large"),
                ("422", "the Idempotency-Key was used with another report"),
                _LIMIT,
            ),
        )
    },
    "/api/v1/public/cases/{token}": {
        "get": _op(
            "A followed case's public view: timeline, reply, proof; nothing personal",
            ("200", _CASE, "the case"),
            params=[_TOKEN],
            errors=(("404", "no case follows this token"),),
        )
    },
    "/api/v1/public/cases/{token}/photos/{photo_id}": {
        "get": {
            "summary": "The proof photo of a followed, resolved case",
            "tags": ["Residents"],
            "security": [],
            "parameters": [_TOKEN, _path("photo_id", "the photo's id")],
            "responses": {
                "200": {
                    "description": "the photo",
                    "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
                },
                "403": json_answer(ERROR, _WRONG_KEY[1]),
                "404": json_answer(ERROR, "not the proof photo of this case"),
            },
        }
    },
    "/api/v1/public/lookup": {
        "post": _op(
            "Find one's case by its number and the phone's last 4 digits",
            ("200", _FOLLOW, "a new follow link"),
            params=[_header("X-GC-Device")],
            body=_JSON_BODY,
            errors=(_BAD, ("404", "no such case with these digits"), _LIMIT),
        )
    },
    "/api/v1/public/cases/{token}/rating": {
        "post": _op(
            "Rate a resolved case 1–5 with a comment; 1–2 reopens it",
            ("200", {"type": "object"}, "rated: the case's status now"),
            params=[_TOKEN, _header("Idempotency-Key"), _header("X-GC-Device")],
            body=_JSON_BODY,
            errors=(_BAD, ("404", "no case follows this token")),
        )
    },
    "/api/v1/public/nearby": {
        "get": _op(
            "Open cases within 500 m: category and place only",
            ("200", _NEAR, "nearest first"),
            params=[query("lon", "WGS84 longitude"), query("lat", "WGS84 latitude")],
            errors=(_BAD,),
        )
    },
    "/api/v1/public/cases/{case}/me-too": {
        "post": _op(
            "Me too: follow an open case like its first reporter",
            ("201", _FOLLOW, "following: a follow link"),
            params=[
                _path("case", "the case number"),
                _header("Idempotency-Key", True),
                _header("X-GC-Device"),
            ],
            errors=(
                _BAD,
                ("404", "no such case"),
                ("409", "this phone already said me too"),
                _LIMIT,
            ),
        )
    },
}
