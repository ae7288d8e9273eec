"""Recurring trouble spots (domain.recurring_spots, domain.spot_backtest) on
small hand-made histories: a planted place among scattered reports."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from domain import spot_backtest
from domain.recurring_spots import (
    COLUMNS,
    find_spots,
    key_parts,
    local_metres,
    not_yet_handled,
    spot_key,
)

NOW = pd.Timestamp("2026-06-20 04:00", tz="UTC")
CENTRE = (120.03, 36.28)  # Jiaozhou
M_PER_DEG = 111_195.0


def _at(lon, lat, dx, dy):
    return lon + dx / (M_PER_DEG * np.cos(np.radians(lat))), lat + dy / M_PER_DEG


def noise(n=600, days=30, seed=1, categories=("fire_lane", "garbage", "noise", "sewage")):
    """Reports scattered over 20 km × 20 km and ``days`` days before NOW."""
    rng = np.random.default_rng(seed)
    lon, lat = _at(*CENTRE, rng.uniform(-10_000, 10_000, n), rng.uniform(-10_000, 10_000, n))
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "category": rng.choice(categories, n),
            "channel": "app",
            "status": "closed",
            "lon": lon,
            "lat": lat,
            "reported_at": NOW - pd.to_timedelta(rng.uniform(0.1, days, n), unit="D"),
            "town_code": "T1",
            "grid_code": "G1",
        }
    )


def cluster(days_ago, category="fire_lane", first_id=10_000, where=(0.0, 0.0), seed=2, **cols):
    """Reports within 30 m of a point 2 km east of the centre, one per day in ``days_ago``."""
    rng = np.random.default_rng(seed)
    n = len(days_ago)
    r, a = 30 * np.sqrt(rng.random(n)), rng.uniform(0, 2 * np.pi, n)
    x0, y0 = 2000 + where[0], where[1]
    lon, lat = _at(*CENTRE, x0 + r * np.cos(a), y0 + r * np.sin(a))
    frame = pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + n),
            "category": category,
            "channel": "hotline",
            "status": "closed",
            "lon": lon,
            "lat": lat,
            "reported_at": NOW - pd.to_timedelta(np.asarray(days_ago, float), unit="D"),
            "town_code": "T2",
            "grid_code": "G7",
        }
    )
    return frame.assign(**cols)


def test_a_planted_place_is_found_among_scattered_reports():
    planted = cluster([25, 20, 14, 9, 3, 1])
    spots = find_spots(pd.concat([noise(), planted], ignore_index=True), NOW)
    assert list(spots.columns) == list(COLUMNS)
    assert len(spots) == 1
    spot = spots.iloc[0]
    assert spot["category"] == "fire_lane" and spot["reports"] == 6
    assert spot["report_ids"] == list(planted.sort_values("reported_at")["id"])
    assert spot["first_reported_at"] == planted["reported_at"].min()
    assert spot["last_reported_at"] == planted["reported_at"].max()
    assert (spot["town_code"], spot["grid_code"]) == ("T2", "G7")
    centre = local_metres([spot["lon"]], [spot["lat"]], *_at(*CENTRE, 2000, 0))[0]
    assert np.hypot(*centre) < 25 and 1 <= spot["radius_m"] <= 60
    assert re.fullmatch(r"fire_lane:\d+\.\d{5}:\d+\.\d{5}:\d+", spot["key"])
    assert spot["key"] == spot_key("fire_lane", spot["lon"], spot["lat"], spot["report_ids"][-1])


def test_a_key_names_its_category_and_last_report():
    assert key_parts("fire_lane:120.03000:36.28000:10005") == ("fire_lane", 10005)
    assert key_parts("fire_lane:120.03:36.28") is None
    assert key_parts("fire_lane:120.03:36.28:x") is None
    assert key_parts(None) is None


def test_scattered_reports_make_no_spot():
    assert find_spots(noise(n=1500), NOW).empty


def test_too_few_reports_or_too_spread_in_time_make_no_spot():
    assert find_spots(cluster([20, 10, 5, 1]), NOW).empty  # four, not five
    # Five in 100 days, never more than two within 30 days: not a spot, however long the window.
    spread = cluster([100, 75, 50, 25, 1])
    assert find_spots(spread, NOW, window_days=120).empty
    assert len(find_spots(spread, NOW, window_days=120, min_reports=2)) == 1


def test_reports_outside_the_window_do_not_count():
    assert find_spots(cluster([40, 28, 20, 14, 12]), NOW).empty
    assert len(find_spots(cluster([40, 28, 20, 14, 12]), NOW, window_days=45)) == 1


def test_different_categories_never_merge():
    mixed = pd.concat(
        [cluster([20, 10, 5]), cluster([18, 8], category="garbage", first_id=20_000)],
        ignore_index=True,
    )
    assert find_spots(mixed, NOW).empty
    both = pd.concat(
        [cluster([20, 15, 10, 5, 1]), cluster([19, 14, 9, 4, 2], "garbage", 20_000)],
        ignore_index=True,
    )
    spots = find_spots(both, NOW)
    assert sorted(spots["category"]) == ["fire_lane", "garbage"]
    for _, spot in spots.iterrows():
        ids = set(both.loc[both["category"] == spot["category"], "id"])
        assert set(spot["report_ids"]) == ids


@pytest.mark.parametrize(
    "change", [{"channel": "proactive"}, {"status": "rejected"}, {"status": "duplicate"}]
)
def test_proactive_cases_and_rejected_or_duplicate_reports_are_no_evidence(change):
    reports = cluster([20, 15, 10, 5, 1])
    assert len(find_spots(reports, NOW)) == 1
    reports.loc[reports.index[2], list(change)] = list(change.values())
    assert find_spots(reports, NOW).empty


def test_most_reports_first_and_the_same_answer_in_any_row_order():
    reports = pd.concat(
        [
            cluster([20, 15, 10, 5, 1]),
            cluster([22, 18, 12, 7, 3, 2, 1], first_id=20_000, where=(3000.0, 0.0), seed=3),
            noise(),
        ],
        ignore_index=True,
    )
    spots = find_spots(reports, NOW)
    assert list(spots["reports"]) == [7, 5]
    shuffled = find_spots(reports.sample(frac=1, random_state=4), NOW)
    pd.testing.assert_frame_equal(spots, shuffled)


def _decision(spot, **change):
    row = {k: spot[k] for k in ("category", "lon", "lat", "last_reported_at")}
    return pd.DataFrame([row | change])


def test_a_handled_spot_is_not_proposed_again_until_a_newer_report():
    reports = cluster([20, 15, 10, 5, 2])
    spots = find_spots(reports, NOW)
    decided = _decision(spots.iloc[0])
    assert not_yet_handled(spots, decided).empty
    assert len(not_yet_handled(spots, decided.iloc[0:0])) == 1
    # A decision on another category, or 300 m away, does not cover it.
    assert len(not_yet_handled(spots, _decision(spots.iloc[0], category="garbage"))) == 1
    lon, lat = _at(spots.iloc[0]["lon"], spots.iloc[0]["lat"], 300, 0)
    assert len(not_yet_handled(spots, _decision(spots.iloc[0], lon=lon, lat=lat))) == 1
    # A newer report at the same place: a new spot (a new key), proposed again.
    later = pd.concat([reports, cluster([0.5], first_id=30_000, seed=9)], ignore_index=True)
    again = not_yet_handled(find_spots(later, NOW), decided)
    assert len(again) == 1 and again.iloc[0]["reports"] == 6
    assert again.iloc[0]["key"] != spots.iloc[0]["key"]


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        find_spots(noise(), NOW, min_reports=1)
    with pytest.raises(ValueError):
        find_spots(noise(), NOW, radius_m=0)


def test_the_replayed_desk_finds_a_planted_episode_once_and_no_false_spot():
    reports = pd.concat(
        [noise(n=3000, days=120), cluster([50, 45, 41, 38, 36], seed=5)], ignore_index=True
    )
    planted = pd.DataFrame(
        {
            "spot": [0],
            "category": ["fire_lane"],
            "lon": [_at(*CENTRE, 2000, 0)[0]],
            "lat": [CENTRE[1]],
            "start": [NOW - pd.Timedelta(days=50)],
            "end": [NOW - pd.Timedelta(days=36)],
            "reports": [5],
        }
    )
    figures = spot_backtest.evaluate(reports, planted, NOW - pd.Timedelta(days=90), NOW)
    assert figures["episodes"] == 1 and figures["recall"] == 1.0
    assert figures["proposals"] == 1 and figures["precision"] == 1.0
    assert figures["false_per_week"] == 0.0
    assert 0 <= figures["median_delay_days"] <= 1  # looked at daily
    # Moved 500 m from the planted spot, the same proposal is a false one.
    moved = planted.assign(lon=_at(*CENTRE, 2500, 0)[0])
    figures = spot_backtest.evaluate(reports, moved, NOW - pd.Timedelta(days=90), NOW)
    assert figures["recall"] == 0.0 and figures["precision"] == 0.0
    assert figures["false_per_week"] == pytest.approx(1 / (90 / 7), abs=1e-3)
