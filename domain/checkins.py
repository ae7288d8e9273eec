"""Accountability in the field: who of an event's cadres has missed a check-in.

Every cadre mobilised for an event checks in at least every
``checkin_minutes`` (the event's own interval, 30 by default). The clock of a
cadre starts when they are sent; each check-in starts it again. A cadre whose
last sign of life is older than the interval is overdue and raises an alert on
the screens until they check in or are released.

Pure: frames in, a frame out.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from domain.errors import InvalidInput

DEFAULT_MINUTES = 30
MIN_MINUTES, MAX_MINUTES = 5, 240
OVERDUE_COLUMNS = ("cadre_id", "incident_id", "last_seen_at", "due_at", "late_min")


def checked_interval(value: object) -> int:
    """A check-in interval in whole minutes (5–240); the default for None."""
    if value in (None, ""):
        return DEFAULT_MINUTES
    try:
        minutes = int(str(value))
    except ValueError:
        minutes = 0
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise InvalidInput(
            f"checkin_minutes must be a whole number from {MIN_MINUTES} to {MAX_MINUTES}",
            zh=f"报到间隔应为 {MIN_MINUTES} 至 {MAX_MINUTES} 分钟",
        )
    return minutes


def last_seen(mobilised: pd.DataFrame, checkins: pd.DataFrame) -> pd.Series:
    """Per mobilised cadre: the later of being sent and their last check-in.

    ``mobilised``: cadre_id, sent_at (one row per active assignment);
    ``checkins``: cadre_id, at.
    """
    sent = pd.to_datetime(mobilised.set_index("cadre_id")["sent_at"], utc=True)
    if len(checkins):
        latest = pd.to_datetime(checkins["at"], utc=True).groupby(checkins["cadre_id"]).max()
        latest = latest.reindex(sent.index)
        return pd.concat([sent, latest], axis=1).max(axis=1)
    return sent


def overdue(
    mobilised: pd.DataFrame, checkins: pd.DataFrame, minutes: int, now: dt.datetime
) -> pd.DataFrame:
    """The mobilised cadres who have missed a check-in, the longest overdue first.

    Returns cadre_id, incident_id, last_seen_at, due_at and late_min (whole
    minutes past due, at least 1).
    """
    if not len(mobilised):
        return pd.DataFrame(columns=list(OVERDUE_COLUMNS))
    seen = last_seen(mobilised, checkins)
    frame = pd.DataFrame(
        {
            "cadre_id": seen.index.to_numpy(),
            "incident_id": mobilised.set_index("cadre_id")
            .loc[seen.index, "incident_id"]
            .to_numpy(),
            "last_seen_at": seen.to_numpy(),
        }
    )
    frame["last_seen_at"] = pd.to_datetime(frame["last_seen_at"], utc=True)
    frame["due_at"] = frame["last_seen_at"] + pd.Timedelta(minutes=minutes)
    late = ((pd.Timestamp(now) - frame["due_at"]).dt.total_seconds() / 60).to_numpy()
    frame["late_min"] = np.maximum(np.floor(late), 1).astype(int)
    frame = frame[late > 0]
    return frame.sort_values(["late_min", "cadre_id"], ascending=[False, True]).reset_index(
        drop=True
    )[list(OVERDUE_COLUMNS)]
