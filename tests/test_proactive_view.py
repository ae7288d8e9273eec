"""The console's proactive cases as an operator reads them: each spot's
evidence from the store, its card, its small map."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard import ids
from dashboard.console_view import detail_children, incident_detail
from dashboard.proactive_view import spot_cards, spot_evidence, spot_map
from tests.tiny_city import NOW, tiny_city

SPOT = (120.0052, 36.0052)  # in grid A-1 of the tiny city
DAY = dt.timedelta(days=1)


def spotted_city(now: dt.datetime = NOW):
    """The tiny city with six fire-lane reports within 30 m of ``SPOT`` over
    twenty days (T6–T11), each with the address a resident typed."""
    city = tiny_city(now)
    n = 6
    extra = pd.DataFrame(
        {
            "public_id": [f"T{6 + k}" for k in range(n)],
            "channel": ["app", "hotline"] * 3,
            "category": ["fire_lane"] * n,
            "description": ["消防通道又被堵"] * n,
            "address": [f"幸福小区{k + 1}号楼" for k in range(n)],
            "lon": [SPOT[0] + 0.0001 * (k % 3 - 1) for k in range(n)],
            "lat": [SPOT[1] + 0.0001 * (k % 2) for k in range(n)],
            "grid_code": ["A-1"] * n,
            "town_code": ["370281001"] * n,
            "priority": [3] * n,
            "status": ["closed"] * n,
            "reported_at": [now - (20 - 4 * k) * DAY for k in range(n)],
            "closed_at": [now - (19 - 4 * k) * DAY for k in range(n)],
            "due_resolve_at": [None] * n,
            "updated_at": [now - (19 - 4 * k) * DAY for k in range(n)],
        }
    )
    city.incidents = pd.concat([city.incidents, extra], ignore_index=True)
    return city


@pytest.fixture
def spotted(store):
    store.load_city(spotted_city())
    return store


def proposal(store, public_ids: list[str]) -> pd.DataFrame:
    """One proposed spot over these reports, as services.proactive.proposals gives it."""
    rows = store.incidents(public_ids=public_ids).sort_values("reported_at")
    return pd.DataFrame(
        {
            "key": [f"fire_lane:{SPOT[0]:.5f}:{SPOT[1]:.5f}:{int(rows['id'].iloc[-1])}"],
            "category": ["fire_lane"],
            "lon": [SPOT[0]],
            "lat": [SPOT[1]],
            "radius_m": [14],
            "reports": [len(rows)],
            "report_ids": [[int(i) for i in rows["id"]]],
            "first_reported_at": [rows["reported_at"].iloc[0]],
            "last_reported_at": [rows["reported_at"].iloc[-1]],
            "town_code": ["370281001"],
            "grid_code": ["A-1"],
        }
    )


def rendered(children) -> str:
    return json.dumps(children, cls=PlotlyJSONEncoder, ensure_ascii=False)


def test_a_spots_evidence_names_its_place_dates_and_reports_in_time_order(spotted):
    [spot] = spot_evidence(spotted, proposal(spotted, [f"T{k}" for k in range(6, 12)]), "zh")
    assert spot["category"] == "消防通道占用" and spot["count"] == 6
    assert spot["days"] == 20  # the first report 20 days ago, the last today
    assert [r["public_id"] for r in spot["reports"]] == [f"T{k}" for k in range(6, 12)]
    # The place: the grid, and the address of the report nearest the centre
    # (T10, the fifth, lies on it; the others 0.0001° off).
    assert spot["place"] == "甲社区第1网格 · 幸福小区5号楼"
    beijing = (NOW - 20 * DAY).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert spot["first"] == beijing.strftime("%m-%d") and spot["reports"][0]["at"].startswith(
        spot["first"]
    )
    assert all(r["lon"] and r["lat"] for r in spot["reports"])
    json.dumps(spot)  # goes to the browser in a dcc.Store
    [english] = spot_evidence(spotted, proposal(spotted, ["T6", "T7", "T8"]), "en")
    assert english["category"] == "Blocked fire lane" and english["count"] == 3


def test_no_spot_gives_no_evidence_and_a_line_saying_so(spotted):
    assert spot_evidence(spotted, pd.DataFrame(), "zh") == []
    assert "暂无反复发生的问题点位" in rendered(spot_cards([], "zh"))
    assert "No recurring trouble spot found" in rendered(spot_cards([], "en"))


def test_a_card_offers_the_reports_the_map_and_both_decisions(spotted):
    spots = spot_evidence(spotted, proposal(spotted, [f"T{k}" for k in range(6, 12)]), "zh")
    key = spots[0]["key"]
    html = rendered(spot_cards(spots, "zh", picked=key))
    assert (
        "20 天内 6 次" in html
        and "范围 14 米" in html
        and "立案" in html
        and "忽略" in html
        and "看地图" in html
    )
    for kind in (ids.PROACTIVE_OPEN, ids.PROACTIVE_DISMISS, ids.PROACTIVE_PICK):
        assert json.dumps({"type": kind, "spot": key}, ensure_ascii=False)[1:-1] in html
    report_ids = [r["id"] for r in spots[0]["reports"]]
    for incident in report_ids:  # each report opens its detail
        assert f'"type": "{ids.PROACTIVE_REPORT}", "incident": {incident}' in html
    assert "gc-spot-picked" in html
    assert "gc-spot-picked" not in rendered(spot_cards(spots, "zh", picked=None))
    english = rendered(spot_cards(spots, "en"))
    assert "6 times in 20 days" in english and "Open case" in english


def test_the_small_map_shows_each_report_inside_its_view_and_escapes_hover_cards():
    spot = {
        "lon": 120.0,
        "lat": 36.0,
        "radius_m": 30,
        "reports": [
            {"id": 1, "public_id": "<b>X1</b>", "at": "06-01 09:00", "lon": 120.0002, "lat": 36.0},
            {"id": 2, "public_id": "X2", "at": "06-05 10:00", "lon": 119.9998, "lat": 36.0001},
            {"id": 3, "public_id": "X3", "at": "06-09 11:00", "lon": None, "lat": None},
        ],
    }
    drawn = spot_map(spot, scale=2.0)
    points = drawn["points"]["features"]
    assert [p["id"] for p in points] == [1, 2]  # the report without a place is not drawn
    assert points[0]["properties"]["tooltip"] == "&lt;b&gt;X1&lt;/b&gt; · 06-01 09:00"
    assert points[0]["properties"]["r"] == 12  # marks grow with the screen
    (south, west), (north, east) = drawn["bounds"]
    assert all(west < p["geometry"]["coordinates"][0] < east for p in points)
    assert all(south < p["geometry"]["coordinates"][1] < north for p in points)
    # Room around the spot's ring: its 30 m and 40 m more each way.
    assert north - south == pytest.approx(2 * 70 / 111_195, rel=0.01)
    ring = drawn["ring"]["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 49
    assert spot_map(None)["bounds"] is None and spot_map(None)["points"]["features"] == []


def test_a_report_shown_as_evidence_is_read_only(spotted):
    """A report opened from a spot's card shows what it was, with no move:
    the moves act on the queue's pick, which may be another incident."""
    report = int(spotted.incident_by_public_id("T6")["id"])
    detail = incident_detail(spotted, report, "zh")
    shown = rendered(detail_children(detail, "zh", moves=False))
    assert "T6 · 消防通道占用" in shown and "幸福小区1号楼" in shown
    assert ids.ACTION_NOTE not in shown and ids.ACTION_BUTTON not in shown
    assert "主动发现的依据，只读" in shown
    assert ids.ACTION_NOTE in rendered(detail_children(detail, "zh"))
