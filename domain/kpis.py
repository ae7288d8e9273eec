"""Headline figures of the command map, computed from plain frames."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from domain.sla import FRAME_COLUMNS, sla_flags

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
        ``domain.sla.FRAME_COLUMNS`` also near-breaches and late call-backs).
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


def town_ranking(open_incidents: pd.DataFrame, towns: pd.DataFrame) -> pd.DataFrame:
    """Towns by open incidents, most first (ties by code).

    Returns columns code, name, name_en, open, urgent, per_10k (open per
    10,000 residents).
    """
    base = pd.DataFrame(towns[["code", "name", "name_en", "population"]])
    if len(open_incidents):
        grouped = open_incidents.groupby("town_code").agg(
            open=("priority", "size"), urgent=("priority", lambda p: int((p == 1).sum()))
        )
    else:
        grouped = pd.DataFrame(columns=["open", "urgent"])
    ranking = base.merge(grouped, left_on="code", right_index=True, how="left")
    ranking[["open", "urgent"]] = ranking[["open", "urgent"]].fillna(0).astype(int)
    ranking["per_10k"] = (ranking["open"] / ranking["population"].clip(lower=1) * 10_000).round(2)
    return ranking.sort_values(["open", "code"], ascending=[False, True]).reset_index(drop=True)
