"""Dispatch use cases shared by the JSON API and the console: read, decide, shape.

Each function reads what it needs from the store, calls the pure functions of
``domain`` and returns plain values; writes go through ``Store.dispatch``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from data.store_dispatch import Assignment
from domain.bounds import checked_id, checked_time, is_id
from domain.dispatch_plan import Plan, greedy_plan, optimal_plan
from domain.dispatch_work import remaining_need
from domain.errors import InvalidInput, NotFound
from domain.event_frames import text_or_none
from domain.kpis import start_of_local_day
from domain.lifecycle import OPEN_STATUSES
from domain.recommend import recommend

MAX_TRAVEL_MIN = 60  # default furthest a plan sends anyone, in minutes
MAX_TRAVEL_LIMIT_MIN = 240  # a county is crossed in 2 h; more only costs memory


@dataclass(frozen=True)
class Proposal:
    """The optimal and greedy plans for the same open work and the same cadres."""

    optimal: Plan
    greedy: Plan
    work: pd.DataFrame  # incidents still short of hands (headcount = missing)
    cadres: pd.DataFrame  # all cadres, as read for the plan


def max_travel_seconds(minutes: object) -> float:
    """The plan's travel limit from minutes given by a person or a client."""
    if minutes is None or minutes == "":
        return MAX_TRAVEL_MIN * 60.0
    try:
        value = float(minutes)
    except (TypeError, ValueError):
        raise InvalidInput(f"max_travel_min must be a number, not {minutes!r}") from None
    if not math.isfinite(value) or not 0 < value <= MAX_TRAVEL_LIMIT_MIN:
        raise InvalidInput(f"max_travel_min must be between 0 and {MAX_TRAVEL_LIMIT_MIN}")
    return value * 60.0


def propose(
    store,
    *,
    town: str | None = None,
    public_ids: Iterable[str] | None = None,
    max_travel_s: float = MAX_TRAVEL_MIN * 60.0,
) -> Proposal:
    """Both plans for the open work (of one town, or of the incidents named)."""
    ids = list(public_ids) if public_ids is not None else None
    incidents = store.incidents(sorted(OPEN_STATUSES), town=town or None, public_ids=ids)
    if ids is not None:
        missing = sorted(set(ids) - set(incidents["public_id"]))
        if missing:
            raise NotFound(f"no open incident {missing[0]!r}")
    work = remaining_need(incidents, store.active_dispatches(incidents["id"].tolist()))
    cadres = store.cadres()
    pairings = store.pairings()
    optimal = optimal_plan(work, cadres, pairings, max_travel_s=max_travel_s)
    greedy = greedy_plan(work, cadres, pairings, max_travel_s=max_travel_s)
    return Proposal(optimal, greedy, work, cadres)


def iso_time(value) -> str | None:
    """A stored time as ISO 8601 in UTC, None when missing."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert("UTC").isoformat()


def plan_rows(
    plan: Plan, work: pd.DataFrame, cadres: pd.DataFrame, *, phones: bool = False
) -> list[dict]:
    """The plan's assignments with what a person and a map need to see them;
    with ``phones`` (a caller who may see contacts) each cadre's mobile number,
    which the desk or an integration gives to ``POST /api/v1/field/invites``."""
    if not len(plan.assignments):
        return []
    incidents = work.set_index("id")
    people = cadres.set_index("id")
    rows = []
    for a in plan.assignments.itertuples(index=False):
        incident, cadre = incidents.loc[a.incident_id], people.loc[a.cadre_id]
        rows.append(
            {
                "incident": incident["public_id"],
                "incident_id": int(a.incident_id),
                "category": incident["category"],
                "priority": int(incident["priority"]),
                "cadre_id": int(a.cadre_id),
                "cadre_name": cadre["name"],
                "department": text_or_none(cadre.get("department")),
                "eta_s": round(float(a.eta_s), 1),
                "distance_m": round(float(a.distance_m)),
                "paired": bool(a.paired),
                "position_at": iso_time(cadre["position_at"]),
                "from": [float(cadre["lon"]), float(cadre["lat"])],
                "to": [float(incident["lon"]), float(incident["lat"])],
            }
        )
        if phones:
            rows[-1]["cadre_phone"] = text_or_none(cadre.get("phone"))
    return rows


def totals(plan: Plan) -> dict:
    """A plan's headline figures."""
    eta = plan.assignments["eta_s"] if len(plan.assignments) else pd.Series(dtype=float)
    return {
        "filled": plan.filled,
        "needed": plan.needed,
        "unmet": sum(plan.unmet.values()),
        "total_weighted_s": round(plan.total_weighted_s, 1),
        "total_eta_s": round(plan.total_eta_s, 1),
        "max_eta_s": round(float(eta.max()), 1) if len(eta) else 0.0,
    }


