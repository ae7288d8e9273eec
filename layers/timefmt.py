"""Times as people in the command centre read them: Beijing time and ages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

LOCAL = ZoneInfo("Asia/Shanghai")


def local_text(times: pd.Series, fmt: str = "%m-%d %H:%M") -> pd.Series:
    """UTC timestamps as Beijing-time strings; '—' where missing."""
    stamps = pd.to_datetime(times, utc=True)
    return stamps.dt.tz_convert(LOCAL).dt.strftime(fmt).fillna("—")


def age_text(times: pd.Series, now: dt.datetime, lang: str) -> pd.Series:
    """How long ago each time was: '35 分钟前' / '35 min ago'."""
    stamps = pd.to_datetime(times, utc=True)
    minutes = ((pd.Timestamp(now) - stamps).dt.total_seconds() / 60).clip(lower=0)

    def one(m: float) -> str:
        if pd.isna(m):
            return "—"
        if m < 60:
            return f"{int(m)} 分钟前" if lang == "zh" else f"{int(m)} min ago"
        if m < 48 * 60:
            return f"{int(m // 60)} 小时前" if lang == "zh" else f"{int(m // 60)} h ago"
        return f"{int(m // 1440)} 天前" if lang == "zh" else f"{int(m // 1440)} days ago"

    return minutes.map(one)
