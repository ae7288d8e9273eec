"""An event's work without a server: tasks and their figures, check-ins,
and the mobilisation proposal (tiers, unmet hands, who is left thin)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from domain.checkins import checked_interval, overdue
from domain.errors import InvalidInput
from domain.event_tasks import (
    checked_progress,
    checked_targets,
    checked_task,
    measures_of,
    totals_by_measure,
)
from domain.mobilisation import (
    left_thin,
    neighbour_towns,
    propose_mobilisation,
    tier_of_cadres,
)

NOW = dt.datetime(2026, 6, 20, 4, 0, tzinfo=dt.UTC)
A, B, C, D = "370281001", "370281002", "370281003", "370281004"
# Four towns in a row, west to east: A | B | C | D, each 0.02° wide.
TOWNS = gpd.GeoDataFrame(
    {"code": [A, B, C, D]},
    geometry=[box(120.00 + 0.02 * n, 36.00, 120.02 + 0.02 * n, 36.02) for n in range(4)],
    crs="EPSG:4326",
)
PAIRINGS = pd.DataFrame({"department_id": [1, 2, 3], "town_code": [A, B, D]})


def cadre(id_, role, lon, department=None, town=None, status="available"):
    return {
        "id": id_,
        "name": f"c{id_}",
        "role": role,
        "department_id": department,
        "town_code": town,
        "status": status,
        "lon": lon,
        "lat": 36.01,
        "position_at": NOW,
    }


def frame(rows):
    out = pd.DataFrame(rows)
    out["department_id"] = out["department_id"].astype("Int64")
    return out


def task(id_, headcount, lon=120.01, priority=2):
    return {
        "id": id_,
        "priority": priority,
        "headcount": headcount,
        "lon": lon,
        "lat": 36.01,
        "town_code": A,
        "reported_at": NOW,
        "public_id": f"T{id_}",
    }


# ------------------------------------------------------------- mobilisation


def test_neighbours_are_the_towns_that_share_a_border():
    assert neighbour_towns(TOWNS, [A]) == [B]
    assert neighbour_towns(TOWNS, [B]) == [A, C]
    assert neighbour_towns(TOWNS, [A, B]) == [C]
    assert neighbour_towns(TOWNS, []) == []


def test_tiers_paired_departments_and_local_towns_first_grid_workers_never():
    cadres = frame(
        [
            cadre(1, "dept_cadre", 120.05, department=1),  # paired with A
            cadre(2, "dept_cadre", 120.05, department=2),  # paired with B, a neighbour
            cadre(3, "dept_cadre", 120.05, department=3),  # paired with D: the rest
            cadre(4, "town_cadre", 120.01, town=A),
            cadre(5, "volunteer", 120.03, town=B),
            cadre(6, "town_cadre", 120.07, town=D),
            cadre(7, "grid_worker", 120.01, town=A),
        ]
    )
    tiers = tier_of_cadres(cadres, PAIRINGS, [A], [B])
    assert tiers.tolist() == ["paired", "neighbour", "rest", "paired", "neighbour", "rest", None]


def test_the_paired_tier_fills_first_even_when_a_neighbour_is_nearer():
    cadres = frame(
        [
            cadre(1, "dept_cadre", 120.039, department=1),  # paired with A, but far east
            cadre(2, "dept_cadre", 120.011, department=2),  # neighbour's department, right there
            cadre(3, "dept_cadre", 120.012, department=2),
        ]
    )
    plan = propose_mobilisation(
        pd.DataFrame([task(10, 2)]), cadres, PAIRINGS, affected=[A], neighbours=[B]
    )
    sent = plan.assignments.set_index("cadre_id")["tier"].to_dict()
    assert sent[1] == "paired"  # the paired department goes although it is further
    assert list(sent.values()).count("neighbour") == 1  # one neighbour for the second hand
    assert plan.tiers == {"paired": 1, "neighbour": 1, "rest": 0}
    assert plan.filled == plan.needed == 2 and plan.unmet == {}


def test_what_the_tiers_cannot_fill_is_unmet_unless_the_rest_is_called():
    cadres = frame(
        [
            cadre(1, "dept_cadre", 120.01, department=1),
            cadre(2, "dept_cadre", 120.07, department=3),  # the rest of the city
            cadre(3, "dept_cadre", 120.01, department=1, status="en_route"),  # busy: never
        ]
    )
    tasks = pd.DataFrame([task(10, 2, priority=1), task(11, 1, priority=3)])
    plan = propose_mobilisation(tasks, cadres, PAIRINGS, affected=[A], neighbours=[B])
    assert plan.filled == 1 and plan.needed == 3
    assert plan.assignments["incident_id"].tolist() == [10]  # the urgent task first
    assert plan.unmet == {10: 1, 11: 1}
    wider = propose_mobilisation(
        tasks, cadres, PAIRINGS, affected=[A], neighbours=[B], include_rest=True
    )
    assert wider.filled == 2 and wider.tiers["rest"] == 1
    assert wider.unmet == {11: 1}  # the rest of the city fills the urgent task first
    assert 3 not in set(wider.assignments["cadre_id"])


def test_the_proposal_says_what_it_gains_over_nearest_first_when_tasks_compete():
    """Regression (issue 16): the flood replay printed 0.0 % every round; a
    proposal now carries the same tiers filled nearest-first beside it. The
    older task's nearest cadre is the only near one of the newer task."""
    cadres = frame(
        [
            cadre(1, "dept_cadre", 120.014, department=1),  # between the two fields
            cadre(2, "dept_cadre", 119.983, department=1),  # west of the first field only
        ]
    )
    older = {**task(10, 1, lon=120.0), "reported_at": NOW - dt.timedelta(hours=1)}
    tasks = pd.DataFrame([older, task(11, 1, lon=120.03)])
    plan = propose_mobilisation(tasks, cadres, PAIRINGS, affected=[A], neighbours=[B])
    assert plan.filled == plan.greedy_filled == 2
    by_hand = plan.greedy_weighted_s
    assert plan.total_weighted_s < 0.75 * by_hand  # the optimum sends cadre 1 east
    assert plan.assignments.set_index("incident_id")["cadre_id"].to_dict() == {10: 2, 11: 1}
    alone = propose_mobilisation(tasks.iloc[:1], cadres, PAIRINGS, affected=[A], neighbours=[B])
    assert alone.total_weighted_s == alone.greedy_weighted_s  # one task: nothing to choose


