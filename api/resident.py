"""The residents' reporting page's API at /api/v1/public/ (issue 21).

Public: no key, no sign-in (``web.guard`` lists each route as public). The
writes are rate limited per address and per phone (``web.limits``), carry an
``Idempotency-Key`` (the page makes one per form, so a form sent again from
the phone's offline queue is stored once) and refuse bad input with a
message in the resident's language (``Accept-Language``: zh by default, en).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from domain.errors import InvalidInput
from services import resident, resident_case

blueprint = Blueprint("resident_api", __name__, url_prefix="/api/v1/public")
PREFIX = "/api/v1/public/"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEVICE_HEADER = "X-GC-Device"


def _store():
    return current_app.extensions["gridcommand.store"]


def _device() -> str:
    return (request.headers.get(DEVICE_HEADER) or "").strip()[:64]


def _key() -> str:
    return request.headers.get(IDEMPOTENCY_HEADER, "")


def json_body(request) -> dict:
    """The request's JSON object, or a clear 400 in zh and en."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict) or (request.content_length or 0) > 16_000:
        raise InvalidInput(
            "send a JSON object with Content-Type: application/json",
            zh="请求格式错误，请刷新页面后重试",
        )
    return body


def _answer(result: tuple[int, dict, bool]):
    status, body, replayed = result
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@blueprint.get("/services")
def services():
    return jsonify(resident.services_list())


@blueprint.post("/reports")
def submit():
    from api.media import media_store, photo_max_bytes

    if request.is_json:
        raise InvalidInput(
            "send the report as multipart/form-data", zh="请以表单（multipart/form-data）提交"
        )
    files = [upload.read() for upload in request.files.getlist("photos")]
    return _answer(
        resident.submit(
            _store(),
            media_store(),
            request.form,
            files,
            _key(),
            _device(),
            max_bytes=photo_max_bytes(),
        )
    )


@blueprint.get("/cases/<token>")
def case(token: str):
    answer = jsonify(resident_case.public_case(_store(), token))
    answer.headers["Cache-Control"] = "no-store"
    return answer


@blueprint.get("/cases/<token>/photos/<int:photo_id>")
def proof_photo(token: str, photo_id: int):
    from api.media import media_store
    from domain.errors import NotFound

    row = resident_case.proof_photo(_store(), token, photo_id)
    found = media_store().get(row["sha256"])
    if found is None:
        raise NotFound("no such photo", zh="没有这张照片")
    response = Response(found[0], mimetype=row["content_type"])
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.post("/lookup")
def lookup():
    return _answer((200, resident_case.lookup(_store(), json_body(request), _device()), False))


@blueprint.post("/cases/<token>/rating")
def rating(token: str):
    return _answer(resident_case.rate(_store(), token, json_body(request), _key(), _device()))


@blueprint.get("/nearby")
def nearby():
    answer = jsonify(
        resident_case.nearby(_store(), request.args.get("lon"), request.args.get("lat"))
    )
    answer.headers["Cache-Control"] = "no-store"
    return answer


@blueprint.post("/cases/<case>/me-too")
def me_too(case: str):
    return _answer(resident_case.me_too(_store(), case, _key(), _device()))
