"""What the breach-risk model sees of an incident at a moment, and its training rows.

Training rows are snapshots. Each past incident whose outcome is known (resolved,
or still open past its deadline at ``now``) is looked at at a few moments while it
was still unresolved and not yet due: at 0, 25, 50, 75 and 90 % of its allowed
time. The label is whether it missed the deadline. Incidents still open and not
yet due are left out (their outcome is not known yet), and so are rejected and
duplicate reports (no work was due).

Features of a row: category, priority, town, channel, when it was reported (local
weekday and hour band), the fraction of the allowed time already used, the town's
open workload then (incidents reported and not yet resolved) and its new reports
(the last 3 days against its usual 3 days over the last 28). Loads are counted
for all rows at once with one sort and a few ``searchsorted`` per question.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import numpy as np
import pandas as pd

from domain.errors import InvalidInput
from domain.lifecycle import OPEN_STATUSES

FRACTIONS = (0.0, 0.25, 0.5, 0.75, 0.9)  # moments of a snapshot, of the allowed time
CANCELLED = frozenset({"rejected", "duplicate"})
LOCAL = "Asia/Shanghai"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOUR_BANDS = (0, 8, 12, 15, 18, 24)  # local hours: night, morning, early/late afternoon, evening
REPORT_TIMES = tuple(
    f"{day} {lo:02d}-{hi:02d}" for day in WEEKDAYS for lo, hi in pairwise(HOUR_BANDS)
)
RECENT_DAYS, USUAL_DAYS = 3, 28  # new reports: the last 3 days against the usual of 28
COLUMNS = ("category", "priority", "town_code", "channel", "reported_at", "due_resolve_at")
_DAY = 86400.0
_SPAN = 2.0**36  # > every epoch second until the year 4000: one town's stretch of sort keys
_SECOND = pd.Timedelta(seconds=1)
_EPOCH = pd.Timestamp(0, tz="UTC")


def seconds(values: object) -> np.ndarray:
    """Times (aware or UTC-naive datetimes, a column) as epoch seconds, NaN for none."""
    stamps = pd.to_datetime(pd.Series(values), utc=True)
    return ((stamps - _EPOCH) / _SECOND).to_numpy(dtype=float, na_value=np.nan)


def epoch(now: dt.datetime) -> float:
    """``now`` (aware) in epoch seconds; raises ``InvalidInput`` if naive."""
    if not isinstance(now, dt.datetime) or now.tzinfo is None:
        raise InvalidInput(f"now must be an aware datetime, got {now!r}")
    return now.timestamp()


def check_columns(frame: pd.DataFrame, needed: tuple[str, ...]) -> None:
    """Raise ``InvalidInput`` naming the columns ``frame`` lacks."""
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InvalidInput(f"the incidents lack column(s) {', '.join(missing)}")


def ended(history: pd.DataFrame) -> np.ndarray:
    """When each incident stopped being open work (epoch s): resolved, else closed
    (a rejected or duplicate report), else +inf (still open)."""
    end = seconds(history["resolved_at"])
    closed = seconds(history["closed_at"]) if "closed_at" in history else np.full(len(end), np.nan)
    end = np.where(np.isnan(end), closed, end)
    still_open = history["status"].isin(OPEN_STATUSES).to_numpy()
    return np.where(still_open | np.isnan(end), np.inf, end)


def town_load(history: pd.DataFrame, towns: object, at: object) -> pd.DataFrame:
    """Each town's load at given moments.

    Parameters
    ----------
    history : DataFrame
        The incidents to count: town_code, status, reported_at, resolved_at,
        closed_at (UTC). For the load at ``now`` the open ones and those of the
        last ``USUAL_DAYS`` days are enough.
    towns : array-like of str
        A town code per question.
    at : array-like of float
        Epoch seconds per question.

    Returns
    -------
    DataFrame, one row per question
        ``workload``: incidents of the town reported by then and not resolved
        (or closed) yet; ``new_reports``: its reports of the last ``RECENT_DAYS``
        days, plus one, over its usual count of that many days (over the last
        ``USUAL_DAYS``), plus one (1.0 is a usual day).
    """
    check_columns(history, ("town_code", "status", "reported_at", "resolved_at"))
    towns = pd.Series(np.asarray(towns, dtype=object)).astype(str)
    codes, _ = pd.factorize(pd.concat([history["town_code"].astype(str), towns]))
    own, asked = codes[: len(history)] * _SPAN, codes[len(history) :] * _SPAN
    at = np.asarray(at, dtype=float)
    start = np.sort(own + np.nan_to_num(seconds(history["reported_at"]), nan=_SPAN - 1))
    finish = np.sort(own + np.minimum(ended(history), _SPAN - 1))

    def reported_by(t):
        return np.searchsorted(start, asked + t, "right")

    workload = reported_by(at) - np.searchsorted(finish, asked + at, "right")
    recent = reported_by(at) - reported_by(at - RECENT_DAYS * _DAY)
    usual = (reported_by(at) - reported_by(at - USUAL_DAYS * _DAY)) * RECENT_DAYS / USUAL_DAYS
    return pd.DataFrame(
        {"workload": workload.astype(int), "new_reports": (recent + 1) / (usual + 1)}
    )


def outcomes(history: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    """The incidents whose outcome is known at ``now``, with column ``breached``.

    Known: resolved by ``now`` (breached when resolved after ``due_resolve_at``),
    or still open past ``due_resolve_at`` (breached). Rejected and duplicate
    reports, parked ones without a deadline and open ones not yet due are left out.
    """
    check_columns(history, (*COLUMNS, "status", "resolved_at"))
    now_s = epoch(now)
    rep, due = seconds(history["reported_at"]), seconds(history["due_resolve_at"])
    end = ended(history)
    resolved = end <= now_s
    overdue = np.isinf(end) & (due < now_s)
    cancelled = history["status"].isin(CANCELLED).to_numpy()
    keep = ~cancelled & (due > rep) & (rep <= now_s) & (resolved | overdue)
    known = history.loc[keep].copy()
    known["breached"] = (end[keep] > due[keep]) | overdue[keep]
    return known


def features(frame: pd.DataFrame, at: object, load: pd.DataFrame) -> pd.DataFrame:
    """The model's raw features of incidents at given moments, indexed like ``frame``.

    Parameters
    ----------
    frame : DataFrame
        Columns category, priority, town_code, channel, reported_at, due_resolve_at.
    at : datetime or array-like of float
        The moment of each row (an aware datetime, or epoch seconds per row).
    load : DataFrame
        ``town_load`` of each row's town at that moment (one row per row of
        ``frame``, in its order).

    Returns
    -------
    DataFrame
        category, priority, town, channel (str), reported ("Fri 15-18", local
        weekday and hour band), used (fraction of the allowed time, 0..1; NaN
        without a deadline), workload (int) and new_reports (ratio).
    """
    check_columns(frame, COLUMNS)
    when = epoch(at) if isinstance(at, dt.datetime) else np.asarray(at, dtype=float)
    rep, due = seconds(frame["reported_at"]), seconds(frame["due_resolve_at"])
    with np.errstate(invalid="ignore", divide="ignore"):
        used = np.clip((when - rep) / (due - rep), 0.0, 1.0)
    local = pd.to_datetime(frame["reported_at"], utc=True).dt.tz_convert(LOCAL)
    band = np.searchsorted(HOUR_BANDS, local.dt.hour.to_numpy(), "right") - 1
    slot = local.dt.day_of_week.to_numpy() * (len(HOUR_BANDS) - 1) + band
    return pd.DataFrame(
        {
            "category": frame["category"].astype(str).to_numpy(),
            "priority": _priority_text(frame["priority"]),
            "town": frame["town_code"].astype(str).to_numpy(),
            "channel": frame["channel"].astype(str).to_numpy(),
            "reported": pd.Categorical.from_codes(np.where(slot >= 0, slot, -1), REPORT_TIMES),
            "used": used,
            "workload": load["workload"].to_numpy(dtype=int),
            "new_reports": load["new_reports"].to_numpy(dtype=float),
        },
        index=frame.index,
    )


def _priority_text(values: pd.Series) -> np.ndarray:
    """Priorities as the text of a whole number ("3"), whatever their dtype."""
    numbers = pd.to_numeric(values, errors="coerce").astype("Int64")
    return numbers.astype(str).to_numpy(dtype=object)


def training_rows(history: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    """Snapshots of past incidents: ``features`` plus id, at (epoch s) and breached.

    One row per incident of ``outcomes`` and fraction of ``FRACTIONS`` at which
    it was still unresolved and the moment had passed by ``now``.
    """
    known = outcomes(history, now)
    rep, due = seconds(known["reported_at"]), seconds(known["due_resolve_at"])
    end, now_s = ended(known), epoch(now)
    pick, at = [], []
    for fraction in FRACTIONS:
        moment = rep + fraction * (due - rep)
        alive = np.flatnonzero((moment < end) & (moment < now_s))
        pick.append(alive)
        at.append(moment[alive])
    pick, at = np.concatenate(pick), np.concatenate(at)
    snaps = known.iloc[pick]
    load = town_load(history, snaps["town_code"].to_numpy(), at)
    rows = features(snaps, at, load).reset_index(drop=True)
    ids = snaps["id"].to_numpy() if "id" in snaps else snaps.index.to_numpy()
    rows.insert(0, "id", ids)
    rows["at"] = at
    rows["breached"] = snaps["breached"].to_numpy()
    return rows
