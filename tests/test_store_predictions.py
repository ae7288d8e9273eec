"""The store's part for issue 20 on both backends: the history the models learn
from, model runs, and the desk's decisions on recurring spots (data.store_predictions)."""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
import pandas as pd
import pytest

from data.store_predictions import HISTORY_COLUMNS
from domain.errors import InvalidInput
from domain.public_ids import public_id_for
from domain.sla import deadlines
from tests.tiny_city import NOW

DAY = dt.timedelta(days=1)
UTC_TIME = pd.DatetimeTZDtype("us", "UTC")


def spot(**changes) -> dict:
    """A fire-lane spot in grid A-1 (town 370281001) made of incident 1."""
    return {
        "category": "fire_lane",
        "lon": 120.0051,
        "lat": 36.0052,
        "radius_m": 35.0,
        "first_reported_at": NOW - 20 * DAY,
        "last_reported_at": NOW - 3 * DAY,
        "report_ids": [1],
        "description": "同一小区一个月内五次消防通道被占用：上门劝导并设置禁停标志",
        "priority": 2,
        **changes,
    }


def written(store) -> dict:
    """What a refused write must leave as it was."""
    counts = store.table_counts()
    return {
        "incidents": counts["incidents"],
        "decisions": len(store.spot_decisions()),
        "runs": store.latest_model_run("breach_risk"),
        "audit": len(store.audit(limit=10_000)),
        "feed": store.latest_seq(),
    }


# ------------------------------------------------------------------ history


def test_history_has_the_training_columns_and_their_dtypes(city_store):
    history = city_store.history()
    assert tuple(history.columns) == HISTORY_COLUMNS
    assert len(history) == 5
    assert history["reported_at"].is_monotonic_increasing  # oldest first
    expected = {"id": "int64", "priority": "int64", "lon": "float64", "lat": "float64"}
    assert {name: str(history[name].dtype) for name in expected} == expected
    for name in ("reported_at", "due_resolve_at", "resolved_at", "closed_at"):
        assert history[name].dtype == UTC_TIME, name
    assert history["resolved_at"].isna().all() and history["closed_at"].notna().sum() == 2
    newest = history.iloc[-1]  # the waterlogging reported an hour ago on the hotline
    assert (newest["category"], newest["channel"], newest["status"]) == (
        "waterlogging",
        "hotline",
        "reported",
    )
    assert (newest["town_code"], newest["grid_code"], newest["priority"]) == ("370281001", "A-1", 1)
    assert newest["reported_at"] == pd.Timestamp(NOW - dt.timedelta(hours=1))
    assert newest["due_resolve_at"] == pd.Timestamp(NOW + dt.timedelta(hours=7))
    assert newest["pauses"] is None


def test_history_since_keeps_the_later_reports_and_an_empty_one_keeps_its_dtypes(city_store):
    later = city_store.history(since=NOW - dt.timedelta(hours=40))
    assert later["category"].tolist() == ["garbage", "fire_lane", "waterlogging"]
    empty = city_store.history(since=NOW + DAY)
    assert empty.empty and tuple(empty.columns) == HISTORY_COLUMNS
    assert empty["reported_at"].dtype == UTC_TIME and empty["id"].dtype == "int64"
    with pytest.raises(InvalidInput, match="timezone-aware"):
        city_store.history(since=dt.datetime(2026, 1, 1))


# --------------------------------------------------------------- model runs


