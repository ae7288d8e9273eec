"""A plan for all open work at once: who goes where, optimal and by hand.

Each incident needs ``headcount`` cadres; it is expanded into that many slots.
Every available cadre takes at most one slot and only within ``max_travel_s``.
The optimal plan solves, exactly and in this order of importance:

1. fill as many slots as possible, the most urgent first: among all plans
   filling the most slots, it fills the most urgent ones, then the most high
   ones, and so on;
2. then minimise the total priority-weighted arrival time, the sum over filled
   slots of ``PRIORITY_WEIGHTS[priority] × eta_s``.

Weights: urgent 8, high 4, normal 2, low 1, so a minute saved on an urgent
incident is worth four on a normal one.

How it is solved (``domain.dispatch_solver``): the plan's cost is
``W + M·(R_all − R)``, where ``W`` is the weighted arrival time, ``R`` the sum
of the weights of the filled slots and ``R_all`` that of all slots. ``M`` is
larger than any possible ``W`` (the most slots that can be filled at once times
the largest weighted arrival), and weights are integers, so a plan with a
larger ``R`` always costs less: the reward term is lexicographically first. The
slots that can be filled together form a transversal matroid, so the largest
``R`` with positive weights is a basis found by taking slots greedily by weight:
the most slots, the most urgent first. Small problems go to
``scipy.optimize.linear_sum_assignment`` on the dense slots × cadres matrix,
large ones to ``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` on
the graph of the pairs in reach only, with one private "left empty" node per
slot; both reach the same optimum (see that module).

Only pairs within ``max_travel_s`` are ever built: ``domain.travel.reachable``
finds them with k-d trees (no cadres × incidents matrix), grouped by incident,
and an incident's slots share its pairs (never copied per slot in the sparse
solver). Pruning keeps the optimum: cadres who can reach no incident and
incidents no cadre can reach drop out, and an incident gets no more slots than
cadres who can reach it (the others could never be filled).

The greedy plan is what an operator does by hand: incidents from the most
urgent (then the earliest reported, then the smallest id), each slot taking the
nearest free cadre within ``max_travel_s``. It is there to compare with.

Measured on a 2-core machine with ``bench/dispatch_plan.py`` (the demo cities,
a 60-minute limit, median of 3 runs in one process; the first run of a process
is up to twice as slow on large arrays): county, 1,000 slots (a flood of 10
fields needing 10–20 each, routine work for the rest) for 1,370 available of
1,997 cadres, 0.72 M pairs in reach: optimal 0.19 s (dense), greedy 0.08 s.
Region, 5,000 slots for 13,723 available of 19,767 cadres, 11.2 M pairs in
reach: optimal 1.5–2.0 s (sparse; about 1.1 s finding the pairs, 0.4 s the
matching, 0.2 s building its graph), greedy 1.2 s, about 1.2 GB peak for the
whole benchmark. On the county cadres, a flood of 50 fields (775 of the
1,000 slots) takes 0.45 s; 3,000 slots for the 1,370 cadres (over half of the
slots left empty, every cadre contested) 2.4–2.7 s. Pairs grow with the square
of the travel limit: a region plan with a 4-hour limit (54 M pairs in reach)
takes 13 s and 2.9 GB.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from domain.dispatch_solver import assign
from domain.errors import InvalidInput
from domain.recommend import available_cadres, pairing_set, require_columns
from domain.travel import DEFAULT_MODEL, TravelModel, modes_for_roles, reachable

PRIORITY_WEIGHTS: dict[int, int] = {1: 8, 2: 4, 3: 2, 4: 1}
INCIDENT_COLUMNS = ("id", "priority", "headcount", "lon", "lat")
PLAN_CADRE_COLUMNS = ("id", "role", "status", "lon", "lat")
ASSIGNMENT_COLUMNS = ("incident_id", "cadre_id", "eta_s", "distance_m", "weighted_s", "paired")


@dataclass(frozen=True)
class Plan:
    """Assignments of cadres to incidents.

    Attributes
    ----------
    method : str
        "optimal" or "greedy".
    assignments : DataFrame
        One row per cadre sent: incident_id, cadre_id, eta_s (s), distance_m
        (ground, m), weighted_s (priority weight × eta_s), paired (the cadre's
        department is paired with the incident's town; shown, not optimised).
    total_weighted_s, total_eta_s : float
        Sums of weighted_s and eta_s.
    filled, needed : int
        Slots filled and headcount asked for in all.
    unmet : dict of int to int
        Incident id to cadres still missing, only for incidents short of people.
    """

    method: str
    assignments: pd.DataFrame
    total_weighted_s: float
    total_eta_s: float
    filled: int
    needed: int
    unmet: dict[int, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-ready values (unmet keyed by incident id as a string)."""
        return {
            "method": self.method,
            "assignments": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                for row in self.assignments.to_dict("records")
            ],
            "total_weighted_s": self.total_weighted_s,
            "total_eta_s": self.total_eta_s,
            "filled": self.filled,
            "needed": self.needed,
            "unmet": {str(k): v for k, v in self.unmet.items()},
        }


