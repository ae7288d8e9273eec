"""The after-action review's pure parts on frames built by hand: the replay at
a time t, the timeline's bounds and the report's figures, each worked out in
the comments beside it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from domain.after_action import report
from domain.event_replay import state_at, task_stages, timeline_bounds

T0 = pd.Timestamp("2026-06-12 00:00", tz="UTC")  # 08:00 in Beijing


def at(hours: int, minutes: int = 0) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=hours, minutes=minutes)


NAT = pd.NaT
EVENT = {
    "id": 7,
    "name": "胶西土豆抢收",
    "kind": "harvest_help",
    "severity": 3,
    "started_at": T0,
    "ended_at": at(10),
    "checkin_minutes": 30,
}


def tasks() -> pd.DataFrame:
    """1: closed, 3 hands wanted; 2: in progress, 2 wanted; 3: rejected, never staffed."""
    return pd.DataFrame(
        {
            "id": [1, 2, 3],
            "public_id": ["E1", "E2", "E3"],
            "description": ["1号地抢收", "2号地抢收", "3号地（重复）"],
            "status": ["closed", "in_progress", "rejected"],
            "headcount": [3, 2, 1],
            "reported_at": [at(0, 10), at(1), at(2)],
            "dispatched_at": [at(0, 20), at(2), NAT],
            "resolved_at": [at(5), NAT, NAT],
            "closed_at": [at(6), NAT, at(2, 30)],
            "lon": [120.005, 120.015, 120.012],
            "lat": [36.01, 36.01, 36.012],
        }
    )


def dispatches() -> pd.DataFrame:
    """Cadres 4 and 5 (应急管理局) to task 1 at 0:20; 5 moves to task 2 at 2:00;
    8 (a town cadre of 乙镇, no department) joins task 2 at 7:00."""
    return pd.DataFrame(
        {
            "id": [11, 12, 13, 14],
            "incident_id": [1, 1, 2, 2],
            "cadre_id": [4, 5, 5, 8],
            "sent_at": [at(0, 20), at(0, 20), at(2), at(7)],
            "arrived_at": [at(0, 50), at(1), at(2, 30), NAT],
            "released_at": [at(5), at(2), NAT, NAT],
            "cadre_name": ["赵一", "钱二", "钱二", "周五"],
            "role": ["dept_cadre"] * 3 + ["town_cadre"],
            "department": ["应急管理局", "应急管理局", "应急管理局", None],
            "town_code": [None, None, None, "370281002"],
        }
    )


def positions() -> pd.DataFrame:
    """Only cadre 4's phone reported where it was."""
    return pd.DataFrame(
        {
            "cadre_id": [4, 4, 4],
            "lon": [120.020, 120.010, 120.005],
            "lat": [36.0, 36.005, 36.01],
            "recorded_at": [at(0, 25), at(0, 40), at(1)],
        }
    )


def progress() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "at": [at(1, 30), at(1, 30), at(3), at(3), at(3), at(4)],
            "actor": ["field"] * 6,
            "incident_id": [1, 1, 1, 1, 1, 2],
            "measure": ["area_mu", "tonnes", "area_mu", "tonnes", "sales_yuan", "area_mu"],
            "added": [40.0, 60.0, 60.0, 90.0, 5000.0, 20.0],
            "done_after": [40.0, 60.0, 100.0, 150.0, 5000.0, 20.0],
        }
    )


def checkins() -> pd.DataFrame:
    """Cadre 4 at 0:45 and 1:35; cadre 5 at 0:40, 1:05, 1:30 and 2:20; 8 never."""
    return pd.DataFrame(
        {
            "id": range(1, 7),
            "cadre_id": [4, 4, 5, 5, 5, 5],
            "at": [at(0, 45), at(1, 35), at(0, 40), at(1, 5), at(1, 30), at(2, 20)],
        }
    )


