"""The after-action report (复盘报告) of a wartime event.

It answers what a commander is asked afterwards: how many cadres went, from
where, how fast; how long the first contact and the work took; what got done
against the targets; what was never met; and how well the field kept its
check-ins. The cadres' side of it is ``domain.after_action_cadres``; the
replay on the map (what it looked like at time t) is ``domain.event_replay``.

Everything is derived from stored timestamps (UTC): the tasks' lifecycle
times, the dispatches' sent, arrived and released times, the audited
progress reports and the check-ins. Nothing is counted twice: a cadre sent
to two tasks is one cadre mobilised.

Pure: frames and plain values in, plain values out (times as aware UTC
``pandas.Timestamp``, durations in seconds).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from domain.after_action_cadres import (
    assignments,
    cadre_rows,
    max_concurrent,
    missed_checkins,
    mobilisation,
)
from domain.event_frames import first_by_task, int_or_none, number_or_none, stamp, text_or_none
from domain.event_tasks import measures_of, totals_by_measure
from domain.lifecycle import OPEN_STATUSES

DONE_STATUSES = frozenset({"resolved", "verified", "closed"})  # the work was done
CANCELLED_STATUSES = frozenset({"rejected", "duplicate"})  # no work was due


def _summary(values: pd.Series) -> tuple[float | None, float | None]:
    """(median, max) of the non-missing values; (None, None) when there are none."""
    values = pd.to_numeric(values, errors="coerce").dropna()
    if not len(values):
        return None, None
    return float(values.median()), float(values.max())


def report(
    event: Mapping,
    tasks: pd.DataFrame,
    measures: pd.DataFrame,
    dispatches: pd.DataFrame,
    checkins: pd.DataFrame,
    progress: pd.DataFrame,
    now,
) -> dict:
    """The key figures of the after-action report of an event.

    ``as_of`` is the event's end, or ``now`` while it runs. Definitions:

    - **mobilisation**: ``cadres``, distinct cadres ever dispatched to a task
      of the event; ``dispatches``, every assignment; ``by_department``,
      distinct cadres per department (cadres without one: per town), most
      first; ``first_sent_at`` and ``last_sent_at``, the first and last
      assignment sent; ``within_1h`` / ``6h`` / ``24h``, cadres whose first
      assignment was sent at most that long after the start; ``curve``, at
      each whole hour k from the start (k = 0 … until ``as_of`` or the last
      sending), the distinct cadres sent by then (the step grows past an
      hour only for an event longer than 60 days: ``curve_step_h``).
    - **response** (seconds, over the tasks that have one): ``first_sent``,
      a task's first assignment sent − its ``reported_at``;
      ``first_contact``, its first cadre's ``arrived_at`` − ``reported_at``
      (``tasks_never_reached`` counts tasks nobody arrived at);
      ``completion``, ``resolved_at`` − ``reported_at``. Each as median and max.
    - **tasks**: ``total``; ``done`` (resolved, verified or closed); ``open``
      (still in an open status); ``cancelled`` (rejected or duplicate).
    - **figures**: per measure (the kind's order), the sum of the tasks'
      targets (None when no task set one), the sum done, and ``share`` =
      done / target (None without a positive target; not capped at 1).
      Cancelled tasks (rejected, or merged as duplicates) are left out: their
      targets were never work to do.
    - **unmet**: ``understaffed``, tasks not cancelled whose most hands at one
      time (``max_concurrent``) stayed below their headcount; ``open_tasks``;
      ``below_target``, each figure of a task not cancelled whose done is
      below its target.
    - **checkins**: ``received``, every check-in of the event; ``missed``,
      overdue episodes (``missed_checkins``); ``cadres_missed``, distinct
      cadres with at least one.

    ``task_rows`` and ``cadre_rows`` hold the same per task and per cadre.
    Times are aware UTC ``Timestamp`` or None; an event without tasks,
    dispatches or reports gives zeros and Nones, never an error.
    """
    start = stamp(event["started_at"])
    ended = stamp(event.get("ended_at"))
    as_of = max(start, ended if ended is not None else stamp(now))
    minutes = int(event.get("checkin_minutes") or 30)
    intervals = (
        assignments(dispatches, as_of)
        if len(dispatches)
        else pd.DataFrame(columns=["cadre_id", "incident_id", "start", "stop"])
    )
    hands = max_concurrent(intervals)
    checked = missed_checkins(intervals, checkins, minutes, as_of)
    task_rows = _task_rows(tasks, dispatches, hands)
    rows = pd.DataFrame(task_rows, columns=["first_sent_s", "first_contact_s", "completion_s"])
    statuses = [r["status"] for r in task_rows]
    dropped = {r["id"] for r in task_rows if r["status"] in CANCELLED_STATUSES}
    if len(measures):
        measures = measures[~measures["incident_id"].astype(int).isin(dropped)]
    sent_med, sent_max = _summary(rows["first_sent_s"])
    contact_med, contact_max = _summary(rows["first_contact_s"])
    done_med, done_max = _summary(rows["completion_s"])
    return {
        "event": {
            "id": int_or_none(event.get("id")),
            "name": text_or_none(event.get("name")),
            "kind": text_or_none(event.get("kind")),
            "severity": int_or_none(event.get("severity")),
            "started_at": start,
            "ended_at": ended,
            "as_of": as_of,
            "active": ended is None,
            "duration_s": (as_of - start).total_seconds(),
            "checkin_minutes": minutes,
        },
        "mobilisation": mobilisation(dispatches, start, as_of),
        "response": {
            "first_sent_median_s": sent_med,
            "first_sent_max_s": sent_max,
            "first_contact_median_s": contact_med,
            "first_contact_max_s": contact_max,
            "tasks_never_reached": sum(
                r["first_contact_s"] is None
                for r in task_rows
                if r["status"] not in CANCELLED_STATUSES
            ),
            "completion_median_s": done_med,
            "completion_max_s": done_max,
        },
        "tasks": {
            "total": len(task_rows),
            "done": sum(s in DONE_STATUSES for s in statuses),
            "open": sum(s in OPEN_STATUSES for s in statuses),
            "cancelled": sum(s in CANCELLED_STATUSES for s in statuses),
        },
        "figures": _figures(event, measures),
        "unmet": _unmet(task_rows, measures),
        "checkins": {
            "interval_min": minutes,
            "received": len(checkins),
            "missed": sum(m for _, m in checked.values()),
            "cadres_missed": sum(m > 0 for _, m in checked.values()),
        },
        "task_rows": task_rows,
        "cadre_rows": cadre_rows(dispatches, intervals, checked),
    }


def _task_rows(tasks: pd.DataFrame, dispatches: pd.DataFrame, hands: dict[int, int]) -> list:
    if not len(tasks):
        return []
    first_sent = first_by_task(dispatches, "sent_at")
    first_arrived = first_by_task(dispatches, "arrived_at")
    sent_by = dispatches.groupby("incident_id")["cadre_id"].nunique() if len(dispatches) else {}
    rows = []
    for task in tasks.sort_values("id").to_dict("records"):
        key = int(task["id"])
        reported, resolved = stamp(task["reported_at"]), stamp(task.get("resolved_at"))
        sent, arrived = stamp(first_sent.get(key)), stamp(first_arrived.get(key))
        rows.append(
            {
                "id": key,
                "public_id": text_or_none(task.get("public_id")),
                "title": text_or_none(task.get("description")),
                "status": text_or_none(task.get("status")),
                "headcount": int_or_none(task.get("headcount")) or 1,
                "cadres_sent": int(sent_by.get(key, 0)),
                "max_hands": hands.get(key, 0),
                "reported_at": reported,
                "first_sent_at": sent,
                "first_arrived_at": arrived,
                "resolved_at": resolved,
                "closed_at": stamp(task.get("closed_at")),
                "first_sent_s": None if sent is None else (sent - reported).total_seconds(),
                "first_contact_s": None
                if arrived is None
                else (arrived - reported).total_seconds(),
                "completion_s": None if resolved is None else (resolved - reported).total_seconds(),
            }
        )
    return rows


def _figures(event: Mapping, measures: pd.DataFrame) -> list[dict]:
    totals = totals_by_measure(measures) if len(measures) else {}
    order = list(measures_of(str(event.get("kind") or "other")))
    order += [code for code in totals if code not in order]
    out = []
    for code in order:
        total = totals.get(code, {"target": None, "done": 0.0})
        target, done = total["target"], float(total["done"])
        out.append(
            {
                "measure": code,
                "target": target,
                "done": done,
                "share": done / target if target else None,
            }
        )
    return out


def _unmet(task_rows: list[dict], measures: pd.DataFrame) -> dict:
    live = [r for r in task_rows if r["status"] not in CANCELLED_STATUSES]
    titles = {r["id"]: (r["public_id"], r["title"]) for r in task_rows}
    below = []
    for m in measures.to_dict("records") if len(measures) else []:
        target, done = number_or_none(m["target"]), number_or_none(m["done"]) or 0.0
        if target and done < target:
            public_id, title = titles.get(int(m["incident_id"]), (None, None))
            below.append(
                {
                    "task_id": int(m["incident_id"]),
                    "public_id": public_id,
                    "title": title,
                    "measure": str(m["measure"]),
                    "target": target,
                    "done": done,
                    "short": target - done,
                }
            )
    return {
        "understaffed": [
            {
                "task_id": r["id"],
                "public_id": r["public_id"],
                "title": r["title"],
                "headcount": r["headcount"],
                "max_hands": r["max_hands"],
                "short": r["headcount"] - r["max_hands"],
            }
            for r in live
            if r["max_hands"] < r["headcount"]
        ],
        "open_tasks": [
            {
                "task_id": r["id"],
                "public_id": r["public_id"],
                "title": r["title"],
                "status": r["status"],
            }
            for r in task_rows
            if r["status"] in OPEN_STATUSES
        ],
        "below_target": below,
    }