@dataclass(frozen=True)
class _Problem:
    incident_ids: np.ndarray  # (n_incidents,)
    weights: np.ndarray  # (n_incidents,) integer priority weights
    headcounts: np.ndarray  # (n_incidents,)
    order: np.ndarray  # incident indices, most urgent and oldest first
    cadre_ids: np.ndarray  # (n_cadres,) the available cadres
    ptr: np.ndarray  # (n_incidents + 1,) the pairs in reach of incident i: ptr[i]:ptr[i + 1]
    cadre: np.ndarray  # (n_pairs,) cadre index of each pair
    eta: np.ndarray  # (n_pairs,) seconds, at most the maximum
    metres: np.ndarray  # (n_pairs,) ground metres
    departments: np.ndarray  # (n_cadres,) department ids, for marking pairings
    towns: np.ndarray | None  # (n_incidents,) town codes, or None without pairings
    pairs: frozenset[tuple[int, str]]  # paired (department id, town code)


def _int_column(frame: pd.DataFrame, name: str, low: int, high: int | None) -> np.ndarray:
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(values) | (values != np.round(values)) | (values < low)
    if high is not None:
        bad |= values > high
    if bad.any():
        first = frame[name].to_numpy()[bad][0]
        limit = f"from {low} to {high}" if high is not None else f">= {low}"
        raise InvalidInput(f"incident {name} must be an integer {limit}, not {first!r}")
    return values.astype(int)


def _problem(incidents, cadres, pairings, model, max_travel_s) -> _Problem:
    require_columns(incidents, INCIDENT_COLUMNS, "incidents")
    require_columns(cadres, PLAN_CADRE_COLUMNS, "cadres")
    if pairings is not None:
        require_columns(cadres, ("department_id",), "cadres")
        require_columns(incidents, ("town_code",), "incidents")
    if not (isinstance(max_travel_s, int | float) and max_travel_s > 0):
        raise InvalidInput(f"max_travel_s must be a positive number, not {max_travel_s!r}")
    if incidents["id"].duplicated().any():
        raise InvalidInput("incident ids must be unique")
    priority = _int_column(incidents, "priority", 1, 4)
    headcount = _int_column(incidents, "headcount", 1, None)
    points = incidents[["lon", "lat"]].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    if not np.isfinite(points).all():
        raise InvalidInput("every incident needs a finite lon and lat (WGS84 degrees)")
    pool = available_cadres(cadres)
    ptr, cadre, eta, metres = reachable(
        model,
        pool[["lon", "lat"]].to_numpy(float),
        points,
        modes_for_roles(pool["role"]),
        max_travel_s,
    )
    keys = [incidents["id"].to_numpy()]
    if "reported_at" in incidents.columns:
        reported = pd.to_datetime(incidents["reported_at"], utc=True)
        stamps = reported.to_numpy(dtype="datetime64[ns]").astype("int64")
        stamps[reported.isna().to_numpy()] = np.iinfo(np.int64).max  # unknown time last
        keys.append(stamps)
    order = np.lexsort((*keys, priority))  # priority first, then reported, then id
    return _Problem(
        incident_ids=incidents["id"].to_numpy(),
        weights=np.array([PRIORITY_WEIGHTS[p] for p in priority], dtype=int),
        headcounts=headcount,
        order=order,
        cadre_ids=pool["id"].to_numpy(),
        ptr=ptr,
        cadre=cadre,
        eta=eta,
        metres=metres,
        departments=(
            pool["department_id"].to_numpy(dtype=object)
            if pairings is not None
            else np.full(len(pool), None, dtype=object)
        ),
        towns=incidents["town_code"].to_numpy(dtype=object) if pairings is not None else None,
        pairs=frozenset(pairing_set(pairings)),
    )