def measures() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "incident_id": [1, 1, 1, 2, 2, 2, 3, 3, 3],
            "measure": ["area_mu", "tonnes", "sales_yuan"] * 3,
            "target": [100.0, 200.0, None, 50.0, None, None, 10.0, None, None],
            "done": [100.0, 150.0, 5000.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        }
    )


def moment(t):
    return state_at(
        t,
        tasks(),
        dispatches(),
        positions(),
        progress(),
        checkins(),
        30,
        measures=("area_mu", "tonnes", "sales_yuan"),
    )


# ----------------------------------------------------------------- replay


@pytest.mark.parametrize(
    ("t", "stage"),
    [
        (at(0, 15), "reported"),  # reported 0:10, nobody sent yet
        (at(0, 20), "dispatched"),  # the first two were sent at 0:20 (inclusive)
        (at(0, 55), "on_site"),  # cadre 4 arrived at 0:50
        (at(5), "resolved"),  # resolved at 5:00
        (at(6), "closed"),  # closed at 6:00
    ],
)
def test_a_tasks_stage_follows_its_timestamps(t, stage):
    shown = moment(t).tasks.set_index("id")
    assert shown.loc[1, "stage"] == stage


def test_a_task_not_yet_reported_is_not_on_the_map_and_a_rejected_one_shows_closed():
    assert moment(at(0, 5)).tasks["id"].tolist() == []  # task 1 comes at 0:10
    assert moment(at(1)).tasks["id"].tolist() == [1, 2]
    # Task 3 was rejected at 2:30 without being resolved: closed from then on.
    stages = task_stages(at(2, 40), tasks(), dispatches())
    assert stages.tolist() == ["on_site", "on_site", "closed"]


def test_cadres_out_at_t_are_where_their_last_position_puts_them():
    m = moment(at(0, 45)).cadres.set_index("cadre_id")
    # Cadre 4's last report at or before 0:45 is the one of 0:40.
    assert (m.loc[4, "lon"], m.loc[4, "lat"]) == (120.010, 36.005)
    assert m.loc[4, "position_at"] == at(0, 40) and not m.loc[4, "arrived"]  # arrives 0:50
    # Cadre 5 never reported a position: shown at task 1's place, no time.
    assert (m.loc[5, "lon"], m.loc[5, "lat"]) == (120.005, 36.01)
    assert pd.isna(m.loc[5, "position_at"])
    later = moment(at(1, 30)).cadres.set_index("cadre_id")
    assert (later.loc[4, "lon"], later.loc[4, "lat"]) == (120.005, 36.01)  # the 1:00 report
    assert later.loc[4, "arrived"] and later.loc[5, "arrived"]


def test_at_a_hand_over_the_cadre_is_on_the_new_task_only():
    m = moment(at(2))
    # d12 (5 on task 1) was released at 2:00, d13 (5 on task 2) sent at 2:00.
    assert m.cadres.set_index("cadre_id")["incident_id"].to_dict() == {4: 1, 5: 2}
    five = m.cadres.set_index("cadre_id").loc[5]
    assert (five["lon"], five["lat"]) == (120.015, 36.01)  # task 2's place
    assert m.tasks.set_index("id")["hands"].to_dict() == {1: 1, 2: 1, 3: 0}  # 3 came at 2:00
    # At 8:00, 4 has been released (5:00) and 8 has joined task 2 (7:00).
    assert sorted(moment(at(8)).cadres["cadre_id"]) == [5, 8]


def test_figures_at_t_are_the_sum_of_what_was_reported_by_then():
    assert moment(at(1)).figures == {"area_mu": 0.0, "tonnes": 0.0, "sales_yuan": 0.0}
    two = moment(at(2))  # only the report of 1:30
    assert two.figures == {"area_mu": 40.0, "tonnes": 60.0, "sales_yuan": 0.0}
    assert two.task_figures == {1: {"area_mu": 40.0, "tonnes": 60.0}}
    three = moment(at(3))  # 1:30 and 3:00 (inclusive): 40 + 60 mu, 60 + 90 t, ¥5,000
    assert three.figures == {"area_mu": 100.0, "tonnes": 150.0, "sales_yuan": 5000.0}
    assert moment(at(9)).task_figures == {
        1: {"area_mu": 100.0, "sales_yuan": 5000.0, "tonnes": 150.0},
        2: {"area_mu": 20.0},
    }


