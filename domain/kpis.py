"""Headline figures of the command map, computed from plain frames."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from domain.sla_states import FRAME_COLUMNS, sla_flags

LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Situation:
    """What a leader takes in at a glance."""

    reported_today: int
    open: int
    urgent: int
    overdue: int
    cadres_out: int
    cadres_available: int
    near_due: int = 0  # open, within the last fifth of the time allowed to resolve
    contact_late: int = 0  # not yet called back, past the first-contact deadline


@dataclass(frozen=True)
class RiskFigure:
    """Open work likely to miss its deadline, or why there is no such figure.

    ``at_risk`` counts the open incidents not yet past their deadline whose
    breach risk is at least ``threshold`` (``services.predictions``); it is
    None when no model is in use: ``status`` None means none was ever trained,
    'thin' that the history was too thin or the model did not beat its
    baseline (``note`` says which).
    """

    at_risk: int | None
    status: str | None = None  # of the newest model run: 'ok', 'thin', or None
    note: str = ""
    trained_at: dt.datetime | None = None  # aware UTC
    threshold: float = 0.5


def start_of_local_day(now: dt.datetime) -> dt.datetime:
    """Midnight of ``now``'s day in Beijing time, as a UTC datetime."""
    local = now.astimezone(LOCAL)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(dt.UTC)


def situation(
    open_incidents: pd.DataFrame, cadres: pd.DataFrame, reported_today: int, now: dt.datetime
) -> Situation:
    """Headline figures.

    Parameters
    ----------
    open_incidents : DataFrame
        Incidents still open (columns priority, due_resolve_at in UTC; with
        ``domain.sla_states.FRAME_COLUMNS`` also near-breaches and late call-backs).
    cadres : DataFrame
        All cadres (column status).
    reported_today : int
        Incidents reported since local midnight.
    now : datetime
        Aware; overdue means past ``due_resolve_at`` at this time.
    """
    due = pd.to_datetime(open_incidents.get("due_resolve_at"), utc=True)
    overdue = int((due < pd.Timestamp(now)).sum()) if due is not None else 0
    near_due = contact_late = 0
    if len(open_incidents) and all(c in open_incidents.columns for c in FRAME_COLUMNS):
        flags = sla_flags(open_incidents, now)
        near_due = int((flags["resolve_state"] == "near").sum())
        contact_late = int((flags["contact_state"] == "breached").sum())
    status = cadres["status"] if len(cadres) else pd.Series(dtype=str)
    return Situation(
        reported_today=int(reported_today),
        open=len(open_incidents),
        urgent=int((open_incidents["priority"] == 1).sum()) if len(open_incidents) else 0,
        overdue=overdue,
        cadres_out=int(status.isin(["en_route", "on_site"]).sum()),
        cadres_available=int((status == "available").sum()),
        near_due=near_due,
        contact_late=contact_late,
    )


def open_and_urgent(incidents: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per value of column ``key``: ``open`` incidents and the ``urgent`` of them
    (priority 1), as integers, indexed by ``key``. Counted in pandas' own loops:
    a Python function per group cost the wall's picture about 60 ms."""
    urgent = incidents["priority"].eq(1).astype(int)
    grouped = urgent.groupby(incidents[key]).agg(["size", "sum"])
    return grouped.rename(columns={"size": "open", "sum": "urgent"}).rename_axis(key)


def town_ranking(open_incidents: pd.DataFrame, towns: pd.DataFrame) -> pd.DataFrame:
    """Towns by open incidents, most first (ties by code).

    Returns columns code, name, name_en, open, urgent, per_10k (open per
    10,000 residents).
    """
    base = pd.DataFrame(towns[["code", "name", "name_en", "population"]])
    if len(open_incidents):
        grouped = open_and_urgent(open_incidents, "town_code")
    else:
        grouped = pd.DataFrame(columns=["open", "urgent"])
    ranking = base.merge(grouped, left_on="code", right_index=True, how="left")
    ranking[["open", "urgent"]] = ranking[["open", "urgent"]].fillna(0).astype(int)
    ranking["per_10k"] = (ranking["open"] / ranking["population"].clip(lower=1) * 10_000).round(2)
    return ranking.sort_values(["open", "code"], ascending=[False, True]).reset_index(drop=True)


SERVICE_WINDOW = dt.timedelta(days=30)


@dataclass(frozen=True)
class ServiceFigures:
    """How well the city served its residents over the last 30 days."""

    closure_rate: float | None  # share of the window's reports closed (办结率)
    satisfaction_rate: float | None  # share of ratings 4 or 5 of 5 (满意率)
    median_contact_h: float | None  # report to first call back, hours
    median_resolve_h: float | None  # report to resolved, hours


def _hours(start: pd.Series, end: pd.Series) -> float | None:
    spans = (pd.to_datetime(end, utc=True) - pd.to_datetime(start, utc=True)).dropna()
    spans = spans[spans >= pd.Timedelta(0)]
    return round(spans.median() / pd.Timedelta(hours=1), 1) if len(spans) else None


def service_figures(recent: pd.DataFrame) -> ServiceFigures:
    """Closure and satisfaction rates and median times of ``recent`` reports.

    ``recent``: incidents reported in the window (as ``Store.incidents``),
    with status, satisfaction, reported_at, first_contact_at, resolved_at.
    Rates are None when there is nothing to count.
    """
    if not len(recent):
        return ServiceFigures(None, None, None, None)
    closed = recent["status"].isin(["closed", "verified"]).sum()
    counted = (~recent["status"].isin(["rejected", "duplicate"])).sum()
    rated = pd.to_numeric(recent["satisfaction"], errors="coerce").dropna()
    return ServiceFigures(
        closure_rate=round(float(closed / counted), 3) if counted else None,
        satisfaction_rate=round(float((rated >= 4).mean()), 3) if len(rated) else None,
        median_contact_h=_hours(recent["reported_at"], recent["first_contact_at"]),
        median_resolve_h=_hours(recent["reported_at"], recent["resolved_at"]),
    )


def trend(reported_at: pd.Series, now: dt.datetime, *, step: str, periods: int) -> pd.DataFrame:
    """Reports per local hour (``step="h"``) or day (``"D"``), the last ``periods`` of them.

    Returns columns start (local, tz-aware) and count, oldest first, with
    empty periods as 0; the last period is the one holding ``now``.
    """
    if step not in ("h", "D"):
        raise ValueError("step is 'h' or 'D'")
    end = pd.Timestamp(now).tz_convert(LOCAL).floor(step)
    starts = pd.date_range(end=end, periods=periods, freq=step)
    local = pd.to_datetime(reported_at, utc=True).dt.tz_convert(LOCAL).dt.floor(step)
    counts = local[local >= starts[0]].value_counts()
    return pd.DataFrame({"start": starts, "count": [int(counts.get(s, 0)) for s in starts]})


def by_category(open_incidents: pd.DataFrame, limit: int = 8) -> pd.DataFrame:
    """Open incidents per category, most first: columns category, open, urgent."""
    if not len(open_incidents):
        return pd.DataFrame({"category": [], "open": [], "urgent": []})
    grouped = open_and_urgent(open_incidents, "category").reset_index()
    grouped = grouped.sort_values(["open", "category"], ascending=[False, True])
    return grouped.head(limit).reset_index(drop=True)
