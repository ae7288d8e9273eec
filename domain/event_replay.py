"""The replay of a wartime event (复盘): what the map looked like at time t.

Each task's stage, who was out and where, how far the figures had got, who
had missed a check-in, all derived from stored timestamps (UTC): the tasks'
lifecycle times, the dispatches' sent, arrived and released times, the
positions' history, the audited progress reports and the check-ins. The
report that goes with it is ``domain.after_action``.

Pure: frames and plain values in, plain values out (times as aware UTC
``pandas.Timestamp``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.checkins import overdue
from domain.event_frames import first_by_task, stamp, utc_times

# A task's stage in the replay, in order, with its labels.
STAGES: dict[str, tuple[str, str]] = {
    "reported": ("已受理", "Reported"),
    "dispatched": ("已派遣", "Dispatched"),
    "on_site": ("已到场", "On site"),
    "resolved": ("已办结", "Resolved"),
    "closed": ("已结案", "Closed"),
}
_TASK_TIMES = (
    "reported_at",
    "registered_at",
    "first_contact_at",
    "dispatched_at",
    "resolved_at",
    "closed_at",
)
_DISPATCH_TIMES = ("sent_at", "arrived_at", "released_at")


def _first_of_tasks(tasks: pd.DataFrame, dispatches: pd.DataFrame, column: str) -> pd.Series:
    """Aligned with ``tasks``: the earliest ``column`` of each task's dispatches
    (NaT for a task nobody was sent to, also when nobody was sent at all)."""
    first = first_by_task(dispatches, column).astype("datetime64[ns, UTC]")
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
    start = stamp(event["started_at"])
    ended = stamp(event.get("ended_at"))
    if ended is not None:
        return start, max(start, ended)
    seen = [start]
    for frame, columns in ((tasks, _TASK_TIMES), (dispatches, _DISPATCH_TIMES)):
        for column in columns:
            if len(frame) and column in frame:
                latest = utc_times(frame, column).max()
                if not pd.isna(latest):
                    seen.append(latest)
    seen += [s for s in map(stamp, also) if s is not None]
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
    t = stamp(t)
    if not len(tasks):
        return pd.Series(index=tasks.index, dtype=object)
    sent = _first_of_tasks(tasks, dispatches, "sent_at")
    sent = sent.where(sent.notna(), utc_times(tasks, "dispatched_at"))
    arrived = _first_of_tasks(tasks, dispatches, "arrived_at")
    conditions = [
        utc_times(tasks, "closed_at") <= t,
        utc_times(tasks, "resolved_at") <= t,
        arrived <= t,
        sent <= t,
    ]
    choices = ["closed", "resolved", "on_site", "dispatched"]
    stages = np.select([c.to_numpy(dtype=bool) for c in conditions], choices, default="reported")
    return pd.Series(stages, index=tasks.index, dtype=object)


def mobilised_at(t, dispatches: pd.DataFrame) -> pd.DataFrame:
    """Dispatches under way at ``t``: sent at or before it, not yet released
    (released strictly after ``t``, or never); one row per cadre, the latest."""
    t = stamp(t)
    if not len(dispatches):
        return dispatches.assign(sent_at=utc_times(dispatches, "sent_at"))
    sent, released = utc_times(dispatches, "sent_at"), utc_times(dispatches, "released_at")
    out = dispatches[(sent <= t) & (released.isna() | (released > t))]
    out = out.assign(sent_at=utc_times(out, "sent_at")).sort_values("sent_at", kind="stable")
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
    t = stamp(t)
    shown = tasks[utc_times(tasks, "reported_at") <= t] if len(tasks) else tasks
    stages = task_stages(t, shown, dispatches)
    out = mobilised_at(t, dispatches)
    hands = out.groupby("incident_id").size() if len(out) else pd.Series(dtype="int64")
    keep = [c for c in ("id", "public_id", "description", "headcount", "lon", "lat") if c in shown]
    on_task = shown["id"].map(hands).fillna(0).astype(int) if len(shown) else 0
    moment_tasks = shown[keep].assign(stage=stages, hands=on_task).reset_index(drop=True)

    cadres = _placed(t, out, tasks, positions)
    seen = checkins[utc_times(checkins, "at") <= t] if len(checkins) else checkins
    mobilised = out[["cadre_id", "incident_id", "sent_at"]] if len(out) else pd.DataFrame()
    late = (
        overdue(mobilised, seen, int(checkin_minutes), t)
        if len(out)
        else overdue(pd.DataFrame(), pd.DataFrame(), int(checkin_minutes), t)
    )
    cadres["overdue"] = cadres["cadre_id"].isin(late["cadre_id"]) if len(cadres) else []

    figures = {str(code): 0.0 for code in measures}
    task_figures: dict[int, dict[str, float]] = {}
    done = progress[utc_times(progress, "at") <= t] if len(progress) else progress
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
    frame["arrived"] = (utc_times(out, "arrived_at") <= t).to_numpy()
    before = positions[utc_times(positions, "recorded_at") <= t] if len(positions) else positions
    if len(before):
        latest = (
            before.assign(recorded_at=utc_times(before, "recorded_at"))
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