def test_overdue_at_t_counts_only_check_ins_made_by_then():
    # At 1:20 cadre 4 was last seen at 0:45: due 1:15, five minutes late;
    # cadre 5 checked in at 1:05, due 1:35.
    m = moment(at(1, 20))
    assert m.overdue[["cadre_id", "late_min"]].values.tolist() == [[4, 5]]
    assert m.cadres.set_index("cadre_id")["overdue"].to_dict() == {4: True, 5: False}
    # At 1:40 cadre 4 had checked in (1:35) and 5 too (1:30): nobody is late.
    assert moment(at(1, 40)).overdue.empty
    # At 8:00 cadre 8 (sent 7:00) is 30 minutes late; 5, last seen 2:20, 5 h 10 min.
    late = moment(at(8)).overdue.set_index("cadre_id")["late_min"].to_dict()
    assert late == {5: 310, 8: 30}


def test_timeline_of_an_ended_event_runs_from_start_to_end():
    assert timeline_bounds(EVENT, tasks(), dispatches()) == (T0, at(10))


def test_timeline_of_a_running_event_ends_at_the_last_thing_that_happened():
    running = {**EVENT, "ended_at": None}
    # The latest time of all: cadre 8 sent at 7:00 (task 1 closed at 6:00).
    assert timeline_bounds(running, tasks(), dispatches()) == (T0, at(7))
    assert timeline_bounds(running, tasks(), dispatches(), also=[at(8), None]) == (T0, at(8))
    nothing = pd.DataFrame(columns=["id", "reported_at"])
    assert timeline_bounds(running, nothing, pd.DataFrame()) == (T0, T0)


# ----------------------------------------------------------------- report


@pytest.fixture(scope="module")
def full():
    return report(EVENT, tasks(), measures(), dispatches(), checkins(), progress(), now=at(30))


def test_mobilisation_counts_each_cadre_once(full):
    m = full["mobilisation"]
    # Cadres 4, 5 and 8; 5 went twice (four assignments).
    assert (m["cadres"], m["dispatches"]) == (3, 4)
    assert (m["first_sent_at"], m["last_sent_at"]) == (at(0, 20), at(7))
    # First sent: 4 and 5 at 0:20, 8 at 7:00.
    assert (m["within_1h"], m["within_6h"], m["within_24h"]) == (2, 2, 3)
    assert m["by_department"] == [
        {"department": "应急管理局", "town_code": None, "cadres": 2},
        {"department": None, "town_code": "370281002", "cadres": 1},
    ]
    # Hours 0 … 10 (the event ended at 10:00): 0 sent by 0:00, 2 from 1:00, 3 from 7:00.
    assert [p["cadres"] for p in m["curve"]] == [0, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3]
    assert m["curve"][7] == {"hour": 7, "at": at(7), "cadres": 3} and m["curve_step_h"] == 1