def test_a_model_run_is_kept_as_json_audited_and_fed(city_store):
    seq = city_store.latest_seq()
    params = {"coef": np.array([0.5, -1.25]), "intercept": np.float64(-2.0), "towns": ["A"]}
    run_id = city_store.save_model_run(
        "breach_risk",
        params,
        {"auc": 0.71, "baseline_auc": 0.64, "brier": float("nan")},
        1200,
        "ok",
        "",
        "system",
        NOW,
    )
    run = city_store.latest_model_run("breach_risk")
    assert run["id"] == run_id and run["kind"] == "breach_risk" and run["status"] == "ok"
    assert run["params"] == {"coef": [0.5, -1.25], "intercept": -2.0, "towns": ["A"]}
    assert run["metrics"] == {"auc": 0.71, "baseline_auc": 0.64, "brier": None}
    assert run["trained_at"] == NOW and run["trained_by"] == "system" and run["rows"] == 1200
    assert city_store.latest_model_run("surge") is None
    audit = city_store.audit(limit=1).iloc[0]
    assert (audit["action"], audit["entity"], audit["entity_id"]) == (
        "train_model",
        "model",
        str(run_id),
    )
    feed = city_store.changes_since(seq)
    assert feed["entity"].tolist() == ["model"] and feed["op"].tolist() == ["insert"]
    assert feed["payload"].iloc[0]["id"] == run_id

    thin = city_store.save_model_run(
        "breach_risk", {}, {}, 40, "thin", "only 40 closed incidents", "system", NOW + DAY
    )
    newest = city_store.latest_model_run("breach_risk")
    assert newest["id"] == thin > run_id
    assert (newest["status"], newest["note"]) == ("thin", "only 40 closed incidents")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"kind": "weather"}, "kind must be one of"),
        ({"status": "great"}, "status must be one of"),
        ({"rows": -1}, "rows must be a whole number"),
        ({"params": {"coef": float("nan")}}, "params must be plain JSON"),
        ({"params": {"model": object()}}, "params must be plain JSON"),
        ({"params": [1, 2]}, "params must be a dict"),
        ({"now": dt.datetime(2026, 6, 20)}, "timezone-aware"),
    ],
)
def test_a_bad_model_run_is_refused_and_writes_nothing(city_store, change, message):
    before = written(city_store)
    args = {"kind": "breach_risk", "params": {"a": 1}, "metrics": {}, "rows": 10}
    args |= {"status": "ok", "note": "", "actor": "system", "now": NOW, **change}
    with pytest.raises(InvalidInput, match=message):
        city_store.save_model_run(**args)
    assert written(city_store) == before


# ---------------------------------------------------------- proactive cases


def test_a_spot_opens_a_registered_proactive_case_in_one_audited_write(city_store):
    seq = city_store.latest_seq()
    case_id = city_store.open_proactive_case(spot(), "desk", NOW)

    case = city_store.incidents(ids=[case_id]).iloc[0]
    assert (case["channel"], case["status"], case["category"]) == (
        "proactive",
        "registered",
        "fire_lane",
    )
    assert (case["grid_code"], case["town_code"], case["priority"]) == ("A-1", "370281001", 2)
    assert case["public_id"] == public_id_for(case_id, NOW)
    assert case["description"].startswith("同一小区")
    assert case["reporter_name"] is None and case["reporter_phone"] is None
    assert case["reported_at"] == case["registered_at"] == NOW
    assert case["due_resolve_at"] == deadlines("fire_lane", 2, NOW).resolve_at
    assert pd.isna(case["due_contact_at"])  # nobody to call back

    decisions = city_store.spot_decisions()
    assert len(decisions) == 1
    decision = decisions.iloc[0]
    assert (decision["decision"], decision["incident_id"], decision["decided_by"]) == (
        "opened",
        case_id,
        "desk",
    )
    assert decision["report_ids"] == [1] and decision["radius_m"] == 35.0
    assert decision["last_reported_at"] == NOW - 3 * DAY and decision["decided_at"] == NOW
    for name in ("first_reported_at", "last_reported_at", "decided_at"):
        assert decisions[name].dtype == UTC_TIME
    assert str(decisions["incident_id"].dtype) == "Int64"

    audit = city_store.audit(limit=2)
    assert set(zip(audit["action"], audit["entity"], strict=True)) == {
        ("open_proactive_case", "incident"),
        ("open_spot", "spot"),
    }
    feed = city_store.changes_since(seq)
    assert feed["entity"].tolist() == ["incident", "spot"]
    assert feed["payload"].iloc[0]["id"] == case_id
    assert feed["payload"].iloc[1]["incident_id"] == case_id

    # The case follows the normal lifecycle.
    move = city_store.apply_action(case_id, "park", actor="desk", note="等待物业配合")
    assert (move.source, move.target) == ("registered", "parked")


def test_the_case_deadline_follows_the_stores_sla_policy(database_url):
    from data.store import Store
    from domain.sla import SlaPolicy
    from tests.tiny_city import tiny_city

    policy = SlaPolicy.from_dict({"categories": {"fire_lane": {"resolve": "4 clock_hours"}}})
    store = Store.open(database_url, sla_policy=policy)
    try:
        store.load_city(tiny_city())
        case_id = store.open_proactive_case(spot(), "desk", NOW)
        due = store.incidents(ids=[case_id]).iloc[0]["due_resolve_at"]
        assert due == deadlines("fire_lane", 2, NOW, policy).resolve_at
        assert due != deadlines("fire_lane", 2, NOW).resolve_at
    finally:
        store.close()


