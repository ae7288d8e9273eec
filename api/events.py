"""Wartime events over JSON, and each event as a CAP 1.2 alert.

GET  /api/v1/events               the events (``active=true|false`` to filter)
POST /api/v1/events               declare one (the ``events`` permission)
GET  /api/v1/events/<id>          one event, its area as GeoJSON
POST /api/v1/events/<id>/end      end it (once: a second end is 409)
GET  /api/v1/events/<id>/cap.xml  the OASIS CAP 1.2 alert of its current state
GET  /api/v1/events/<id>/board    tasks, figures, mobilised cadres, missed check-ins
POST /api/v1/events/<id>/tasks    add a task (an incident with headcount and figures)
POST /api/v1/events/<id>/tasks/<task>/progress   the field's figures since its last report
GET  /api/v1/events/<id>/mobilisation            who to send (a proposal, nothing written)
POST /api/v1/events/<id>/mobilisation            send them, all or none
POST /api/v1/events/<id>/checkins                a mobilised cadre checks in
GET  /api/v1/events/<id>/report[.xlsx]           the after-action report (复盘)
GET  /api/v1/events/<id>/replay?at=              the event as it was at a time

A provincial system declares or reads events with a key of scope ``events``;
the commander's desk uses the same routes signed in.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app, jsonify, request

from api.params import json_body
from domain.access import CONTACTS, DISPATCH
from domain.bounds import digits_id
from domain.cap import CapEvent, cap_alert
from domain.errors import InvalidInput, NotFound
from domain.events import declaration, parse_time
from services import event_mobilisation, event_report, event_workbook
from services import events as event_service
from services.dispatch import max_travel_seconds
from web.guard import audit_actor, current_principal

blueprint = Blueprint("events", __name__, url_prefix="/api/v1/events")
CAP_MEDIA_TYPE = "application/cap+xml"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CAP_SENDER = "gridcommand@370281.local"
CENTRE = "网格化服务管理指挥中心"


def _store():
    return current_app.extensions["gridcommand.store"]


def _city(store):
    """(outline, grids, towns) of the city, read again only when a boundary changed."""
    here = event_service.city(store)
    return here.outline, here.grids, here.towns


def _event_id(value: str) -> int:
    number = digits_id(value)
    if number is None:
        raise NotFound(f"no event {value[:20]!r}", zh="没有这个战时事件")
    return number


def _lang() -> str:
    lang = request.args.get("lang") or "zh"
    if lang not in ("zh", "en"):
        raise InvalidInput("lang must be zh or en", zh="lang 应为 zh 或 en")
    return lang


@blueprint.get("")
def list_events():
    store = _store()
    active = request.args.get("active")
    if active not in (None, "", "true", "false"):
        raise InvalidInput("active must be true or false", zh="active 应为 true 或 false")
    wanted = None if active in (None, "") else active == "true"
    _, _, towns = _city(store)
    frame = store.events(active=wanted)
    return jsonify(
        events=[event_service.shown_event(row, towns) for row in frame.to_dict("records")]
    )


@blueprint.post("")
def declare():
    store = _store()
    body = json_body(request)
    outline, grids, towns = _city(store)
    event = declaration(body, city_outline=outline, grids=grids, now=dt.datetime.now(dt.UTC))
    new_id = store.declare_event(event, actor=audit_actor(body))
    return jsonify(event_service.shown_event(store.event(new_id), towns)), 201


@blueprint.get("/<event_id>")
def show(event_id: str):
    store = _store()
    _, _, towns = _city(store)
    return jsonify(event_service.shown_event(store.event(_event_id(event_id)), towns))


@blueprint.post("/<event_id>/end")
def end(event_id: str):
    store = _store()
    body = json_body(request) if request.get_data() else {}
    at = parse_time(body["ended_at"], "ended_at") if body.get("ended_at") else None
    if at is not None and at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5):
        raise InvalidInput("an event cannot end in the future", zh="结束时间不能晚于现在")
    number = _event_id(event_id)
    store.end_event(number, actor=audit_actor(body), at=at)
    _, _, towns = _city(store)
    return jsonify(event_service.shown_event(store.event(number), towns))


@blueprint.get("/<event_id>/cap.xml")
def cap(event_id: str):
    store = _store()
    _, _, towns = _city(store)
    row = store.event(_event_id(event_id))
    shown = event_service.shown_event(row, towns)
    lang = _lang()
    area_name = "、".join(t["name"] for t in shown["towns"]) or "本市"
    event = CapEvent(
        shown["id"],
        row["name"],
        row["kind"],
        shown["severity"],
        row["started_at"],
        None if shown["active"] else row["ended_at"],
        row["geometry"],
        area_name,
        CENTRE,
    )
    text = cap_alert(event, sender=CAP_SENDER, lang=lang)
    return Response(text, mimetype=CAP_MEDIA_TYPE)


@blueprint.get("/<event_id>/board")
def board(event_id: str):
    store = _store()
    return jsonify(
        event_service.board(store, _event_id(event_id), now=dt.datetime.now(dt.UTC), lang=_lang())
    )


@blueprint.post("/<event_id>/tasks")
def add_task(event_id: str):
    store = _store()
    body = json_body(request)
    task = event_service.add_task(store, _event_id(event_id), body, actor=audit_actor(body))
    return jsonify(task), 201


@blueprint.post("/<event_id>/tasks/<task_id>/progress")
def progress(event_id: str, task_id: str):
    store = _store()
    body = json_body(request)
    number = digits_id(task_id)
    if number is None:
        raise NotFound(f"no task {task_id[:20]!r}", zh="没有这个任务")
    task = event_service.report_progress(
        store, _event_id(event_id), number, body.get("done"), actor=audit_actor(body)
    )
    return jsonify(task)


@blueprint.get("/<event_id>/mobilisation")
def proposal(event_id: str):
    store = _store()
    rest = request.args.get("include_rest") or "false"
    if rest not in ("true", "false"):
        raise InvalidInput(
            "include_rest must be true or false", zh="include_rest 应为 true 或 false"
        )
    limit = max_travel_seconds(request.args.get("max_travel_min") or 120)
    found = event_mobilisation.propose(
        store, _event_id(event_id), include_rest=rest == "true", max_travel_s=limit
    )
    # The cadres' mobile numbers (for their phones' invites) only to a caller
    # who may dispatch and see contacts: not to a provincial system's events key.
    caller = current_principal()
    phones = caller.can(DISPATCH) and caller.can(CONTACTS)
    payload = event_mobilisation.proposal_payload(found, store, _lang(), phones=phones)
    return jsonify(payload)


@blueprint.post("/<event_id>/mobilisation")
def mobilise(event_id: str):
    store = _store()
    body = json_body(request)
    ids = event_mobilisation.mobilise(
        store, _event_id(event_id), body.get("assignments"), actor=audit_actor(body)
    )
    return jsonify(dispatch_ids=ids, sent=len(ids)), 201


@blueprint.post("/<event_id>/checkins")
def check_in(event_id: str):
    store = _store()
    body = json_body(request)
    new_id = event_service.check_in(store, _event_id(event_id), body, actor=audit_actor(body))
    return jsonify(id=new_id), 201


@blueprint.get("/<event_id>/report")
def report(event_id: str):
    store = _store()
    return jsonify(
        event_report.after_action(store, _event_id(event_id), dt.datetime.now(dt.UTC), _lang())
    )


@blueprint.get("/<event_id>/report.xlsx")
def report_xlsx(event_id: str):
    store = _store()
    number, lang = _event_id(event_id), _lang()
    found = event_report.after_action(store, number, dt.datetime.now(dt.UTC), lang)
    body = event_workbook.report_workbook(
        store.event(number), found, event_service.tasks_shown(store, number, lang), lang
    )
    name = f"event-{number}-report.xlsx"
    return Response(
        body,
        mimetype=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@blueprint.get("/<event_id>/replay")
def replay(event_id: str):
    store = _store()
    at = request.args.get("at") or None
    return jsonify(event_report.replay_frame(store, _event_id(event_id), at, _lang()))
