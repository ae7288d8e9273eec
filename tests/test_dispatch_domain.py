"""Dispatch without a server: travel estimates, recommendations, and whole plans."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest

import domain.dispatch_solver as solver
import domain.travel as travel
from data.store import Store
from domain.dispatch_plan import PRIORITY_WEIGHTS, greedy_plan, optimal_plan
from domain.errors import InvalidInput
from domain.lifecycle import OPEN_STATUSES
from domain.recommend import PAIRED_BONUS_S, paired_mask, recommend
from domain.travel import (
    DEFAULT_MODEL,
    DETOUR,
    TravelModel,
    haversine_m,
    modes_for_roles,
    reachable,
    travel_seconds,
)
from tests.tiny_city import tiny_city

LON0, LAT0 = 120.03, 36.28  # Jiaozhou city centre
M_PER_DEG_LAT = math.pi * 6_371_008.8 / 180


def at(east_m: float, north_m: float) -> tuple[float, float]:
    """WGS84 lon, lat of a point this many metres east and north of the centre."""
    lat = LAT0 + north_m / M_PER_DEG_LAT
    return LON0 + east_m / (M_PER_DEG_LAT * math.cos(math.radians(LAT0))), lat


def cadres_frame(*rows: dict) -> pd.DataFrame:
    """Cadres shaped like ``Store.cadres()``; each row gives at least east/north metres."""
    out = []
    for k, row in enumerate(rows, start=1):
        row = dict(row)
        lon, lat = at(row.pop("east", 0.0), row.pop("north", 0.0))
        out.append(
            {
                "id": k,
                "name": f"干部{k}",
                "role": "grid_worker",
                "department_id": None,
                "town_code": "370281001",
                "skills": "",
                "status": "available",
                "lon": lon,
                "lat": lat,
                **row,
            }
        )
    return pd.DataFrame(out)


def incidents_frame(*rows: dict) -> pd.DataFrame:
    """Open incidents shaped like ``Store.incidents()``."""
    out = []
    for k, row in enumerate(rows, start=1):
        row = dict(row)
        lon, lat = at(row.pop("east", 0.0), row.pop("north", 0.0))
        out.append(
            {
                "id": k,
                "public_id": f"T{k}",
                "category": "garbage",
                "priority": 3,
                "headcount": 1,
                "lon": lon,
                "lat": lat,
                "town_code": "370281001",
                "status": "registered",
                **row,
            }
        )
    return pd.DataFrame(out)


def incident(**values) -> dict:
    return incidents_frame(values).iloc[0].to_dict()


def random_instance(rng, n_incidents, n_cadres, span_m=8000, max_head=3):
    incidents = incidents_frame(
        *(
            {
                "east": rng.uniform(0, span_m),
                "north": rng.uniform(0, span_m),
                "priority": int(rng.integers(1, 5)),
                "headcount": int(rng.integers(1, max_head + 1)),
            }
            for _ in range(n_incidents)
        )
    )
    roles = ["grid_worker", "dept_cadre", "town_cadre", "volunteer"]
    cadres = cadres_frame(
        *(
            {
                "east": rng.uniform(0, span_m),
                "north": rng.uniform(0, span_m),
                "role": roles[int(rng.integers(0, 4))],
            }
            for _ in range(n_cadres)
        )
    )
    return incidents, cadres


def reward(plan, incidents) -> int:
    """Sum of the priority weights of the filled slots."""
    weight = dict(zip(incidents["id"], incidents["priority"].map(PRIORITY_WEIGHTS), strict=True))
    return int(sum(weight[i] for i in plan.assignments["incident_id"]))


# --- travel ---------------------------------------------------------------------------


def test_haversine_knows_a_degree_of_latitude():
    assert haversine_m(LON0, 36.0, LON0, 37.0) == pytest.approx(111_195, rel=1e-4)


def test_travel_time_grows_with_distance_for_every_mode():
    lon, lat = at(0, np.linspace(0, 20_000, 50))
    for mode in ("walk", "bike", "ebike", "car"):
        seconds = travel_seconds(LON0, LAT0, lon, lat, mode)
        assert (np.diff(seconds) > 0).all(), mode


def test_ground_distance_is_the_straight_line_times_the_detour():
    lon, lat = at(3000, 4000)  # 5 km as the crow flies
    straight = haversine_m(LON0, LAT0, lon, lat)
    ground = DEFAULT_MODEL.ground_m(LON0, LAT0, lon, lat)
    assert straight == pytest.approx(5000, rel=1e-3)
    assert ground > straight
    assert ground == pytest.approx(straight * DETOUR)
    seconds = travel_seconds(LON0, LAT0, lon, lat, "car")
    assert seconds > 120 + straight / (30 / 3.6)  # slower than driving the straight line


def test_modes_differ_and_the_car_loses_over_a_short_hop():
    far, near = at(0, 5000), at(0, 100)
    times = {m: float(travel_seconds(LON0, LAT0, *far, m)) for m in ("walk", "bike", "car")}
    assert times["car"] < times["bike"] < times["walk"]
    # 100 m: fetching and parking the car costs more than walking there.
    assert travel_seconds(LON0, LAT0, *near, "walk") < travel_seconds(LON0, LAT0, *near, "car")


def test_roles_choose_modes_and_an_unknown_role_walks():
    modes = modes_for_roles(["grid_worker", "dept_cadre", "town_cadre", "volunteer", "?"])
    assert list(modes) == ["ebike", "car", "car", "bike", "walk"]


def test_matrix_is_cadres_by_targets_and_agrees_with_travel_seconds():
    cadres = np.array([at(0, 0), at(1000, 0), at(0, 3000)])
    targets = np.array([at(500, 500), at(-2000, 100)])
    seconds, metres = DEFAULT_MODEL.matrix(cadres, targets, ["walk", "ebike", "car"])
    assert seconds.shape == metres.shape == (3, 2)
    expected = travel_seconds(cadres[2, 0], cadres[2, 1], targets[1, 0], targets[1, 1], "car")
    assert seconds[2, 1] == pytest.approx(float(expected))


def test_travel_model_rejects_nonsense():
    with pytest.raises(InvalidInput, match="detour"):
        TravelModel(detour=0.8)
    with pytest.raises(InvalidInput, match="unknown travel modes"):
        travel_seconds(LON0, LAT0, LON0, LAT0, "helicopter")


# --- recommend -----------------------------------------------------------------------


def test_recommend_ranks_nearer_cadres_first():
    cadres = cadres_frame({"north": 3000}, {"north": 500}, {"north": 1500})
    ranked = recommend(incident(), cadres, None, {})
    assert [r.cadre_id for r in ranked] == [2, 3, 1]
    assert [r.eta_s for r in ranked] == sorted(r.eta_s for r in ranked)


def test_paired_department_wins_a_tie_but_not_a_long_detour():
    pairings = pd.DataFrame({"department_id": [7], "town_code": ["370281001"]})
    tie = cadres_frame(
        {"north": 1000, "role": "dept_cadre", "department_id": 3},
        {"north": 1000, "role": "dept_cadre", "department_id": 7},
    )
    first = recommend(incident(), tie, pairings, {})[0]
    assert (first.cadre_id, first.paired) == (2, True)
    assert first.reason.startswith("结对单位")
    far = cadres_frame(
        {"north": 1000, "role": "dept_cadre", "department_id": 3},
        {"north": 20_000, "role": "dept_cadre", "department_id": 7},
    )
    ranked = recommend(incident(), far, pairings, {})
    assert ranked[1].eta_s - ranked[0].eta_s > PAIRED_BONUS_S
    assert ranked[0].cadre_id == 1


def test_missing_skill_is_penalised_and_said():
    cadres = cadres_frame(
        {"north": 800, "skills": "sanitation"},
        {"north": 900, "skills": "mediation,drainage"},
    )
    ranked = recommend(incident(category="waterlogging"), cadres, None, {})
    assert [(r.cadre_id, r.skill_match) for r in ranked] == [(2, True), (1, False)]
    assert "技能匹配" in ranked[0].reason
    assert "缺少技能: 防汛抢险/排水疏通" in ranked[1].reason
    english = recommend(incident(category="waterlogging"), cadres, None, {}, lang="en")
    assert "lacks Flood control or Drainage" in english[1].reason


def test_fair_workload_sends_the_less_busy_cadre():
    cadres = cadres_frame({"north": 1000}, {"north": 1000})
    ranked = recommend(incident(), cadres, None, pd.Series({1: 4, 2: 1}))
    assert [(r.cadre_id, r.workload) for r in ranked] == [(2, 1), (1, 4)]


def test_only_available_cadres_with_a_position_are_recommended():
    cadres = cadres_frame(
        {"north": 100, "status": "off_duty"},
        {"north": 100, "status": "en_route"},
        {"north": 100, "lon": None, "lat": None},
        {"north": 5000},
    )
    assert [r.cadre_id for r in recommend(incident(), cadres, None, {})] == [4]
    assert recommend(incident(), cadres.iloc[:3], None, {}) == []


def test_reason_gives_distance_minutes_and_workload_in_both_languages():
    pairings = pd.DataFrame({"department_id": [5], "town_code": ["370281001"]})
    # 2.1 km on the ground by e-bike: 30 s + 2100 m at 15 km/h = 534 s, about 9 minutes.
    cadres = cadres_frame({"north": 2100 / DETOUR, "department_id": 5, "skills": "sanitation"})
    zh = recommend(incident(category="garbage"), cadres, pairings, {1: 3})[0]
    assert zh.distance_m == pytest.approx(2100, rel=1e-6)
    assert zh.eta_s == pytest.approx(534, rel=1e-6)
    assert zh.reason == "结对单位, 技能匹配, 2.1 km, 约 9 分钟, 已处置 3 件"
    en = recommend(incident(category="other"), cadres, pairings, {1: 3}, lang="en")[0]
    assert en.reason == "paired department, 2.1 km, about 9 min, 3 handled"
    assert json.dumps(en.to_dict(), ensure_ascii=False)


def test_recommend_limit_and_bad_input():
    cadres = cadres_frame(*({"north": 100 * k} for k in range(1, 9)))
    assert len(recommend(incident(), cadres, None, {}, limit=3)) == 3
    with pytest.raises(InvalidInput, match="lack columns: skills"):
        recommend(incident(), cadres.drop(columns="skills"), None, {})
    with pytest.raises(InvalidInput, match="unknown category"):
        recommend(incident(category="alien"), cadres, None, {})
    with pytest.raises(InvalidInput, match="lang"):
        recommend(incident(), cadres, None, {}, lang="fr")
    with pytest.raises(InvalidInput, match="limit"):
        recommend(incident(), cadres, None, {}, limit=0)
    with pytest.raises(InvalidInput, match="lon and lat"):
        recommend({"category": "garbage", "lon": None, "lat": 36.0}, cadres, None, {})


def test_a_road_network_model_replaces_the_straight_line():
    class Ferry:
        """A stand-in road network on which cadre 1 has a direct ferry."""

        def matrix(self, cadre_lonlat, target_lonlat, modes):
            seconds, metres = DEFAULT_MODEL.matrix(cadre_lonlat, target_lonlat, modes)
            seconds[0] = 60.0
            return seconds, metres

    cadres = cadres_frame({"north": 9000}, {"north": 500})
    assert recommend(incident(), cadres, None, {}, model=Ferry())[0].cadre_id == 1


# --- plans ----------------------------------------------------------------------------


def test_optimal_plan_meets_headcounts_and_never_books_a_cadre_twice():
    rng = np.random.default_rng(7)
    incidents = incidents_frame({"headcount": 20, "priority": 2}, {"headcount": 3, "east": 2000})
    cadres = cadres_frame(*({"east": rng.uniform(-5000, 5000)} for _ in range(40)))
    plan = optimal_plan(incidents, cadres)
    assert not plan.assignments["cadre_id"].duplicated().any()
    assert plan.assignments["incident_id"].value_counts().to_dict() == {1: 20, 2: 3}
    assert (plan.filled, plan.needed, plan.unmet) == (23, 23, {})


def test_unmet_need_is_reported_and_urgent_work_is_covered_first():
    incidents = incidents_frame(
        {"headcount": 2, "priority": 4, "north": 100},
        {"headcount": 3, "priority": 1, "north": 6000},
    )
    cadres = cadres_frame({"north": 0}, {"north": 50}, {"north": 80, "status": "off_duty"})
    plan = optimal_plan(incidents, cadres)
    assert set(plan.assignments["incident_id"]) == {2}  # both go to the urgent one
    assert plan.unmet == {1: 2, 2: 1}
    assert (plan.filled, plan.needed) == (2, 5)


def test_no_cadre_travels_past_the_maximum():
    incidents = incidents_frame({"headcount": 2})
    cadres = cadres_frame({"north": 1000}, {"north": 30_000, "role": "dept_cadre"})
    for make in (optimal_plan, greedy_plan):
        plan = make(incidents, cadres, max_travel_s=1800)
        assert list(plan.assignments["cadre_id"]) == [1]
        assert (plan.assignments["eta_s"] <= 1800).all()
        assert plan.unmet == {1: 1}


def test_greedy_is_fooled_where_the_optimum_is_not():
    # The urgent incident grabs cadre 1, the one the other incident needed;
    # cadre 2 is only a little further from the urgent one but far from the other.
    incidents = incidents_frame({"priority": 1, "north": 0}, {"priority": 3, "east": -1500})
    cadres = cadres_frame({"east": -400}, {"east": 500})
    greedy, best = greedy_plan(incidents, cadres), optimal_plan(incidents, cadres)
    assert dict(zip(greedy.assignments.incident_id, greedy.assignments.cadre_id, strict=True)) == {
        1: 1,
        2: 2,
    }
    assert dict(zip(best.assignments.incident_id, best.assignments.cadre_id, strict=True)) == {
        1: 2,
        2: 1,
    }
    assert best.total_weighted_s < greedy.total_weighted_s
    # With a travel limit, greedy even leaves the second incident without anyone.
    limit = float(greedy.assignments.eta_s.max()) - 1
    greedy, best = (f(incidents, cadres, max_travel_s=limit) for f in (greedy_plan, optimal_plan))
    assert (greedy.filled, greedy.unmet, best.filled, best.unmet) == (1, {2: 1}, 2, {})


def test_optimal_is_never_worse_than_greedy_on_random_instances(solver_method):
    rng = np.random.default_rng(2024)
    for _ in range(40):
        incidents, cadres = random_instance(rng, int(rng.integers(1, 9)), int(rng.integers(1, 30)))
        max_travel_s = float(rng.choice([600, 1200, 3600, 1e9]))
        best = optimal_plan(incidents, cadres, max_travel_s=max_travel_s)
        greedy = greedy_plan(incidents, cadres, max_travel_s=max_travel_s)
        assert not best.assignments["cadre_id"].duplicated().any()
        assert best.filled >= greedy.filled
        key_best = (reward(best, incidents), -best.total_weighted_s)
        key_greedy = (reward(greedy, incidents), -greedy.total_weighted_s)
        assert key_best >= (key_greedy[0], key_greedy[1] - 1e-6)
        if best.filled == greedy.filled == best.needed:
            assert best.total_weighted_s <= greedy.total_weighted_s + 1e-6


def brute_force(incidents, cadres, max_travel_s):
    """Best (reward, weighted seconds) over every way to fill the slots."""
    slots = np.repeat(np.arange(len(incidents)), incidents["headcount"])
    weights = incidents["priority"].map(PRIORITY_WEIGHTS).to_numpy()
    seconds, _ = DEFAULT_MODEL.matrix(
        cadres[["lon", "lat"]].to_numpy(float),
        incidents[["lon", "lat"]].to_numpy(float),
        modes_for_roles(cadres["role"]),
    )
    best = (0, 0.0)
    choices = list(range(len(cadres))) + [None] * len(slots)
    for pick in set(itertools.permutations(choices, len(slots))):
        used = [(s, c) for s, c in zip(slots, pick, strict=True) if c is not None]
        if any(seconds[c, s] > max_travel_s for s, c in used):
            continue
        got = (
            sum(int(weights[s]) for s, _ in used),
            -sum(weights[s] * seconds[c, s] for s, c in used),
        )
        best = max(best, got)
    return best[0], -best[1]


@pytest.fixture(params=["dense", "sparse"])
def solver_method(request, monkeypatch):
    """Force ``optimal_plan`` onto one exact solver (auto picks by size)."""
    cells = 10**12 if request.param == "dense" else 0
    monkeypatch.setattr(solver, "DENSE_MAX_CELLS", cells)
    return request.param


def test_optimal_plan_matches_brute_force_on_small_instances(solver_method):
    rng = np.random.default_rng(11)
    for _ in range(25):
        incidents, cadres = random_instance(rng, int(rng.integers(1, 4)), int(rng.integers(1, 6)))
        while incidents["headcount"].sum() > 4:
            incidents.loc[incidents["headcount"].idxmax(), "headcount"] -= 1
        max_travel_s = float(rng.choice([900, 1500, 1e9]))
        plan = optimal_plan(incidents, cadres, max_travel_s=max_travel_s)
        want_reward, want_weighted = brute_force(incidents, cadres, max_travel_s)
        assert reward(plan, incidents) == want_reward
        assert plan.total_weighted_s == pytest.approx(want_weighted, abs=1e-6)


def test_greedy_takes_urgent_then_older_incidents_first():
    t0 = pd.Timestamp("2025-06-01 08:00", tz="UTC")
    incidents = incidents_frame(
        {"priority": 3, "reported_at": t0, "north": 10},
        {"priority": 1, "reported_at": t0 + pd.Timedelta(hours=2), "north": 20},
        {"priority": 3, "reported_at": t0 - pd.Timedelta(hours=1), "north": 30},
    )
    cadres = cadres_frame({"north": 0})
    assert list(greedy_plan(incidents, cadres).assignments["incident_id"]) == [2]
    lone = incidents.iloc[[0, 2]]
    assert list(greedy_plan(lone, cadres).assignments["incident_id"]) == [3]


def test_plans_mark_pairings_and_serialise_to_json():
    pairings = pd.DataFrame({"department_id": [9], "town_code": ["370281001"]})
    incidents = incidents_frame({"headcount": 2})
    cadres = cadres_frame({"north": 100, "department_id": 9}, {"north": 200})
    plan = optimal_plan(incidents, cadres, pairings)
    assert dict(zip(plan.assignments.cadre_id, plan.assignments.paired, strict=True)) == {
        1: True,
        2: False,
    }
    short = greedy_plan(incidents_frame({"headcount": 5}), cadres)
    data = json.loads(json.dumps(short.to_dict()))
    assert data["unmet"] == {"1": 3} and data["method"] == "greedy"
    assert data["assignments"][0]["incident_id"] == 1


def test_empty_work_or_nobody_available():
    cadres = cadres_frame({"north": 100})
    empty = optimal_plan(incidents_frame({}).iloc[:0], cadres)
    assert (empty.filled, empty.needed, empty.total_weighted_s) == (0, 0, 0.0)
    for make in (optimal_plan, greedy_plan):
        plan = make(incidents_frame({"headcount": 2}), cadres.assign(status="off_duty"))
        assert (plan.filled, plan.unmet) == (0, {1: 2})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"headcount": 0}, "headcount must be an integer >= 1"),
        ({"headcount": -2}, "headcount must be an integer >= 1"),
        ({"headcount": 2.5}, "headcount must be an integer >= 1"),
        ({"headcount": None}, "headcount must be an integer >= 1"),
        ({"priority": 5}, "priority must be an integer from 1 to 4"),
        ({"lon": None}, "finite lon and lat"),
    ],
)
def test_plans_reject_bad_incidents(change, message):
    incidents = incidents_frame({}, {})
    for column, value in change.items():
        incidents[column] = incidents[column].astype(object)
        incidents.loc[1, column] = value
    for make in (optimal_plan, greedy_plan):
        with pytest.raises(InvalidInput, match=message):
            make(incidents, cadres_frame({"north": 100}))


def test_plans_reject_missing_columns_and_bad_limits():
    incidents, cadres = incidents_frame({}), cadres_frame({})
    with pytest.raises(InvalidInput, match="incidents lack columns: headcount"):
        optimal_plan(incidents.drop(columns="headcount"), cadres)
    with pytest.raises(InvalidInput, match="cadres lack columns: lon, lat"):
        greedy_plan(incidents, cadres.drop(columns=["lon", "lat"]))
    with pytest.raises(InvalidInput, match="incident ids must be unique"):
        optimal_plan(pd.concat([incidents, incidents]), cadres)
    with pytest.raises(InvalidInput, match="max_travel_s"):
        optimal_plan(incidents, cadres, max_travel_s=0)


def test_frames_straight_from_the_store(sqlite_url):
    store = Store.open(sqlite_url)
    try:
        store.load_city(tiny_city())
        incidents = store.incidents(statuses=sorted(OPEN_STATUSES))
        cadres, pairings = store.cadres(), store.pairings()
    finally:
        store.close()
    flood = incidents.loc[incidents["public_id"] == "T2"].iloc[0]
    ranked = recommend(flood, cadres, pairings, {}, lang="en")
    assert [r.cadre_id for r in ranked] == [1]  # the others are on site or en route
    plan = optimal_plan(incidents, cadres, pairings)
    urgent = int(flood["id"])
    assert list(plan.assignments["incident_id"]) == [urgent]
    assert plan.filled == 1 and urgent not in plan.unmet and len(plan.unmet) == 2


# --- the exact solvers and the pairs in reach ----------------------------------------


def objective(plan, incidents) -> tuple[int, float]:
    return reward(plan, incidents), plan.total_weighted_s


def test_sparse_and_dense_solvers_reach_the_same_optimum(monkeypatch):
    rng = np.random.default_rng(99)
    for _ in range(30):
        n_incidents, n_cadres = int(rng.integers(1, 25)), int(rng.integers(1, 60))
        incidents, cadres = random_instance(rng, n_incidents, n_cadres, span_m=15_000, max_head=6)
        max_travel_s = float(rng.choice([500, 900, 1800, 3600]))
        plans = {}
        for method, cells in (("dense", 10**12), ("sparse", 0)):
            monkeypatch.setattr(solver, "DENSE_MAX_CELLS", cells)
            plans[method] = optimal_plan(incidents, cadres, max_travel_s=max_travel_s)
        dense, sparse = plans["dense"], plans["sparse"]
        assert reward(sparse, incidents) == reward(dense, incidents)
        assert sparse.filled == dense.filled and sparse.unmet == dense.unmet
        assert sparse.total_weighted_s == pytest.approx(dense.total_weighted_s, abs=1e-6)
        assert not sparse.assignments["cadre_id"].duplicated().any()
        assert (sparse.assignments["eta_s"] <= max_travel_s).all()


def test_the_sparse_graph_built_in_blocks_is_the_same(monkeypatch):
    rng = np.random.default_rng(5)
    incidents, cadres = random_instance(rng, 30, 80, span_m=12_000, max_head=5)
    monkeypatch.setattr(solver, "DENSE_MAX_CELLS", 0)
    whole = optimal_plan(incidents, cadres, max_travel_s=1500)
    monkeypatch.setattr(solver, "BLOCK_ENTRIES", 7)  # a few rows per block
    blocks = optimal_plan(incidents, cadres, max_travel_s=1500)
    assert objective(blocks, incidents) == pytest.approx(objective(whole, incidents))


def test_assign_on_bare_arrays_keeps_the_lexicographic_order():
    # Incident 0 (weight 1) and incident 1 (weight 8) both reach only cadre 5; incident 2
    # asks for nothing; incident 3 reaches cadres 5 and 7 with two slots.
    ptr = np.array([0, 1, 2, 3, 5])
    cadre = np.array([5, 5, 7, 5, 7])
    eta = np.array([10.0, 900.0, 0.0, 50.0, 60.0])
    weights = np.array([1, 8, 2, 4])
    for method in ("dense", "sparse", "auto"):
        chosen = solver.assign(ptr, cadre, eta, weights, np.array([1, 1, 0, 2]), method=method)
        # The urgent incident 1 takes cadre 5 even though it is far; incident 3 gets cadre 7.
        assert sorted(chosen.tolist()) == [1, 4], method
    assert solver.assign(ptr, cadre, eta, weights, np.zeros(4, int)).tolist() == []
    with pytest.raises(ValueError, match="method"):
        solver.assign(ptr, cadre, eta, weights, np.ones(4, int), method="fast")


def test_within_finds_exactly_the_pairs_of_the_matrix_in_reach():
    rng = np.random.default_rng(3)
    cadres = np.array([at(*rng.uniform(-30_000, 30_000, 2)) for _ in range(300)])
    targets = np.array([at(*rng.uniform(-30_000, 30_000, 2)) for _ in range(40)])
    modes = rng.choice(["walk", "bike", "ebike", "car"], size=len(cadres))
    seconds, metres = DEFAULT_MODEL.matrix(cadres, targets, modes)
    for max_s in (100.0, 900.0, 2400.0, 1e9):
        c, t, s, m = DEFAULT_MODEL.within(cadres, targets, modes, max_s)
        want = set(zip(*np.nonzero(seconds <= max_s), strict=True))
        assert set(zip(c.tolist(), t.tolist(), strict=True)) == want
        assert s == pytest.approx(seconds[c, t], rel=1e-9)
        assert m == pytest.approx(metres[c, t], rel=1e-9, abs=1e-6)
    with pytest.raises(InvalidInput, match="unknown travel modes"):
        DEFAULT_MODEL.within(cadres[:1], targets, ["rocket"], 600)


class MatrixOnly:
    """A stand-in road network that only knows the full matrix (no ``within``)."""

    def matrix(self, cadre_lonlat, target_lonlat, modes):
        return DEFAULT_MODEL.matrix(cadre_lonlat, target_lonlat, modes)


def test_reachable_groups_by_target_with_or_without_within(monkeypatch):
    rng = np.random.default_rng(8)
    cadres = np.array([at(*rng.uniform(-20_000, 20_000, 2)) for _ in range(120)])
    targets = np.array([at(*rng.uniform(-20_000, 20_000, 2)) for _ in range(25)])
    modes = rng.choice(["walk", "ebike", "car"], size=len(cadres))
    seconds, _ = DEFAULT_MODEL.matrix(cadres, targets, modes)

    def by_target(result):
        ptr, cadre, secs, _ = result
        assert ptr[0] == 0 and ptr[-1] == len(cadre) and (np.diff(ptr) >= 0).all()
        return [
            dict(zip(cadre[ptr[t] : ptr[t + 1]].tolist(), secs[ptr[t] : ptr[t + 1]], strict=True))
            for t in range(len(targets))
        ]

    want = [
        {int(c): seconds[c, t] for c in np.flatnonzero(seconds[:, t] <= 1500)}
        for t in range(len(targets))
    ]
    for model in (DEFAULT_MODEL, MatrixOnly()):
        for block_cells in (travel.BLOCK_CELLS, 500):  # one block, then many
            monkeypatch.setattr(travel, "BLOCK_CELLS", block_cells)
            got = by_target(reachable(model, cadres, targets, modes, 1500))
            assert [sorted(g) for g in got] == [sorted(w) for w in want]
            for g, w in zip(got, want, strict=True):
                assert [g[k] for k in sorted(g)] == pytest.approx([w[k] for k in sorted(w)])


def test_plans_follow_a_road_network_model():
    class Ferry(TravelModel):
        """A subclass whose own matrix gives cadre 1 a direct ferry."""

        def matrix(self, cadre_lonlat, target_lonlat, modes):
            seconds, metres = super().matrix(cadre_lonlat, target_lonlat, modes)
            seconds[0] = 60.0
            return seconds, metres

    incidents = incidents_frame({})
    cadres = cadres_frame({"north": 9000}, {"north": 500})
    for make in (optimal_plan, greedy_plan):
        assert list(make(incidents, cadres, model=Ferry()).assignments["cadre_id"]) == [1]
        assert list(make(incidents, cadres, model=MatrixOnly()).assignments["cadre_id"]) == [2]


def test_vectorised_helpers_keep_their_meaning():
    roles = pd.Series(["grid_worker", None, "volunteer", "astronaut", "grid_worker"])
    assert list(modes_for_roles(roles)) == ["ebike", "walk", "bike", "walk", "ebike"]
    assert list(modes_for_roles(iter(["dept_cadre"]))) == ["car"]
    assert len(modes_for_roles([])) == 0
    departments = pd.Series(pd.array([7, None, 3, 7], dtype="Int64"))
    pairs = {(7, "370281001"), (3, "370281002")}
    assert paired_mask(departments, "370281001", pairs).tolist() == [True, False, False, True]
    assert paired_mask(departments, None, pairs).tolist() == [False] * 4
    cadres = cadres_frame({"north": 1000}, {"north": 1000}, {"north": 1000, "skills": None})
    ranked = recommend(incident(category="waterlogging"), cadres, None, {1: 3, 2: None})
    assert [(r.cadre_id, r.workload, r.skill_match) for r in ranked] == [
        (2, 0, False),
        (3, 0, False),
        (1, 3, False),
    ]
