"""Where an incident stands against its deadlines: met, breached, near, running or paused.

The deadlines themselves come from ``domain.sla``; here they are judged at a
given time, for one incident (``sla_state``) or a whole frame at once
(``sla_flags``, the same rule vectorised for the wall's and the KPIs' 30,000
rows).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from domain.calendar_cn import check_aware
from domain.errors import InvalidInput

STATES = ("met", "breached", "near", "running", "paused")
PAIRS = {
    "contact_state": ("due_contact_at", "first_contact_at"),
    "resolve_state": ("due_resolve_at", "resolved_at"),
}
FRAME_COLUMNS = ("reported_at", *PAIRS["contact_state"], *PAIRS["resolve_state"])


def _fraction(near_fraction: object) -> float:
    if isinstance(near_fraction, bool) or not isinstance(near_fraction, int | float):
        raise InvalidInput(f"near_fraction must be a number, got {near_fraction!r}")
    if not 0 <= near_fraction <= 1:
        raise InvalidInput(f"near_fraction must be between 0 and 1, got {near_fraction}")
    return float(near_fraction)


def sla_state(
    now: dt.datetime,
    due_at: dt.datetime | None,
    started_at: dt.datetime | None,
    done_at: dt.datetime | None = None,
    near_fraction: float = 0.2,
) -> str:
    """State of one deadline: "met", "breached", "near", "running" or "paused".

    Done: "met" if ``done_at <= due_at`` (or there is no deadline), else "breached".
    Open: "paused" when ``due_at`` is None (parked, see ``resolve_deadline_with_pauses``);
    "breached" once ``now > due_at``; "near" when less than ``near_fraction`` of the
    allowed clock time ``due_at - started_at`` is left (never without ``started_at``);
    else "running".
    """
    now, fraction = check_aware(now, "now"), _fraction(near_fraction)
    due = None if due_at is None else check_aware(due_at, "due_at")
    if done_at is not None:
        return "met" if due is None or check_aware(done_at, "done_at") <= due else "breached"
    if due is None:
        return "paused"
    if now > due:
        return "breached"
    started = None if started_at is None else check_aware(started_at, "started_at")
    return "near" if started is not None and due - now < (due - started) * fraction else "running"


def sla_flags(frame: pd.DataFrame, now: dt.datetime, *, near_fraction: float = 0.2) -> pd.DataFrame:
    """A copy of ``frame`` with columns contact_state and resolve_state (see ``sla_state``).

    Parameters
    ----------
    frame : DataFrame
        Columns ``FRAME_COLUMNS``, UTC datetimes (naive values are read as UTC, as the
        store returns them), NaT allowed; reported_at starts both clocks.
    now : datetime
        Aware.
    near_fraction : float
        Share of the allowed time (0–1) under which an open deadline is "near".
    """
    if missing := [c for c in FRAME_COLUMNS if c not in frame.columns]:
        raise InvalidInput(f"sla_flags needs columns {', '.join(missing)}")
    now_ts = pd.Timestamp(check_aware(now, "now")).tz_convert("UTC")
    fraction = _fraction(near_fraction)
    started = pd.to_datetime(frame["reported_at"], utc=True)
    out = frame.copy()
    for name, (due_column, done_column) in PAIRS.items():
        due = pd.to_datetime(frame[due_column], utc=True)
        done = pd.to_datetime(frame[done_column], utc=True)
        finished = done.notna().to_numpy()
        late = (done > due).to_numpy()  # comparisons with NaT are False
        near = ((due - now_ts) < (due - started) * fraction).to_numpy()
        conditions = [finished & ~late, finished, due.isna().to_numpy(), (due < now_ts).to_numpy()]
        choices = ["met", "breached", "paused", "breached", "near"]
        states = np.select([*conditions, near], choices, default="running")
        out[name] = pd.Series(states, index=frame.index, dtype="str")
    return out
