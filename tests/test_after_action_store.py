"""The after-action review over a real store, on SQLite and PostgreSQL: an event
built through the store on the tiny city (tasks, cadres sent, an arrival, a
resolution, progress, check-ins, positions, the end), then its progress log,
its cadres' positions, the report, a replay frame and the workbook, each
checked against what was done."""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook

from data.store_dispatch import Assignment
from domain.event_tasks import TaskSpec, checked_targets
from domain.events import declaration
from services.event_report import after_action, replay_frame
from services.event_workbook import report_workbook
from services.events import tasks_shown
from tests.tiny_city import tiny_city

A, B = "370281001", "370281002"
MIN = dt.timedelta(minutes=1)


def city_with_cadres(now: dt.datetime):
    """The tiny city with four free cadres: 4 and 5 of 应急管理局 (department 1),
    6 of 农业农村局 (department 2), 8 a town cadre of 乙镇."""
    city = tiny_city(now)
    extra = pd.DataFrame(
        {
            "id": [4, 5, 6, 8],
            "name": ["赵一", "钱二", "孙三", "周五"],
            "phone": ["13900000004", "13900000005", "13900000006", "13900000008"],
            "role": ["dept_cadre"] * 3 + ["town_cadre"],
            "department_id": pd.array([1, 1, 2, None], dtype="Int64"),
            "town_code": [None, None, None, B],
            "skills": ["agriculture"] * 4,
            "status": ["available"] * 4,
            "lon": [120.031, 120.032, 120.001, 120.039],
            "lat": [36.001] * 4,
            "position_at": [now] * 4,
        }
    )
    city.cadres = pd.concat([city.cadres, extra], ignore_index=True)
    return city


def declare(store, name: str, grids: list[str], started_at: dt.datetime) -> int:
    outline = shapely.union_all(store.towns().geometry.to_numpy())
    fields = {
        "name": name,
        "kind": "harvest_help",
        "severity": 3,
        "grids": grids,
        "started_at": started_at,
        "checkin_minutes": 30,
    }
    event = declaration(fields, city_outline=outline, grids=store.grids(), now=started_at)
    return store.declare_event(event, actor="指挥长")


def task(
    store, event: int, title: str, lon: float, grid: str, headcount: int, targets: dict
) -> int:
    spec = TaskSpec(
        title, "farm_help", 2, headcount, lon, 36.01, checked_targets(targets, "harvest_help")
    )
    town = A if grid.startswith("A") else B
    return store.add_task(event, spec, grid_code=grid, town_code=town, actor="指挥长")[0]


@pytest.fixture
def built(store):
    """Event E (甲街道, started 30 min ago): task T1 wants 3 hands, gets 4 and 5;
    T2 wants 1, gets 6, who arrives and resolves it an hour on. Progress on
    both, four check-ins, positions, then E ends two hours after sending.
    Event F (乙镇) has a task with progress of its own, which E must not show."""
    now = dt.datetime.now(dt.UTC)
    store.load_city(city_with_cadres(now))
    start = now - 30 * MIN
    event = declare(store, "甲街道土豆抢收", ["A-1", "A-2"], start)
    t1 = task(store, event, "1号地抢收", 120.005, "A-1", 3, {"area_mu": 300, "tonnes": 600})
    t2 = task(store, event, "2号地抢收", 120.015, "A-2", 1, {"area_mu": 50})
    store.dispatch([Assignment(t1, 4), Assignment(t1, 5), Assignment(t2, 6)], actor="指挥长")
    sent = store.event_dispatches(event)["sent_at"].min().to_pydatetime()
    store.report_field_status(4, "arrived", actor="赵一", at=sent + 10 * MIN)
    store.report_field_status(6, "arrived", actor="孙三", at=sent + 30 * MIN)
    store.report_progress(event, t1, {"area_mu": 120.0, "tonnes": 200.0}, actor="赵一")
    store.report_progress(event, t1, {"area_mu": 30.0, "sales_yuan": 8000.0}, actor="钱二")
    store.report_progress(event, t2, {"area_mu": 50.0}, actor="孙三")
    for cadre, minutes in ((4, 20), (4, 45), (6, 25), (6, 50)):
        store.check_in(event, cadre, actor="field", at=sent + minutes * MIN)
    # Resolving T2 releases cadre 6, who then checks in no more.
    store.apply_action(
        t2,
        "resolve",
        actor="孙三",
        at=sent + 60 * MIN,
        note="收完",
        photo_url="https://example.org/2.jpg",
    )
    store.record_positions(
        [
            {"cadre_id": 4, "lon": 120.03, "lat": 36.001, "recorded_at": sent + 5 * MIN},
            {"cadre_id": 4, "lon": 120.006, "lat": 36.01, "recorded_at": sent + 15 * MIN},
            {"cadre_id": 4, "lon": 120.0, "lat": 36.0, "recorded_at": start - 60 * MIN},  # before
            {"cadre_id": 4, "lon": 120.0, "lat": 36.0, "recorded_at": sent + 180 * MIN},  # after
            {
                "cadre_id": 1,
                "lon": 120.006,
                "lat": 36.011,
                "recorded_at": sent + 5 * MIN,
            },  # not sent
        ],
        actor="field",
    )
    other = declare(store, "乙镇抢收", ["B-1"], start)
    t3 = task(store, other, "乙村抢收", 120.025, "B-1", 1, {"area_mu": 10})
    store.report_progress(other, t3, {"area_mu": 5.0}, actor="周五")
    store.end_event(event, actor="指挥长", at=sent + 120 * MIN)
    return {"store": store, "event": event, "t1": t1, "t2": t2, "start": start, "sent": sent}


