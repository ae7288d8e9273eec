"""The field app's API for a cadre signed in on their phone (issue 19).

The caller is always the cadre of the phone's session (``web.guard`` reads
the ``gc_field`` cookie): no route takes a cadre id, so no cadre can act on
another's work. Every POST carries an ``Idempotency-Key``; a retry answers
what the first did, with ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from api.params import json_body
from domain.coords import check_lonlat
from domain.errors import InvalidInput
from services import field, field_work
from web.guard import current_principal

blueprint = Blueprint("field_app", __name__, url_prefix="/api/v1/field")
IDEMPOTENCY_HEADER = "Idempotency-Key"
PUBLIC_URL = "GC_PUBLIC_URL"  # server.config: the address phones reach the server at


def _store():
    return current_app.extensions["gridcommand.store"]


def _cadre_id() -> int:
    return int(current_principal().id)


def _answer(result: tuple[dict, bool]):
    body, replayed = result
    response = jsonify(body)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _key() -> str:
    return request.headers.get(IDEMPOTENCY_HEADER, "")


@blueprint.get("/me")
def me():
    lon, lat = request.args.get("lon"), request.args.get("lat")
    where = (None, None) if lon is None and lat is None else check_lonlat(lon, lat)
    store = _store()
    work = field_work.my_work(store, _cadre_id(), *where)
    token = request.cookies.get("gc_field")
    if token:
        store.touch_field_session(token, device=request.headers.get("User-Agent", ""))
    response = jsonify(work)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/tasks/<int:dispatch_id>/<action>")
def task_action(dispatch_id: int, action: str):
    base = request.host_url
    return _answer(
        field.act(_store(), _cadre_id(), dispatch_id, action, json_body(request), _key(), base)
    )


@blueprint.post("/tasks/<int:dispatch_id>/photos")
def task_photo(dispatch_id: int):
    upload = request.files.get("photo")
    if upload is None:
        raise InvalidInput(
            "send the photo as the multipart form field 'photo'", zh="请以表单字段 photo 上传照片"
        )
    data = upload.read()
    media = current_app.extensions["gridcommand.media"]
    limit = current_app.config["GC_PHOTO_MAX_BYTES"]
    return _answer(
        field.add_photo(_store(), media, _cadre_id(), dispatch_id, data, _key(), max_bytes=limit)
    )


@blueprint.post("/duty")
def duty():
    return _answer(field.set_duty(_store(), _cadre_id(), json_body(request), _key()))


@blueprint.post("/me/positions")
def positions():
    return _answer(field.share_positions(_store(), _cadre_id(), json_body(request), _key()))


@blueprint.post("/checkin")
def checkin():
    return _answer(field.check_in(_store(), _cadre_id(), json_body(request), _key()))


@blueprint.post("/invites")
def create_invite():
    """A one-time sign-in link for a cadre's phone (the desk, or an integration)."""
    from services.field_invites import invite

    body = json_body(request)
    phone = body.get("phone")
    if not isinstance(phone, str):
        raise InvalidInput("phone must be the cadre's mobile number", zh="请填写干部手机号")
    base = current_app.config.get(PUBLIC_URL) or request.host_url
    made = invite(_store(), phone, actor=current_principal().actor, base_url=base)
    answer = {
        "url": made["url"],
        "cadre": made["cadre"],
        "expires_at": made["expires_at"].isoformat(),
    }
    return jsonify(answer), 201


@blueprint.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id: int):
    return _answer(field.read_notification(_store(), _cadre_id(), notification_id, _key()))
