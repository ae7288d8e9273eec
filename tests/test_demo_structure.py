"""The structure planted in the demo city's history (docs/demo_history.md):
who is late and why, and the recurring spots. No database."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely

from data import demo_breach, demo_spots
from data.demo_city import CityFrames, generate_city
from domain.lifecycle import OPEN_STATUSES

NOW = dt.datetime(2026, 6, 20, 4, 0, tzinfo=dt.UTC)
SEED = 2022


@pytest.fixture(scope="module")
def city() -> CityFrames:
    return generate_city(seed=SEED, scale="county", now=NOW)


@pytest.fixture(scope="module")
def breached(city) -> pd.Series:
    """Per incident whose outcome is known by now: resolved late, or still
    open past its deadline (True); resolved in time (False)."""
    inc = city.incidents
    done = inc["resolved_at"].notna()
    overdue = inc["status"].isin(OPEN_STATUSES) & (inc["due_resolve_at"] < pd.Timestamp(NOW))
    late = (done & (inc["resolved_at"] > inc["due_resolve_at"])) | overdue
    return late[done | overdue]


def _slow_towns(city) -> frozenset[str]:
    """The slow towns, drawn first from the fourth stream, as generate_city does."""
    rng = np.random.default_rng(np.random.SeedSequence(SEED).spawn(4)[3])
    return demo_breach.slow_towns(rng, city.towns["code"])


def _metres(lon1, lat1, lon2, lat2):
    """Haversine distance in metres."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * np.arcsin(np.sqrt(a))


def test_the_late_share_stays_near_eight_percent(breached):
    assert 0.07 <= breached.mean() <= 0.10


def test_slow_categories_are_late_more_than_twice_as_often_as_fast_ones(city, breached):
    rate = breached.groupby(city.incidents.loc[breached.index, "category"]).mean()
    slow = rate[list(k for k, v in demo_breach.CATEGORY.items() if v > 0)]
    fast = rate[list(k for k, v in demo_breach.CATEGORY.items() if v < 0)]
    assert slow.min() > 2 * fast.max()
    neutral = rate.drop([*slow.index, *fast.index])
    assert fast.max() < neutral.median() < slow.min()


def test_the_slow_towns_are_the_late_ones(city, breached):
    slow = _slow_towns(city)
    assert len(slow) == 3 and slow <= set(city.towns["code"])
    rate = breached.groupby(city.incidents.loc[breached.index, "town_code"]).mean()
    assert rate[list(slow)].min() > 1.5 * rate.drop(list(slow)).max()


def test_load_friday_afternoon_and_priority_raise_or_lower_the_risk(city, breached):
    inc = city.incidents.loc[breached.index]
    seconds = inc["reported_at"].astype("int64").to_numpy() / 1e9
    # Load is measured over the whole city, not only over the known outcomes.
    everyone = city.incidents["reported_at"].astype("int64").to_numpy() / 1e9
    ratio = pd.Series(
        demo_breach.recent_load(everyone, city.incidents["town_code"].to_numpy()),
        index=city.incidents.index,
    )[breached.index]
    assert breached[ratio > 1.4].mean() > 1.5 * breached[ratio < 0.7].mean()
    after = demo_breach.after_hours(seconds)
    local = inc["reported_at"].dt.tz_convert("Asia/Shanghai")
    weekday, hour = local.dt.day_of_week.to_numpy(), local.dt.hour.to_numpy()
    assert np.array_equal(after, (weekday >= 5) | ((weekday == 4) & (hour >= 15)))
    assert breached[after].mean() > 1.5 * breached[~after].mean()
    by_priority = breached.groupby(inc["priority"]).mean()
    assert by_priority[1] < 0.5 * by_priority[3]


def test_the_intercept_keeps_the_target_whatever_the_mix():
    n = 5000
    rng = np.random.default_rng(1)
    cat = np.full(n, 5)  # illegal_building only: all slow
    p = demo_breach.probability(
        cat,
        np.array(["a"] * n, dtype=object),
        np.sort(rng.uniform(0, 200 * 86400, n)),
        np.full(n, 3),
        frozenset(),
    )
    assert abs(p.mean() - demo_breach.TARGET) < 1e-4


def test_planted_spots_have_the_promised_shape(city):
    spots = city.planted_spots
    assert list(spots.columns) == ["spot", "category", "lon", "lat", "start", "end", "reports"]
    assert str(spots["start"].dtype) == str(spots["end"].dtype) == "datetime64[ns, UTC]"
    assert spots["spot"].dtype.kind == "i" and spots["reports"].dtype.kind == "i"
    assert spots["spot"].nunique() == 15
    assert spots.groupby("spot").size().between(*demo_spots.EPISODES).all()
    assert spots.groupby("spot")["category"].nunique().eq(1).all()
    assert set(spots["category"]) <= set(demo_spots.KINDS)
    assert spots["reports"].between(*demo_spots.REPORTS).all()
    assert (spots["end"] - spots["start"] <= pd.Timedelta(days=30)).all()
    assert (spots["start"] >= pd.Timestamp("2022-03-31T16:00Z")).all()
    assert (spots["end"] <= pd.Timestamp(NOW)).all()
    recent = spots[spots["end"] >= pd.Timestamp(NOW) - pd.Timedelta(days=20)]
    assert recent["spot"].nunique() >= 3
    water = spots[spots["category"] == "waterlogging"]
    for column in ("start", "end"):
        assert water[column].dt.tz_convert("Asia/Shanghai").dt.month.between(6, 9).all()
    # Episodes of one spot are apart; spots are apart.
    for _, one in spots.sort_values("start").groupby("spot"):
        gaps = one["start"].to_numpy()[1:] - one["end"].to_numpy()[:-1]
        assert (gaps > np.timedelta64(30, "D")).all()
    where = spots.drop_duplicates("spot")
    d = _metres(
        where["lon"].to_numpy()[:, None],
        where["lat"].to_numpy()[:, None],
        where["lon"].to_numpy()[None, :],
        where["lat"].to_numpy()[None, :],
    )
    assert d[~np.eye(len(where), dtype=bool)].min() > 250


def test_each_episode_is_in_the_incidents(city):
    inc = city.incidents
    grids = city.grids.set_index("code")
    kind = city.communities.set_index("code")["kind"]
    for ep in city.planted_spots.itertuples():
        near = _metres(ep.lon, ep.lat, inc["lon"].to_numpy(), inc["lat"].to_numpy()) <= 40
        mine = inc[
            near
            & (inc["category"] == ep.category).to_numpy()
            & inc["reported_at"].between(ep.start, ep.end).to_numpy()
        ]
        assert len(mine) >= ep.reports, ep
        assert mine["reported_at"].min() == ep.start and mine["reported_at"].max() == ep.end
        # Inside the grid they name, in a town or urban community, any channel.
        shapes = grids.geometry.loc[mine["grid_code"]].to_numpy()
        assert shapely.contains_xy(shapes, mine["lon"], mine["lat"]).all()
        assert (kind[grids.loc[mine["grid_code"], "community_code"]] == "community").all()
    planted = city.planted_spots["reports"].sum()
    assert 0.005 * len(inc) < planted < 0.02 * len(inc)


def test_a_small_city_or_a_short_history_plants_no_spots():
    rng = np.random.default_rng(0)
    none = demo_spots.plant(rng, None, 300, 0.0, 400 * 86400.0)
    assert len(none) == 0 and len(none.episodes) == 0
    short = demo_spots.plant(rng, None, 30_000, 0.0, 100 * 86400.0)
    assert len(short) == 0
