"""The breach-risk model on small histories built here, with known structure."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from domain import breach_backtest, breach_risk
from domain.breach_features import outcomes, town_load, training_rows
from domain.breach_risk import RiskModel, Thin
from domain.errors import InvalidInput

NOW = dt.datetime(2025, 6, 1, 4, tzinfo=dt.UTC)
H = pd.Timedelta(hours=1)
CATEGORIES = ("garbage", "noise", "illegal_building", "dispute")
TOWNS = ("370281001", "370281002", "370281003", "370281004")
SLOW_CATEGORY, SLOW_TOWN = "illegal_building", "370281003"


def history(n: int = 6000, seed: int = 1, days: int = 500) -> pd.DataFrame:
    """Incidents over ``days`` before NOW: 72 h to resolve; late more often in the
    slow category and, more so, in the slow town (which the category baseline
    cannot see); some rejected; the last ones still open."""
    rng = np.random.default_rng(seed)
    reported = NOW - pd.to_timedelta(np.sort(rng.uniform(0, days * 24, n))[::-1], unit="h")
    category = rng.choice(CATEGORIES, n)
    town = rng.choice(TOWNS, n)
    logit = -2.6 + 1.0 * (category == SLOW_CATEGORY) + 1.6 * (town == SLOW_TOWN)
    late = rng.random(n) < 1 / (1 + np.exp(-logit))
    allowed = 72 * H
    took = np.where(late, 72 + rng.uniform(1, 48, n), 72 * rng.beta(2, 3, n))
    resolved = reported + pd.to_timedelta(took, unit="h")
    done = resolved <= NOW
    rejected = rng.random(n) < 0.02
    status = np.where(rejected, "rejected", np.where(done, "closed", "in_progress"))
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "category": category,
            "priority": 3,
            "town_code": town,
            "channel": rng.choice(["app", "hotline"], n),
            "status": status,
            "reported_at": reported,
            "due_resolve_at": reported + allowed,
        }
    )
    frame["resolved_at"] = pd.Series(resolved).where(done & ~rejected)
    frame["closed_at"] = frame["resolved_at"] + H
    frame.loc[rejected, "closed_at"] = frame.loc[rejected, "reported_at"] + H
    return frame


@pytest.fixture(scope="module")
def past() -> pd.DataFrame:
    return history()


@pytest.fixture(scope="module")
def model(past) -> RiskModel:
    found = breach_risk.fit(past, NOW)
    assert isinstance(found, RiskModel)
    return found


def open_incidents(n: int = 40, used_h: float = 24.0) -> pd.DataFrame:
    """Open incidents reported ``used_h`` hours before NOW, a row per category × town."""
    rows = [(c, t) for c in CATEGORIES for t in TOWNS]
    rows = (rows * (n // len(rows) + 1))[:n]
    reported = NOW - used_h * H
    return pd.DataFrame(
        {
            "id": np.arange(10_001, 10_001 + n),
            "category": [c for c, _ in rows],
            "priority": 3,
            "town_code": [t for _, t in rows],
            "channel": "app",
            "status": "in_progress",
            "reported_at": reported,
            "due_resolve_at": reported + 72 * H,
            "resolved_at": pd.NaT,
            "closed_at": pd.NaT,
        }
    )


def test_snapshots_are_taken_while_unresolved_and_labelled_by_the_outcome():
    frame = history(8, seed=3)
    rep = NOW - 10 * 24 * H
    frame["reported_at"], frame["due_resolve_at"] = rep, rep + 72 * H
    none = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    frame["status"], frame["resolved_at"], frame["closed_at"] = "closed", none, none
    frame.loc[0, "resolved_at"] = rep + 30 * H  # met, resolved at 42 % of its time
    frame.loc[1, "resolved_at"] = rep + 80 * H  # late
    frame.loc[2, "status"] = "in_progress"  # open past its deadline: late
    frame.loc[3, ["status", "reported_at", "due_resolve_at"]] = ["dispatched", NOW - H, NOW + H]
    frame.loc[4, ["status", "closed_at"]] = ["rejected", rep + H]  # no work was due
    frame.loc[5, ["status", "due_resolve_at"]] = ["parked", pd.NaT]  # no deadline while parked
    frame = frame.iloc[:6]
    known = outcomes(frame, NOW)
    assert dict(zip(known["id"], known["breached"], strict=True)) == {1: False, 2: True, 3: True}
    rows = training_rows(frame, NOW)
    assert sorted(rows.loc[rows["id"] == 1, "used"]) == [0.0, 0.25]  # 0.5 came after it
    assert sorted(rows.loc[rows["id"] == 2, "used"]) == list(breach_risk.FRACTIONS)
    assert rows.groupby("id")["breached"].first().to_dict() == {1: False, 2: True, 3: True}


def test_town_load_counts_open_work_and_new_reports_at_each_moment():
    day = pd.Timedelta(days=1)
    start = NOW - 40 * day
    frame = pd.DataFrame(
        {
            "town_code": ["a", "a", "a", "b", "a"],
            "status": ["closed", "in_progress", "rejected", "in_progress", "closed"],
            "reported_at": [start, start + day, start + 2 * day, start, NOW - day],
            "resolved_at": [start + 5 * day, pd.NaT, pd.NaT, pd.NaT, NOW - H],
            "closed_at": [start + 6 * day, pd.NaT, start + 3 * day, pd.NaT, NOW],
        }
    )
    at = np.array([(start + 2.5 * day).timestamp(), (start + 4 * day).timestamp(), NOW.timestamp()])
    load = town_load(frame, ["a", "a", "a"], at)
    # at 2.5 days: the first three open; at 4 days the rejected one is closed; at NOW
    # only the one still in progress (the last was resolved an hour before).
    assert load["workload"].tolist() == [3, 2, 1]
    # NOW: one report in the last 3 days, none in the 25 before: (1 + 1) / (1·3/28 + 1)
    assert load["new_reports"].iloc[2] == pytest.approx(2 / (3 / 28 + 1))
    assert town_load(frame, ["b"], at[:1])["workload"].tolist() == [1]


def test_the_model_beats_the_category_baseline_on_a_time_split(past):
    found = breach_backtest.backtest(past, NOW, months=4)
    assert not isinstance(found, Thin)
    model, base = found["model"], found["baseline"]
    assert model["auc"] > base["auc"] + 0.05  # the slow town and the time used
    assert model["brier"] < base["brier"]
    assert found["beats_baseline"]
    assert sum(b["n"] for b in model["calibration"]) == model["n"] == found["test"]["rows"]
    # Calibrated in the large: the mean risk is close to the rate seen.
    mean_risk = sum(b["predicted"] * b["n"] for b in model["calibration"]) / model["n"]
    assert mean_risk == pytest.approx(model["positives"] / model["n"], abs=0.04)


def test_a_thin_history_gives_a_reason_instead_of_a_model():
    found = breach_risk.fit(history(300), NOW)
    assert isinstance(found, Thin)
    assert "at least 2,000 rows" in found.reason and found.rows < breach_risk.MIN_ROWS
    nothing_late = history(4000)
    nothing_late = nothing_late[nothing_late["resolved_at"] <= nothing_late["due_resolve_at"]]
    assert isinstance(breach_risk.fit(nothing_late, NOW), Thin)


def test_parameters_survive_json_and_predict_the_same(model, past):
    again = RiskModel.from_params(json.loads(json.dumps(model.to_params())))
    frame = open_incidents()
    first = breach_risk.predict(model, frame, NOW, history=past)
    second = breach_risk.predict(again, frame, NOW, history=past)
    assert first["risk"].tolist() == second["risk"].tolist()
    assert first["factors"].tolist() == second["factors"].tolist()
    with pytest.raises(InvalidInput, match="not the parameters"):
        RiskModel.from_params({"kind": "surge"})


def test_factors_add_up_to_the_risk_against_the_average_case(model, past):
    frame = open_incidents()
    found = breach_risk.predict(model, frame, NOW, history=past)
    rows = breach_risk.features(
        frame, NOW, town_load(past, frame["town_code"], np.full(len(frame), NOW.timestamp()))
    )
    parts = breach_risk.contributions(model.params, rows)
    logit = np.log(found["risk"] / (1 - found["risk"]))
    average = np.log(model.average_risk / (1 - model.average_risk))
    assert np.allclose(logit - average, parts.sum(axis=1))
    for (_, row), (_, weights) in zip(found.iterrows(), parts.iterrows(), strict=True):
        assert 1 <= len(row["factors"]) <= 3
        named = [f["weight"] for f in row["factors"]]
        assert named == sorted(named, key=abs, reverse=True)
        assert abs(named[0]) == pytest.approx(weights.abs().max(), abs=1e-3)
        assert {f["key"] for f in row["factors"]} <= set(breach_risk.FACTOR_KEYS)
    slow = found[(frame["town_code"] == SLOW_TOWN) & (frame["category"] == SLOW_CATEGORY)]
    quick = found[(frame["town_code"] != SLOW_TOWN) & (frame["category"] != SLOW_CATEGORY)]
    assert slow["risk"].min() > quick["risk"].max()
    town = next(f for f in slow["factors"].iloc[0] if f["key"] == "town")
    assert town["value"] == SLOW_TOWN and town["weight"] > 0.5


def test_risk_rises_with_the_time_used(model, past):
    risks = [
        breach_risk.predict(model, open_incidents(16, used_h=h), NOW, history=past)["risk"]
        for h in (0, 12, 30, 50, 65, 71)
    ]
    table = np.column_stack(risks)
    assert (np.diff(table, axis=1) > 0).all()
    odds = table / (1 - table)
    assert (odds[:, -1] > 4 * odds[:, 0]).all()


def test_overdue_and_parked_incidents_are_not_guessed(model):
    frame = open_incidents(3)
    frame.loc[0, "due_resolve_at"] = NOW - 5 * H
    frame.loc[1, "due_resolve_at"] = pd.NaT  # parked: the clock stands
    found = breach_risk.predict(model, frame, NOW)
    assert found["risk"].iloc[0] == 1.0
    assert found["factors"].iloc[0] == [{"key": "overdue", "value": 5.0, "weight": None}]
    assert np.isnan(found["risk"].iloc[1]) and found["factors"].iloc[1] == []
    assert 0 < found["risk"].iloc[2] < 1


def test_as_of_hides_what_happened_after_the_cutoff(past):
    cutoff = NOW - pd.Timedelta(days=30)
    then = breach_backtest.as_of(past, cutoff)
    assert (then["reported_at"] <= cutoff).all()
    assert not (then["resolved_at"] > cutoff).any()
    reopened = then["id"].isin(past.loc[past["resolved_at"] > cutoff, "id"])
    assert (then.loc[reopened, "status"] == "in_progress").all() and reopened.any()


def test_evaluate_scores_and_bins_predictions():
    found = breach_backtest.evaluate([False, False, True, True], [0.1, 0.2, 0.8, 0.95])
    assert found["auc"] == 1.0
    assert found["brier"] == pytest.approx((0.01 + 0.04 + 0.04 + 0.0025) / 4)
    assert [(b["lo"], b["n"], b["observed"]) for b in found["calibration"]] == [
        (0.1, 1, 0.0),
        (0.2, 1, 0.0),
        (0.8, 1, 1.0),
        (0.9, 1, 1.0),
    ]
    with pytest.raises(InvalidInput):
        breach_backtest.evaluate([True], [0.1, 0.2])


def test_a_priority_read_as_a_float_or_text_is_the_same_priority(model):
    frame = open_incidents(4)
    same = breach_risk.predict(model, frame, NOW)
    for other in (3.0, "3"):
        found = breach_risk.predict(model, frame.assign(priority=other), NOW)
        assert found["risk"].tolist() == same["risk"].tolist()
