"""Photos as evidence, served only to callers who may see their incident.

GET /media/photos/<id> and /media/photos/<id>/thumb. The guard lets in
whoever may view or has a cadre's session (``web.guard``: ``needs(VIEW,
TASKS)``); each photo is then checked against its incident
(``services.photos.may_see_photo``), and a photo the caller may not see is
answered as one that does not exist (404), so its id reveals nothing.

A photo's bytes never change (their key is their sha256), so the sha256 is
the ETag and a browser asks again with If-None-Match; the cache is the
caller's own (``private``): a shared cache must not hand one town's
evidence to another.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from domain.bounds import digits_id
from domain.errors import NotFound
from services.photos import may_see_photo
from web.guard import current_principal

MEDIA_STORE = "gridcommand.media"  # server.extensions: the media store (data.media_store)
PHOTO_MAX_BYTES = "GC_PHOTO_MAX_BYTES"  # server.config: the largest photo accepted
CACHE = "private, max-age=86400"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}

log = logging.getLogger(__name__)
blueprint = Blueprint("media", __name__, url_prefix="/media")


def media_store():
    """The media store of this server (set by ``server.compose``)."""
    return current_app.extensions[MEDIA_STORE]


def photo_max_bytes() -> int:
    """The largest photo this server accepts (``GC_PHOTO_MAX_BYTES``)."""
    return int(current_app.config[PHOTO_MAX_BYTES])


# The id is taken as text and read here: Flask's int converter would hand
# "-1" or "x" to the dashboard's page route, and pass ids past the database's
# integer; each is simply a photo that does not exist.
@blueprint.get("/photos/<photo_id>")
def photo(photo_id: str):
    return _send(photo_id, thumb=False)


@blueprint.get("/photos/<photo_id>/thumb")
def thumb(photo_id: str):
    return _send(photo_id, thumb=True)


def _send(text: str, *, thumb: bool) -> Response:
    store = current_app.extensions["gridcommand.store"]
    photo_id = digits_id(text)
    row = None if photo_id is None else store.photo(photo_id)
    if row is None or not may_see_photo(store, current_principal(), row):
        raise NotFound(f"no photo {text[:40]}", zh="没有这张照片")
    key = row["thumb_sha256"] if thumb else row["sha256"]
    found = media_store().get(key)
    if found is None:  # a row whose bytes are gone: the store was not copied whole
        log.error("photo %s: bytes %s missing from the media store", photo_id, key)
        raise NotFound(f"no photo {photo_id}", zh="没有这张照片")
    name = (
        f"photo-{photo_id}{'-thumb' if thumb else ''}.{EXTENSIONS.get(row['content_type'], 'bin')}"
    )
    response = Response(found[0], mimetype=row["content_type"])
    response.set_etag(key)
    response.headers["Cache-Control"] = CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response.make_conditional(request)
