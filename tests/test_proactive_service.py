"""主动发现 end to end on a real store: a recurring spot is proposed, opened as a
proactive case or dismissed, and comes back only with a newer report
(services.proactive)."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.access import for_user
from domain.errors import Conflict, Forbidden, InvalidInput
from services import proactive
from tests.tiny_city import NOW

OPERATOR = for_user(1, "zhao", "operator", None)
LEADER = for_user(2, "qian", "town_leader", "370281001")
DAY = dt.timedelta(days=1)
M = 1 / 111_195  # a metre in degrees of latitude


def report(store, days_ago: float, north_m: float, category: str = "fire_lane") -> int:
    """A citizen's report near (120.005, 36.005) in grid A-1, where the tiny
    city's fire-lane report 1 lies."""
    at = NOW - dt.timedelta(days=days_ago)
    return store.add_incident(
        {
            "channel": "app",
            "category": category,
            "description": "消防通道又被占用",
            "lon": 120.005,
            "lat": 36.005 + north_m * M,
            "grid_code": "A-1",
            "town_code": "370281001",
            "priority": 2,
            "status": "closed",
            "reported_at": at,
            "updated_at": at,
        },
        actor="test",
    )


@pytest.fixture
def spot_store(city_store):
    """The tiny city with four more fire-lane reports at report 1's place
    within 20 days: five in all, a recurring spot."""
    for days_ago, north in ((20, 10), (14, -15), (9, 20), (4, 5)):
        report(city_store, days_ago, north)
    return city_store


def test_a_recurring_spot_is_proposed_with_its_evidence(spot_store):
    found = proactive.proposals(spot_store, NOW)
    assert len(found) == 1
    spot = found.iloc[0]
    assert (spot["category"], spot["reports"], spot["town_code"]) == ("fire_lane", 5, "370281001")
    assert spot["grid_code"] == "A-1" and 1 in spot["report_ids"]
    assert proactive.proposals(spot_store, NOW, town="370281002").empty
    # Still proposed a fortnight on; a month on, too few are left in the window.
    assert len(proactive.proposals(spot_store, NOW + 14 * DAY)) == 1
    assert proactive.proposals(spot_store, NOW + 30 * DAY).empty


def test_opening_a_spot_makes_a_proactive_case_and_it_leaves_the_proposals(spot_store):
    key = proactive.proposals(spot_store, NOW).iloc[0]["key"]
    incident_id = proactive.open_case(spot_store, key, OPERATOR, NOW)
    case = spot_store.incidents(ids=[incident_id]).iloc[0]
    assert (case["channel"], case["status"], case["category"]) == (
        "proactive",
        "registered",
        "fire_lane",
    )
    assert case["description"] == "主动发现：消防通道占用 20天内5次（甲社区第1网格附近）"
    assert case["priority"] == 2 and case["grid_code"] == "A-1"
    assert proactive.proposals(spot_store, NOW + dt.timedelta(minutes=1)).empty
    decision = spot_store.spot_decisions().iloc[-1]
    assert (decision["decision"], decision["incident_id"]) == ("opened", incident_id)
    assert decision["decided_by"] == OPERATOR.actor
    # The same key again: no longer proposed, nothing written.
    with pytest.raises(Conflict):
        proactive.open_case(spot_store, key, OPERATOR, NOW + dt.timedelta(minutes=2))
    assert len(spot_store.spot_decisions()) == 1


def test_a_newer_report_brings_an_opened_spot_back_under_a_new_key(spot_store):
    key = proactive.proposals(spot_store, NOW).iloc[0]["key"]
    proactive.open_case(spot_store, key, OPERATOR, NOW)
    later = NOW + DAY
    newest = report(spot_store, -0.5, 0)  # half a day after the case was opened
    back = proactive.proposals(spot_store, later)
    assert len(back) == 1 and back.iloc[0]["key"] != key
    assert back.iloc[0]["reports"] == 6 and back.iloc[0]["report_ids"][-1] == newest
    # The proactive case itself is not evidence of its own spot.
    cases = spot_store.incidents(ids=list(back.iloc[0]["report_ids"]))
    assert "proactive" not in set(cases["channel"])
    second = proactive.open_case(spot_store, back.iloc[0]["key"], OPERATOR, later)
    assert spot_store.incidents(ids=[second]).iloc[0]["channel"] == "proactive"


def test_a_dismissed_spot_stays_away_until_a_newer_report(spot_store):
    key = proactive.proposals(spot_store, NOW).iloc[0]["key"]
    proactive.dismiss(spot_store, key, OPERATOR, NOW)
    assert proactive.proposals(spot_store, NOW).empty
    assert spot_store.spot_decisions().iloc[-1]["decision"] == "dismissed"
    report(spot_store, -0.2, -5)
    assert len(proactive.proposals(spot_store, NOW + DAY)) == 1


def test_another_category_at_the_same_place_is_its_own_spot(spot_store):
    proactive.open_case(
        spot_store, proactive.proposals(spot_store, NOW).iloc[0]["key"], OPERATOR, NOW
    )
    for days_ago, north in ((12, 0), (10, 8), (7, -8), (3, 12), (1, -3)):
        report(spot_store, days_ago, north, category="garbage")
    found = proactive.proposals(spot_store, NOW + dt.timedelta(minutes=1))
    assert found["category"].tolist() == ["garbage"]


def test_a_caller_without_dispatch_is_refused_and_nothing_is_written(spot_store):
    key = proactive.proposals(spot_store, NOW).iloc[0]["key"]
    before = (spot_store.table_counts()["incidents"], spot_store.latest_seq())
    with pytest.raises(Forbidden):
        proactive.open_case(spot_store, key, LEADER, NOW)
    with pytest.raises(Forbidden):
        proactive.dismiss(spot_store, key, LEADER, NOW)
    assert (spot_store.table_counts()["incidents"], spot_store.latest_seq()) == before
    assert spot_store.spot_decisions().empty
    assert len(proactive.proposals(spot_store, NOW)) == 1


def test_an_unknown_key_is_a_conflict(spot_store):
    with pytest.raises(Conflict):
        proactive.open_case(spot_store, "fire_lane:120.00000:36.00000:999", OPERATOR, NOW)


def test_a_spot_whose_oldest_report_left_the_window_is_still_opened_by_its_key(spot_store):
    report(spot_store, 44.9, -25)  # six reports, the oldest about to leave the 45-day window
    key = proactive.proposals(spot_store, NOW).iloc[0]["key"]
    later = NOW + dt.timedelta(hours=6)
    moved = proactive.proposals(spot_store, later).iloc[0]
    assert moved["reports"] == 5 and moved["key"] != key  # its centre moved a little
    incident_id = proactive.open_case(spot_store, key, OPERATOR, later)
    assert spot_store.spot_decisions().iloc[-1]["incident_id"] == incident_id


def test_a_key_that_is_no_key_is_refused(spot_store):
    with pytest.raises(InvalidInput):
        proactive.open_case(spot_store, "fire_lane", OPERATOR, NOW)
    assert spot_store.spot_decisions().empty