def proposal_payload(proposal: Proposal, *, phones: bool = False) -> dict:
    """The JSON answer of a plan request: optimal assignments, both plans'
    totals (``phones``: see ``plan_rows``)."""
    work = proposal.work.set_index("id")
    unmet = [
        {"incident": work.loc[k, "public_id"], "missing": v}
        for k, v in sorted(proposal.optimal.unmet.items())
    ]
    optimal, greedy = totals(proposal.optimal), totals(proposal.greedy)
    base = greedy["total_weighted_s"]
    gain = (base - optimal["total_weighted_s"]) / base * 100 if base else 0.0
    return {
        "assignments": plan_rows(proposal.optimal, proposal.work, proposal.cadres, phones=phones),
        "unmet": unmet,
        "optimal": optimal,
        "greedy": greedy,
        "gain_vs_greedy_pct": round(gain, 1),
        "extra_filled_vs_greedy": optimal["filled"] - greedy["filled"],
    }


def recommendations(store, incident_id: int, *, lang: str = "zh", limit: int = 5) -> list[dict]:
    """The best cadres for one incident, each with its reason and the line to draw."""
    frame = store.incidents(ids=[incident_id])
    if not len(frame):
        raise NotFound(f"no incident with id {incident_id}", zh=f"没有编号为 {incident_id} 的事件")
    incident = frame.iloc[0].to_dict()
    cadres = store.cadres()
    now = dt.datetime.now(dt.UTC)
    found = recommend(
        incident,
        cadres,
        store.pairings(),
        store.workload(start_of_local_day(now)),
        limit=limit,
        lang=lang,
    )
    people = cadres.set_index("id")
    return [
        {
            **r.to_dict(),
            "department": text_or_none(people.loc[r.cadre_id, "department"]),
            "position_at": iso_time(people.loc[r.cadre_id, "position_at"]),
            "from": [float(people.loc[r.cadre_id, "lon"]), float(people.loc[r.cadre_id, "lat"])],
            "to": [float(incident["lon"]), float(incident["lat"])],
        }
        for r in found
    ]


def assignments_from(items: object, store) -> list[Assignment]:
    """Assignments from a JSON list of {incident, cadre_id, eta_s?, position_at?}.

    ``incident`` is a public id (JZ…) or a row id. Raises ``InvalidInput``
    naming the bad item, or ``NotFound`` for an unknown incident.
    """
    if not isinstance(items, list) or not items:
        raise InvalidInput("assignments must be a non-empty list")
    if len(items) > 5000:
        raise InvalidInput("at most 5000 assignments at once")
    public = {str(x.get("incident")) for x in items if isinstance(x, Mapping)}
    found = store.incidents(public_ids=sorted(public)) if public else pd.DataFrame()
    by_public = dict(zip(found.get("public_id", []), found.get("id", []), strict=True))
    out = []
    for n, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidInput(f"assignments[{n}] must be an object")
        incident = item.get("incident", item.get("incident_id"))
        if isinstance(incident, str) and incident in by_public:
            incident_id = int(by_public[incident])
        elif is_id(incident):
            incident_id = incident
        else:
            raise NotFound(f"assignments[{n}]: no incident {incident!r}")
        cadre = item.get("cadre_id")
        cadre = checked_id(cadre, f"assignments[{n}].cadre_id")
        eta = item.get("eta_s")
        if eta is not None and (not isinstance(eta, int | float) or not math.isfinite(eta)):
            raise InvalidInput(f"assignments[{n}].eta_s must be a number of seconds")
        out.append(Assignment(incident_id, cadre, eta, _parse_time(item.get("position_at"), n)))
    return out


def _parse_time(value, n: int) -> dt.datetime | None:
    if value is None:
        return None
    try:
        stamp = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"assignments[{n}].position_at must be an ISO 8601 time") from None
    if stamp.tzinfo is None:
        raise InvalidInput(f"assignments[{n}].position_at needs a time zone")
    return checked_time(stamp, f"assignments[{n}].position_at")
