"""The console's dispatch glue on a real store: whom to send, the plan, the map."""

from __future__ import annotations

import json

import pytest

from dashboard import dispatch_view as view
from dashboard.console_view import incident_detail
from data.store import Store
from data.store_dispatch import Assignment
from domain.errors import Conflict, InvalidInput
from layers.dispatch_lines import BEST
from tests.test_dispatch_api import staffed_city


@pytest.fixture
def staffed(database_url):
    store = Store.open(database_url)
    store.load_city(staffed_city())
    yield store
    store.close()


def incident(store, public_id: str) -> int:
    return int(store.incident_by_public_id(public_id)["id"])


def test_picked_lists_the_best_five_with_reasons_and_lines(staffed):
    chosen = view.picked(staffed, incident(staffed, "T1"), "zh")
    assert chosen["incident"]["public_id"] == "T1"
    assert chosen["incident"]["label"] == "消防通道占用" and chosen["incident"]["dispatchable"]
    cadres = chosen["cadres"]
    assert len(cadres) == view.LIMIT
    assert all("约" in c["reason"] and "km" in c["reason"] for c in cadres)  # Chinese words
    assert all(c["to"] == [120.005, 36.005] and len(c["from"]) == 2 for c in cadres)
    assert chosen["sent"] == []
    json.dumps(chosen)  # goes to the browser in a dcc.Store
    english = view.picked(staffed, incident(staffed, "T1"), "en")
    assert "min" in english["cadres"][0]["reason"]


def test_a_closed_incident_gets_no_recommendations(staffed):
    chosen = view.picked(staffed, incident(staffed, "T4"), "zh")
    assert chosen["cadres"] == [] and not chosen["incident"]["dispatchable"]
    assert chosen["incident"]["status_name"] == "结案"
    assert view.picked(staffed, 999_999, "zh") is None


def test_send_dispatches_the_chosen_cadre_in_the_operators_name(staffed):
    t1 = incident(staffed, "T1")
    chosen = view.picked(staffed, t1, "zh")
    best = chosen["cadres"][0]
    message = view.send(staffed, chosen, best["cadre_id"], " 李值班 ", "zh")
    assert message == f"已派遣 {best['name']} 前往 T1"
    sent = staffed.active_dispatches()
    assert list(sent["cadre_id"]) == [best["cadre_id"]] and list(sent["sent_by"]) == ["李值班"]
    again = view.picked(staffed, t1, "zh")
    assert [c["name"] for c in again["sent"]] == [best["name"]]
    assert best["cadre_id"] not in [c["cadre_id"] for c in again["cadres"]]


def test_send_needs_an_operator_and_a_free_cadre(staffed):
    t1, t2 = incident(staffed, "T1"), incident(staffed, "T2")
    chosen = view.picked(staffed, t2, "zh")
    cadre = chosen["cadres"][0]["cadre_id"]
    with pytest.raises(InvalidInput) as nobody:
        view.send(staffed, chosen, cadre, "  ", "zh")
    assert nobody.value.message("zh") == "请先登录"
    assert len(staffed.active_dispatches()) == 0
    staffed.dispatch([Assignment(t1, cadre)], actor="甲")
    with pytest.raises(Conflict) as taken:  # the list on screen is older than that dispatch
        view.send(staffed, chosen, cadre, "乙", "zh")
    assert "已被 甲 派往 T1" in taken.value.message("zh")


def test_plan_rows_and_summary_compare_with_greedy(staffed):
    payload = view.plan(staffed, town=None, minutes=None)
    rows = view.plan_rows(payload, "zh", token=3)
    assert sorted(r["incident"] for r in rows) == ["T1", "T2", "T3"]
    assert all(r["plan"] == "3" and r["id"] == f"{r['incident_id']}-{r['cadre_id']}" for r in rows)
    urgent = next(r for r in rows if r["incident"] == "T2")
    assert urgent["priority_name"] == "紧急" and urgent["category"] == "积水内涝"
    assert urgent["eta_min"] == round(urgent["eta_s"] / 60, 1)
    assert rows[0] is urgent  # urgent work first
    assert [r["priority"] for r in rows] == sorted(r["priority"] for r in rows)
    summary = view.plan_summary(payload, "zh")
    assert [row[0] for row in summary["rows"]] == ["最优方案", "逐件就近（贪心）"]
    assert summary["rows"][0][1] == "3/3"
    assert summary["gain"].startswith("较贪心节省加权用时")
    assert summary["unmet"] == "所有事件均已配齐人手"
    json.dumps(rows)


def test_plan_of_one_town_and_a_bad_travel_limit(staffed):
    payload = view.plan(staffed, town="370281002", minutes="30")
    assert [a["incident"] for a in payload["assignments"]] == ["T3"]
    with pytest.raises(InvalidInput):
        view.plan(staffed, town=None, minutes="soon")


