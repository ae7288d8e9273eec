"""The flood scenario runs end to end against the real server, through its public APIs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app import seed_city
from data.store import Store
from scripts.app_process import ROOT, app_process

pytestmark = pytest.mark.slow


def test_the_flood_is_reported_dispatched_harvested_and_closed(tmp_path):
    url = f"sqlite:///{tmp_path / 'flood.db'}"
    store = Store.open(url)
    seed_city(store, scale="county", seed=2022)
    before = store.count_reports()
    store.close()
    with app_process({"DATABASE_URL": url, "GC_TEST_LOG": str(tmp_path / "server.log")}) as base:
        run = subprocess.run(
            [sys.executable, str(ROOT / "app.py"), "simulate", "flood", "--url", base,
             "--speed", "14400", "--fields", "3", "--water", "6", "--hours", "120"],
            cwd=ROOT, env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "演练结束: 9 件上报" in run.stdout and "9 件办结" in run.stdout, run.stdout[-2000:]

    store = Store.open(url)
    try:
        key = store.api_keys().iloc[-1]
        mine = store.incidents(reported=(None, None))
        mine = mine[mine["client_id"] == key["id"]]
        actions = store.audit(limit=5000)
    finally:
        store.close()
    assert len(mine) == 9 and before > 0
    assert set(mine["status"]) == {"closed"}
    fields = mine[mine["category"] == "farm_help"]
    assert len(fields) == 3 and (fields["headcount"] >= 8).all()
    assert fields["town_code"].eq("370281009").all()  # 胶西
    # Everything came through the public APIs: Open311, the dispatch desk, the field app.
    actors = set(actions["actor"])
    assert "open311:演练模拟器" in actors and "field:演练模拟器" in actors
    assert "key:演练模拟器/指挥中心值班员（演练）" in actors  # the key, and whom it acts for
    assert "key:演练模拟器/指挥中心核查员（演练）" in actors
    moved = actions[actions["action"] == "record_positions"]
    assert len(moved) >= 3, "cadres did not report their way to the fields"
