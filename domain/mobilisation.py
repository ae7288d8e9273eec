"""Mobilisation for a wartime event: who to send, in which order of call, at what cost.

When an event is declared, the departments paired with the affected towns go
down first (对口帮扶); only what they cannot fill goes to the neighbours, and
the rest of the city only when the commander asks. The proposal fills the
event's tasks tier by tier, each tier with the exact optimal plan of
``domain.dispatch_plan`` (most slots, most urgent first, then least weighted
arrival time) over that tier's available cadres; the same tiers filled
nearest-first by hand (``greedy_plan``) are computed beside it, so the desk
sees what the optimal plan gains when several tasks want the same cadres:

1. ``paired``: cadres of departments paired with an affected town, and the
   affected towns' own town cadres and volunteers;
2. ``neighbour``: the same for the towns that border the affected ones;
3. ``rest`` (only with ``include_rest``): every other department and town.

Grid workers are never proposed: a grid keeps its worker, most of all in a
crisis. The proposal also says who would be left thin: a department or town
that would keep less than half of its available cadres for its everyday work.

Pure: frames in, a ``Mobilisation`` out; the store applies it through
``Store.dispatch``, which refuses a cadre who is already on an assignment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from domain.dispatch_plan import ASSIGNMENT_COLUMNS, greedy_plan, optimal_plan
from domain.recommend import available_cadres, pairing_set
from domain.travel import DEFAULT_MODEL, TravelModel

TIERS: dict[str, tuple[str, str]] = {
    "paired": ("对口部门", "Paired departments"),
    "neighbour": ("邻近乡镇", "Neighbouring towns"),
    "rest": ("全市其他", "Rest of the city"),
}
MOBILE_ROLES = ("dept_cadre", "town_cadre", "volunteer")  # never grid workers
THIN_SHARE = 0.5  # a unit keeps at least half of its available cadres
THIN_COLUMNS = ("unit", "code", "before", "sent", "left")


@dataclass(frozen=True)
class Mobilisation:
    """A proposal: assignments with their tier, what is still unmet, who is left thin.

    Attributes
    ----------
    assignments : DataFrame
        As ``Plan.assignments`` plus ``tier``, paired tier first.
    needed, filled : int
        Hands the tasks still need, and hands the proposal sends.
    unmet : dict of int to int
        Task id to hands still missing after every tier asked.
    tiers : dict of str to int
        Cadres sent per tier (every tier named, 0 when it sends nobody).
    thin : DataFrame
        unit ("department" or "town"), code, before (available now), sent, left.
    greedy_filled : int
        Hands the same tiers filled nearest-first by hand would send.
    greedy_weighted_s : float
        Their total priority-weighted arrival time, s (``total_weighted_s``: the proposal's).
    """

    assignments: pd.DataFrame
    needed: int
    filled: int
    unmet: dict[int, int] = field(default_factory=dict)
    tiers: dict[str, int] = field(default_factory=dict)
    thin: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(THIN_COLUMNS)))
    greedy_filled: int = 0
    greedy_weighted_s: float = 0.0

    @property
    def total_weighted_s(self) -> float:
        """The proposal's total priority-weighted arrival time, s."""
        return float(self.assignments["weighted_s"].sum()) if len(self.assignments) else 0.0


def neighbour_towns(towns, affected: Iterable[str]) -> list[str]:
    """Towns sharing a border with an affected town (not the affected ones).

    ``towns``: a GeoDataFrame of code and geometry (WGS84). Borders digitised
    apart by a few metres still count: the shapes are grown by ~50 m first.
    """
    affected = {str(c) for c in affected}
    inside = towns[towns["code"].astype(str).isin(affected)]
    if not len(inside):
        return []
    reach = shapely.union_all(inside.geometry.to_numpy()).buffer(0.0005)
    touching = shapely.intersects(towns.geometry.to_numpy(), reach)
    codes = towns.loc[touching, "code"].astype(str)
    return sorted(set(codes) - affected)


def tier_of_cadres(
    cadres: pd.DataFrame, pairings: pd.DataFrame, affected: Iterable[str], neighbours: Iterable[str]
) -> pd.Series:
    """Each cadre's tier ("paired", "neighbour", "rest"), or None for grid workers.

    A department cadre's tier is that of the nearest call: paired with an
    affected town, else with a neighbour. A town cadre or volunteer belongs to
    the tier of their own town.
    """
    affected, neighbours = {str(c) for c in affected}, {str(c) for c in neighbours}
    pairs = pairing_set(pairings)
    first = {d for d, t in pairs if t in affected}
    second = {d for d, t in pairs if t in neighbours}
    department = pd.to_numeric(cadres.get("department_id"), errors="coerce")
    town = cadres.get("town_code", pd.Series(None, index=cadres.index)).astype(object)
    role = cadres["role"].astype(str)
    tier = pd.Series("rest", index=cadres.index, dtype=object)
    is_dept = role == "dept_cadre"
    tier[is_dept & department.isin(second)] = "neighbour"
    tier[is_dept & department.isin(first)] = "paired"
    local = ~is_dept
    tier[local & town.isin(neighbours)] = "neighbour"
    tier[local & town.isin(affected)] = "paired"
    tier[~role.isin(MOBILE_ROLES)] = None
    return tier


def propose_mobilisation(
    tasks: pd.DataFrame,
    cadres: pd.DataFrame,
    pairings: pd.DataFrame,
    *,
    affected: Iterable[str],
    neighbours: Iterable[str],
    include_rest: bool = False,
    model: TravelModel = DEFAULT_MODEL,
    max_travel_s: float = 2 * 3600,
) -> Mobilisation:
    """Fill the tasks' missing hands tier by tier.

    Parameters
    ----------
    tasks : DataFrame
        The event's tasks still short of hands, as ``remaining_need``: id,
        priority, headcount (hands missing), lon, lat, town_code, reported_at.
    cadres : DataFrame
        As ``Store.cadres()``: id, role, status, lon, lat, department_id, town_code.
    pairings : DataFrame
        As ``Store.pairings()``.
    affected, neighbours : iterables of town codes
        The towns of the event's area, and those bordering them.
    include_rest : bool
        Also call on the rest of the city for what the first two tiers leave unmet.
    max_travel_s : float
        No cadre is sent further than this (default 2 h: a county is crossed).
    """
    tiers = tier_of_cadres(cadres, pairings, affected, neighbours)
    order = ["paired", "neighbour"] + (["rest"] if include_rest else [])
    parts, sent = [], {name: 0 for name in TIERS}
    need, by_hand = tasks.copy(), tasks.copy()  # what the optimal and the greedy tiers leave
    greedy_filled, greedy_weighted = 0, 0.0
    for name in order:
        pool = cadres[(tiers == name).to_numpy()]
        if not len(available_cadres(pool)):
            continue
        if len(by_hand):
            hand = greedy_plan(by_hand, pool, pairings, model=model, max_travel_s=max_travel_s)
            greedy_filled += len(hand.assignments)
            greedy_weighted += hand.total_weighted_s
            by_hand = _less(by_hand, hand.assignments)
        if not len(need):
            continue
        plan = optimal_plan(need, pool, pairings, model=model, max_travel_s=max_travel_s)
        if not len(plan.assignments):
            continue
        parts.append(plan.assignments.assign(tier=name))
        sent[name] = len(plan.assignments)
        need = _less(need, plan.assignments)
    columns = [*ASSIGNMENT_COLUMNS, "tier"]
    assignments = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    needed = int(pd.to_numeric(tasks["headcount"]).sum()) if len(tasks) else 0
    unmet = {int(i): int(n) for i, n in zip(need["id"], need["headcount"], strict=True)}
    return Mobilisation(
        assignments=assignments[columns],
        needed=needed,
        filled=len(assignments),
        unmet=unmet,
        tiers=sent,
        thin=left_thin(cadres, assignments["cadre_id"] if len(assignments) else []),
        greedy_filled=greedy_filled,
        greedy_weighted_s=greedy_weighted,
    )


def _less(need: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """The tasks still short after these assignments, headcount the hands missing."""
    got = assignments.groupby("incident_id").size()
    need = need.assign(headcount=need["headcount"] - need["id"].map(got).fillna(0).astype(int))
    return need[need["headcount"] > 0]


def left_thin(cadres: pd.DataFrame, sent_ids: Iterable[int]) -> pd.DataFrame:
    """Departments and towns that would keep less than half of their available cadres.

    A department counts its own cadres; a town its town cadres and volunteers
    (its grid workers are never sent). Most left-behind first.
    """
    pool = available_cadres(cadres)
    pool = pool[pool["role"].isin(MOBILE_ROLES)]
    gone = pool["id"].isin(set(int(i) for i in sent_ids))
    rows = []
    is_dept = (pool["role"] == "dept_cadre").to_numpy()
    for unit, mask, key in (
        ("department", is_dept, "department_id"),
        ("town", ~is_dept, "town_code"),
    ):
        part = pool[mask]
        if not len(part) or key not in part:
            continue
        keys = (
            pd.to_numeric(part[key], errors="coerce").astype("Int64")
            if unit == "department"
            else part[key].astype("string")
        )
        before = part.groupby(keys, dropna=True).size()
        out = gone[mask].groupby(keys, dropna=True).sum()
        for code, total in before.items():
            n = int(out.get(code, 0))
            left = int(total) - n
            if n and left < math.ceil(THIN_SHARE * int(total)):
                rows.append(
                    (unit, int(code) if unit == "department" else str(code), int(total), n, left)
                )
    frame = pd.DataFrame(rows, columns=list(THIN_COLUMNS))
    if len(frame):
        share = frame["left"] / frame["before"]
        frame = frame.iloc[np.lexsort((frame["code"].astype(str), share))].reset_index(drop=True)
    return frame
