"""The field app's API: cadres' positions in batches, their status, their trails.

Each field app holds an API key with the ``field`` scope (``python app.py
apikey create NAME --scopes field``), sent in the ``X-API-Key`` header; the
trails are for dispatchers (web.guard has the rules).
"""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, current_app, jsonify, request

from api.params import json_body, parse_time
from domain.bounds import checked_id
from domain.field_report import positions_from
from web.guard import current_principal

blueprint = Blueprint("field", __name__, url_prefix="/api/v1")
TRAIL_LIMIT = 5000


def _store():
    return current_app.extensions["gridcommand.store"]


def _client():
    return current_principal()


@blueprint.post("/field/positions")
def positions():
    client = _client()
    rows = positions_from(json_body(request).get("positions"), dt.datetime.now(dt.UTC))
    stored = _store().record_positions(rows, actor=f"field:{client.name}")
    return jsonify(stored=stored)


@blueprint.post("/field/status")
def status():
    client = _client()
    body = json_body(request)
    cadre = body.get("cadre_id")
    cadre = checked_id(cadre, "cadre_id")
    at = parse_time(body["at"], "at") if isinstance(body.get("at"), str) else None
    result = _store().report_field_status(
        cadre, str(body.get("status")), actor=f"field:{client.name}", at=at
    )
    return jsonify(result)


@blueprint.get("/cadres/<int:cadre_id>/trail.geojson")
def trail(cadre_id: int):
    checked_id(cadre_id, "cadre_id")
    since = parse_time(request.args.get("since"), "since")
    if since is None:
        since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=24)
    history = _store().position_history([cadre_id], since=since, limit=TRAIL_LIMIT)
    coordinates = [[float(x), float(y)] for x, y in history[["lon", "lat"]].itertuples(index=False)]
    times = [t.isoformat() for t in history["recorded_at"]]
    geometry = {"type": "LineString", "coordinates": coordinates} if len(coordinates) > 1 else None
    feature = {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"cadre_id": cadre_id, "times": times},
    }
    return current_app.response_class(json.dumps(feature), mimetype="application/geo+json")