def test_an_opened_spot_is_refused_until_a_newer_report_comes(city_store):
    first = city_store.open_proactive_case(spot(), "desk", NOW)
    before = written(city_store)
    moved = spot(lon=120.0054, lat=36.0054)  # about 40 m away: the same spot
    with pytest.raises(InvalidInput, match=f"already opened as incident {first}"):
        city_store.open_proactive_case(moved, "desk", NOW + DAY)
    with pytest.raises(InvalidInput, match="already opened"):
        city_store.dismiss_spot(moved, "desk", NOW + DAY)
    assert written(city_store) == before

    # Another category at the same place, or a newer report, is a spot of its own.
    garbage = spot(category="garbage", report_ids=[3])
    city_store.dismiss_spot(garbage, "desk", NOW)
    again = city_store.open_proactive_case(spot(last_reported_at=NOW - DAY), "desk", NOW + DAY)
    assert again != first
    assert city_store.spot_decisions()["decision"].tolist() == ["opened", "dismissed", "opened"]


def test_a_dismissed_spot_is_not_dismissed_twice_but_can_still_be_opened(city_store):
    decision_id = city_store.dismiss_spot(spot(), "desk", NOW)
    decisions = city_store.spot_decisions()
    assert decisions["id"].tolist() == [decision_id]
    assert decisions["decision"].tolist() == ["dismissed"]
    assert decisions["incident_id"].isna().all()
    assert city_store.audit(limit=1)["action"].tolist() == ["dismiss_spot"]
    assert city_store.changes_since(city_store.latest_seq() - 1)["entity"].tolist() == ["spot"]
    before = written(city_store)
    with pytest.raises(InvalidInput, match="already dismissed"):
        city_store.dismiss_spot(spot(), "desk", NOW)
    assert written(city_store) == before
    city_store.open_proactive_case(spot(), "desk", NOW)  # the desk changed its mind
    assert city_store.spot_decisions()["decision"].tolist() == ["dismissed", "opened"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"lon": 121.5}, "outside the city's grids"),
        ({"category": "ufo"}, "unknown category"),
        ({"report_ids": [1, 3]}, r"report_ids \[3\] are not fire_lane incidents"),
        ({"report_ids": [999]}, r"report_ids \[999\]"),
        ({"report_ids": []}, "non-empty list"),
        ({"priority": 5}, "priority must be 1, 2, 3 or 4"),
        ({"priority": True}, "priority must be 1, 2, 3 or 4"),
        ({"description": "  "}, "needs a description"),
        ({"radius_m": 0}, "radius_m must be more than 0"),
        ({"lat": float("nan")}, "lat must be a number"),
        ({"last_reported_at": NOW + DAY}, "none after now"),
        ({"first_reported_at": dt.datetime(2026, 6, 1)}, "timezone-aware"),
        ({"description": None}, "needs a description"),
    ],
)
def test_a_bad_spot_is_refused_and_writes_nothing(city_store, change, message):
    before = written(city_store)
    with pytest.raises(InvalidInput, match=message):
        city_store.open_proactive_case(spot(**change), "desk", NOW)
    assert written(city_store) == before


def test_a_spot_without_its_reports_is_refused(city_store):
    bare = {k: v for k, v in spot().items() if k != "report_ids"}
    with pytest.raises(InvalidInput, match="the spot lacks report_ids"):
        city_store.dismiss_spot(bare, "desk", NOW)
    assert city_store.spot_decisions().empty


def test_desks_opening_one_spot_at_once_open_one_case(city_store):
    """Two desks click the same proposal: one case, the others refused."""
    outcomes: list[object] = []

    def open_it():
        try:
            outcomes.append(city_store.open_proactive_case(spot(), "desk", NOW))
        except InvalidInput as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    opened = [o for o in outcomes if isinstance(o, int)]
    assert len(opened) == 1 and len(outcomes) == 4
    assert city_store.table_counts()["incidents"] == 6
    assert len(city_store.spot_decisions()) == 1
