"""How the after-action review reads an event's stored rows.

The replay (``domain.replay``) and the report (``domain.after_action``,
``domain.after_action_cadres``) read the same frames: times in any stored
form become aware UTC, a missing value (None, NaT, NaN) becomes None, and a
task's first dispatch is found the same way for both, so that the map at
time t and the report's figures never disagree.
"""

from __future__ import annotations

import pandas as pd


def stamp(value) -> pd.Timestamp | None:
    """An aware UTC timestamp, or None for a missing value (None, NaT, NaN)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def utc_times(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as aware UTC times in nanoseconds (all NaT when the frame lacks
    it): one resolution, so that any timestamp can fill a gap."""
    if column not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(frame[column], utc=True).astype("datetime64[ns, UTC]")


def number_or_none(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def int_or_none(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def text_or_none(value) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def first_by_task(dispatches: pd.DataFrame, column: str) -> pd.Series:
    """incident_id -> earliest ``column`` of its dispatches (NaT where none has one)."""
    if not len(dispatches):
        return pd.Series(dtype="datetime64[us, UTC]")
    return utc_times(dispatches, column).groupby(dispatches["incident_id"].to_numpy()).min()
