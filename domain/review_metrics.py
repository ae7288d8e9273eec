"""Figures of a review: per grid, community, town or department–town pair.

Pure functions over the incidents of a period (as ``Store.review_incidents``:
one row per incident with its area codes, status, every lifecycle time in UTC,
deadlines and satisfaction). Rates are computed from counts at every level, and
medians from the incidents themselves, never averaged from smaller units.

Definitions (the "三率" a city ranks its units on, plus times and breaches):

- closure rate 办结率: resolved, verified or closed, of the incidents that count
  (rejected and duplicate reports do not);
- satisfaction rate 满意率: ratings 4 or 5 of all ratings;
- response rate 响应率: first contact by its deadline, of the incidents that count;
- on-time rate 按时办结率: resolved by its deadline, of those resolved;
- SLA breaches: incidents whose first contact or resolution came after its
  deadline, or that are still waiting past it;
- first contact and resolution times: medians in wall-clock hours from the report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

UNCOUNTED = ("rejected", "duplicate")
RESOLVED = ("resolved", "verified", "closed")


@dataclass(frozen=True)
class Metric:
    """One figure a map can be coloured by."""

    code: str
    zh: str
    en: str
    unit_zh: str
    unit_en: str
    higher_is_better: bool | None  # None: neither (a load, not a score)
    kind: str  # "count", "rate" (0..1), "hours", "per_1000"

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def unit(self, lang: str) -> str:
        return self.unit_zh if lang == "zh" else self.unit_en

    def format(self, value, lang: str = "zh") -> str:
        """``value`` as people read it: 12 件, 93.4%, 5.2 h; — for nothing to show."""
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return "—"
        if self.kind == "rate":
            return f"{float(value) * 100:.1f}%"
        if self.kind == "count":
            return f"{int(value):,}"
        return f"{float(value):,.1f}"


METRICS: dict[str, Metric] = {
    m.code: m
    for m in (
        Metric("incidents", "诉求件数", "Incidents", "件", "incidents", None, "count"),
        Metric(
            "per_1000",
            "千人诉求数",
            "Incidents per 1,000 residents",
            "件/千人",
            "per 1,000",
            None,
            "per_1000",
        ),
        Metric("closure_rate", "办结率", "Closure rate", "%", "%", True, "rate"),
        Metric("satisfaction_rate", "满意率", "Satisfaction rate", "%", "%", True, "rate"),
        Metric("response_rate", "响应率", "Response rate", "%", "%", True, "rate"),
        Metric("on_time_rate", "按时办结率", "On-time rate", "%", "%", True, "rate"),
        Metric(
            "contact_h",
            "首次联系中位时长",
            "Median first-contact time",
            "小时",
            "hours",
            False,
            "hours",
        ),
        Metric(
            "resolve_h", "办结中位时长", "Median resolution time", "小时", "hours", False, "hours"
        ),
        Metric("breaches", "超时件数", "SLA breaches", "件", "breaches", False, "count"),
    )
}
MAP_METRICS = (
    "incidents",
    "per_1000",
    "closure_rate",
    "satisfaction_rate",
    "contact_h",
    "resolve_h",
    "breaches",
)
LEAGUE_METRICS = ("response_rate", "closure_rate", "satisfaction_rate", "on_time_rate")

# Columns of unit_metrics, in order.
# Aligned by hand: this table reads better laid out as a table.
FIGURES = (
    "incidents", "counted", "resolved", "closure_rate", "rated", "satisfied",
    "satisfaction_rate", "responded", "response_rate", "on_time", "on_time_rate",
    "contact_h", "resolve_h", "breaches",
)  # fmt: skip
# The figures that count incidents: 0, not empty, for a unit without any.
COUNTS = tuple(f for f in FIGURES if not f.endswith(("_rate", "_h")))


def incident_flags(incidents: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    """Per incident the 0/1 flags and hours that the figures add up.

    Columns counted, resolved, rated, satisfied, responded, on_time, breached,
    contact_h, resolve_h (NaN when not yet).
    """
    now_ts = pd.Timestamp(now)
    status = incidents["status"]
    counted = ~status.isin(UNCOUNTED)
    reported = incidents["reported_at"]
    contact = incidents["first_contact_at"]
    resolved_at = incidents["resolved_at"]
    due_contact = incidents["due_contact_at"]
    due_resolve = incidents["due_resolve_at"]
    resolved = status.isin(RESOLVED) & resolved_at.notna()
    satisfaction = pd.to_numeric(incidents["satisfaction"], errors="coerce").astype("float64")
    contact_late = (contact.notna() & due_contact.notna() & (contact > due_contact)) | (
        contact.isna() & due_contact.notna() & (due_contact < now_ts)
    )
    resolve_late = (resolved & due_resolve.notna() & (resolved_at > due_resolve)) | (
        ~resolved & ~status.isin(UNCOUNTED) & due_resolve.notna() & (due_resolve < now_ts)
    )
    hour = pd.Timedelta(hours=1)
    contact_h = (contact - reported) / hour
    resolve_h = (resolved_at - reported) / hour
    return pd.DataFrame(
        {
            "counted": counted.astype(np.int64),
            "resolved": (resolved & counted).astype(np.int64),
            "rated": satisfaction.notna().astype(np.int64),
            "satisfied": (satisfaction >= 4).astype(np.int64),
            "responded": (counted & contact.notna() & ~contact_late).astype(np.int64),
            "on_time": (resolved & counted & ~resolve_late).astype(np.int64),
            "breached": (counted & (contact_late | resolve_late)).astype(np.int64),
            "contact_h": contact_h.where(contact_h >= 0),
            "resolve_h": resolve_h.where((resolve_h >= 0) & resolved),
        },
        index=incidents.index,
    )


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype(float)


def unit_metrics(
    incidents: pd.DataFrame, flags: pd.DataFrame, key: str | list[str]
) -> pd.DataFrame:
    """The figures of each unit that ``key`` (a column, or columns) names.

    Returns one row per key value present, with the columns of ``FIGURES``.
    """
    keys = [key] if isinstance(key, str) else list(key)
    frame = flags.join(incidents[keys])
    if not len(frame):
        empty = pd.DataFrame(columns=[*keys, *FIGURES])
        return empty.set_index(keys)
    grouped = frame.groupby(keys, sort=True, dropna=True)
    sums = grouped[
        ["counted", "resolved", "rated", "satisfied", "responded", "on_time", "breached"]
    ].sum()
    out = pd.DataFrame(index=sums.index)
    out["incidents"] = grouped.size()
    out["counted"] = sums["counted"]
    out["resolved"] = sums["resolved"]
    out["closure_rate"] = _ratio(sums["resolved"], sums["counted"])
    out["rated"] = sums["rated"]
    out["satisfied"] = sums["satisfied"]
    out["satisfaction_rate"] = _ratio(sums["satisfied"], sums["rated"])
    out["responded"] = sums["responded"]
    out["response_rate"] = _ratio(sums["responded"], sums["counted"])
    out["on_time"] = sums["on_time"]
    out["on_time_rate"] = _ratio(sums["on_time"], sums["resolved"])
    out["contact_h"] = grouped["contact_h"].median()
    out["resolve_h"] = grouped["resolve_h"].median()
    out["breaches"] = sums["breached"]
    return out


def total_metrics(incidents: pd.DataFrame, flags: pd.DataFrame) -> pd.Series:
    """The figures of all of ``incidents`` together (FIGURES, NaN rates when empty)."""
    frame = incidents.assign(_all=0)
    table = unit_metrics(frame, flags, "_all")
    if len(table):
        return table.iloc[0]
    return pd.Series({f: 0 if f in COUNTS else np.nan for f in FIGURES})


def with_units(units: pd.DataFrame, figures: pd.DataFrame, key: str) -> pd.DataFrame:
    """Every unit of ``units`` (columns ``key``, population, …) with its figures;
    units without incidents get 0 counts and empty rates, so the map still
    shows them. Adds per_1000 from the unit's population."""
    merged = zero_counts(units.merge(figures, left_on=key, right_index=True, how="left"))
    population = pd.to_numeric(merged.get("population"), errors="coerce")
    merged["per_1000"] = (merged["incidents"] / population.where(population > 0) * 1000).round(2)
    return merged


