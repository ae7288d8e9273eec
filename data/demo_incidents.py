"""Citizen reports of the demo city: the "我要报事" channel since April 2022.

Volume grows as the channel becomes known and follows the week, the seasons
(waterlogging in summer, heating in winter, farm work in the growing season)
and the hour (mid-morning and afternoon peaks, plaza night talks in the
evening). Each report lies inside a grid chosen by population, reads like a
real one (``data.demo_texts``), and has a consistent lifecycle: registered
within minutes, a call back the same day, dispatched, resolved mostly within
the category's limit, closed after checking (``data.demo_lifecycle``). Recent
ones are still open. Some are late more often than others (``data.demo_breach``)
and some come back to the same spot (``data.demo_spots``): the structure the
predictions learn, documented in docs/demo_history.md.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from data import demo_breach
from data import demo_geometry as geo
from data.demo_lifecycle import lifecycle, policy_deadlines
from data.demo_people import person_names, phones
from data.demo_texts import report_texts
from domain.categories import CATEGORIES, REPORT_CHANNELS

START = dt.datetime(2022, 4, 1)  # the channel opened (local date)
_LOCAL = 8 * 3600  # Asia/Shanghai is UTC+8 all year
_DAY = 86400.0
_CODES = [c.code for c in CATEGORIES]
_CHANNELS = list(REPORT_CHANNELS)  # app, hotline, patrol, plaza, sensor: not proactive

# Channel mix per category: most through the mini-program, patrols find the
# street problems, plaza night talks hear disputes and the elderly, sensors
# only watch water, lights, sewers, air, smoke and pipes.
_PATROL = {"fire_lane", "garbage", "illegal_building", "road_damage", "traffic", "greening"}
_PLAZA = {"dispute", "elderly_care", "farm_help", "other", "noise"}
# Aligned by hand: this table reads better laid out as a table.
_SENSOR = {
    "waterlogging": 0.08, "street_light": 0.06, "sewage": 0.04, "pollution": 0.05,
    "safety_hazard": 0.03, "water_supply": 0.03,
}  # fmt: skip


def _channel_mix() -> np.ndarray:
    mix = np.array([[0.58, 0.24, 0.14, 0.03, 0.0]] * len(_CODES))
    for i, code in enumerate(_CODES):
        if code in _PATROL:
            mix[i] = (0.48, 0.2, 0.29, 0.03, 0.0)
        if code in _PLAZA:
            mix[i] = (0.52, 0.26, 0.12, 0.10, 0.0)
        mix[i, 4] = _SENSOR.get(code, 0.0)
    return mix / mix.sum(axis=1, keepdims=True)


# Local hour of day per channel (relative weights).
_HOURS = np.array(
    [
        [
            0.3,
            0.2,
            0.1,
            0.1,
            0.1,
            0.3,
            0.8,
            1.8,
            3.5,
            5,
            5.5,
            4.8,
            3,
            3,
            4.2,
            4.8,
            4.5,
            3.8,
            3,
            3.2,
            3.4,
            2.8,
            1.8,
            0.8,
        ],
        [
            0.6,
            0.4,
            0.3,
            0.3,
            0.3,
            0.5,
            1,
            2,
            4,
            5,
            5,
            4.5,
            3,
            3,
            4,
            4.5,
            4,
            3.5,
            3,
            2.8,
            2.5,
            2,
            1.5,
            1,
        ],
        [0, 0, 0, 0, 0, 0, 0, 0.5, 3, 5, 5, 4, 1.5, 2, 4, 4.5, 4, 2, 0.3, 0, 0, 0, 0, 0],
        [0] * 19 + [4, 5, 2, 0, 0],
        [1] * 24,
    ]
)
_WEEKDAY = np.array([1.08, 1.05, 1.03, 1.02, 1.0, 0.85, 0.8])  # Monday first


def history_start(now: dt.datetime) -> float:
    """Epoch seconds of the local midnight the history starts: 2022-04-01, or
    one year before a ``now`` that lies before (or just after) that."""
    now_s = now.timestamp()
    start = START.replace(tzinfo=dt.UTC).timestamp() - _LOCAL
    if now_s - start < 60 * _DAY:  # a "now" before the channel: one year of history
        start = (np.floor((now_s + _LOCAL) / _DAY) - 365) * _DAY - _LOCAL
    return start


def make_incidents(
    rng, places, cadres, worker_of_grid, spec, now: dt.datetime, planted, slow_towns
) -> tuple[pd.DataFrame, np.ndarray]:
    """``spec.incidents`` reports from 2022-04-01 (local) to ``now``.

    ``planted`` (``data.demo_spots.PlantedReports``) are among them, with
    their day, place and category given; ``slow_towns`` (codes) resolve late
    more often (``data.demo_breach``).

    Returns a frame with every column of ``data.schema.incidents`` but ``id``,
    sorted by ``reported_at``, times ``datetime64[ns, UTC]``; and the frame's
    row of every planted report, in the order of ``planted``.
    """
    n = spec.incidents
    grids = places.grids
    now_s = now.timestamp()
    start = history_start(now)
    rep, day_month = _report_times(rng, n - len(planted), start, now_s)
    gi, cat = _where_and_what(rng, places, day_month)
    rep = np.r_[rep, planted.day]
    gi, cat = np.r_[gi, planted.grid].astype(int), np.r_[cat, planted.cat].astype(int)
    mix = _channel_mix()[cat]
    chan = (rng.random(n)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1)
    chan = np.minimum(chan, len(_CHANNELS) - 1)
    rep = _time_of_day(rng, rep, chan, now_s)
    order = np.argsort(rep, kind="stable")
    rep, gi, cat, chan = rep[order], gi[order], cat[order], chan[order]
    lon, lat = geo.sample_points_in(grids.geometry.to_numpy(), gi, rng)
    rows = np.empty(n, int)
    rows[order] = np.arange(n)
    rows = rows[n - len(planted) :]  # where each planted report went
    lon[rows], lat[rows] = planted.lon, planted.lat
    categories, channels = np.array(_CODES)[cat], np.array(_CHANNELS)[chan]
    text, address = report_texts(rng, places, gi, categories, channels)
    priority = _priorities(rng, cat, text)
    town = grids["town_code"].to_numpy()[gi]
    breach = demo_breach.probability(cat, town, rep, priority, slow_towns)
    # About 200 open at county scale, the load of a normal day (a crisis
    # brings it towards 1,000).
    due = policy_deadlines(rep, cat, priority)
    life = lifecycle(rng, rep, cat, now_s, open_target=n / 150, breach=breach, due=due)
    headcount = np.ones(n, int)
    farm = (categories == "farm_help") & (rng.random(n) < 0.4)
    headcount[farm] = rng.integers(2, 9, farm.sum())
    names, tels = _reporters(rng, cadres, worker_of_grid, gi, chan)
    frame = pd.DataFrame(
        {
            # Numbered on loading, from the row id, as live intake numbers them.
            "public_id": pd.Series([None] * n, dtype=object),
            "channel": channels,
            "category": categories,
            "description": text,
            "address": address,
            "lon": lon,
            "lat": lat,
            "orig_lon": lon,
            "orig_lat": lat,
            "orig_crs": "wgs84",
            "grid_code": grids["code"].to_numpy()[gi],
            "town_code": town,
            "priority": priority,
            "headcount": headcount,
            "event_id": pd.array([None] * n, dtype="Int64"),
            "status": life.pop("status"),
            "reporter_name": pd.Series(names, dtype=object),
            "reporter_phone": pd.Series(tels, dtype=object),
        }
    )
    satisfaction, updated = life.pop("satisfaction"), life.pop("updated_at")
    for name, seconds in life.items():  # the lifecycle's times, in the schema's order
        frame[name] = _utc(seconds)
    frame["satisfaction"] = pd.array(satisfaction, dtype="Int64")
    frame["updated_at"] = _utc(updated)
    return frame, rows


def _utc(seconds: np.ndarray) -> pd.Series:
    """Epoch seconds (NaN for missing) as a datetime64[ns, UTC] column."""
    out = np.full(len(seconds), np.datetime64("NaT"), "datetime64[ns]")
    ok = ~np.isnan(seconds)
    out[ok] = (np.round(seconds[ok]).astype(np.int64) * 1_000_000_000).astype("datetime64[ns]")
    return pd.Series(pd.DatetimeIndex(out).tz_localize("UTC"))


def _report_times(rng, n: int, start: float, now_s: float):
    """Day of every report (as epoch seconds of its local midnight) and the month.

    The daily volume grows over the first year as the channel becomes known,
    dips at weekends and follows the seasons of the category mix.
    """
    n_days = int(np.ceil((now_s - start) / _DAY))
    days = np.datetime64(dt.datetime.fromtimestamp(start + _LOCAL + 1, dt.UTC).date()) + np.arange(
        n_days
    )
    month = days.astype("datetime64[M]").astype(int) % 12
    weekday = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    d = np.arange(n_days)
    growth = (0.15 + 0.85 / (1 + np.exp(-(d - 150) / 50))) * (1 + 0.08 * d / 365)
    share = np.array([c.share for c in CATEGORIES])
    season = np.array([c.season for c in CATEGORIES])
    weight = growth * _WEEKDAY[weekday] * (share @ season)[month]
    weight[-1] *= min(1.0, (now_s - (start + (n_days - 1) * _DAY)) / _DAY)
    pick = rng.choice(n_days, n, p=weight / weight.sum())
    return start + pick * _DAY, month[pick]


def _time_of_day(rng, day_start, chan, now_s):
    """Add a local time of day by channel; nothing later than ``now``."""
    cum = np.cumsum(_HOURS, axis=1)
    cum /= cum[:, -1:]
    hour = (rng.random(len(chan))[:, None] > cum[chan]).sum(axis=1)
    t = day_start + hour * 3600.0 + rng.uniform(0, 3600, len(chan))
    # Today's reports cannot be later than now: they move to yesterday, same hour.
    while (late := t > now_s - 60).any():
        t[late] -= _DAY
    return t


def _where_and_what(rng, places, month):
    """Grid (by population) and category (by share, season and rurality)."""
    grids = places.grids
    pop = grids["population"].to_numpy().astype(float)
    gi = rng.choice(len(grids), len(month), p=pop / pop.sum())
    rural = places.towns_info["rural"].reindex(grids["town_code"]).to_numpy()
    village = places.community_kind.to_numpy() == "village"
    rural = np.where(village, np.maximum(rural, 0.7), 0.6 * rural)[gi]
    share = np.array([c.share for c in CATEGORIES])
    season = np.array([c.season for c in CATEGORIES])  # (categories, 12)
    bias = np.array([c.rural for c in CATEGORIES])
    w = share * season[:, month].T * bias ** rural[:, None]
    cum = np.cumsum(w, axis=1)
    cat = (rng.random(len(month))[:, None] * cum[:, -1:] > cum).sum(axis=1)
    return gi, cat


def _priorities(rng, cat, texts) -> np.ndarray:
    """Category default, raised for fire, standing water and the elderly."""
    base = np.array([c.priority for c in CATEGORIES])[cat]
    fire = np.array(["火" in t for t in texts])
    alarm = fire | np.array([("积水" in t) or ("老人" in t) for t in texts])
    u = rng.random(len(cat))
    out = np.where(alarm & (u < 0.5), np.minimum(base, 2), base)
    out = np.where(fire & (u < 0.2), 1, out)
    return np.where(rng.random(len(cat)) < 0.01, 1, out)  # the odd real emergency


def _reporters(rng, cadres, worker_of_grid, gi, chan):
    """Citizens for the app, hotline and plaza; the grid worker for patrols;
    nobody for sensors."""
    n = len(gi)
    names = np.array(person_names(rng, n), dtype=object)
    tels = np.array(phones(rng, n), dtype=object)
    patrol = chan == _CHANNELS.index("patrol")
    worker = cadres.set_index("id").reindex(worker_of_grid[gi[patrol]])
    names[patrol] = worker["name"].to_numpy()
    tels[patrol] = worker["phone"].to_numpy()
    sensor = chan == _CHANNELS.index("sensor")
    names[sensor] = None
    tels[sensor] = None
    return names, tels