def test_the_progress_log_holds_each_figure_of_each_report_of_this_event_only(built):
    log = built["store"].event_progress_log(built["event"])
    t1, t2 = built["t1"], built["t2"]
    assert log[["incident_id", "measure", "added", "done_after"]].values.tolist() == [
        [t1, "area_mu", 120.0, 120.0],
        [t1, "tonnes", 200.0, 200.0],
        [t1, "area_mu", 30.0, 150.0],
        [t1, "sales_yuan", 8000.0, 8000.0],
        [t2, "area_mu", 50.0, 50.0],
    ]
    assert log["actor"].tolist() == ["赵一", "赵一", "钱二", "钱二", "孙三"]
    assert pd.to_datetime(log["at"], utc=True).is_monotonic_increasing
    empty = built["store"].event_progress_log(999)
    assert list(empty.columns) == ["at", "actor", "incident_id", "measure", "added", "done_after"]
    assert empty.empty


def test_positions_are_of_the_events_cadres_within_its_period(built):
    store, sent = built["store"], built["sent"]
    positions = store.event_positions(built["event"])
    # Cadre 4's reports at +5 and +15 min; the one before the start, the one
    # after the end and cadre 1's (never sent) are left out.
    assert positions[["cadre_id", "lon", "lat"]].values.tolist() == [
        [4, 120.03, 36.001],
        [4, 120.006, 36.01],
    ]
    assert positions["recorded_at"].tolist() == [sent + 5 * MIN, sent + 15 * MIN]
    assert len(store.event_positions(built["event"], until=sent + 10 * MIN)) == 1


