"""The after-action review (复盘) of an event as JSON: the report and one
frame of the replay.

``after_action`` and ``replay_frame`` read what they need from the store and
call ``domain.after_action`` and ``domain.event_replay``; what they return is
ready for JSON (times as ISO 8601 in UTC, numbers as int or float, None where
there is nothing). The same report as a workbook is ``services.event_workbook``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from domain.after_action import report
from domain.event_frames import text_or_none
from domain.event_replay import STAGES, state_at, timeline_bounds
from domain.event_tasks import MEASURES, measures_of
from domain.events import KINDS, SEVERITIES, parse_time
from domain.lifecycle import status_name
from services.events import city


def _json(value):
    """``value`` with every time as ISO 8601 UTC text and every number plain."""
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dt.datetime):
        return None if pd.isna(value) else pd.Timestamp(value).tz_convert("UTC").isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    return value


def measure_label(code: str, lang: str) -> dict:
    """A measure's label and unit in ``lang``; an unknown code stands for itself."""
    measure = MEASURES.get(code)
    if measure is None:
        return {"label": code, "unit": ""}
    return {"label": measure.label(lang), "unit": measure.unit(lang)}


def after_action(store, event_id: int, now: dt.datetime, lang: str = "zh") -> dict:
    """The after-action report of one event (``domain.after_action.report``) as JSON,
    with display names: the kind's and severity's, each task's status, each
    figure's label and unit, each town's name. NotFound for an unknown event."""
    event = store.event(event_id)
    found = report(
        event,
        store.event_tasks(event_id),
        store.task_measures(event_id),
        store.event_dispatches(event_id),
        store.event_checkins(event_id),
        store.event_progress_log(event_id),
        now,
    )
    towns = dict(zip(city(store).towns["code"], city(store).towns["name"], strict=True))
    zh = lang == "zh"
    kind = KINDS.get(found["event"]["kind"] or "", (None, None))
    severity = SEVERITIES.get(found["event"]["severity"] or 0, (None, None))
    found["event"].update(kind_name=kind[0 if zh else 1], severity_name=severity[0 if zh else 1])
    for row in found["figures"] + found["unmet"]["below_target"]:
        row.update(measure_label(row["measure"], lang))
    for row in found["task_rows"] + found["unmet"]["open_tasks"]:
        row["status_name"] = status_name(row["status"] or "", lang)
    for row in found["mobilisation"]["by_department"] + found["cadre_rows"]:
        row["town"] = towns.get(row["town_code"])
    return _json(found)


def replay_frame(
    store, event_id: int, t: dt.datetime | str | None = None, lang: str = "zh"
) -> dict:
    """The event as it was at ``t`` (aware, or ISO 8601 text with its offset;
    None: the end), for the replay's slider.

    ``t`` is held inside the timeline (``domain.event_replay.timeline_bounds``);
    the answer says which time it shows (``at``) and the timeline's ``start``
    and ``end``. Tasks carry their stage at ``t`` and the hands on them;
    cadres their task, where they were (``from_task``: no position yet, shown
    at the task), whether they had arrived and whether they were overdue for
    a check-in; figures the totals done by ``t``.
    """
    event = store.event(event_id)
    tasks, dispatches = store.event_tasks(event_id), store.event_dispatches(event_id)
    progress, checkins = store.event_progress_log(event_id), store.event_checkins(event_id)
    start, end = timeline_bounds(event, tasks, dispatches, also=[*progress["at"], *checkins["at"]])
    when = end if t is None else pd.Timestamp(parse_time(t, "t"))
    when = min(max(when, start), end)
    positions = store.event_positions(event_id, until=when.to_pydatetime())
    moment = state_at(
        when,
        tasks,
        dispatches,
        positions,
        progress,
        checkins,
        int(event["checkin_minutes"]),
        measures=measures_of(event["kind"]),
    )
    who = (
        dispatches.drop_duplicates("cadre_id").set_index("cadre_id")
        if len(dispatches)
        else pd.DataFrame(columns=["cadre_name", "department"])
    )
    late = moment.overdue.set_index("cadre_id")["late_min"] if len(moment.overdue) else {}
    zh = lang == "zh"
    return _json(
        {
            "event_id": event_id,
            "at": when,
            "start": start,
            "end": end,
            "tasks": [
                {
                    "id": r["id"],
                    "public_id": r.get("public_id"),
                    "title": r.get("description"),
                    "stage": r["stage"],
                    "stage_name": STAGES[r["stage"]][0 if zh else 1],
                    "headcount": r["headcount"],
                    "hands": r["hands"],
                    "lon": float(r["lon"]),
                    "lat": float(r["lat"]),
                }
                for r in moment.tasks.to_dict("records")
            ],
            "cadres": [
                {
                    "cadre_id": r["cadre_id"],
                    "name": who["cadre_name"].get(r["cadre_id"]),
                    "department": text_or_none(who["department"].get(r["cadre_id"])),
                    "task_id": r["incident_id"],
                    "lon": r["lon"],
                    "lat": r["lat"],
                    "position_at": None if pd.isna(r["position_at"]) else r["position_at"],
                    "from_task": bool(pd.isna(r["position_at"])),
                    "arrived": bool(r["arrived"]),
                    "overdue": bool(r["overdue"]),
                    "late_min": late.get(r["cadre_id"]),
                }
                for r in moment.cadres.to_dict("records")
            ],
            "figures": [
                {"measure": code, **measure_label(code, lang), "done": done}
                for code, done in moment.figures.items()
            ],
            "overdue": [
                {
                    "cadre_id": r["cadre_id"],
                    "task_id": r["incident_id"],
                    "last_seen_at": r["last_seen_at"],
                    "late_min": r["late_min"],
                }
                for r in moment.overdue.to_dict("records")
            ],
        }
    )