def ranking(table: pd.DataFrame, metric: Metric, *, limit: int | None = None) -> pd.DataFrame:
    """``table`` ordered best-to-worst on ``metric`` (most first for loads),
    units with no value last, with a 1-based ``rank`` column."""
    ascending = metric.higher_is_better is False
    ordered = table.sort_values(
        [metric.code, "incidents"], ascending=[ascending, False], na_position="last", kind="stable"
    ).reset_index(drop=True)
    rank = pd.array(np.arange(1, len(ordered) + 1), dtype="Int64")
    rank[ordered[metric.code].isna().to_numpy()] = pd.NA
    ordered.insert(0, "rank", rank)
    return ordered.head(limit) if limit else ordered


def trend_step(period_days: int) -> str:
    """Days for up to a month, weeks up to half a year, months beyond."""
    if period_days <= 31:
        return "D"
    if period_days <= 186:
        return "W"
    return "M"


def trend(
    incidents: pd.DataFrame, flags: pd.DataFrame, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Incidents and closure rate per day, week (from Monday) or month of the period.

    Returns columns start (date), incidents, resolved, closure_rate; every step of
    the period is present, empty ones with 0 incidents.
    """
    step = trend_step((end - start).days + 1)
    local = incidents["reported_at"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    if step == "D":
        bucket = local.dt.floor("D")
        starts = pd.date_range(start, end, freq="D")
    elif step == "W":
        bucket = local.dt.floor("D") - pd.to_timedelta(local.dt.day_of_week, unit="D")
        first = pd.Timestamp(start) - pd.Timedelta(days=pd.Timestamp(start).weekday())
        starts = pd.date_range(first, end, freq="7D")
    else:
        bucket = local.dt.to_period("M").dt.to_timestamp()
        starts = pd.date_range(pd.Timestamp(start).to_period("M").to_timestamp(), end, freq="MS")
    frame = pd.DataFrame(
        {"start": bucket, "counted": flags["counted"], "resolved": flags["resolved"]}
    )
    grouped = frame.groupby("start").agg(
        incidents=("counted", "size"), counted=("counted", "sum"), resolved=("resolved", "sum")
    )
    grouped = grouped.reindex(starts, fill_value=0)
    out = pd.DataFrame(
        {
            "start": [s.date() for s in grouped.index],
            "incidents": grouped["incidents"].astype(np.int64).to_numpy(),
            "resolved": grouped["resolved"].astype(np.int64).to_numpy(),
        }
    )
    out["closure_rate"] = _ratio(grouped["resolved"], grouped["counted"]).to_numpy()
    out.attrs["step"] = step
    return out


def category_mix(incidents: pd.DataFrame, flags: pd.DataFrame, *, limit: int = 12) -> pd.DataFrame:
    """Incidents per category, most first, with closure and satisfaction rates;
    categories past ``limit`` are summed into one row with category ``"_rest"``."""
    table = unit_metrics(incidents, flags, "category").reset_index()
    if not len(table):
        return table
    table = table.sort_values(["incidents", "category"], ascending=[False, True])
    if len(table) > limit:
        head, rest = table.head(limit - 1), table.iloc[limit - 1 :]
        sums = rest[["incidents", "counted", "resolved", "rated", "satisfied"]].sum()
        row = {"category": "_rest", **sums.to_dict()}
        row["closure_rate"] = sums["resolved"] / sums["counted"] if sums["counted"] else np.nan
        row["satisfaction_rate"] = sums["satisfied"] / sums["rated"] if sums["rated"] else np.nan
        table = pd.concat([head, pd.DataFrame([row])], ignore_index=True)
    table["share"] = table["incidents"] / table["incidents"].sum()
    return table.reset_index(drop=True)


def zero_counts(table: pd.DataFrame) -> pd.DataFrame:
    """The count columns of a unit without incidents read 0, not empty (in place)."""
    for column in COUNTS:
        table[column] = table[column].fillna(0).astype(np.int64)
    return table
