"""The after-action review (复盘) of a wartime event: its replay and its report.

The replay answers "what did the map look like at time t": each task's stage,
who was out and where, how far the figures had got, who had missed a
check-in. The report answers what a commander is asked afterwards: how many
cadres went, from where, how fast; how long the first contact and the work
took; what got done against the targets; what was never met; and how well
the field kept its check-ins.

Everything is derived from stored timestamps (UTC): the tasks' lifecycle
times, the dispatches' sent, arrived and released times, the positions'
history, the audited progress reports and the check-ins. Nothing is counted
twice: a cadre sent to two tasks is one cadre mobilised.

Pure: frames and plain values in, plain values out (times as aware UTC
``pandas.Timestamp``, durations in seconds).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.checkins import overdue
from domain.event_tasks import measures_of, totals_by_measure
from domain.lifecycle import OPEN_STATUSES

# A task's stage in the replay, in order, with its labels.
STAGES: dict[str, tuple[str, str]] = {
    "reported": ("已受理", "Reported"),
    "dispatched": ("已派遣", "Dispatched"),
    "on_site": ("已到场", "On site"),
    "resolved": ("已办结", "Resolved"),
    "closed": ("已结案", "Closed"),
}
DONE_STATUSES = frozenset({"resolved", "verified", "closed"})  # the work was done
CANCELLED_STATUSES = frozenset({"rejected", "duplicate"})  # no work was due
WITHIN_HOURS = (1, 6, 24)
MAX_CURVE_POINTS = 24 * 60  # beyond 60 days the curve's step grows past an hour
_TASK_TIMES = (
    "reported_at",
    "registered_at",
    "first_contact_at",
    "dispatched_at",
    "resolved_at",
    "closed_at",
)
_DISPATCH_TIMES = ("sent_at", "arrived_at", "released_at")


def _stamp(value) -> pd.Timestamp | None:
    """An aware UTC timestamp, or None for a missing value (None, NaT, NaN)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _times(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as aware UTC times in nanoseconds (all NaT when the frame lacks
    it): one resolution, so that any timestamp can fill a gap."""
    if column not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(frame[column], utc=True).astype("datetime64[ns, UTC]")


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _text(value) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _first_by_task(dispatches: pd.DataFrame, column: str) -> pd.Series:
    """incident_id -> earliest ``column`` of its dispatches (NaT where none has one)."""
    if not len(dispatches):
        return pd.Series(dtype="datetime64[us, UTC]")
    return _times(dispatches, column).groupby(dispatches["incident_id"].to_numpy()).min()


def _first_of_tasks(tasks: pd.DataFrame, dispatches: pd.DataFrame, column: str) -> pd.Series:
    """Aligned with ``tasks``: the earliest ``column`` of each task's dispatches
    (NaT for a task nobody was sent to, also when nobody was sent at all)."""
    first = _first_by_task(dispatches, column).astype("datetime64[ns, UTC]")
    return first.reindex(tasks["id"].to_numpy()).set_axis(tasks.index)


def timeline_bounds(
    event: Mapping, tasks: pd.DataFrame, dispatches: pd.DataFrame, *, also: Iterable = ()
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The span a replay's slider runs over: (start, end), aware UTC.

    Start is the event's ``started_at``. End is its ``ended_at``; for an event
    still running, the last thing that happened: the latest lifecycle time of
    a task, the latest sent, arrived or released time of a dispatch, or any
    time in ``also`` (e.g. progress reports and check-ins). End is never
    before start.
    """
    start = _stamp(event["started_at"])
    ended = _stamp(event.get("ended_at"))
    if ended is not None:
        return start, max(start, ended)
    seen = [start]
    for frame, columns in ((tasks, _TASK_TIMES), (dispatches, _DISPATCH_TIMES)):
        for column in columns:
            if len(frame) and column in frame:
                latest = _times(frame, column).max()
                if not pd.isna(latest):
                    seen.append(latest)
    seen += [s for s in map(_stamp, also) if s is not None]
    return start, max(seen)


@dataclass(frozen=True)
class Moment:
    """The event as it was at one time, for the replay on the map."""

    at: pd.Timestamp
    tasks: pd.DataFrame  # tasks reported by then: id, public_id, description, headcount,
    #                      lon, lat, stage (see STAGES), hands (cadres on it at that time)
    cadres: pd.DataFrame  # cadres out: cadre_id, incident_id, sent_at, arrived (bool), lon,
    #                       lat, position_at (NaT: no position yet, shown at the task), overdue
    figures: dict[str, float]  # measure -> total done by then, over all tasks
    task_figures: dict[int, dict[str, float]]  # incident_id -> measure -> done by then
    overdue: pd.DataFrame  # domain.checkins.overdue at that time


def task_stages(t, tasks: pd.DataFrame, dispatches: pd.DataFrame) -> pd.Series:
    """Each task's stage at ``t`` (aligned with ``tasks``), from its timestamps.

    reported (``reported_at`` <= t) → dispatched (its first dispatch was sent,
    or, without dispatch rows, its ``dispatched_at``) → on_site (the first
    cadre arrived) → resolved (``resolved_at``) → closed (``closed_at``, also
    for a task rejected without being resolved). A stage counts once its time
    is at or before ``t``.
    """
    t = _stamp(t)
    if not len(tasks):
        return pd.Series(index=tasks.index, dtype=object)
    sent = _first_of_tasks(tasks, dispatches, "sent_at")
    sent = sent.where(sent.notna(), _times(tasks, "dispatched_at"))
    arrived = _first_of_tasks(tasks, dispatches, "arrived_at")
    conditions = [
        _times(tasks, "closed_at") <= t,
        _times(tasks, "resolved_at") <= t,
        arrived <= t,
        sent <= t,
    ]
    choices = ["closed", "resolved", "on_site", "dispatched"]
    stages = np.select([c.to_numpy(dtype=bool) for c in conditions], choices, default="reported")
    return pd.Series(stages, index=tasks.index, dtype=object)


def mobilised_at(t, dispatches: pd.DataFrame) -> pd.DataFrame:
    """Dispatches under way at ``t``: sent at or before it, not yet released
    (released strictly after ``t``, or never); one row per cadre, the latest."""
    t = _stamp(t)
    if not len(dispatches):
        return dispatches.assign(sent_at=_times(dispatches, "sent_at"))
    sent, released = _times(dispatches, "sent_at"), _times(dispatches, "released_at")
    out = dispatches[(sent <= t) & (released.isna() | (released > t))]
    out = out.assign(sent_at=_times(out, "sent_at")).sort_values("sent_at", kind="stable")
    return out.drop_duplicates("cadre_id", keep="last")


def state_at(
    t,
    tasks: pd.DataFrame,
    dispatches: pd.DataFrame,
    positions: pd.DataFrame,
    progress: pd.DataFrame,
    checkins: pd.DataFrame,
    checkin_minutes: int,
    *,
    measures: Iterable[str] = (),
) -> Moment:
    """The event at time ``t`` (aware), for replaying it with a slider.

    Parameters
    ----------
    tasks : id, reported_at, resolved_at, closed_at, dispatched_at, headcount,
        lon, lat (WGS84) and optionally public_id, description.
    dispatches : incident_id, cadre_id, sent_at, arrived_at, released_at.
    positions : the position history: cadre_id, lon, lat (WGS84), recorded_at.
    progress : the progress log: at, incident_id, measure, added.
    checkins : cadre_id, at.
    checkin_minutes : the event's check-in interval.
    measures : figures to report even when nothing was done (0.0).

    A cadre out at ``t`` is shown at their last position recorded at or
    before ``t``, or at their task's place when none was. A cadre is overdue
    when, counting only the check-ins made by ``t``, their last sign of life
    (sent or checked in) is older than the interval (``domain.checkins``).
    """
    t = _stamp(t)
    shown = tasks[_times(tasks, "reported_at") <= t] if len(tasks) else tasks
    stages = task_stages(t, shown, dispatches)
    out = mobilised_at(t, dispatches)
    hands = out.groupby("incident_id").size() if len(out) else pd.Series(dtype="int64")
    keep = [c for c in ("id", "public_id", "description", "headcount", "lon", "lat") if c in shown]
    on_task = shown["id"].map(hands).fillna(0).astype(int) if len(shown) else 0
    moment_tasks = shown[keep].assign(stage=stages, hands=on_task).reset_index(drop=True)

    cadres = _placed(t, out, tasks, positions)
    seen = checkins[_times(checkins, "at") <= t] if len(checkins) else checkins
    mobilised = out[["cadre_id", "incident_id", "sent_at"]] if len(out) else pd.DataFrame()
    late = (
        overdue(mobilised, seen, int(checkin_minutes), t)
        if len(out)
        else overdue(pd.DataFrame(), pd.DataFrame(), int(checkin_minutes), t)
    )
    cadres["overdue"] = cadres["cadre_id"].isin(late["cadre_id"]) if len(cadres) else []

    figures = {str(code): 0.0 for code in measures}
    task_figures: dict[int, dict[str, float]] = {}
    done = progress[_times(progress, "at") <= t] if len(progress) else progress
    if len(done):
        for code, amount in done.groupby("measure")["added"].sum().items():
            figures[str(code)] = float(amount)
        for (task, code), amount in done.groupby(["incident_id", "measure"])["added"].sum().items():
            task_figures.setdefault(int(task), {})[str(code)] = float(amount)
    return Moment(t, moment_tasks, cadres, figures, task_figures, late)


def _placed(t, out: pd.DataFrame, tasks: pd.DataFrame, positions: pd.DataFrame) -> pd.DataFrame:
    """The cadres out at ``t`` with where they were then."""
    columns = ["cadre_id", "incident_id", "sent_at", "arrived", "lon", "lat", "position_at"]
    if not len(out):
        return pd.DataFrame(columns=columns)
    frame = out[["cadre_id", "incident_id", "sent_at"]].reset_index(drop=True)
    frame["arrived"] = (_times(out, "arrived_at") <= t).to_numpy()
    before = positions[_times(positions, "recorded_at") <= t] if len(positions) else positions
    if len(before):
        latest = (
            before.assign(recorded_at=_times(before, "recorded_at"))
            .sort_values("recorded_at", kind="stable")
            .drop_duplicates("cadre_id", keep="last")
            .set_index("cadre_id")
        )
    else:
        latest = pd.DataFrame(columns=["lon", "lat", "recorded_at"])
    place = tasks.set_index("id") if len(tasks) else pd.DataFrame(columns=["lon", "lat"])
    frame["position_at"] = pd.to_datetime(frame["cadre_id"].map(latest["recorded_at"]), utc=True)
    for axis in ("lon", "lat"):
        own = pd.to_numeric(frame["cadre_id"].map(latest[axis]), errors="coerce")
        task = pd.to_numeric(frame["incident_id"].map(place[axis]), errors="coerce")
        frame[axis] = own.where(own.notna(), task).astype(float)
    return frame[columns]


# --------------------------------------------------------------------- report


def _assignments(dispatches: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each dispatch as an interval [start, stop): sent until released, or
    until ``as_of`` when never released; never shorter than nothing."""
    start = _times(dispatches, "sent_at")
    stop = _times(dispatches, "released_at").fillna(as_of)
    stop = stop.where(stop >= start, start)
    frame = pd.DataFrame(
        {
            "cadre_id": dispatches["cadre_id"],
            "start": start,
            "stop": stop,
            "incident_id": dispatches["incident_id"],
        }
    )
    return frame.reset_index(drop=True)


def max_concurrent(intervals: pd.DataFrame) -> dict[int, int]:
    """incident_id -> the most hands on it at any one time. An interval is
    [start, stop): a hand-over at one instant does not count twice."""
    out: dict[int, int] = {}
    for task, rows in intervals.groupby("incident_id"):
        marks = sorted(
            [(s, 1) for s, e in zip(rows["start"], rows["stop"], strict=True) if e > s]
            + [(e, -1) for s, e in zip(rows["start"], rows["stop"], strict=True) if e > s]
        )
        running = best = 0
        for _, step in marks:  # at one instant -1 sorts before +1
            running += step
            best = max(best, running)
        out[int(task)] = best
    return out


def missed_checkins(
    intervals: pd.DataFrame, checkins: pd.DataFrame, minutes: int, as_of: pd.Timestamp
) -> dict[int, tuple[int, int]]:
    """cadre_id -> (check-ins made while out, missed check-ins).

    For every assignment, the signs of life are its sending, the cadre's
    check-ins while out, and its end (the release, or ``as_of``, whichever is
    first: nobody can check in after the event ended). Each gap between two
    consecutive signs longer than the interval counts as one missed check-in
    (one episode of being overdue, however long it lasted).
    """
    interval = pd.Timedelta(minutes=int(minutes))
    by_cadre: dict[int, list[pd.Timestamp]] = {}
    if len(checkins):
        times = _times(checkins, "at").groupby(checkins["cadre_id"].to_numpy())
        by_cadre = {int(cadre): sorted(group) for cadre, group in times}
    out: dict[int, tuple[int, int]] = {}
    for row in intervals.itertuples(index=False):
        start, stop = pd.Timestamp(row.start), min(pd.Timestamp(row.stop), as_of)
        stop = max(stop, start)
        own = [c for c in by_cadre.get(int(row.cadre_id), []) if start < c <= stop]
        marks = [start, *own, stop]
        gaps = [b - a for a, b in itertools.pairwise(marks)]
        made, missed = out.get(int(row.cadre_id), (0, 0))
        out[int(row.cadre_id)] = (made + len(own), missed + sum(bool(g > interval) for g in gaps))
    return out


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
    start = _stamp(event["started_at"])
    ended = _stamp(event.get("ended_at"))
    as_of = max(start, ended if ended is not None else _stamp(now))
    minutes = int(event.get("checkin_minutes") or 30)
    intervals = (
        _assignments(dispatches, as_of)
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
            "id": _int(event.get("id")),
            "name": _text(event.get("name")),
            "kind": _text(event.get("kind")),
            "severity": _int(event.get("severity")),
            "started_at": start,
            "ended_at": ended,
            "as_of": as_of,
            "active": ended is None,
            "duration_s": (as_of - start).total_seconds(),
            "checkin_minutes": minutes,
        },
        "mobilisation": _mobilisation(dispatches, start, as_of),
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
        "cadre_rows": _cadre_rows(dispatches, intervals, checked),
    }


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _task_rows(tasks: pd.DataFrame, dispatches: pd.DataFrame, hands: dict[int, int]) -> list:
    if not len(tasks):
        return []
    first_sent = _first_by_task(dispatches, "sent_at")
    first_arrived = _first_by_task(dispatches, "arrived_at")
    sent_by = dispatches.groupby("incident_id")["cadre_id"].nunique() if len(dispatches) else {}
    rows = []
    for task in tasks.sort_values("id").to_dict("records"):
        key = int(task["id"])
        reported, resolved = _stamp(task["reported_at"]), _stamp(task.get("resolved_at"))
        sent, arrived = _stamp(first_sent.get(key)), _stamp(first_arrived.get(key))
        rows.append(
            {
                "id": key,
                "public_id": _text(task.get("public_id")),
                "title": _text(task.get("description")),
                "status": _text(task.get("status")),
                "headcount": _int(task.get("headcount")) or 1,
                "cadres_sent": int(sent_by.get(key, 0)),
                "max_hands": hands.get(key, 0),
                "reported_at": reported,
                "first_sent_at": sent,
                "first_arrived_at": arrived,
                "resolved_at": resolved,
                "closed_at": _stamp(task.get("closed_at")),
                "first_sent_s": None if sent is None else (sent - reported).total_seconds(),
                "first_contact_s": None
                if arrived is None
                else (arrived - reported).total_seconds(),
                "completion_s": None if resolved is None else (resolved - reported).total_seconds(),
            }
        )
    return rows


def _mobilisation(dispatches: pd.DataFrame, start: pd.Timestamp, as_of: pd.Timestamp) -> dict:
    first = (
        _times(dispatches, "sent_at").groupby(dispatches["cadre_id"].to_numpy()).min()
        if len(dispatches)
        else pd.Series(dtype="datetime64[us, UTC]")
    )
    after = first - start
    last = max(as_of, first.max()) if len(first) else as_of
    hours = max(0, math.ceil((last - start) / pd.Timedelta(hours=1)))
    step = max(1, math.ceil(hours / MAX_CURVE_POINTS))
    curve = [
        {
            "hour": k,
            "at": start + pd.Timedelta(hours=k),
            "cadres": int((after <= pd.Timedelta(hours=k)).sum()),
        }
        for k in range(0, hours + step, step)
    ]
    people = dispatches.drop_duplicates("cadre_id") if len(dispatches) else dispatches
    units = Counter()
    for person in people.to_dict("records"):
        department = _text(person.get("department"))
        units[(department, None if department else _text(person.get("town_code")))] += 1
    ranked = sorted(units.items(), key=lambda item: (-item[1], str(item[0])))
    by_department = [{"department": d, "town_code": t, "cadres": n} for (d, t), n in ranked]
    sent = _times(dispatches, "sent_at")
    return {
        "cadres": len(first),
        "dispatches": len(dispatches),
        "first_sent_at": _stamp(sent.min()) if len(sent) else None,
        "last_sent_at": _stamp(sent.max()) if len(sent) else None,
        **{f"within_{h}h": int((after <= pd.Timedelta(hours=h)).sum()) for h in WITHIN_HOURS},
        "by_department": by_department,
        "curve": curve,
        "curve_step_h": step,
    }


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
        target, done = _number(m["target"]), _number(m["done"]) or 0.0
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


def _cadre_rows(
    dispatches: pd.DataFrame, intervals: pd.DataFrame, checked: dict[int, tuple[int, int]]
) -> list[dict]:
    if not len(dispatches):
        return []
    frame = dispatches.assign(
        sent_at=_times(dispatches, "sent_at"),
        arrived_at=_times(dispatches, "arrived_at"),
        released_at=_times(dispatches, "released_at"),
    )
    spent = (
        (intervals["stop"] - intervals["start"])
        .dt.total_seconds()
        .groupby(intervals["cadre_id"].to_numpy())
        .sum()
    )
    rows = []
    for cadre, mine in frame.sort_values("sent_at", kind="stable").groupby("cadre_id", sort=False):
        head = mine.iloc[0]
        released = mine["released_at"]
        made, missed = checked.get(int(cadre), (0, 0))
        rows.append(
            {
                "cadre_id": int(cadre),
                "name": _text(head.get("cadre_name")),
                "department": _text(head.get("department")),
                "town_code": _text(head.get("town_code")),
                "role": _text(head.get("role")),
                "assignments": len(mine),
                "tasks": sorted({int(v) for v in mine["incident_id"]}),
                "first_sent_at": _stamp(mine["sent_at"].min()),
                "first_arrived_at": _stamp(mine["arrived_at"].min()),
                "released_at": None if released.isna().any() else _stamp(released.max()),
                "on_task_s": float(spent.get(cadre, 0.0)),
                "checkins": made,
                "missed": missed,
            }
        )
    return rows
