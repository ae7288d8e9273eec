"""What the cadre's phone shows: their work nearest first, their event's
check-in and their notifications (``GET /api/v1/field/me``).

The actions on that work are ``services.field``'s.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from domain.categories import BY_CODE
from domain.event_tasks import MEASURES
from domain.field_tasks import navigation_links, position_interval_s, tasks_nearest_first

NOTIFICATIONS_SHOWN = 20


def my_work(store, cadre_id: int, lon: float | None, lat: float | None) -> dict:
    """What the phone shows: the cadre, their tasks nearest first, the
    check-in of their event, their notifications."""
    cadre = store.field_cadre(cadre_id)
    if lon is None or lat is None:
        lon, lat = cadre["lon"], cadre["lat"]
    tasks = tasks_nearest_first(store.field_tasks(cadre_id), lon, lat)
    ids = [int(x) for x in tasks["incident_id"]] if not tasks.empty else []
    measures = store.measures_of_tasks(ids)
    photos = store.photos_of(ids) if ids else None
    store.mark_tasks_seen(
        cadre_id, [int(x) for x in tasks.loc[tasks["seen_at"].isna(), "dispatch_id"]]
    )
    on_duty = cadre["status"] != "off_duty"
    notes = store.notifications_for_cadre(cadre_id, NOTIFICATIONS_SHOWN)
    fresh = [n["id"] for n in notes if n.get("state") == "pending"]
    store.mark_fetched(cadre_id, fresh, dt.datetime.now(dt.UTC))  # delivered: the phone has them
    return {
        "cadre": {k: cadre[k] for k in ("id", "name", "role", "status", "town_code")},
        "duty": "on" if on_duty else "off",
        "position_interval_s": position_interval_s(on_duty, not tasks.empty),
        "tasks": [_task(row, measures, photos) for row in tasks.to_dict("records")],
        "checkin": _checkin(store.field_checkin_state(cadre_id)),
        "notifications": notes,
    }


def _task(row: dict, measures, photos) -> dict:
    category = BY_CODE.get(row["category"])
    name = row["address"] or (category.zh if category else row["category"])
    mine = measures[measures["incident_id"] == row["incident_id"]]
    shots = (
        photos[photos["incident_id"] == row["incident_id"]]
        if photos is not None and not photos.empty
        else []
    )
    distance = row["distance_m"]
    return {
        "dispatch_id": int(row["dispatch_id"]),
        "incident_id": int(row["incident_id"]),
        "public_id": row["public_id"],
        "category": row["category"],
        "category_zh": category.zh if category else row["category"],
        "category_en": category.en if category else row["category"],
        "description": row["description"],
        "address": row["address"],
        "lon": float(row["lon"]),
        "lat": float(row["lat"]),
        "grid_code": row["grid_code"],
        "headcount": int(row["headcount"] or 1),
        "priority": int(row["priority"]),
        "due_resolve_at": _iso(row["due_resolve_at"]),
        "sent_at": _iso(row["sent_at"]),
        "accepted_at": _iso(row["accepted_at"]),
        "arrived_at": _iso(row["arrived_at"]),
        "incident_status": row["incident_status"],
        "distance_m": None if distance is None or math.isnan(distance) else int(distance),
        "event_id": None if pd.isna(row["event_id"]) else int(row["event_id"]),
        "measures": [
            {
                "measure": m["measure"],
                "target": None if pd.isna(m["target"]) else float(m["target"]),
                "done": float(m["done"]),
                "zh": MEASURES[m["measure"]].zh,
                "en": MEASURES[m["measure"]].en,
                "unit_zh": MEASURES[m["measure"]].unit_zh,
                "unit_en": MEASURES[m["measure"]].unit_en,
            }
            for m in mine.to_dict("records")
            if m["measure"] in MEASURES
        ],
        "nav": navigation_links(float(row["lon"]), float(row["lat"]), name),
        "photos": [
            {
                "id": int(p["id"]),
                "url": f"/media/photos/{int(p['id'])}",
                "thumb_url": f"/media/photos/{int(p['id'])}/thumb",
            }
            for p in (shots.to_dict("records") if len(shots) else [])
        ],
    }


def _checkin(state: dict | None) -> dict | None:
    if state is None:
        return None
    interval = int(state["checkin_minutes"])
    last = state["last_at"]
    due = last + dt.timedelta(minutes=interval) if last is not None else None
    return {
        "event_id": int(state["id"]),
        "event_name": state["name"],
        "interval_minutes": interval,
        "last_at": _iso(last),
        "due_at": _iso(due),
    }


def _iso(value) -> str | None:
    if value is None or pd.isna(value):
        return None
    return value.isoformat()