def test_no_tasks_or_no_cadres_is_an_empty_proposal_not_an_error():
    cadres = frame([cadre(1, "grid_worker", 120.01, town=A)])
    plan = propose_mobilisation(
        pd.DataFrame([task(10, 3)]), cadres, PAIRINGS, affected=[A], neighbours=[B]
    )
    assert plan.filled == 0 and plan.unmet == {10: 3} and len(plan.assignments) == 0
    empty = propose_mobilisation(
        pd.DataFrame([task(10, 3)]).iloc[0:0], cadres, PAIRINGS, affected=[A], neighbours=[B]
    )
    assert empty.needed == 0 and empty.filled == 0


def test_a_unit_keeping_less_than_half_its_available_cadres_is_left_thin():
    cadres = frame(
        [
            *[cadre(n, "dept_cadre", 120.01, department=1) for n in (1, 2, 3, 4)],
            *[cadre(n, "town_cadre", 120.03, town=B) for n in (5, 6, 7)],
            cadre(8, "dept_cadre", 120.01, department=2, status="on_site"),  # not available
            cadre(9, "dept_cadre", 120.01, department=2),
        ]
    )
    # Department 1 sends 2 of 4 (keeps half: fine); town B 2 of 3 (keeps 1: thin);
    # department 2 sends its only available cadre (thin).
    thin = left_thin(cadres, [1, 2, 5, 6, 9])
    assert thin.to_dict("records") == [
        {"unit": "department", "code": 2, "before": 1, "sent": 1, "left": 0},
        {"unit": "town", "code": B, "before": 3, "sent": 2, "left": 1},
    ]
    assert len(left_thin(cadres, [])) == 0


# ------------------------------------------------------------------ tasks


def locate_in_city(lon, lat):
    return object() if 120.0 <= lon <= 120.08 and 36.0 <= lat <= 36.02 else None


AREA = box(120.00, 36.00, 120.02, 36.02)


