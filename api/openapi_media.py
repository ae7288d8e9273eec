"""The OpenAPI paths of the photos served as evidence (``api.media``); merged
into the document by ``api.openapi``."""

from __future__ import annotations

from api.openapi_parts import ERROR, json_answer

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
_PHOTO_ID = {
    "name": "photo_id",
    "in": "path",
    "required": True,
    "description": "the photo's id, as the field app's upload answered it",
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "the ETag of a copy already held",
    "schema": {"type": "string"},
}
_HEADERS = {
    "ETag": {
        "description": "the sha256 of the bytes, quoted: they never change",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "private: kept by the caller's browser, never by a shared cache",
        "schema": {"type": "string"},
    },
}


def _photo(summary: str, what: str) -> dict:
    image = {"type": "string", "format": "binary"}
    return {
        "get": {
            "summary": summary,
            "description": "Only for callers who may see the photo's incident: a person or "
            "key that may view, bound to no town or to the incident's town, or a cadre "
            "(fieldSession) who has or had an assignment on the incident. To anyone else "
            "it does not exist (404). Stored without any EXIF; the position the camera "
            "recorded is in the field app's upload answer.",
            "tags": ["Photos"],
            "parameters": [_PHOTO_ID, _IF_NONE_MATCH],
            "security": [{"apiKey": []}, {"session": []}, {"fieldSession": []}],
            "responses": {
                "200": {
                    "description": what,
                    "headers": _HEADERS,
                    "content": {media: {"schema": image} for media in IMAGE_TYPES},
                },
                "304": {"description": "unchanged since the ETag sent in If-None-Match"},
                "404": json_answer(
                    ERROR, "no such photo, or one of an incident the caller may not see"
                ),
            },
        }
    }


PATHS = {
    "/media/photos/{photo_id}": _photo(
        "A photo of an incident (at most 2048 px on its long side)", "the photo"
    ),
    "/media/photos/{photo_id}/thumb": _photo(
        "A photo's thumbnail (at most 320 px on its long side)", "the thumbnail"
    ),
}
