"""Recurring trouble spots: the same kind of problem coming back to one place.

Fire lanes blocked in one compound five times in a month, a drain that
overflows after every rain: each report is handled alone, the place never is.
``find_spots`` looks for such places among the reports of the last
``window_days``, one category at a time, with DBSCAN (scikit-learn) on
space and time:

- coordinates are projected to local metres around the reports' centre (an
  equirectangular projection; over a county of 40 km the error is well below
  a metre per 60 m);
- two reports are neighbours when they lie within ``radius_m`` of each other
  and within ``SPAN_DAYS`` in time, so a place reported twice a year is not
  a spot however long the window;
- a cluster is a spot when it holds at least ``min_reports`` reports within
  some ``SPAN_DAYS`` days.

The evidence is the citizens' word only: proactive cases (opened by the desk
from an earlier spot) and reports rejected or merged as duplicates do not
count. ``not_yet_handled`` drops spots that the desk has opened or dismissed
and that have had no newer report since.

``evaluate`` scores proposals against known (planted) episodes, week by week
as the desk would see them; the benchmark calls it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.cluster import DBSCAN
from sklearn.neighbors import radius_neighbors_graph

from domain.distance import EARTH_RADIUS_M

SPAN_DAYS = 30  # the reports of a spot come within this many days
HANDLED_RADIUS_M = 100.0  # a decision covers spots of its category this close
EXCLUDED_CHANNELS = frozenset({"proactive"})
EXCLUDED_STATUSES = frozenset({"rejected", "duplicate"})
_DAY_S = 86_400.0
_EPOCH = pd.Timestamp(0, tz="UTC")

COLUMNS = (
    "key",
    "category",
    "lon",
    "lat",
    "radius_m",
    "reports",
    "report_ids",
    "first_reported_at",
    "last_reported_at",
    "town_code",
    "grid_code",
)


def local_metres(lon, lat, lon0: float, lat0: float) -> np.ndarray:
    """WGS84 degrees to (east, north) metres around (``lon0``, ``lat0``).

    Equirectangular: exact enough within a few tens of kilometres of the
    centre, which is all a county or a town spans.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    x = np.radians(lon - lon0) * EARTH_RADIUS_M * np.cos(np.radians(lat0))
    y = np.radians(lat - lat0) * EARTH_RADIUS_M
    return np.column_stack([x, y])


def epoch_seconds(times: pd.Series) -> np.ndarray:
    """UTC times as float seconds since 1970 (whatever the column's unit)."""
    return (pd.to_datetime(times, utc=True) - _EPOCH).dt.total_seconds().to_numpy()


def spot_key(category: str, lon: float, lat: float, last_report_id: int) -> str:
    """The stable name of a spot: ``category:lon5:lat5:last_report_id``.

    The last report's id makes a spot that has had a new report a new key,
    so a desk acting on an old view of the list acts on what it saw.
    """
    return f"{category}:{lon:.5f}:{lat:.5f}:{int(last_report_id)}"


def key_parts(key: str) -> tuple[str, int] | None:
    """(category, last report id) of a spot key; None if it is not one.

    A report belongs to at most one spot of its category, so these two name
    a spot even when its centre has moved a little since the key was made
    (its oldest report left the window).
    """
    parts = key.split(":") if isinstance(key, str) else []
    if len(parts) != 4 or not parts[3].isdigit():
        return None
    return parts[0], int(parts[3])


def evidence(incidents: pd.DataFrame, now: dt.datetime, window_days: float) -> pd.DataFrame:
    """The reports that count: in the window ending at ``now``, from citizens,
    neither rejected nor a duplicate, with a location."""
    now_ts = pd.Timestamp(now)
    start = now_ts - pd.Timedelta(days=window_days)
    at = incidents["reported_at"]
    keep = (at > start) & (at <= now_ts)
    keep &= ~incidents["channel"].isin(EXCLUDED_CHANNELS)
    keep &= ~incidents["status"].isin(EXCLUDED_STATUSES)
    keep &= incidents["lon"].notna() & incidents["lat"].notna()
    return incidents.loc[keep]


def find_spots(
    incidents: pd.DataFrame,
    now: dt.datetime,
    window_days: float = 30,
    radius_m: float = 60,
    min_reports: int = 5,
) -> pd.DataFrame:
    """Recurring spots among the reports of the last ``window_days``.

    Parameters
    ----------
    incidents : DataFrame
        Columns id, category, channel, status, lon, lat (WGS84 degrees),
        reported_at (datetime64, UTC), town_code, grid_code; other columns
        are ignored.
    now : datetime
        The end of the window (timezone-aware).
    window_days : float
        How far back to look, in days.
    radius_m : float
        Reports within this distance of each other (metres) are neighbours.
    min_reports : int
        The fewest reports of one category within ``SPAN_DAYS`` days that
        make a spot.

    Returns
    -------
    DataFrame with ``COLUMNS``, one row per spot, most reports first (then the
    latest report first): ``lon``/``lat`` the members' mean (WGS84),
    ``radius_m`` the furthest member from it (metres, whole, at least 1),
    ``report_ids`` the members' ids in time order, ``town_code`` and
    ``grid_code`` those most members lie in.
    """
    if min_reports < 2 or radius_m <= 0 or window_days <= 0:
        raise ValueError("min_reports must be at least 2, radius_m and window_days positive")
    reports = evidence(incidents, now, window_days)
    found = []
    if len(reports) >= min_reports:
        lon0, lat0 = float(reports["lon"].mean()), float(reports["lat"].mean())
        for category, group in reports.groupby("category", sort=True):
            if len(group) >= min_reports:
                found += _spots_of(group, str(category), lon0, lat0, radius_m, min_reports)
    spots = pd.DataFrame(found, columns=list(COLUMNS))
    if spots.empty:
        return _typed(spots)
    spots = spots.sort_values(
        ["reports", "last_reported_at", "category", "lon", "lat"],
        ascending=[False, False, True, True, True],
        kind="stable",
    )
    return _typed(spots.reset_index(drop=True))