def test_a_task_gets_the_kinds_figures_and_a_category():
    spec = checked_task(
        {
            "title": " 抢收  1号地 ",
            "lon": 120.01,
            "lat": 36.01,
            "headcount": 40,
            "targets": {"area_mu": 3000, "tonnes": "6000"},
        },
        kind="harvest_help",
        area=AREA,
        locate=locate_in_city,
    )
    assert spec.title == "抢收 1号地" and spec.category == "farm_help" and spec.headcount == 40
    assert spec.targets == {"area_mu": 3000.0, "tonnes": 6000.0, "sales_yuan": None}
    assert measures_of("flood") == ("households", "people_moved", "pumped_m3")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "needs a title"),
        ({"lon": 120.07}, "outside the event's area"),
        ({"lon": 121.5}, "not in any grid"),
        ({"lon": None}, "needs a place"),
        ({"headcount": 0}, "headcount must be a whole number"),
        ({"headcount": 2.5}, "headcount must be a whole number"),
        ({"headcount": "many"}, "headcount must be a number"),
        ({"priority": 7}, "priority must be a whole number"),
        ({"category": "asteroid"}, "no category"),
        ({"targets": {"people_moved": 5}}, "has no figure 'people_moved'"),
        ({"targets": {"area_mu": -5}}, "must be from 0"),
        ({"targets": [1, 2]}, "targets must be an object"),
    ],
)
def test_a_bad_task_is_refused_with_its_reason(fields, message):
    base = {"title": "抢收", "lon": 120.01, "lat": 36.01, "headcount": 3}
    with pytest.raises(InvalidInput, match=message) as error:
        checked_task({**base, **fields}, kind="harvest_help", area=AREA, locate=locate_in_city)
    assert error.value.zh


def test_progress_only_grows_and_only_by_the_tasks_own_figures():
    figures = measures_of("harvest_help")
    assert checked_progress({"area_mu": 12.5, "tonnes": 0}, figures) == {"area_mu": 12.5}
    for bad, message in [
        ({}, "report progress"),
        ({"area_mu": -1}, "must be from 0"),
        ({"households": 3}, "no figure"),
        ({"tonnes": 0}, "every amount is 0"),
        ({"tonnes": "lots"}, "must be a number"),
        ({"tonnes": float("nan")}, "must be from 0"),
        ({"tonnes": True}, "must be a number"),
        ([1], "report progress"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            checked_progress(bad, figures)
    assert checked_targets({}, "other") == {"items": None}


def test_totals_add_targets_only_where_a_task_set_one():
    rows = pd.DataFrame(
        {
            "incident_id": [1, 1, 2, 2],
            "measure": ["area_mu", "tonnes"] * 2,
            "target": [100.0, None, 50.0, None],
            "done": [20.0, 30.0, 5.0, 1.5],
        }
    )
    assert totals_by_measure(rows) == {
        "area_mu": {"target": 150.0, "done": 25.0},
        "tonnes": {"target": None, "done": 31.5},
    }


# ---------------------------------------------------------------- check-ins


def test_the_clock_starts_when_sent_and_each_check_in_restarts_it():
    minute = dt.timedelta(minutes=1)
    mobilised = pd.DataFrame(
        {
            "cadre_id": [1, 2, 3],
            "incident_id": [10, 10, 11],
            "sent_at": [NOW - 50 * minute, NOW - 50 * minute, NOW - 10 * minute],
        }
    )
    checkins = pd.DataFrame({"cadre_id": [1, 1], "at": [NOW - 40 * minute, NOW - 5 * minute]})
    late = overdue(mobilised, checkins, 30, NOW)
    # 1 checked in 5 min ago; 2 was sent 50 min ago and never checked in: 20 min late;
    # 3 was sent 10 min ago.
    assert late[["cadre_id", "incident_id", "late_min"]].to_dict("records") == [
        {"cadre_id": 2, "incident_id": 10, "late_min": 20}
    ]
    assert late["due_at"].iloc[0] == NOW - 20 * minute
    assert len(overdue(mobilised, checkins, 60, NOW)) == 0
    assert len(overdue(mobilised.iloc[0:0], checkins, 30, NOW)) == 0
    # Half a minute past due is already overdue, and shown as 1 minute.
    assert overdue(mobilised, checkins.iloc[0:0], 30, NOW - 19.5 * minute)["late_min"].tolist() == [
        1,
        1,
    ]


@pytest.mark.parametrize("value", [0, 4, 241, "half an hour", 2.5])
def test_a_check_in_interval_is_5_to_240_whole_minutes(value):
    with pytest.raises(InvalidInput, match="checkin_minutes"):
        checked_interval(value)
    assert checked_interval(None) == 30 and checked_interval("45") == 45