def _paired(problem: _Problem, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    if problem.towns is None or not problem.pairs:
        return np.zeros(len(rows), dtype=bool)
    return np.array(
        [
            pd.notna(d) and pd.notna(t) and (int(d), str(t)) in problem.pairs
            for d, t in zip(problem.departments[cols], problem.towns[rows], strict=True)
        ],
        dtype=bool,
    )


def _plan(method: str, problem: _Problem, chosen: np.ndarray) -> Plan:
    """The plan of the chosen pairs (indices into the problem's pairs)."""
    chosen = np.asarray(chosen, dtype=np.intp)
    rows = np.searchsorted(problem.ptr, chosen, side="right") - 1
    cols = problem.cadre[chosen]
    eta = problem.eta[chosen]
    frame = pd.DataFrame(
        {
            "incident_id": problem.incident_ids[rows],
            "cadre_id": problem.cadre_ids[cols],
            "eta_s": eta,
            "distance_m": problem.metres[chosen],
            "weighted_s": problem.weights[rows] * eta,
            "paired": _paired(problem, rows, cols),
        },
        columns=list(ASSIGNMENT_COLUMNS),
    )
    rank = np.empty(len(problem.order), dtype=int)
    rank[problem.order] = np.arange(len(problem.order))
    frame = frame.iloc[np.lexsort((eta, rank[rows]))].reset_index(drop=True)
    got = np.bincount(rows, minlength=len(problem.incident_ids))
    short = problem.headcounts - got
    return Plan(
        method=method,
        assignments=frame,
        total_weighted_s=float(frame["weighted_s"].sum()),
        total_eta_s=float(frame["eta_s"].sum()),
        filled=len(frame),
        needed=int(problem.headcounts.sum()),
        unmet={int(i): int(n) for i, n in zip(problem.incident_ids, short, strict=True) if n > 0},
    )


def optimal_plan(
    incidents: pd.DataFrame,
    cadres: pd.DataFrame,
    pairings: pd.DataFrame | None = None,
    *,
    model: TravelModel = DEFAULT_MODEL,
    max_travel_s: float = 3600,
) -> Plan:
    """The exact optimum: most slots (most urgent first), then least weighted arrival.

    Parameters
    ----------
    incidents : DataFrame
        Open incidents as ``Store.incidents()``: id, priority (1 urgent … 4 low),
        headcount (>= 1), lon, lat (WGS84); town_code when ``pairings`` is given;
        reported_at, if present, orders the greedy plan.
    cadres : DataFrame
        As ``Store.cadres()``: id, role, status, lon, lat; department_id when
        ``pairings`` is given. Only available cadres with a position are used.
    pairings : DataFrame, optional
        As ``Store.pairings()``; marks paired assignments (does not change the plan).
    model : TravelModel
        The travel model.
    max_travel_s : float
        No cadre is sent further than this many seconds away.

    Returns
    -------
    Plan

    Raises
    ------
    InvalidInput
        Missing columns, a bad priority or headcount, duplicate ids, no position.
    """
    problem = _problem(incidents, cadres, pairings, model, max_travel_s)
    slots = np.minimum(problem.headcounts, np.diff(problem.ptr))  # more could never be filled
    chosen = assign(problem.ptr, problem.cadre, problem.eta, problem.weights, slots)
    return _plan("optimal", problem, chosen)


def greedy_plan(
    incidents: pd.DataFrame,
    cadres: pd.DataFrame,
    pairings: pd.DataFrame | None = None,
    *,
    model: TravelModel = DEFAULT_MODEL,
    max_travel_s: float = 3600,
) -> Plan:
    """Nearest-first by hand: urgent and older incidents first, each the nearest free cadres.

    Same parameters, returns and errors as ``optimal_plan``.
    """
    problem = _problem(incidents, cadres, pairings, model, max_travel_s)
    free = np.ones(len(problem.cadre_ids), dtype=bool)
    chosen: list[np.ndarray] = [np.empty(0, dtype=np.intp)]
    for i in problem.order:
        lo, hi = problem.ptr[i], problem.ptr[i + 1]
        candidates = problem.cadre[lo:hi]
        open_ = np.flatnonzero(free[candidates])
        need = problem.headcounts[i]
        if not len(open_):
            continue
        eta = problem.eta[lo:hi][open_]
        if len(open_) > need:  # only the nearest ``need`` (and any tied with the last) matter
            near = np.flatnonzero(eta <= np.partition(eta, need - 1)[need - 1])
            open_, eta = open_[near], eta[near]
        # The nearest free cadres; equal times go to the cadre listed first in ``cadres``.
        picked = open_[np.lexsort((candidates[open_], eta))[:need]]
        free[candidates[picked]] = False
        chosen.append(lo + picked)
    return _plan("greedy", problem, np.concatenate(chosen))