def test_response_and_completion_times(full):
    r = full["response"]
    # Task 1: sent 0:20 − reported 0:10 = 600 s; arrived 0:50 → 2,400 s; resolved
    # 5:00 → 4 h 50 min = 17,400 s. Task 2: sent 2:00 − 1:00 = 3,600 s; arrived
    # 2:30 → 5,400 s; not resolved. Task 3 was rejected: none of them.
    assert (r["first_sent_median_s"], r["first_sent_max_s"]) == (2100.0, 3600.0)
    assert (r["first_contact_median_s"], r["first_contact_max_s"]) == (3900.0, 5400.0)
    assert (r["completion_median_s"], r["completion_max_s"]) == (17400.0, 17400.0)
    assert r["tasks_never_reached"] == 0
    assert full["tasks"] == {"total": 3, "done": 1, "open": 1, "cancelled": 1}
    rows = {t["id"]: t for t in full["task_rows"]}
    assert (rows[1]["first_sent_s"], rows[1]["first_contact_s"]) == (600.0, 2400.0)
    assert rows[3]["first_sent_s"] is None and rows[3]["cadres_sent"] == 0
    assert (rows[2]["cadres_sent"], rows[2]["max_hands"]) == (2, 2)


def test_figures_leave_out_cancelled_tasks(full):
    # area: targets 100 + 50 (task 3's 10 is left out, it was rejected), done
    # 100 + 20 = 120, share 0.8; tonnes 150 of 200; no target for sales.
    assert full["figures"] == [
        {"measure": "area_mu", "target": 150.0, "done": 120.0, "share": 0.8},
        {"measure": "tonnes", "target": 200.0, "done": 150.0, "share": 0.75},
        {"measure": "sales_yuan", "target": None, "done": 5000.0, "share": None},
    ]


def test_unmet_needs_name_the_tasks(full):
    unmet = full["unmet"]
    # Task 1 wanted 3; at most 2 were there at once (4 and 5, 0:20–2:00).
    # Task 2 wanted 2: 5 from 2:00 and 8 from 7:00 overlap. Task 3 was rejected.
    assert unmet["understaffed"] == [
        {
            "task_id": 1,
            "public_id": "E1",
            "title": "1号地抢收",
            "headcount": 3,
            "max_hands": 2,
            "short": 1,
        }
    ]
    assert unmet["open_tasks"] == [
        {"task_id": 2, "public_id": "E2", "title": "2号地抢收", "status": "in_progress"}
    ]
    assert [(b["task_id"], b["measure"], b["short"]) for b in unmet["below_target"]] == [
        (1, "tonnes", 50.0),
        (2, "area_mu", 30.0),
    ]


def test_check_ins_received_and_missed(full):
    # Cadre 4, out 0:20–5:00: signs at 0:20, 0:45, 1:35, 5:00; gaps 25, 50, 205
    # min: two over 30. Cadre 5, out 0:20–2:00: 0:40, 1:05, 1:30, 2:00 (gaps of
    # 20, 25, 25, 30: none over); then 2:00 until the end at 10:00 with one
    # check-in at 2:20: gaps 20 and 460 min, one over. Cadre 8, 7:00–10:00 with
    # none: one gap of 180 min. 2 + 1 + 1 = 4 missed, by all three.
    assert full["checkins"] == {"interval_min": 30, "received": 6, "missed": 4, "cadres_missed": 3}
    cadres = {c["cadre_id"]: c for c in full["cadre_rows"]}
    assert [c["cadre_id"] for c in full["cadre_rows"]] == [4, 5, 8]  # by first sending
    assert (cadres[4]["checkins"], cadres[4]["missed"]) == (2, 2)
    assert (cadres[5]["checkins"], cadres[5]["missed"]) == (4, 1)
    # Time out: 4 from 0:20 to 5:00 = 16,800 s; 5: 1 h 40 min + 8 h = 34,800 s;
    # 8: 7:00 to the end at 10:00 = 10,800 s.
    assert [c["on_task_s"] for c in full["cadre_rows"]] == [16800.0, 34800.0, 10800.0]
    assert cadres[5]["tasks"] == [1, 2] and cadres[5]["released_at"] is None
    assert cadres[4]["released_at"] == at(5) and cadres[8]["department"] is None