def test_confirm_sends_exactly_the_ticked_rows(staffed):
    rows = view.plan_rows(view.plan(staffed, town=None, minutes=60), "zh")
    ticked = [r for r in rows if r["incident"] != "T3"]
    assert view.confirm(staffed, ticked, "李值班", "zh") == "已派遣 2 名干部前往 2 件事件"
    sent = staffed.active_dispatches()
    assert sorted(sent["public_id"]) == ["T1", "T2"]
    assert set(sent["cadre_id"]) == {r["cadre_id"] for r in ticked}


def test_confirm_is_all_or_nothing_when_a_cadre_was_taken_meanwhile(staffed):
    rows = view.plan_rows(view.plan(staffed, town=None, minutes=60), "zh")
    first = rows[0]
    other = next(r for r in rows if r["incident"] != first["incident"])
    # Someone else was quicker with one of the plan's cadres.
    staffed.dispatch([Assignment(other["incident_id"], first["cadre_id"])], actor="甲")
    with pytest.raises(Conflict) as refused:
        view.confirm(staffed, rows, "乙", "zh")
    assert "甲" in refused.value.message("zh")
    assert len(staffed.active_dispatches()) == 1  # only 甲's
    with pytest.raises(InvalidInput) as empty:
        view.confirm(staffed, [], "乙", "zh")
    assert empty.value.message("zh") == "请至少勾选一行"


def _span(bounds) -> float:
    (south, west), (north, east) = bounds
    return max(north - south, east - west)


def test_console_map_shows_the_county_an_incident_or_the_plan(staffed):
    screen = {"width": 1920, "height": 1080, "mapWidth": 860, "mapHeight": 480}
    overview = view.console_map(staffed, lang="zh", screen=screen)
    assert overview["revision"] == "overview"
    open_ids = {
        int(i)
        for i in staffed.incidents(["reported", "registered", "dispatched", "in_progress"])["id"]
    }
    assert {int(f["id"]) for f in overview["layers"]["backdrop"]["features"]} <= open_ids
    assert overview["layers"]["lines"]["features"] == []
    assert {f["properties"]["name"] for f in overview["layers"]["labels"]["features"]} == {
        "甲街道",
        "乙镇",
    }

    chosen = view.picked(staffed, incident(staffed, "T1"), "zh")
    one = view.console_map(staffed, lang="zh", screen=screen, chosen=chosen)
    assert one["revision"] == f"incident-{chosen['incident']['id']}-0"
    lines = one["layers"]["lines"]["features"]
    assert len(lines) == len(chosen["cadres"])  # one line from each candidate
    best = chosen["cadres"][0]
    assert lines[-1]["properties"]["c"] == BEST  # the best line drawn last, on top
    assert lines[-1]["geometry"]["coordinates"][0] == [round(v, 6) for v in best["from"]]
    labels = [f["properties"].get("label") for f in one["layers"]["cadres"]["features"]]
    assert labels[-1] == "1" and sorted(labels) == [str(n + 1) for n in range(len(labels))]
    assert "T1" in one["layers"]["incident"]["features"][-1]["properties"]["tooltip"]
    assert _span(one["bounds"]) < _span(overview["bounds"])  # closer in

    rows = view.plan_rows(view.plan(staffed, town=None, minutes=60), "zh", token=7)
    planned = view.console_map(
        staffed, lang="zh", screen=screen, chosen=chosen, planned=rows, plan_token=7
    )
    assert planned["revision"] == "plan-7"
    assert len(planned["layers"]["lines"]["features"]) == len(rows)
    assert len(planned["layers"]["cadres"]["features"]) == len(rows)
    json.dumps(planned)


def test_a_hover_card_cannot_carry_markup(staffed):
    """Names and numbers reach the map as text: the cards are escaped on the server."""
    chosen = view.picked(staffed, incident(staffed, "T1"), "zh")
    chosen["cadres"][0]["name"] = "<img src=x onerror=alert(1)>"
    drawn = view.console_map(staffed, lang="zh", screen=None, chosen=chosen)
    cards = [f["properties"]["tooltip"] for f in drawn["layers"]["cadres"]["features"]]
    assert not any("<img" in c for c in cards)
    assert any("&lt;img" in c for c in cards)


def test_town_options_and_map_size(staffed):
    assert view.town_options(staffed, "zh") == [
        {"label": "甲街道", "value": "370281001"},
        {"label": "乙镇", "value": "370281002"},
    ]
    assert view.town_options(staffed, "en")[1]["label"] == "Yi Town"
    assert view.map_size({"width": 3840, "height": 2160, "mapWidth": 1700, "mapHeight": 950}) == (
        1700.0,
        950.0,
        2.0,
    )
    width, height, scale = view.map_size(None)
    assert width > 0 and height > 0 and scale == 1.0


def test_the_history_says_a_dispatch_once_with_who_sent_it(staffed):
    t1 = incident(staffed, "T1")
    chosen = view.picked(staffed, t1, "zh")
    view.send(staffed, chosen, chosen["cadres"][0]["cadre_id"], "李值班", "zh")
    timeline = incident_detail(staffed, t1, "zh")["timeline"]
    dispatched = [e for e in timeline if e["action"] == "派遣"]
    assert [e["actor"] for e in dispatched] == ["李值班"]  # not also as a bare time stamp
    assert timeline[0]["action"] == "上报"
