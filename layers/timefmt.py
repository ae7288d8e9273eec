"""Times as people in the command centre read them: Beijing time."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd

LOCAL = ZoneInfo("Asia/Shanghai")


def local_text(times: pd.Series, fmt: str = "%m-%d %H:%M") -> pd.Series:
    """UTC timestamps as Beijing-time strings; '—' where missing."""
    stamps = pd.to_datetime(times, utc=True)
    return stamps.dt.tz_convert(LOCAL).dt.strftime(fmt).fillna("—")
