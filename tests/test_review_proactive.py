"""The review's recurring spots (主动发现), read only: the spots proposed now and
the proactive cases opened in the period, of the town reviewed
(services.review_proactive, dashboard.review_proactive)."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.access import for_user
from domain.errors import Forbidden
from domain.review_query import Period, ReviewQuery
from services import proactive
from services.review_proactive import review_proactive
from tests.test_proactive_service import report
from tests.tiny_city import NOW

OPERATOR = for_user(1, "zhao", "operator", None)
CITY = for_user(2, "qian", "city_leader", None)
TOWN_A = for_user(3, "sun", "town_leader", "370281001")  # where the spot is
TOWN_B = for_user(4, "li", "town_leader", "370281002")
TODAY = dt.date(2026, 6, 20)  # NOW's local date


@pytest.fixture
def spot_store(city_store):
    """The tiny city with a recurring fire-lane spot in grid A-1 of town 370281001."""
    for days_ago, north in ((20, 10), (14, -15), (9, 20), (4, 5)):
        report(city_store, days_ago, north)
    return city_store


def _review(
    store, who, first=TODAY - dt.timedelta(days=6), last=TODAY, area=("city", None), now=NOW
):
    return review_proactive(store, ReviewQuery(Period(first, last), area=area), who, now=now)


def test_the_spots_proposed_now_are_listed_with_their_grid(spot_store):
    review = _review(spot_store, CITY)
    assert review.town is None and len(review.spots) == 1
    spot = review.spots.iloc[0]
    assert (spot["category"], spot["reports"], spot["grid_name"]) == (
        "fire_lane",
        5,
        "甲社区第1网格",
    )
    assert review.cases.empty  # none opened yet


def test_a_town_leader_sees_their_own_town_only(spot_store):
    assert len(_review(spot_store, TOWN_A).spots) == 1
    other = _review(spot_store, TOWN_B)  # asks for the city: gets their own town
    assert other.town == "370281002" and other.spots.empty and other.cases.empty
    with pytest.raises(Forbidden):
        _review(spot_store, TOWN_B, area=("town", "370281001"))
    # A city leader looking at a grid sees its town's.
    assert _review(spot_store, CITY, area=("grid", "A-1")).town == "370281001"


def test_a_case_opened_at_the_desk_leaves_the_spots_and_joins_the_cases(spot_store):
    key = proactive.proposals(spot_store, NOW).iloc[0]["key"]
    opened = proactive.open_case(spot_store, key, OPERATOR, NOW)
    later = NOW + dt.timedelta(minutes=5)
    review = _review(spot_store, TOWN_A, now=later)
    assert review.spots.empty
    assert review.cases["id"].tolist() == [opened]
    case = review.cases.iloc[0]
    assert (case["category"], case["status"], case["grid_name"]) == (
        "fire_lane",
        "registered",
        "甲社区第1网格",
    )
    assert not case["late"]
    # Only proactive cases: the five reports of the spot are not among them.
    assert set(spot_store.incidents(channels=["proactive"])["id"]) == {opened}
    # Another town's leader, a period before it, a reversed period: no case.
    assert _review(spot_store, TOWN_B, now=later).cases.empty
    before = TODAY - dt.timedelta(days=10), TODAY - dt.timedelta(days=1)
    assert _review(spot_store, TOWN_A, *before, now=later).cases.empty
    assert _review(spot_store, TOWN_A, TODAY, TODAY - dt.timedelta(days=3)).cases.empty
    # A month on, still open: past its deadline, it is late.
    month = NOW + dt.timedelta(days=30)
    late = _review(spot_store, CITY, TODAY, TODAY + dt.timedelta(days=30), now=month)
    assert late.cases["late"].tolist() == [True]


def _text(node) -> str:
    if isinstance(node, str):
        return node
    children = getattr(node, "children", None)
    if children is None:
        return ""
    return "".join(
        _text(child) for child in (children if isinstance(children, list) else [children])
    )


def test_the_card_lists_spots_and_cases_in_its_language_and_says_when_there_are_none(
    spot_store,
):
    from dashboard.review_proactive import proactive_view

    shown = proactive_view(_review(spot_store, CITY), "zh", None)
    assert _text(shown[0]) == "全市当前待研判点位 1 处"
    (row,) = shown[1].children[1].children
    assert [_text(cell) for cell in row.children] == [
        "消防通道占用",
        "甲社区第1网格",
        "20 天内 5 次",
        "05-31 至 06-20",
    ]
    assert _text(shown[2]).endswith("立案的主动发现案件 0 件")
    assert _text(shown[3]) == "所选时段没有立案的主动发现案件。"
    one = proactive_view(_review(spot_store, CITY, area=("town", "370281001")), "en", "Town A")
    assert _text(one[0]) == "Town A: 1 spot proposed to the desk now"
    key = proactive.proposals(spot_store, NOW).iloc[0]["key"]
    opened = proactive.open_case(spot_store, key, OPERATOR, NOW)
    month = NOW + dt.timedelta(days=30)
    review = _review(spot_store, TOWN_A, TODAY, TODAY + dt.timedelta(days=30), now=month)
    english = proactive_view(review, "en", "Town A")
    assert _text(english[0]) == "Town A: 0 spots proposed to the desk now"
    assert _text(english[1]) == "No recurring trouble spot found"
    (case,) = english[3].children[1].children
    public_id = spot_store.incidents(ids=[opened]).iloc[0]["public_id"]
    cells = [_text(cell) for cell in case.children]
    assert cells[0] == public_id and cells[1:3] == ["Blocked fire lane", "甲社区第1网格"]
    assert cells[4] == "Registered · late"  # in words, not by colour alone
