"""Use cases of a running event, shared by the JSON API and the /events screen.

Each function reads what it needs from the store, calls the pure functions of
``domain`` and returns plain values; writes go through the store, one
transaction each. Who to send and sending them is ``services.event_mobilisation``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import shapely

from domain.bounds import checked_id
from domain.checkins import overdue
from domain.errors import Conflict, InvalidInput
from domain.event_frames import text_or_none
from domain.event_tasks import (
    MEASURES,
    checked_progress,
    checked_task,
    measures_of,
    totals_by_measure,
)
from domain.events import KINDS, SEVERITIES, SLIVER_DEG2
from domain.lifecycle import OPEN_STATUSES
from domain.locator import GridLocator
from services.dispatch import iso_time
from services.geometry_cache import PerGeometry


@dataclass(frozen=True)
class City:
    """What event work needs of the city's geometry, per geometry version."""

    outline: object
    grids: object  # GeoDataFrame
    towns: object  # GeoDataFrame
    locator: GridLocator


def _read_city(store) -> City:
    towns, grids = store.towns(), store.grids()
    return City(
        shapely.union_all(towns.geometry.to_numpy()),
        grids,
        towns,
        GridLocator(grids["code"], grids["town_code"], grids.geometry.to_numpy()),
    )


city = PerGeometry(_read_city)  # city(store): read again only when a boundary changed


def grids_in(area, grids) -> list[str]:
    """Codes of the grids that share surface with ``area`` (not just an edge)."""
    overlap = shapely.area(shapely.intersection(grids.geometry.to_numpy(), area))
    return grids.loc[overlap > SLIVER_DEG2, "code"].astype(str).tolist()


def affected_towns(event: Mapping, towns) -> list[str]:
    """Codes of the towns the event's area covers."""
    area = event.get("geometry")
    if area is None or area.is_empty:
        return []
    overlap = shapely.area(shapely.intersection(towns.geometry.to_numpy(), area))
    return sorted(towns.loc[overlap > SLIVER_DEG2, "code"].astype(str))


def is_active(event: Mapping) -> bool:
    """Whether the event is still running (not ended)."""
    ended = event.get("ended_at")
    return ended is None or ended != ended


def add_task(store, event_id: int, fields: Mapping, *, actor: str) -> dict:
    """Check and store a task of an active event; returns it as the API shows it."""
    event = store.event(event_id)
    if not is_active(event):
        raise Conflict(
            "the event has ended: it takes no more work", zh="该事件已经结束，不能再增加任务"
        )
    here = city(store)
    task = checked_task(
        fields, kind=event["kind"], area=event["geometry"], locate=here.locator.locate
    )
    place = here.locator.locate(task.lon, task.lat)
    new_id, _ = store.add_task(
        event_id, task, grid_code=place.grid_code, town_code=place.town_code, actor=actor
    )
    return next(t for t in tasks_shown(store, event_id) if t["id"] == new_id)


def report_progress(store, event_id: int, task_id: int, amounts: object, *, actor: str) -> dict:
    """Add a field report to a task's figures; returns the task as shown."""
    event = store.event(event_id)
    checked = checked_progress(amounts, measures_of(event["kind"]))
    store.report_progress(event_id, task_id, checked, actor=actor)
    return next(t for t in tasks_shown(store, event_id) if t["id"] == task_id)


def tasks_shown(store, event_id: int, lang: str = "zh") -> list[dict]:
    """The event's tasks with their figures, hands and status."""
    tasks = store.event_tasks(event_id)
    figures = store.task_measures(event_id)
    if len(tasks):  # the kind's own order: area, then tonnes, then yuan
        order = {code: n for n, code in enumerate(measures_of(store.event(event_id)["kind"]))}
        figures = figures.iloc[figures["measure"].map(order).fillna(99).argsort(kind="stable")]
    active = store.event_dispatches(event_id, active=True)
    on_task = active.groupby("incident_id").size() if len(active) else pd.Series(dtype=int)
    out = []
    for task in tasks.to_dict("records"):
        mine = figures[figures["incident_id"] == task["id"]]
        out.append(
            {
                "id": int(task["id"]),
                "public_id": task["public_id"],
                "title": task["description"],
                "category": task["category"],
                "priority": int(task["priority"]),
                "status": task["status"],
                "headcount": int(task["headcount"]),
                "on_task": int(on_task.get(task["id"], 0)),
                "lon": float(task["lon"]),
                "lat": float(task["lat"]),
                "grid": text_or_none(task.get("grid_name")),
                "town_code": text_or_none(task.get("town_code")),
                "reported_at": iso_time(task["reported_at"]),
                "resolved_at": iso_time(task["resolved_at"]),
                "figures": [
                    {
                        "measure": m["measure"],
                        "label": MEASURES[m["measure"]].label(lang),
                        "unit": MEASURES[m["measure"]].unit(lang),
                        "target": None if pd.isna(m["target"]) else float(m["target"]),
                        "done": float(m["done"]),
                    }
                    for m in mine.to_dict("records")
                ],
            }
        )
    return out


