"""An event's work over a real HTTP server, on SQLite and PostgreSQL: tasks,
mobilisation (proposal and confirmation, conflicts refused whole), progress
figures, check-ins and missed check-ins. Bad input changes nothing."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import requests

from app import create_app
from services import events as event_service
from settings import Settings
from tests.servers import thread_server
from tests.tiny_city import tiny_city

A, B = "370281001", "370281002"  # 甲街道 (west), 乙镇 (east); department 1 is paired with A


def city_with_hands(now: dt.datetime):
    """The tiny city with five more cadres free to go: two of department 1
    (paired with A), two of department 2 (paired with B) and a town cadre of B."""
    city = tiny_city(now)
    extra = pd.DataFrame(
        {
            "id": [4, 5, 6, 7, 8],
            "name": ["赵一", "钱二", "孙三", "李四", "周五"],
            "phone": ["13900000004", "13900000005", "13900000006", "13900000007", "13900000008"],
            "role": ["dept_cadre"] * 4 + ["town_cadre"],
            "department_id": pd.array([1, 1, 2, 2, None], dtype="Int64"),
            "town_code": [None, None, None, None, B],
            "skills": ["agriculture"] * 5,
            "status": ["available"] * 5,
            "lon": [120.031, 120.032, 120.001, 120.002, 120.039],
            "lat": [36.001] * 5,
            "position_at": [now] * 5,
        }
    )
    city.cadres = pd.concat([city.cadres, extra], ignore_index=True)
    return city


@pytest.fixture
def served(database_url):
    app = create_app(Settings.from_env({"DATABASE_URL": database_url}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(city_with_hands(dt.datetime.now(dt.UTC)))
    keys = {
        scopes: store.create_api_key(f"key {scopes}", actor="test", scopes=scopes)
        for scopes in ("events", "field", "display")
    }
    with thread_server(app.server) as base:
        yield {"api": f"{base}/api/v1", "store": store, "keys": keys}
    store.close()


def call(served, method: str, path: str, scope: str = "events", **kwargs):
    headers = {"X-API-Key": served["keys"][scope]}
    return requests.request(method, served["api"] + path, headers=headers, timeout=60, **kwargs)


def harvest_event(served) -> int:
    body = {
        "name": "甲街道土豆抢收",
        "kind": "harvest_help",
        "severity": 3,
        "grids": ["A-1", "A-2"],
        "checkin_minutes": 30,
    }
    answer = call(served, "POST", "/events", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def add_task(served, event: int, **fields) -> requests.Response:
    body = {
        "title": "1号地抢收",
        "lon": 120.005,
        "lat": 36.01,
        "headcount": 3,
        "targets": {"area_mu": 300, "tonnes": 600},
        **fields,
    }
    return call(served, "POST", f"/events/{event}/tasks", json=body)


def written(store) -> tuple[int, int]:
    return store.latest_seq(), len(store.audit(limit=10_000))


def test_a_task_is_an_incident_of_the_event_with_the_kinds_figures(served):
    store = served["store"]
    event = harvest_event(served)
    seq = store.latest_seq()
    answer = add_task(served, event)
    assert answer.status_code == 201, answer.text
    task = answer.json()
    assert task["status"] == "registered" and task["category"] == "farm_help"
    assert task["headcount"] == 3 and task["grid"] == "甲社区第1网格"
    assert [(f["measure"], f["target"], f["done"]) for f in task["figures"]] == [
        ("area_mu", 300.0, 0.0),
        ("tonnes", 600.0, 0.0),
        ("sales_yuan", None, 0.0),
    ]
    incident = store.incidents(ids=[task["id"]]).iloc[0]
    assert incident["event_id"] == event and incident["town_code"] == A
    feed = store.changes_since(seq)
    assert feed["entity"].tolist() == ["incident"] and feed["op"].tolist() == ["insert"]
    assert store.audit(limit=1)["action"].tolist() == ["add_task"]
    board = call(served, "GET", f"/events/{event}/board", "display").json()
    assert [t["id"] for t in board["tasks"]] == [task["id"]] and board["hands_needed"] == 3


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"lon": 120.035}, 400, "outside the event's area"),
        ({"lon": 121.9}, 400, "not in any grid"),
        ({"headcount": 0}, 400, "headcount"),
        ({"targets": {"people_moved": 3}}, 400, "no figure 'people_moved'"),
        ({"title": " "}, 400, "needs a title"),
    ],
)
def test_a_bad_task_is_refused_and_nothing_is_written(served, fields, status, message):
    store = served["store"]
    event = harvest_event(served)
    before = written(store)
    answer = add_task(served, event, **fields)
    assert answer.status_code == status and message in answer.json()["error"]["message"]
    assert answer.json()["error"]["message_zh"]
    assert written(store) == before and len(store.event_tasks(event)) == 0


def test_the_proposal_calls_paired_departments_first_then_neighbours(served):
    event = harvest_event(served)
    task = add_task(served, event, headcount=3).json()
    proposal = call(served, "GET", f"/events/{event}/mobilisation").json()
    tiers = {a["cadre_id"]: a["tier"] for a in proposal["assignments"]}
    # Department 1 (paired with A) sends both its free cadres although they are
    # in the east; the third hand is the nearest neighbour of B's tier.
    assert tiers[4] == tiers[5] == "paired"
    assert sorted(tiers) in ([4, 5, 6], [4, 5, 7])
    assert proposal["tiers"] == {"paired": 2, "neighbour": 1, "rest": 0}
    assert proposal["filled"] == proposal["needed"] == 3 and proposal["unmet"] == []
    assert [t["name"] for t in proposal["affected_towns"]] == ["甲街道"]
    assert [t["name"] for t in proposal["neighbour_towns"]] == ["乙镇"]
    assert all(
        a["eta_s"] > 0 and a["incident"] == task["public_id"] for a in proposal["assignments"]
    )
    assert proposal["eta_max_s"] >= proposal["eta_p50_s"] > 0
    thin = {
        (t["unit"], t["name"]): (t["before"], t["sent"], t["left"]) for t in proposal["left_thin"]
    }
    assert thin[("department", "应急管理局")] == (2, 2, 0)  # all its free cadres gone
    # Beside it, the same tiers filled nearest-first (one task: nothing to choose).
    assert proposal["optimal"]["filled"] == proposal["greedy"]["filled"] == 3
    assert proposal["optimal"]["total_weighted_s"] == proposal["greedy"]["total_weighted_s"] > 0
    assert proposal["gain_vs_greedy_pct"] == 0.0


def test_a_proposal_short_of_hands_says_what_is_unmet(served):
    event = harvest_event(served)
    task = add_task(served, event, headcount=9).json()
    proposal = call(served, "GET", f"/events/{event}/mobilisation").json()
    assert proposal["filled"] == 5 and proposal["needed"] == 9  # 4 department cadres, 1 of B
    assert proposal["unmet"] == [{"incident": task["public_id"], "task": "1号地抢收", "missing": 4}]


def test_confirming_sends_every_cadre_or_none(served):
    store = served["store"]
    event = harvest_event(served)
    task = add_task(served, event, headcount=2).json()
    sent = call(
        served,
        "POST",
        f"/events/{event}/mobilisation",
        json={"assignments": [{"incident": task["public_id"], "cadre_id": 4}]},
    )
    assert sent.status_code == 201 and sent.json()["sent"] == 1
    assert store.cadres().set_index("id").loc[4, "status"] == "en_route"
    before = written(store)
    # Cadre 4 is already on an assignment: the whole confirmation is refused,
    # so cadre 5 is not sent either.
    again = call(
        served,
        "POST",
        f"/events/{event}/mobilisation",
        json={
            "assignments": [
                {"incident": task["public_id"], "cadre_id": 5},
                {"incident": task["public_id"], "cadre_id": 4},
            ]
        },
    )
    assert again.status_code == 409, again.text
    assert written(store) == before
    assert store.cadres().set_index("id").loc[5, "status"] == "available"
    board = call(served, "GET", f"/events/{event}/board", "display").json()
    assert [m["cadre_id"] for m in board["mobilised"]] == [4]


def test_only_the_events_own_tasks_take_its_cadres(served):
    store = served["store"]
    event = harvest_event(served)
    add_task(served, event)
    before = written(store)
    stray = call(
        served,
        "POST",
        f"/events/{event}/mobilisation",
        json={"assignments": [{"incident": "T1", "cadre_id": 4}]},
    )
    assert stray.status_code == 400 and "not a task of event" in stray.json()["error"]["message"]
    assert written(store) == before


def test_progress_adds_up_and_bad_reports_change_nothing(served):
    store = served["store"]
    event = harvest_event(served)
    task = add_task(served, event).json()
    path = f"/events/{event}/tasks/{task['id']}/progress"
    for done in ({"area_mu": 20, "tonnes": 41.5}, {"area_mu": 30, "sales_yuan": 12000}):
        answer = call(served, "POST", path, "field", json={"done": done})
        assert answer.status_code == 200, answer.text
    figures = {f["measure"]: f["done"] for f in answer.json()["figures"]}
    assert figures == {"area_mu": 50.0, "tonnes": 41.5, "sales_yuan": 12000.0}
    assert store.audit(limit=1)["action"].tolist() == ["report_progress"]
    before = written(store)
    for bad, status in (
        ({"area_mu": -5}, 400),
        ({"people_moved": 1}, 400),
        ({}, 400),
        ({"area_mu": "lots"}, 400),
    ):
        answer = call(served, "POST", path, "field", json={"done": bad})
        assert answer.status_code == status and answer.json()["error"]["message_zh"]
    assert (
        call(
            served,
            "POST",
            f"/events/{event}/tasks/999/progress",
            "field",
            json={"done": {"area_mu": 1}},
        ).status_code
        == 404
    )
    assert written(store) == before
    board = call(served, "GET", f"/events/{event}/board", "display").json()
    assert board["figures"][0] == {
        "measure": "area_mu",
        "label": "抢收面积",
        "unit": "亩",
        "target": 300.0,
        "done": 50.0,
    }


def test_check_ins_and_the_alert_for_a_missed_one(served):
    store = served["store"]
    event = harvest_event(served)
    task = add_task(served, event, headcount=2).json()
    call(
        served,
        "POST",
        f"/events/{event}/mobilisation",
        json={
            "assignments": [
                {"incident": task["public_id"], "cadre_id": 4},
                {"incident": task["public_id"], "cadre_id": 5},
            ]
        },
    )
    not_sent = call(served, "POST", f"/events/{event}/checkins", "field", json={"cadre_id": 6})
    assert not_sent.status_code == 409 and "not mobilised" in not_sent.json()["error"]["message"]
    ok = call(
        served,
        "POST",
        f"/events/{event}/checkins",
        "field",
        json={"cadre_id": 4, "lon": 120.005, "lat": 36.01},
    )
    assert ok.status_code == 201
    assert (
        call(
            served, "POST", f"/events/{event}/checkins", "field", json={"cadre_id": 5, "lon": 120.0}
        ).status_code
        == 400
    )
    now = dt.datetime.now(dt.UTC)
    assert event_service.board(store, event, now=now)["overdue"] == []
    # 31 minutes on, both have missed their check-in (every 30 minutes).
    later = event_service.board(store, event, now=now + dt.timedelta(minutes=31))
    assert sorted(o["cadre_id"] for o in later["overdue"]) == [4, 5]
    assert all(o["late_min"] >= 1 and o["name"] for o in later["overdue"])
    # Had 5 checked in 25 minutes on, only 4 would be overdue at 31.
    store.check_in(event, 5, actor="test", at=now + dt.timedelta(minutes=25))
    later = event_service.board(store, event, now=now + dt.timedelta(minutes=31))
    assert [o["cadre_id"] for o in later["overdue"]] == [4]


def test_an_ended_event_takes_no_more_work(served):
    store = served["store"]
    event = harvest_event(served)
    task = add_task(served, event).json()
    assert call(served, "POST", f"/events/{event}/end").status_code == 200
    before = written(store)
    for path, scope, body in (
        (f"/events/{event}/tasks", "events", {"title": "x", "lon": 120.005, "lat": 36.01}),
        (f"/events/{event}/tasks/{task['id']}/progress", "field", {"done": {"area_mu": 1}}),
        (
            f"/events/{event}/mobilisation",
            "events",
            {"assignments": [{"incident": task["public_id"], "cadre_id": 4}]},
        ),
    ):
        answer = call(served, "POST", path, scope, json=body)
        assert answer.status_code == 409, (path, answer.text)
        assert "ended" in answer.json()["error"]["message"]
    assert call(served, "GET", f"/events/{event}/mobilisation").status_code == 409
    assert written(store) == before


def test_who_may_do_what_on_an_event(served):
    event = harvest_event(served)
    task = add_task(served, event).json()
    assert (
        call(
            served,
            "POST",
            f"/events/{event}/tasks",
            "field",
            json={"title": "x", "lon": 120.005, "lat": 36.01},
        ).status_code
        == 403
    )
    assert call(served, "GET", f"/events/{event}/mobilisation", "display").status_code == 403
    assert (
        call(
            served,
            "POST",
            f"/events/{event}/tasks/{task['id']}/progress",
            "display",
            json={"done": {"area_mu": 1}},
        ).status_code
        == 403
    )
    assert call(served, "GET", f"/events/{event}/board", "display").status_code == 200


def test_the_after_action_report_and_replay_tell_what_happened(served):
    import io

    from openpyxl import load_workbook

    event = harvest_event(served)
    task = add_task(served, event, headcount=2).json()
    # Before anyone is sent, the report and the replay already answer.
    waiting = call(served, "GET", f"/events/{event}/replay", "display").json()
    assert [t["stage"] for t in waiting["tasks"]] == ["reported"] and waiting["cadres"] == []
    assert call(served, "GET", f"/events/{event}/report", "display").json()["tasks"]["total"] == 1
    call(
        served,
        "POST",
        f"/events/{event}/mobilisation",
        json={
            "assignments": [
                {"incident": task["public_id"], "cadre_id": 4},
                {"incident": task["public_id"], "cadre_id": 5},
            ]
        },
    )
    call(
        served,
        "POST",
        f"/events/{event}/tasks/{task['id']}/progress",
        "field",
        json={"done": {"area_mu": 120, "tonnes": 250}},
    )
    call(served, "POST", f"/events/{event}/checkins", "field", json={"cadre_id": 4})
    found = call(served, "GET", f"/events/{event}/report", "display")
    assert found.status_code == 200, found.text
    report = found.json()
    assert report["mobilisation"]["cadres"] == 2 and report["tasks"]["total"] == 1
    assert report["tasks"]["done"] == 0 and report["checkins"]["received"] == 1
    done = {f["measure"]: f["done"] for f in report["figures"]}
    assert done["area_mu"] == 120 and done["tonnes"] == 250
    assert [u["title"] for u in report["unmet"]["open_tasks"]] == ["1号地抢收"]

    book = call(served, "GET", f"/events/{event}/report.xlsx", "display")
    assert book.status_code == 200 and book.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    sheets = load_workbook(io.BytesIO(book.content)).sheetnames
    assert len(sheets) >= 4

    start = call(
        served,
        "GET",
        f"/events/{event}/replay",
        "display",
        params={"at": "2000-01-01T00:00:00+08:00"},
    ).json()
    assert start["at"] == start["start"] and start["cadres"] == []  # held inside the timeline
    end = call(served, "GET", f"/events/{event}/replay", "display").json()
    assert sorted(c["cadre_id"] for c in end["cadres"]) == [4, 5]
    assert {f["measure"]: f["done"] for f in end["figures"]}["area_mu"] == 120
    bad = call(served, "GET", f"/events/{event}/replay", "display", params={"at": "soon"})
    assert bad.status_code == 400
