"""Planted recurring trouble spots of the demo city.

A spot is a place where one kind of trouble keeps coming back: a fire lane
that one compound keeps blocking, a bin corner, a sewer that overflows after
rain. Each spot has two to four episodes; an episode is five to eight reports
of the spot's category within ``RADIUS_M`` of it and within a month. The
reports are ordinary reports of the city (``data.demo_incidents`` gives them a
channel, a time of day, a text and a lifecycle like any other); this module
says where and on which days, and afterwards tells, per episode, what was
planted: ``CityFrames.planted_spots``, the truth a recurring-spot finder is
scored against (docs/demo_history.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from data import demo_geometry as geo
from domain.categories import CATEGORIES

KINDS = ("fire_lane", "garbage", "noise", "sewage", "street_light", "traffic", "waterlogging")
SPOTS_PER_30K = 15  # spots per 30,000 reports: 15 in the county, 150 in the region
EPISODES = (2, 4)  # episodes per spot, inclusive
REPORTS = (5, 8)  # reports per episode, inclusive
RADIUS_M = 35.0  # reports lie within this distance of the spot (promised: 40 m)
SPAN_DAYS = (6, 27)  # first to last report day of an episode (promised: 30 days)
GAP_DAYS = 60  # at least this many quiet days between two episodes of a spot
RECENT_SHARE = 0.2  # of the spots (at least 3) have an episode ending in the last
RECENT_DAYS = (1, 14)  # days before today
APART_M = 300.0  # spots are at least this far apart
SUMMER = ((6, 10), (9, 20))  # waterlogging episodes lie within 10 June – 20 September
_MAX_SHARE = 0.05  # never more than this share of the city's reports
_LOCAL = 8 * 3600  # Asia/Shanghai is UTC+8 all year
_DAY = 86400.0
_M_PER_DEG = 111_320.0  # metres per degree of latitude (and of longitude at the equator)


@dataclass(frozen=True)
class PlantedReports:
    """The planted reports, one entry each, before they become incidents.

    ``day`` is the epoch second of the local midnight of the report's day;
    ``grid`` a row of ``places.grids``; ``cat`` an index into
    ``domain.categories.CATEGORIES``; ``lon``/``lat`` WGS84 inside that grid;
    ``episode`` a row of ``episodes``, which holds spot, category, lon, lat of
    every episode.
    """

    day: np.ndarray
    grid: np.ndarray
    cat: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    episode: np.ndarray
    episodes: pd.DataFrame

    def __len__(self) -> int:
        return len(self.day)


def plant(rng: np.random.Generator, places, n_incidents: int, start_s: float, now_s: float):
    """Choose the spots, their episodes and the place and day of every report.

    Parameters
    ----------
    rng : numpy.random.Generator
        The stream of planted structure (not the incidents' stream).
    places : data.demo_places.Places
        The city's geography.
    n_incidents : int
        Reports of the whole city; the number of spots scales with it.
    start_s, now_s : float
        The history's first local midnight and the present, epoch seconds.

    Returns
    -------
    PlantedReports
    """
    n_spots = round(SPOTS_PER_30K * n_incidents / 30_000)
    n_spots = min(n_spots, int(_MAX_SHARE * n_incidents / (EPISODES[1] * REPORTS[1])))
    first = int(np.ceil((start_s + _LOCAL) / _DAY))
    today = int(np.floor((now_s + _LOCAL) / _DAY))
    if n_spots < 1 or today - first < 2 * (SPAN_DAYS[1] + GAP_DAYS):
        return _empty()
    grid, lon, lat = _spot_points(rng, places, n_spots)
    kind = rng.permutation(np.resize(np.arange(len(KINDS)), n_spots))  # each kind as often
    n_recent = min(n_spots, max(3, round(RECENT_SHARE * n_spots)))
    recent = np.zeros(n_spots, bool)
    recent[rng.choice(n_spots, n_recent, replace=False)] = True
    kind[recent & (kind == KINDS.index("waterlogging"))] = KINDS.index("sewage")
    episodes, days = [], []
    for s in range(n_spots):
        spans = rng.integers(SPAN_DAYS[0], SPAN_DAYS[1] + 1, rng.integers(2, EPISODES[1] + 1))
        if KINDS[kind[s]] == "waterlogging":
            starts, spans = _in_summers(rng, spans, first, today - 1)
            if len(starts) < EPISODES[0]:
                kind[s] = KINDS.index("sewage")
        if KINDS[kind[s]] != "waterlogging":
            starts, spans = _spread(rng, spans, first, today - 1, recent[s])
        for begin, span in zip(starts, spans, strict=True):
            count = rng.integers(REPORTS[0], REPORTS[1] + 1)
            between = rng.integers(begin, begin + span + 1, count - 2)
            days.append(np.sort(np.r_[begin, between, begin + span]))
            episodes.append((s, KINDS[kind[s]], lon[s], lat[s]))
    frame = pd.DataFrame(episodes, columns=["spot", "category", "lon", "lat"])
    episode = np.repeat(np.arange(len(days)), [len(d) for d in days])
    day = np.concatenate(days) * _DAY - _LOCAL
    spot = frame["spot"].to_numpy()[episode]
    rlon, rlat = _around(rng, places, grid[spot], lon[spot], lat[spot])
    codes = [c.code for c in CATEGORIES]
    cat = np.array([codes.index(KINDS[k]) for k in kind])[spot]
    return PlantedReports(day, grid[spot], cat, rlon, rlat, episode, frame)


def episodes(planted: PlantedReports, reported_at: pd.Series) -> pd.DataFrame:
    """What was planted, one row per episode (``CityFrames.planted_spots``).

    Parameters
    ----------
    planted : PlantedReports
    reported_at : pandas.Series
        The report time (datetime64[ns, UTC]) of every planted report, in the
        order of ``planted``.

    Returns
    -------
    DataFrame
        ``spot`` (int), ``category``, ``lon``, ``lat`` (the spot, WGS84),
        ``start``, ``end`` (first and last report, datetime64[ns, UTC]),
        ``reports`` (int).
    """
    times = pd.Series(reported_at.to_numpy(), index=planted.episode)
    span = times.groupby(level=0).agg(["min", "max", "size"])
    out = planted.episodes.copy()
    out["start"] = span["min"].reindex(out.index).to_numpy()
    out["end"] = span["max"].reindex(out.index).to_numpy()
    out["reports"] = span["size"].reindex(out.index).to_numpy().astype(int)
    out["start"] = pd.to_datetime(out["start"], utc=True)
    out["end"] = pd.to_datetime(out["end"], utc=True)
    return out.astype({"spot": int})


def _empty() -> PlantedReports:
    none = np.zeros(0)
    frame = pd.DataFrame({"spot": none.astype(int), "category": none.astype(object)})
    frame["lon"], frame["lat"] = none, none
    return PlantedReports(none, none.astype(int), none.astype(int), none, none, none, frame)


def _spot_points(rng, places, n_spots: int):
    """Spot points in populous urban or town-centre grids, ``APART_M`` apart,
    each with room for its reports inside the grid around it."""
    grids = places.grids
    geoms = grids.geometry.to_numpy()
    community = places.community_kind.to_numpy() != "village"
    density = grids["population"].to_numpy() / grids["area_km2"].to_numpy()
    seat = places.towns_info[["seat_lon", "seat_lat"]].reindex(grids["town_code"]).to_numpy()
    near_seat = _metres(grids["lon"], grids["lat"], seat[:, 0], seat[:, 1]) < 2000
    dense = density >= np.quantile(density[community], 0.5) if community.any() else community
    candidates = np.flatnonzero(community & (dense | near_seat))
    if len(candidates) == 0:
        candidates = np.arange(len(grids))
    pop = grids["population"].to_numpy()[candidates].astype(float)
    order = rng.choice(candidates, len(candidates), replace=False, p=pop / pop.sum())
    chosen, lon, lat = [], [], []
    for start in range(0, len(order), 4 * n_spots):
        batch = order[start : start + 4 * n_spots]
        x, y = geo.sample_points_in(geoms, batch, rng)
        angle = np.linspace(0, 2 * np.pi, 12, endpoint=False)
        for g, px, py in zip(batch, x, y, strict=True):
            if lon and _metres(px, py, np.array(lon), np.array(lat)).min() < APART_M:
                continue
            ring_x, ring_y = _offset(px, py, RADIUS_M * np.cos(angle), RADIUS_M * np.sin(angle))
            if not shapely.contains_xy(geoms[g], ring_x, ring_y).all():
                continue
            chosen.append(g)
            lon.append(px)
            lat.append(py)
            if len(chosen) == n_spots:
                return np.array(chosen), np.array(lon), np.array(lat)
    raise ValueError(f"the city has room for {len(chosen)} spots, not {n_spots}")


def _around(rng, places, grid, lon, lat):
    """Report points within ``RADIUS_M`` of their spot and inside its grid
    (else the spot itself), rounded to 6 decimals like every other point."""
    r = RADIUS_M * np.sqrt(rng.random(len(grid)))
    angle = rng.uniform(0, 2 * np.pi, len(grid))
    x, y = _offset(lon, lat, r * np.cos(angle), r * np.sin(angle))
    x, y = np.round(x, geo.DECIMALS), np.round(y, geo.DECIMALS)
    inside = shapely.contains_xy(places.grids.geometry.to_numpy()[grid], x, y)
    return np.where(inside, x, lon), np.where(inside, y, lat)


def _spread(rng, spans, first: int, last: int, recent: bool):
    """Start days and spans of episodes ``GAP_DAYS`` apart between the days
    ``first`` and ``last`` (fewer episodes if they do not fit); with
    ``recent`` the last one ends ``RECENT_DAYS`` before ``last`` + 1."""
    spans = np.asarray(spans)
    if recent:
        end = last + 1 - rng.integers(RECENT_DAYS[0], RECENT_DAYS[1] + 1)
        head, head_spans = _spread(rng, spans[:-1], first, end - spans[-1] - GAP_DAYS, False)
        return np.r_[head, end - spans[-1]], np.r_[head_spans, spans[-1]]
    free = last - first - spans.sum() - GAP_DAYS * (len(spans) - 1)
    while free < 0 and len(spans) > 1:
        spans = spans[:-1]
        free = last - first - spans.sum() - GAP_DAYS * (len(spans) - 1)
    offsets = np.sort(rng.integers(0, max(free, 0) + 1, len(spans)))
    before = np.r_[0, np.cumsum(spans[:-1] + GAP_DAYS)]
    return first + offsets + before, spans


def _in_summers(rng, spans, first: int, last: int):
    """Start days and spans of episodes in distinct summers between the days
    ``first`` and ``last``, in order (fewer if the summers run out)."""
    (m0, d0), (m1, d1) = SUMMER
    y0 = int(np.datetime64(first, "D").astype("datetime64[Y]").astype(int)) + 1970
    y1 = int(np.datetime64(last, "D").astype("datetime64[Y]").astype(int)) + 1970
    windows = []
    for year in range(y0, y1 + 1):
        lo = max(int(np.datetime64(f"{year}-{m0:02d}-{d0:02d}").astype(int)), first)
        hi = min(int(np.datetime64(f"{year}-{m1:02d}-{d1:02d}").astype(int)), last)
        windows.append((lo, hi))
    picked = []
    years = rng.permutation(len(windows))
    for span, (lo, hi) in zip(spans, (windows[k] for k in years), strict=False):
        if hi - lo >= span:
            picked.append((int(rng.integers(lo, hi - span + 1)), int(span)))
    picked.sort()
    return np.array([p[0] for p in picked], int), np.array([p[1] for p in picked], int)


def _offset(lon, lat, dx, dy):
    """Move WGS84 points by ``dx``/``dy`` metres east/north (local flat earth)."""
    lat = np.asarray(lat, float)
    return lon + dx / (_M_PER_DEG * np.cos(np.radians(lat))), lat + dy / _M_PER_DEG


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Distance in metres between WGS84 points (local flat earth)."""
    lat1, lat2 = np.asarray(lat1, float), np.asarray(lat2, float)
    dx = (np.asarray(lon2) - np.asarray(lon1)) * _M_PER_DEG * np.cos(np.radians((lat1 + lat2) / 2))
    return np.hypot(dx, (lat2 - lat1) * _M_PER_DEG)
