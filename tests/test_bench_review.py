"""The review benchmark (bench/review.py) runs end to end on the tiny city.

Timings are not checked, only that every step ran, counted what the tiny city
holds, and reported its time as the sum of its parts.
"""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest

import bench.review
from bench.review import catch_up, main, principals_for
from data.store import Store
from domain.review_metrics import MAP_METRICS
from tests.tiny_city import NOW, tiny_city


class TinyCityClock(dt.datetime):
    """The bench's clock stopped at the tiny city's NOW, so that its five
    incidents (the last four days) fall in every period the session asks for."""

    @classmethod
    def now(cls, tz=None):
        return NOW


# What each step counts in the tiny city at NOW: (incidents, grids on the map).
# Town A (370281001, two grids) holds T1 and T2 in grid A-1 and T5 in A-2; each
# category has one incident. "+ channel" depends on which three categories tie
# at the top, so it is counted from the tiny city below.
COUNTS = {
    "period year": (5, 4),
    "period month": (5, 4),
    "period quarter": (5, 4),
    "custom 90 days": (5, 4),
    **{f"metric {m}": (5, 4) for m in MAP_METRICS},
    "1 category": (1, 4),
    "3 categories": (3, 4),
    "clear filters": (5, 4),
    "drill town": (3, 2),
    "drill community": (3, 2),
    "drill grid": (2, 2),  # A-1's two, within its community's two grids
    "town leader, year": (3, 2),
}


def test_review_bench_runs_every_step_on_the_tiny_city(tiny_url, capsys, monkeypatch):
    clock = SimpleNamespace(datetime=TinyCityClock, UTC=dt.UTC, timedelta=dt.timedelta)
    monkeypatch.setattr(bench.review, "dt", clock)
    assert main(["--scale", "county", "--repeat", "1", "--database-url", tiny_url, "--json"]) == 0
    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    county = figures["scales"]["county"]
    assert county["cold_start"]["rows"] == 5
    assert county["cold_start"]["first_in_process"]
    steps = county["steps"]
    metrics = [s["step"] for s in steps if s["kind"] == "metric"]
    assert sorted(metrics) == sorted(f"metric {m}" for m in MAP_METRICS)
    assert [s["step"] for s in steps if s["kind"] == "drill"] == [
        "drill town",
        "drill community",
        "drill grid",
    ]
    targets = county["targets"]
    assert targets["town"] == "370281001"  # three of the five incidents
    assert targets["community"] == "370281001001"
    assert targets["grid"] == "A-1"
    assert targets["channel"] == "app"  # T1 and T4
    incidents = tiny_city().incidents
    by_channel = incidents[
        incidents["category"].isin(targets["categories"])
        & (incidents["channel"] == targets["channel"])
    ]
    expected = {**COUNTS, "+ channel": (len(by_channel), 4)}
    assert {s["step"]: (s["incidents"], s["grids"]) for s in steps} == expected
    assert all(s["notice"] is None for s in steps)  # none of them is empty
    for s in steps:  # one run: each figure is that run's, and its parts add up
        assert s["total_s"] == pytest.approx(s["build_s"] + s["tables_s"] + s["figure_s"])
        assert s["callback_s"] == pytest.approx(s["total_s"] + s["page_s"] + s["encode_s"])
        assert s["max_s"] == s["total_s"]
    assert county["kinds"]["all"]["n"] == len(steps)
    assert county["kinds"]["drill"]["incidents_min"] == 2
    assert figures["notes"]  # how the map was built, or why it was not
    assert county["catch_up"] is None  # never writes to a --database-url database
    assert "catch-up skipped" in out


def test_catch_up_patches_the_cache_with_the_new_incidents(tiny_url):
    store = Store.open(tiny_url)
    try:
        result = catch_up(store, principals_for(None), dt.datetime.now(dt.UTC), count=3)
    finally:
        store.close()
    assert result["added"] == 3
    assert result["counted_more"] == 3
    assert result["patches"] == 1
    assert result["reloads"] == 0