def test_a_running_event_is_reported_as_of_now():
    running = {**EVENT, "ended_at": None}
    r = report(running, tasks(), measures(), dispatches(), checkins(), progress(), now=at(12))
    assert r["event"]["active"] and r["event"]["as_of"] == at(12)
    assert r["event"]["duration_s"] == 12 * 3600.0 and len(r["mobilisation"]["curve"]) == 13
    # Cadre 8 still out at 12:00: 7:00 to 12:00.
    assert {c["cadre_id"]: c["on_task_s"] for c in r["cadre_rows"]}[8] == 5 * 3600.0


def test_an_event_with_nothing_done_reports_zeros_and_nones():
    empty_tasks = pd.DataFrame(
        columns=[
            "id",
            "public_id",
            "description",
            "status",
            "headcount",
            "reported_at",
            "resolved_at",
            "closed_at",
            "lon",
            "lat",
        ]
    )
    empty_dispatches = pd.DataFrame(
        columns=[
            "id",
            "incident_id",
            "cadre_id",
            "sent_at",
            "arrived_at",
            "released_at",
            "department",
            "town_code",
        ]
    )
    empty_measures = pd.DataFrame(columns=["incident_id", "measure", "target", "done"])
    empty_checkins = pd.DataFrame(columns=["id", "cadre_id", "at"])
    empty_progress = pd.DataFrame(
        columns=["at", "actor", "incident_id", "measure", "added", "done_after"]
    )
    event = {**EVENT, "ended_at": None}
    r = report(
        event,
        empty_tasks,
        empty_measures,
        empty_dispatches,
        empty_checkins,
        empty_progress,
        now=at(2, 30),
    )
    m = r["mobilisation"]
    assert (m["cadres"], m["dispatches"], m["first_sent_at"], m["within_24h"]) == (0, 0, None, 0)
    assert [p["cadres"] for p in m["curve"]] == [0, 0, 0, 0] and m["by_department"] == []
    assert set(r["response"].values()) == {None, 0}
    assert r["tasks"] == {"total": 0, "done": 0, "open": 0, "cancelled": 0}
    assert r["figures"] == [
        {"measure": code, "target": None, "done": 0.0, "share": None}
        for code in ("area_mu", "tonnes", "sales_yuan")
    ]
    assert r["unmet"] == {"understaffed": [], "open_tasks": [], "below_target": []}
    assert r["checkins"] == {"interval_min": 30, "received": 0, "missed": 0, "cadres_missed": 0}
    assert r["task_rows"] == [] and r["cadre_rows"] == []
    m = state_at(
        at(1),
        empty_tasks,
        empty_dispatches,
        pd.DataFrame(),
        empty_progress,
        empty_checkins,
        30,
        measures=["area_mu"],
    )
    assert m.tasks.empty and m.cadres.empty and m.overdue.empty
    assert m.figures == {"area_mu": 0.0} and m.task_figures == {}
    assert timeline_bounds(event, empty_tasks, empty_dispatches) == (T0, T0)


def test_times_may_come_as_plain_aware_datetimes():
    plain = {**EVENT, "started_at": T0.to_pydatetime(), "ended_at": None}
    start, end = timeline_bounds(
        plain, tasks(), dispatches(), also=[dt.datetime(2026, 6, 12, 9, tzinfo=dt.UTC)]
    )
    assert (start, end) == (T0, at(9))


def test_a_task_nobody_was_sent_to_is_reported_not_an_error():
    """The desk redraws between a task being added and anyone being sent."""
    from domain.event_replay import task_stages

    tasks = pd.DataFrame(
        {
            "id": [7],
            "reported_at": [pd.Timestamp("2026-06-20T01:00Z")],
            "dispatched_at": [pd.NaT],
            "resolved_at": [pd.NaT],
            "closed_at": [pd.NaT],
        }
    )
    nobody = pd.DataFrame(columns=["incident_id", "cadre_id", "sent_at", "arrived_at"])
    assert task_stages(pd.Timestamp("2026-06-20T02:00Z"), tasks, nobody).tolist() == ["reported"]