def _spots_of(group, category, lon0, lat0, radius_m, min_reports) -> list[dict]:
    """The spots of one category's reports (a list of row dicts)."""
    group = group.sort_values(["reported_at", "id"], kind="stable")
    xy = local_metres(group["lon"], group["lat"], lon0, lat0)
    seconds = epoch_seconds(group["reported_at"])
    near = radius_neighbors_graph(xy, radius_m, mode="distance").tocoo()
    close = np.abs(seconds[near.row] - seconds[near.col]) <= SPAN_DAYS * _DAY_S
    # Stored entries are the neighbours; a distance of 0 (the same point) must
    # stay stored, hence the floor.
    graph = sparse.csr_matrix(
        (np.maximum(near.data[close], 1e-6), (near.row[close], near.col[close])),
        shape=near.shape,
    )
    # min_samples below min_reports: a tight cluster's edge members reach
    # fewer than min_reports neighbours, yet belong to it.
    core = max(2, min_reports - 2)
    labels = DBSCAN(eps=radius_m, min_samples=core, metric="precomputed").fit_predict(graph)
    rows = []
    for label in np.unique(labels[labels >= 0]):
        member = labels == label
        if _most_within_span(seconds[member]) >= min_reports:
            rows.append(_row(category, group.loc[member], xy[member]))
    return rows


def _most_within_span(seconds: np.ndarray) -> int:
    """The largest number of these times (sorted, in seconds) within any
    ``SPAN_DAYS`` days."""
    ends = np.searchsorted(seconds, seconds + SPAN_DAYS * _DAY_S, side="right")
    return int((ends - np.arange(len(seconds))).max())


def _row(category, members: pd.DataFrame, xy: np.ndarray) -> dict:
    centre = xy.mean(axis=0)
    radius = float(np.sqrt(((xy - centre) ** 2).sum(axis=1)).max())
    # The mean of the degrees (the projection is linear): the same figures
    # whatever else the window holds, so the key does not move with lon0/lat0.
    lon, lat = float(members["lon"].mean()), float(members["lat"].mean())
    ids = [int(i) for i in members["id"]]
    return {
        "key": spot_key(category, lon, lat, ids[-1]),
        "category": category,
        "lon": round(float(lon), 6),
        "lat": round(float(lat), 6),
        "radius_m": max(1, int(np.ceil(radius))),
        "reports": len(ids),
        "report_ids": ids,
        "first_reported_at": members["reported_at"].iloc[0],
        "last_reported_at": members["reported_at"].iloc[-1],
        "town_code": _majority(members.get("town_code")),
        "grid_code": _majority(members.get("grid_code")),
    }


def _majority(values: pd.Series | None):
    if values is None or values.dropna().empty:
        return None
    counts = values.dropna().value_counts(sort=False)
    return counts.index[np.argmax(counts.to_numpy())]  # ties: the first seen


def _typed(spots: pd.DataFrame) -> pd.DataFrame:
    for name in ("first_reported_at", "last_reported_at"):
        spots[name] = pd.to_datetime(spots[name], utc=True)
    spots["reports"] = spots["reports"].astype("int64")
    spots["radius_m"] = spots["radius_m"].astype("int64")
    return spots


def not_yet_handled(spots: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The spots the desk has not acted on since their last report.

    Parameters
    ----------
    spots : DataFrame
        As returned by ``find_spots``.
    decisions : DataFrame
        Earlier decisions (opened or dismissed): category, lon, lat (WGS84),
        last_reported_at (UTC), the last report the desk saw.

    Returns
    -------
    The rows of ``spots`` with no decision of the same category within
    ``HANDLED_RADIUS_M`` whose last report is as late as the spot's, in the
    same order.
    """
    if spots.empty or decisions is None or decisions.empty:
        return spots
    lon0, lat0 = float(spots["lon"].mean()), float(spots["lat"].mean())
    a = local_metres(spots["lon"], spots["lat"], lon0, lat0)
    b = local_metres(decisions["lon"], decisions["lat"], lon0, lat0)
    near = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)) <= HANDLED_RADIUS_M
    same = spots["category"].to_numpy()[:, None] == decisions["category"].to_numpy()[None, :]
    seen = epoch_seconds(decisions["last_reported_at"])
    later = seen[None, :] >= epoch_seconds(spots["last_reported_at"])[:, None]
    return spots.loc[~(near & same & later).any(axis=1)]