def mobilised(store, event_id: int) -> pd.DataFrame:
    """Cadres now on the event's tasks (active dispatches), with who they are."""
    return store.event_dispatches(event_id, active=True)


def overdue_checkins(store, event: Mapping, now: dt.datetime) -> pd.DataFrame:
    """Mobilised cadres who missed their check-in (none once the event has ended)."""
    if not is_active(event):
        return overdue(pd.DataFrame(), pd.DataFrame(), 30, now)
    on = mobilised(store, int(event["id"]))
    frame = overdue(
        on[["cadre_id", "incident_id", "sent_at"]] if len(on) else on,
        store.event_checkins(int(event["id"])),
        int(event["checkin_minutes"]),
        now,
    )
    if len(frame):
        names = on.drop_duplicates("cadre_id").set_index("cadre_id")
        frame = frame.assign(
            cadre_name=frame["cadre_id"].map(names["cadre_name"]),
            department=frame["cadre_id"].map(names["department"]),
        )
    return frame


def board(store, event_id: int, *, now: dt.datetime, lang: str = "zh") -> dict:
    """The running picture of one event: tasks, figures, hands, missed check-ins."""
    event = store.event(event_id)
    tasks = tasks_shown(store, event_id, lang)
    on = mobilised(store, event_id)
    late = overdue_checkins(store, event, now)
    figures = totals_by_measure(store.task_measures(event_id))
    return {
        "event_id": event_id,
        "active": is_active(event),
        "checkin_minutes": int(event["checkin_minutes"]),
        "tasks": tasks,
        "tasks_open": sum(t["status"] in OPEN_STATUSES for t in tasks),
        "hands_needed": sum(t["headcount"] for t in tasks if t["status"] in OPEN_STATUSES),
        "hands_on_task": len(on),
        "figures": [_figure(code, figures, lang) for code in measures_of(event["kind"])],
        "mobilised": [_mobilised_row(r) for r in on.to_dict("records")],
        "overdue": [_overdue_row(r) for r in late.to_dict("records")],
    }


def _figure(code: str, figures: dict, lang: str) -> dict:
    done = figures.get(code, {"target": None, "done": 0.0})
    measure = MEASURES[code]
    return {"measure": code, "label": measure.label(lang), "unit": measure.unit(lang), **done}


def _number_or_none(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _mobilised_row(r: dict) -> dict:
    return {
        "cadre_id": int(r["cadre_id"]),
        "name": r["cadre_name"],
        "department": text_or_none(r["department"]),
        "town_code": text_or_none(r["town_code"]),
        "task_id": int(r["incident_id"]),
        "sent_at": iso_time(r["sent_at"]),
        "arrived_at": iso_time(r["arrived_at"]),
        "status": r["cadre_status"],
        "lon": _number_or_none(r["lon"]),
        "lat": _number_or_none(r["lat"]),
    }


def _overdue_row(r: dict) -> dict:
    return {
        "cadre_id": int(r["cadre_id"]),
        "name": r.get("cadre_name"),
        "department": text_or_none(r.get("department")),
        "task_id": int(r["incident_id"]),
        "last_seen_at": iso_time(r["last_seen_at"]),
        "late_min": int(r["late_min"]),
    }


def check_in(store, event_id: int, body: Mapping, *, actor: str) -> int:
    """A mobilised cadre checks in, with where they are if the phone knows."""
    cadre = checked_id(body.get("cadre_id"), "cadre_id")
    lon, lat = body.get("lon"), body.get("lat")
    if (lon is None) != (lat is None):
        raise InvalidInput("give both lon and lat, or neither", zh="经纬度需同时填写")
    if lon is not None:
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
            raise InvalidInput("lon and lat must be numbers", zh="经纬度应为数字")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput("lon and lat must be WGS84 degrees", zh="经纬度超出范围")
    return store.check_in(event_id, cadre, actor=actor, lon=lon, lat=lat)


def _time(value) -> str | None:
    if value is None or value != value:  # None or NaT
        return None
    return value.isoformat()


def shown_event(row: dict, towns) -> dict:
    """An event as the API and the pages show it."""
    area = row["geometry"]
    overlap = shapely.area(shapely.intersection(towns.geometry.to_numpy(), area)) if area else 0
    covered = towns[overlap > SLIVER_DEG2] if area is not None else towns.iloc[0:0]
    return {
        "id": int(row["id"]),
        "name": row["name"],
        "kind": row["kind"],
        "kind_name": KINDS[row["kind"]][0],
        "severity": int(row["severity"]),
        "severity_name": SEVERITIES[int(row["severity"])][0],
        "started_at": _time(row["started_at"]),
        "ended_at": _time(row["ended_at"]),
        "active": row["ended_at"] is None or row["ended_at"] != row["ended_at"],
        "declared_by": row["created_by"],
        "checkin_minutes": int(row["checkin_minutes"]),
        "towns": [
            {"code": c, "name": n} for c, n in zip(covered["code"], covered["name"], strict=True)
        ],
        "area": json.loads(shapely.to_geojson(area)) if area is not None else None,
    }
