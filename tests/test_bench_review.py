"""The review benchmark (bench/review.py) runs end to end on the tiny city.

Timings are not checked, only that every step ran and counted what it should.
"""

from __future__ import annotations

import datetime as dt
import json

from bench.review import catch_up, main, principals_for
from data.store import Store
from domain.review_metrics import MAP_METRICS


def test_review_bench_runs_every_step_on_the_tiny_city(tiny_url, capsys):
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
    assert county["targets"]["town"] == "370281001"  # three of the five incidents
    assert county["targets"]["grid"] == "A-1"
    assert county["kinds"]["all"]["n"] == len(steps)
    assert figures["notes"]  # how the map was built, or why it was not
    assert all(s["total_s"] > 0 for s in steps)
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
