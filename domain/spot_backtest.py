"""How well the recurring-spot finder did against known (planted) episodes.

The desk is replayed: at every origin (each ``step_days`` from ``start`` to
``end``) the finder looks at the reports up to that moment, and the spots the
desk has not yet acted on are proposed; the desk then acts on each (opens or
dismisses it), so a spot comes back only with a newer report, as on the
console. A proposal is right when it has the category of a planted episode,
lies within ``MATCH_M`` of its spot and its reports overlap the episode's
days; every other proposal is a false spot.

- recall: the episodes ending in the period that some proposal found;
- precision: the proposals that found an episode;
- false spots per week; days from an episode's ``min_reports``-th report to
  its first proposal.

The finder has no parameters fitted on data; ``radius_m`` and
``min_reports`` are fixed by hand, so any period of the history may test it.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from domain.recurring_spots import evidence, find_spots, local_metres, not_yet_handled

MATCH_M = 100.0  # a proposal this close to a planted spot may be it


def replay(
    incidents: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    step_days: float = 1.0,
    **find: object,
) -> tuple[pd.DataFrame, float]:
    """Every proposal the desk would have seen between ``start`` and ``end``.

    Returns
    -------
    (proposals, seconds): the spots as ``find_spots`` gives them, with
    ``proposed_at`` (the origin), in order; and the mean time of one
    ``find_spots`` call.
    """
    decided = pd.DataFrame(columns=["category", "lon", "lat", "last_reported_at"])
    found, seconds = [], []
    at = pd.Timestamp(start)
    window = find.get("window_days", 30)
    incidents = incidents.sort_values("reported_at", kind="stable")
    times = incidents["reported_at"]
    while at <= pd.Timestamp(end):
        # Only the window's reports: the same answer, less to filter.
        lo, hi = times.searchsorted([at - pd.Timedelta(days=window), at], side="right")
        recent = incidents.iloc[lo:hi]
        began = time.perf_counter()
        spots = find_spots(recent, at.to_pydatetime(), **find)
        seconds.append(time.perf_counter() - began)
        new = not_yet_handled(spots, decided)
        if len(new):
            found.append(new.assign(proposed_at=at))
            decided = pd.concat([decided, new[decided.columns]], ignore_index=True)
        at += pd.Timedelta(days=step_days)
    proposals = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    return proposals, float(np.mean(seconds)) if seconds else 0.0


def matches(proposals: pd.DataFrame, planted: pd.DataFrame) -> np.ndarray:
    """(proposals, episodes) bool: same category, within ``MATCH_M``, and the
    proposal's reports overlap the episode's days."""
    if proposals.empty or planted.empty:
        return np.zeros((len(proposals), len(planted)), dtype=bool)
    lon0, lat0 = float(planted["lon"].mean()), float(planted["lat"].mean())
    a = local_metres(proposals["lon"], proposals["lat"], lon0, lat0)
    b = local_metres(planted["lon"], planted["lat"], lon0, lat0)
    near = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)) <= MATCH_M
    same = proposals["category"].to_numpy()[:, None] == planted["category"].to_numpy()[None, :]
    first = proposals["first_reported_at"].to_numpy()[:, None]
    last = proposals["last_reported_at"].to_numpy()[:, None]
    overlap = (first <= planted["end"].to_numpy()[None, :]) & (
        last >= planted["start"].to_numpy()[None, :]
    )
    return near & same & overlap


def evaluate(
    incidents: pd.DataFrame,
    planted: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    step_days: float = 1.0,
    **find: object,
) -> dict:
    """Recall, precision and false spots per week of the finder over a period.

    Parameters
    ----------
    incidents : DataFrame
        The whole history (columns of ``find_spots``).
    planted : DataFrame
        The known episodes: spot, category, lon, lat (WGS84), start, end
        (UTC), reports (``CityFrames.planted_spots``).
    start, end : Timestamp
        The period (UTC); episodes ending in it are the ones to find.
    step_days : float
        How often the desk looks (1: daily).
    **find
        Passed to ``find_spots`` (window_days, radius_m, min_reports).

    Returns
    -------
    dict of figures: weeks, episodes, found, recall, proposals, right,
    precision, false_per_week, proposals_per_episode (of those found),
    median_delay_days (from the ``min_reports``-th report), find_seconds
    (mean per call); and ``proposals`` (a DataFrame, not JSON-able).
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    proposals, seconds = replay(incidents, start, end, step_days, **find)
    due = planted.loc[(planted["end"] > start) & (planted["end"] <= end)].reset_index(drop=True)
    hit = matches(proposals, due)
    right = matches(proposals, planted).any(axis=1) if len(proposals) else np.zeros(0, bool)
    found = hit.any(axis=0)
    weeks = (end - start) / pd.Timedelta(days=7)
    delays = _delays(incidents, proposals, due, hit, int(find.get("min_reports", 5)))
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "weeks": round(weeks, 1),
        "episodes": len(due),
        "found": int(found.sum()),
        "recall": _share(found.sum(), len(due)),
        "proposals": len(proposals),
        "right": int(right.sum()),
        "precision": _share(right.sum(), len(proposals)),
        "false_per_week": round(float((~right).sum() / weeks), 3) if weeks > 0 else None,
        "proposals_per_episode": _share(hit[:, found].sum(), found.sum()),
        "median_delay_days": round(float(np.median(delays)), 2) if len(delays) else None,
        "find_seconds": round(seconds, 4),
        "proposals_frame": proposals.assign(right=right) if len(proposals) else proposals,
    }


def _delays(incidents, proposals, due, hit, min_reports: int) -> list[float]:
    """Days from each found episode's ``min_reports``-th counted report near
    its spot to its first proposal."""
    out = []
    reports = evidence(incidents, due["end"].max() if len(due) else pd.Timestamp.now(), 1e5)
    for e in np.flatnonzero(hit.any(axis=0)):
        ep = due.iloc[e]
        mine = reports.loc[
            (reports["category"] == ep["category"])
            & reports["reported_at"].between(ep["start"], ep["end"])
        ]
        xy = local_metres(mine["lon"], mine["lat"], ep["lon"], ep["lat"])
        times = mine.loc[np.hypot(xy[:, 0], xy[:, 1]) <= MATCH_M, "reported_at"].sort_values()
        if len(times) >= min_reports:
            first = proposals.loc[hit[:, e], "proposed_at"].min()
            out.append((first - times.iloc[min_reports - 1]) / pd.Timedelta(days=1))
    return out


def _share(part, whole) -> float | None:
    return round(float(part) / float(whole), 3) if whole else None
