"""The pieces every part of the OpenAPI document is built from: the error body,
times, a query parameter, a JSON answer. One spelling of each, so that the
parts (``api.openapi`` and the modules it merges) describe alike what they
share.
"""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}
TIME = {"type": "string", "format": "date-time"}
TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}  # OpenAPI 3.1: no nullable


def query(name: str, description: str, schema: dict | None = None) -> dict:
    """An optional query parameter (a string unless ``schema`` says otherwise)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def json_answer(schema: dict, description: str, media: str = "application/json") -> dict:
    """An answer whose body ``schema`` comes as ``media``."""
    return {"description": description, "content": {media: {"schema": schema}}}
