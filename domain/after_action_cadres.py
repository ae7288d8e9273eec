"""The cadres' side of an event's after-action report: who went, from where,
how fast, how long they stayed, and how well they kept their check-ins.

Each dispatch is an interval [sent, released) (``assignments``); a cadre sent
to two tasks is one cadre mobilised. ``domain.after_action.report`` puts
these figures together with the tasks' side.

Pure: frames and plain values in, plain values out (times as aware UTC
``pandas.Timestamp``, durations in seconds).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

import pandas as pd

from domain.event_frames import stamp, text_or_none, utc_times

WITHIN_HOURS = (1, 6, 24)
MAX_CURVE_POINTS = 24 * 60  # beyond 60 days the curve's step grows past an hour


def assignments(dispatches: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each dispatch as an interval [start, stop): sent until released, or
    until ``as_of`` when never released; never shorter than nothing."""
    start = utc_times(dispatches, "sent_at")
    stop = utc_times(dispatches, "released_at").fillna(as_of)
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
        times = utc_times(checkins, "at").groupby(checkins["cadre_id"].to_numpy())
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


def mobilisation(dispatches: pd.DataFrame, start: pd.Timestamp, as_of: pd.Timestamp) -> dict:
    """The report's ``mobilisation`` section (see ``domain.after_action.report``)."""
    first = (
        utc_times(dispatches, "sent_at").groupby(dispatches["cadre_id"].to_numpy()).min()
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
        department = text_or_none(person.get("department"))
        units[(department, None if department else text_or_none(person.get("town_code")))] += 1
    ranked = sorted(units.items(), key=lambda item: (-item[1], str(item[0])))
    by_department = [{"department": d, "town_code": t, "cadres": n} for (d, t), n in ranked]
    sent = utc_times(dispatches, "sent_at")
    return {
        "cadres": len(first),
        "dispatches": len(dispatches),
        "first_sent_at": stamp(sent.min()) if len(sent) else None,
        "last_sent_at": stamp(sent.max()) if len(sent) else None,
        **{f"within_{h}h": int((after <= pd.Timedelta(hours=h)).sum()) for h in WITHIN_HOURS},
        "by_department": by_department,
        "curve": curve,
        "curve_step_h": step,
    }


def cadre_rows(
    dispatches: pd.DataFrame, intervals: pd.DataFrame, checked: dict[int, tuple[int, int]]
) -> list[dict]:
    """The report's ``cadre_rows``: one per cadre dispatched, first sent first."""
    if not len(dispatches):
        return []
    frame = dispatches.assign(
        sent_at=utc_times(dispatches, "sent_at"),
        arrived_at=utc_times(dispatches, "arrived_at"),
        released_at=utc_times(dispatches, "released_at"),
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
                "name": text_or_none(head.get("cadre_name")),
                "department": text_or_none(head.get("department")),
                "town_code": text_or_none(head.get("town_code")),
                "role": text_or_none(head.get("role")),
                "assignments": len(mine),
                "tasks": sorted({int(v) for v in mine["incident_id"]}),
                "first_sent_at": stamp(mine["sent_at"].min()),
                "first_arrived_at": stamp(mine["arrived_at"].min()),
                "released_at": None if released.isna().any() else stamp(released.max()),
                "on_task_s": float(spent.get(cadre, 0.0)),
                "checkins": made,
                "missed": missed,
            }
        )
    return rows