def test_the_report_counts_what_was_done(built):
    store, sent = built["store"], built["sent"]
    found = after_action(store, built["event"], dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    json.dumps(found)  # JSON-ready
    assert found["event"]["ended_at"] == (sent + 120 * MIN).isoformat()
    assert found["event"]["kind_name"] == "助农抢收" and not found["event"]["active"]
    m = found["mobilisation"]
    # Three cadres, sent together half an hour after the start.
    assert (m["cadres"], m["dispatches"], m["within_1h"], m["within_24h"]) == (3, 3, 3, 3)
    assert m["by_department"] == [
        {"department": "应急管理局", "town_code": None, "cadres": 2, "town": None},
        {"department": "农业农村局", "town_code": None, "cadres": 1, "town": None},
    ]
    assert m["curve"][-1]["cadres"] == 3 and m["curve"][0]["cadres"] == 0
    tasks = store.event_tasks(built["event"]).set_index("id")
    reported = {k: pd.Timestamp(v) for k, v in tasks["reported_at"].items()}
    r = found["response"]
    # First on site: T1 at +10 min (cadre 4), T2 at +30 min (cadre 6), each
    # from its own report time; the only completion is T2's, resolved at +60.
    contact = sorted(
        [
            (sent + 10 * MIN - reported[built["t1"]]).total_seconds(),
            (sent + 30 * MIN - reported[built["t2"]]).total_seconds(),
        ]
    )
    assert r["first_contact_max_s"] == pytest.approx(contact[1])
    assert r["first_contact_median_s"] == pytest.approx(sum(contact) / 2)
    assert r["completion_max_s"] == pytest.approx(
        (sent + 60 * MIN - reported[built["t2"]]).total_seconds()
    )
    assert found["tasks"] == {"total": 2, "done": 1, "open": 1, "cancelled": 0}
    assert found["figures"] == [
        {
            "measure": "area_mu",
            "target": 350.0,
            "done": 200.0,
            "share": 200 / 350,
            "label": "抢收面积",
            "unit": "亩",
        },
        {
            "measure": "tonnes",
            "target": 600.0,
            "done": 200.0,
            "share": 200 / 600,
            "label": "收获量",
            "unit": "吨",
        },
        {
            "measure": "sales_yuan",
            "target": None,
            "done": 8000.0,
            "share": None,
            "label": "销售额",
            "unit": "元",
        },
    ]
    unmet = found["unmet"]
    assert [(u["task_id"], u["max_hands"], u["short"]) for u in unmet["understaffed"]] == [
        (built["t1"], 2, 1)
    ]
    assert [(u["task_id"], u["status"]) for u in unmet["open_tasks"]] == [
        (built["t1"], "in_progress")
    ]
    assert [(b["measure"], b["short"]) for b in unmet["below_target"]] == [
        ("area_mu", 150.0),
        ("tonnes", 400.0),
    ]
    # Cadre 4: sent, +20, +45, end at +120: one gap (75 min) over 30. Cadre 5:
    # none in two hours, one. Cadre 6: +25, +50, released at +60: none.
    assert found["checkins"] == {"interval_min": 30, "received": 4, "missed": 2, "cadres_missed": 2}
    cadres = {c["cadre_id"]: c for c in found["cadre_rows"]}
    assert cadres[6]["released_at"] == (sent + 60 * MIN).isoformat()
    assert cadres[6]["on_task_s"] == 3600.0 and cadres[4]["on_task_s"] == 7200.0


def test_a_replay_frame_shows_the_event_at_that_time(built):
    store, sent = built["store"], built["sent"]
    frame = replay_frame(store, built["event"], sent + 12 * MIN)
    json.dumps(frame)
    assert frame["at"] == (sent + 12 * MIN).isoformat()
    assert frame["end"] == (sent + 120 * MIN).isoformat()
    stages = {t["id"]: t["stage"] for t in frame["tasks"]}
    assert stages == {built["t1"]: "on_site", built["t2"]: "dispatched"}
    cadres = {c["cadre_id"]: c for c in frame["cadres"]}
    assert (cadres[4]["lon"], cadres[4]["lat"], cadres[4]["from_task"]) == (120.03, 36.001, False)
    assert (cadres[5]["lon"], cadres[5]["lat"], cadres[5]["from_task"]) == (120.005, 36.01, True)
    assert cadres[4]["arrived"] and not cadres[5]["arrived"] and cadres[4]["name"] == "赵一"
    # At +90 min: T2 resolved at +60 and 6 released; 5 has not checked in since
    # being sent (due at +30, 60 minutes late), 4 not since +45 (15 late).
    late = replay_frame(store, built["event"], (sent + 90 * MIN).isoformat())
    assert {t["id"]: t["stage"] for t in late["tasks"]}[built["t2"]] == "resolved"
    assert sorted(c["cadre_id"] for c in late["cadres"]) == [4, 5]
    assert [(o["cadre_id"], o["late_min"]) for o in late["overdue"]] == [(5, 60), (4, 15)]
    # Before the start the slider is held at the start.
    early = replay_frame(store, built["event"], built["start"] - dt.timedelta(days=1))
    assert early["at"] == early["start"] and early["tasks"] == [] and early["cadres"] == []


def test_the_workbook_holds_the_reports_numbers(built):
    store, event = built["store"], built["event"]
    found = after_action(store, event, dt.datetime.now(dt.UTC))
    data = report_workbook(store.event(event), found, tasks_shown(store, event), "zh")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["概况", "任务", "出动干部", "指标完成", "未满足需求"]
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True) if row[0]}
    assert summary["事件名称"] == "甲街道土豆抢收" and summary["出动干部"] == 3
    assert (summary["任务总数"], summary["已完成任务"], summary["漏报到"]) == (2, 1, 2)
    assert summary["应急管理局"] == 2 and summary["农业农村局"] == 1
    tasks = list(book["任务"].iter_rows(values_only=True))
    head = tasks[0]
    rows = {r[head.index("任务")]: dict(zip(head, r, strict=True)) for r in tasks[1:]}
    assert rows["1号地抢收"]["所需人数"] == 3 and rows["1号地抢收"]["最多同时在岗"] == 2
    assert rows["1号地抢收"]["抢收面积完成（亩）"] == 150 and rows["2号地抢收"]["状态"] == "办结"
    figures = list(book["指标完成"].iter_rows(values_only=True))
    assert figures[1] == ("抢收面积", "亩", 350, 200, 57.1)
    cadres = list(book["出动干部"].iter_rows(values_only=True))
    assert sorted(r[0] for r in cadres[1:]) == ["孙三", "赵一", "钱二"]
    unmet = list(book["未满足需求"].iter_rows(values_only=True))
    assert [r[0] for r in unmet[1:]] == ["人手不足", "未达目标", "未达目标", "未完成"]
    english = load_workbook(io.BytesIO(report_workbook(store.event(event), found, None, "en")))
    assert english.sheetnames[0] == "Summary"


def test_an_event_with_nothing_done_has_an_empty_report_and_workbook(store):
    now = dt.datetime.now(dt.UTC)
    store.load_city(city_with_cadres(now))
    event = declare(store, "空事件", ["A-1"], now)
    found = after_action(store, event, now + dt.timedelta(hours=2))
    assert found["mobilisation"]["cadres"] == 0 and found["tasks"]["total"] == 0
    assert [p["cadres"] for p in found["mobilisation"]["curve"]] == [0, 0, 0]
    assert found["response"]["first_contact_median_s"] is None
    frame = replay_frame(store, event, None)
    assert frame["at"] == frame["start"] == frame["end"] and frame["figures"][0]["done"] == 0.0
    book = load_workbook(io.BytesIO(report_workbook(store.event(event), found, [], "zh")))
    assert book["任务"].max_row == 1 and book["概况"]["B7"].value.startswith("进行中")
