"""services.predictions on real stores: training saves runs, predictions read them."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from data.store import Store
from domain.lifecycle import OPEN_STATUSES
from services import predictions
from tests.tiny_city import NOW as TINY_NOW

NOW = dt.datetime(2026, 5, 10, 3, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo_url(module_database_url) -> str:
    """The demo county with 8,000 incidents (fewer than the demo's 30,000, enough
    to learn from), made up to NOW, on each backend."""
    from data.demo_city import SCALES, generate_city

    store = Store.open(module_database_url)
    store.load_city(generate_city(3, replace(SCALES["county"], incidents=8000), now=NOW))
    store.close()
    return module_database_url


@pytest.fixture
def demo_store(demo_url):
    store = Store.open(demo_url)
    yield store
    store.close()


def test_no_model_gives_no_figure(city_store):
    assert predictions.model_state(city_store)["status"] is None
    frame = city_store.incidents()
    assert predictions.risk_of_open(city_store, frame, TINY_NOW) is None
    assert predictions.at_risk_count(city_store, TINY_NOW) is None


def test_a_thin_history_is_saved_as_thin_with_its_reason(city_store):
    summary = predictions.train(city_store, TINY_NOW, actor="测试")
    run = summary["breach_risk"]
    assert run["status"] == "thin" and "at least 2,000 rows" in run["note"]
    state = predictions.model_state(city_store)
    assert state["status"] == "thin" and state["note"] == run["note"]
    assert state["run_id"] == run["run_id"]
    assert predictions.risk_of_open(city_store, city_store.incidents(), TINY_NOW) is None
    assert predictions.at_risk_count(city_store, TINY_NOW) is None
    feed = city_store.changes_since(0)
    # One run per model (breach risk, surge), each in the change feed.
    assert (feed["entity"] == "model").sum() == len(predictions.TRAINERS)


def test_training_on_the_demo_saves_a_model_that_beats_the_baseline(demo_store):
    summary = predictions.train(demo_store, NOW)
    run = summary["breach_risk"]
    assert run["status"] == "ok", run["note"]
    metrics = run["metrics"]
    assert metrics["auc"] > metrics["baseline_auc"] and metrics["brier"] < metrics["baseline_brier"]
    assert run["rows"] > 2000 and metrics["train_s"] > 0
    saved = demo_store.latest_model_run("breach_risk")
    assert saved["id"] == run["run_id"] and saved["params"]["kind"] == "breach_risk"
    assert saved["trained_by"] == "system"

    open_now = demo_store.incidents(statuses=sorted(OPEN_STATUSES))
    closed = demo_store.incidents(statuses=["closed"], limit=3)
    frame = pd.concat([open_now, closed])
    risks = predictions.risk_of_open(demo_store, frame, NOW)
    assert risks.index.equals(frame.index)
    live = risks["risk"].iloc[: len(open_now)]
    parked = open_now["due_resolve_at"].isna().to_numpy()
    assert live[~parked].between(0, 1).all() and live[~parked].notna().all()
    assert risks["risk"].iloc[len(open_now) :].isna().all()  # closed: no figure
    assert all(f == [] for f in risks["factors"].iloc[len(open_now) :])
    overdue = (pd.to_datetime(open_now["due_resolve_at"], utc=True) < NOW).to_numpy()
    assert (live[overdue] == 1.0).all()
    named = [f for factors in risks["factors"].iloc[: len(open_now)] for f in factors]
    assert named and all(0 < len(f) <= 3 for f in risks["factors"].iloc[: len(open_now)])

    at_risk = predictions.at_risk_count(demo_store, NOW)
    expected = (~overdue & (live.to_numpy() >= 0.5)).sum()
    assert at_risk == expected
    town = open_now["town_code"].iloc[0]
    in_town = predictions.at_risk_count(demo_store, NOW, town=town, threshold=0.0)
    assert in_town == (~overdue & ~parked & (open_now["town_code"] == town).to_numpy()).sum()


def test_a_new_run_replaces_the_model_a_worker_holds(demo_store):
    if demo_store.latest_model_run("breach_risk") is None:
        predictions.train(demo_store, NOW)
    frame = demo_store.incidents(statuses=sorted(OPEN_STATUSES))
    before = predictions.risk_of_open(demo_store, frame, NOW)
    assert before is not None
    run = demo_store.latest_model_run("breach_risk")
    params = run["params"] | {"intercept": run["params"]["intercept"] + 2.0}
    demo_store.save_model_run(
        "breach_risk", params, run["metrics"], run["rows"], "ok", "higher", "测试", NOW
    )
    after = predictions.risk_of_open(demo_store, frame, NOW)
    running = before["risk"].notna() & (before["risk"] < 1)
    assert (after["risk"][running] > before["risk"][running]).all()
    demo_store.save_model_run("breach_risk", {}, {}, 0, "thin", "too few", "测试", NOW)
    assert predictions.risk_of_open(demo_store, frame, NOW) is None
