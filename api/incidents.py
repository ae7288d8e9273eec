"""Moves of the incident lifecycle over JSON, as the console makes them.

Callers need the ``dispatch`` permission (web.guard); the audit names the caller.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from api.params import json_body
from domain.errors import InvalidInput, NotFound
from web.guard import audit_actor

blueprint = Blueprint("incidents", __name__, url_prefix="/api/v1/incidents")
_DETAILS = ("note", "photo_url", "callback")


@blueprint.post("/<public_id>/actions")
def act(public_id: str):
    store = current_app.extensions["gridcommand.store"]
    body = json_body(request)
    actor, action = audit_actor(body), body.get("action")
    if not isinstance(action, str):
        raise InvalidInput("action must be the name of a move, e.g. register or resolve")
    incident = store.incident_by_public_id(public_id)
    if incident is None:
        raise NotFound(f"no incident {public_id!r}")
    details: dict = {}
    for name in _DETAILS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name} must be text")
        if value:
            details[name] = value
    if body.get("checkin") is not None:
        checkin = body["checkin"]
        if not (
            isinstance(checkin, list)
            and len(checkin) == 2
            and all(isinstance(v, int | float) for v in checkin)
        ):
            raise InvalidInput("checkin must be [lon, lat] in WGS84 degrees")
        details["checkin"] = checkin
    if body.get("rating") is not None:
        details["rating"] = body["rating"]
    if body.get("into") is not None:
        original = store.incident_by_public_id(str(body["into"]))
        if original is None:
            raise NotFound(f"into: no incident {body['into']!r}")
        details["into"] = int(original["id"])
    move = store.apply_action(int(incident["id"]), action, actor=actor, **details)
    return jsonify(incident=public_id, action=action, status=move.target)
