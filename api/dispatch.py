"""Dispatch over JSON: recommendations, the plan for all open work, confirmation.

Callers need the ``dispatch`` permission (an operator's session or a key
with the dispatch scope; see web.guard); the audit names the caller.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from api.params import json_body
from domain.access import CONTACTS
from domain.bounds import digits_id
from domain.errors import InvalidInput
from services import dispatch as service
from web.guard import audit_actor, current_principal

blueprint = Blueprint("dispatch", __name__, url_prefix="/api/v1/dispatch")


def _store():
    return current_app.extensions["gridcommand.store"]


def _actor(body: dict) -> str:
    return audit_actor(body)


@blueprint.get("/recommendations")
def recommendations():
    incident = request.args.get("incident", "")
    store = _store()
    found = store.incident_by_public_id(incident) if incident else None
    if found is None and digits_id(incident) is not None:
        found = {"id": digits_id(incident)}
    if found is None:
        raise InvalidInput("incident must be a service request id (JZ…) or an incident id")
    lang = request.args.get("lang", "zh")
    limit = request.args.get("limit", "5")
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= 50:
        raise InvalidInput("limit must be a whole number from 1 to 50")
    rows = service.recommendations(store, int(found["id"]), lang=lang, limit=int(limit))
    return jsonify(recommendations=rows)


@blueprint.post("/plan")
def plan():
    body = json_body(request)
    town = body.get("town")
    if town is not None and not isinstance(town, str):
        raise InvalidInput("town must be a town code")
    incidents = body.get("incidents")
    if incidents is not None and (
        not isinstance(incidents, list) or not all(isinstance(v, str) for v in incidents)
    ):
        raise InvalidInput("incidents must be a list of service request ids (JZ…)")
    proposal = service.propose(
        _store(),
        town=town,
        public_ids=incidents,
        max_travel_s=service.max_travel_seconds(body.get("max_travel_min")),
    )
    # Callers who may dispatch may see contacts (domain.access): the plan gives
    # each cadre's mobile number, which their phone's invite asks for.
    phones = current_principal().can(CONTACTS)
    return jsonify(service.proposal_payload(proposal, phones=phones))


@blueprint.post("/confirm")
def confirm():
    body = json_body(request)
    actor = _actor(body)
    store = _store()
    assignments = service.assignments_from(body.get("assignments"), store)
    ids = store.dispatch(assignments, actor=actor)
    return jsonify(
        dispatched=[
            {"dispatch_id": d, "incident_id": a.incident_id, "cadre_id": a.cadre_id}
            for d, a in zip(ids, assignments, strict=True)
        ]
    )
