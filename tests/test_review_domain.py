"""The town review's pure parts: the query, the figures, hot spots and the league.

Every frame here is small enough that each expected figure is worked out by
hand in the comments next to it. No database.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from domain.errors import InvalidInput
from domain.hotspots import ALPHA, MIN_COUNT, MIN_RATIO, hot_spots
from domain.league import department_skills, league_table, responsible_pairs
from domain.review_metrics import (
    FIGURES,
    METRICS,
    category_mix,
    incident_flags,
    ranking,
    total_metrics,
    trend,
    trend_step,
    unit_metrics,
    with_units,
)
from domain.review_query import (
    Period,
    ReviewQuery,
    parse_query,
    query_args,
    quick_period,
)

TODAY = dt.date(2026, 6, 17)  # a Wednesday
T0 = pd.Timestamp("2026-06-10 00:00", tz="UTC")
NOW = T0 + pd.Timedelta(hours=100)
TIMES = ("reported_at", "first_contact_at", "resolved_at", "due_contact_at", "due_resolve_at")


def parse(args: dict, today: dt.date = TODAY) -> ReviewQuery:
    return parse_query(args, today=today, metrics=METRICS)


def at_hours(value) -> pd.Timestamp | None:
    """T0 plus ``value`` hours, None for None."""
    return None if value is None else T0 + pd.Timedelta(hours=value)


def incidents(rows: list[dict]) -> pd.DataFrame:
    """A frame shaped like ``Store.review_rows``; times given as hours after T0
    (keys r, c, s, dc, ds: reported, first contact, resolved, due contact, due resolve)."""
    keys = {
        "r": "reported_at",
        "c": "first_contact_at",
        "s": "resolved_at",
        "dc": "due_contact_at",
        "ds": "due_resolve_at",
    }
    frame = pd.DataFrame(
        {
            "id": range(1, len(rows) + 1),
            "grid_code": [r.get("grid", "G1") for r in rows],
            "town_code": [r.get("town", "T") for r in rows],
            "category": [r.get("category", "garbage") for r in rows],
            "channel": [r.get("channel", "app") for r in rows],
            "status": [r["status"] for r in rows],
            "satisfaction": pd.to_numeric(
                pd.Series([r.get("sat") for r in rows], dtype=object), errors="coerce"
            ).astype(float),
        }
    )
    for short, column in keys.items():
        frame[column] = pd.to_datetime(
            pd.Series([at_hours(r.get(short)) for r in rows], dtype=object), utc=True
        )
    return frame


# Grid G1: eight incidents, each a case of the definitions; G2: one.
CASES = [
    # 1 closed in time, contacted in time, rated 5: counts everywhere, no breach
    dict(status="closed", r=0, c=1, dc=2, s=10, ds=24, sat=5),
    # 2 resolved but late on both deadlines, rated 3 (rated, not satisfied): one breach
    dict(status="resolved", r=0, c=3, dc=2, s=30, ds=24, sat=3),
    # 3 contacted in time, still open past its resolution deadline (50 < now 100): breach
    dict(status="in_progress", r=0, c=1, dc=2, ds=50),
    # 4 not contacted yet, contact due after now: no breach, not responded, counted
    dict(status="registered", r=90, dc=110, ds=130),
    # 5 not contacted, contact was due at 5 (before now): breach, not responded
    dict(status="reported", r=0, dc=5),
    # 6 rejected: not counted, not a breach although its contact deadline passed
    dict(status="rejected", r=0, dc=5),
    # 7 duplicate: not counted, not a breach although both deadlines passed
    dict(status="duplicate", r=0, dc=5, ds=20),
    # 8 verified exactly on both deadlines (equal is in time), rated 4 (satisfied)
    dict(status="verified", r=0, c=2, dc=2, s=24, ds=24, sat=4),
    # 9 G2: closed without deadlines and never contacted: on time, not responded
    dict(status="closed", r=0, s=5, grid="G2"),
]


@pytest.fixture
def cases() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = incidents(CASES)
    return frame, incident_flags(frame, NOW.to_pydatetime())


# --- review_query -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pick", "today", "start"),
    [
        ("week", dt.date(2026, 6, 17), dt.date(2026, 6, 15)),  # Wednesday -> Monday
        ("week", dt.date(2026, 6, 15), dt.date(2026, 6, 15)),  # Monday itself
        ("week", dt.date(2026, 6, 21), dt.date(2026, 6, 15)),  # Sunday ends the week
        ("week", dt.date(2026, 1, 1), dt.date(2025, 12, 29)),  # across the new year
        ("month", dt.date(2026, 6, 17), dt.date(2026, 6, 1)),
        ("quarter", dt.date(2026, 6, 30), dt.date(2026, 4, 1)),
        ("quarter", dt.date(2026, 1, 5), dt.date(2026, 1, 1)),
        ("quarter", dt.date(2026, 12, 31), dt.date(2026, 10, 1)),
        ("year", dt.date(2026, 6, 17), dt.date(2026, 1, 1)),
    ],
)
def test_quick_period_runs_from_its_first_day_to_today(pick, today, start):
    assert quick_period(pick, today) == Period(start, today)


def test_quick_period_refuses_an_unknown_pick():
    with pytest.raises(InvalidInput, match="unknown period 'decade'"):
        quick_period("decade", TODAY)


def test_period_days_bounds_and_labels():
    day = Period(dt.date(2026, 6, 1), dt.date(2026, 6, 1))
    # Beijing is UTC+8 all year: local midnight is 16:00 UTC the day before.
    assert day.utc_bounds() == (
        dt.datetime(2026, 5, 31, 16, tzinfo=dt.UTC),
        dt.datetime(2026, 6, 1, 16, tzinfo=dt.UTC),
    )
    assert day.days == 1 and not day.reversed
    assert day.label("zh") == "2026-06-01"
    month = Period(dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    assert month.days == 30
    assert month.label("zh") == "2026-06-01 至 2026-06-30"
    assert month.label("en") == "2026-06-01 to 2026-06-30"
    backwards = Period(dt.date(2026, 6, 30), dt.date(2026, 6, 1))
    assert backwards.reversed and backwards.days == 0


def test_parse_query_defaults_to_this_month_of_the_whole_city():
    query = parse({})
    assert query.period == Period(dt.date(2026, 6, 1), TODAY)
    assert (query.metric, query.pick, query.area, query.town) == (
        "incidents",
        "month",
        ("city", None),
        None,
    )
    assert query.categories == () and query.channels == ()


def test_parse_query_reads_a_custom_period_and_either_end_alone():
    assert parse({"from": "2026-05-03", "to": "2026-05-09"}).period == Period(
        dt.date(2026, 5, 3), dt.date(2026, 5, 9)
    )
    # "to" alone starts at the first of its month; "from" alone runs to today ...
    assert parse({"to": "2026-05-09"}).period == Period(dt.date(2026, 5, 1), dt.date(2026, 5, 9))
    assert parse({"from": "2026-05-03"}).period == Period(dt.date(2026, 5, 3), TODAY)
    # ... or is one day when it lies after today.
    assert parse({"from": "2026-07-01"}).period == Period(dt.date(2026, 7, 1), dt.date(2026, 7, 1))
    assert parse({"from": "2026-05-03"}).pick == "custom"
    # A quick pick wins over dates that came along with it.
    assert parse({"period": "week", "from": "2026-01-01"}).period.start == dt.date(2026, 6, 15)


def test_a_reversed_range_is_returned_not_raised():
    query = parse({"from": "2026-06-10", "to": "2026-06-01"})
    assert query.period.reversed
    assert (query.period.start, query.period.end) == (dt.date(2026, 6, 10), dt.date(2026, 6, 1))


def test_parse_query_takes_the_deepest_area_and_remembers_the_town():
    query = parse({"town": "370281001", "community": "370281001001", "grid": "A-1"})
    assert query.area == ("grid", "A-1") and query.level == "grid" and query.code == "A-1"
    assert query.town == "370281001"
    assert parse({"town": " 370281001 "}).area == ("town", "370281001")
    assert parse({"community": "370281001001"}).town is None  # the service fills it in


def test_parse_query_reads_comma_lists_and_lists_without_repeats():
    query = parse({"category": "garbage, noise,,garbage", "channel": ["hotline", "app"]})
    assert query.categories == ("garbage", "noise")
    assert query.channels == ("hotline", "app")


def test_the_review_picks_out_proactive_cases_by_their_name():
    """Issue 20: the desk's proactive cases are a channel of their own in the review."""
    from services.review_tables import channel_name

    assert parse({"channel": "proactive"}).channels == ("proactive",)
    assert channel_name("proactive", "zh") == "主动发现"
    assert channel_name("proactive", "en") == "Proactive case"


@pytest.mark.parametrize(
    ("args", "message", "zh"),
    [
        ({"metric": "happiness"}, "unknown metric 'happiness'", "未知的指标"),
        ({"period": "decade"}, "unknown period 'decade'", "未知的时间范围"),
        ({"period": "custom"}, "custom period needs from", "自定义时间范围"),
        ({"category": "garbage,ufo"}, "unknown categories: ufo", "未知的类别"),
        ({"channel": "fax"}, "unknown channels: fax", "未知的渠道"),
        ({"from": "2026/06/01"}, "from must be a date like 2026-06-01", "应为日期"),
        ({"to": "June 1st"}, "to must be a date like", "应为日期"),
        ({"from": "2026-6-1"}, "from must be a date like", "应为日期"),
        ({"from": "2026-02-31"}, "from is not a calendar date: '2026-02-31'", "不是有效日期"),
        ({"to": "2026-13-01"}, "to is not a calendar date", "不是有效日期"),
        ({"from": "0001-01-01"}, "from must lie between 2000-01-01 and 2200-12-31", "应在"),
        ({"to": "9999-12-31"}, "to must lie between", "应在"),
        ({"from": "1999-12-31", "to": "2026-01-01"}, "from must lie between", "应在"),
        ({"town": "370281001; drop table"}, "town is not a code", "town 编码无效"),
        ({"community": "a b"}, "community is not a code", "编码无效"),
        ({"grid": "G" * 33}, "grid is not a code", "编码无效"),
        ({"grid": "网格1"}, "grid is not a code", "编码无效"),
    ],
)
def test_bad_input_is_refused_with_its_reason_in_both_languages(args, message, zh):
    with pytest.raises(InvalidInput, match=message) as caught:
        parse(args)
    assert zh in caught.value.message("zh")
    assert caught.value.message("en") == str(caught.value)


def test_the_limits_of_the_date_range_are_themselves_accepted():
    query = parse({"from": "2000-01-01", "to": "2200-12-31"})
    assert query.period == Period(dt.date(2000, 1, 1), dt.date(2200, 12, 31))
    assert parse({"from": "2028-02-29", "to": "2028-02-29"}).period.days == 1  # a leap day


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"period": "week", "metric": "closure_rate"},
        {"period": "quarter", "town": "370281001", "category": "garbage,noise"},
        {"from": "2026-05-03", "to": "2026-05-09", "channel": "hotline,app"},
        {"from": "2026-06-10", "to": "2026-06-01"},  # reversed survives the trip
        {"from": "2026-01-01", "to": "2026-03-31", "community": "370281001001"},
        {
            "period": "year",
            "town": "370281001",
            "community": "370281001001",
            "grid": "A-1",
            "metric": "breaches",
        },
    ],
)
def test_query_args_read_back_into_the_same_query(args):
    query = parse(args)
    back = query_args(query)
    assert all(isinstance(v, str) for v in back.values())
    assert parse(back) == query


def test_query_args_of_an_area_set_by_the_screen():
    base = parse({"from": "2026-06-01", "to": "2026-06-07"})
    for query in (
        base.with_area("town", "370281002", "370281002"),
        base.with_area("community", "370281002001", "370281002"),
        base.with_area("grid", "B-1", "370281002"),
    ):
        assert parse(query_args(query)) == query


# --- review_metrics: the figures, worked by hand ------------------------------------------


def test_incident_flags_follow_the_definitions_case_by_case(cases):
    _, flags = cases
    columns = ["counted", "resolved", "rated", "satisfied", "responded", "on_time", "breached"]
    expected = [
        [1, 1, 1, 1, 1, 1, 0],  # 1 all in time
        [1, 1, 1, 0, 0, 0, 1],  # 2 late on both
        [1, 0, 0, 0, 1, 0, 1],  # 3 open past its deadline
        [1, 0, 0, 0, 0, 0, 0],  # 4 contact not yet due
        [1, 0, 0, 0, 0, 0, 1],  # 5 contact overdue
        [0, 0, 0, 0, 0, 0, 0],  # 6 rejected
        [0, 0, 0, 0, 0, 0, 0],  # 7 duplicate
        [1, 1, 1, 1, 1, 1, 0],  # 8 exactly on the deadlines
        [1, 1, 0, 0, 0, 1, 0],  # 9 no deadlines, no contact
    ]
    assert flags[columns].to_numpy().tolist() == expected
    assert flags["contact_h"].tolist()[:3] == [1.0, 3.0, 1.0]
    contacted = [True, True, True, False, False, False, False, True, False]
    assert flags["contact_h"].notna().tolist() == contacted
    # Hours to resolution only for the resolved.
    assert flags["resolve_h"].fillna(-1).tolist() == [10.0, 30.0, -1, -1, -1, -1, -1, 24.0, 5.0]


def test_an_uncontacted_incident_becomes_a_breach_only_once_its_contact_is_due():
    frame = incidents([dict(status="reported", r=0, dc=10)])
    before = incident_flags(frame, (T0 + pd.Timedelta(hours=9)).to_pydatetime())
    after = incident_flags(frame, (T0 + pd.Timedelta(hours=11)).to_pydatetime())
    assert before["breached"].tolist() == [0] and after["breached"].tolist() == [1]
    assert before["responded"].tolist() == after["responded"].tolist() == [0]


def test_unit_metrics_of_each_grid(cases):
    frame, flags = cases
    table = unit_metrics(frame, flags, "grid_code")
    assert list(table.columns) == list(FIGURES)
    assert list(table.index) == ["G1", "G2"]
    g1, g2 = table.loc["G1"], table.loc["G2"]
    # G1: 8 incidents, 6 counted (not 6, 7), resolved 1, 2, 8.
    assert (g1["incidents"], g1["counted"], g1["resolved"]) == (8, 6, 3)
    assert g1["closure_rate"] == pytest.approx(3 / 6)
    # Rated 1 (5), 2 (3), 8 (4): two of three are 4 or more.
    assert (g1["rated"], g1["satisfied"]) == (3, 2)
    assert g1["satisfaction_rate"] == pytest.approx(2 / 3)
    # Responded in time: 1, 3, 8 of the 6 counted (4 and 5 not contacted).
    assert g1["responded"] == 3 and g1["response_rate"] == pytest.approx(0.5)
    # On time: 1 and 8 of the 3 resolved.
    assert g1["on_time"] == 2 and g1["on_time_rate"] == pytest.approx(2 / 3)
    assert g1["breaches"] == 3  # 2, 3, 5
    assert g1["contact_h"] == pytest.approx(1.5)  # median of 1, 3, 1, 2
    assert g1["resolve_h"] == pytest.approx(24.0)  # median of 10, 30, 24
    # G2: one closed, never rated, never contacted.
    assert (g2["incidents"], g2["counted"], g2["resolved"], g2["breaches"]) == (1, 1, 1, 0)
    assert g2["closure_rate"] == 1.0 and g2["on_time_rate"] == 1.0
    assert g2["response_rate"] == 0.0  # counted but not contacted: a real zero
    assert math.isnan(g2["satisfaction_rate"])  # nothing rated: no rate, not 0
    assert math.isnan(g2["contact_h"]) and g2["resolve_h"] == pytest.approx(5.0)


def test_unit_metrics_by_two_keys(cases):
    frame, flags = cases
    table = unit_metrics(frame, flags, ["town_code", "grid_code"])
    assert list(table.index) == [("T", "G1"), ("T", "G2")]
    assert table["incidents"].tolist() == [8, 1]


def test_total_metrics_are_computed_from_counts_not_averaged_from_grids(cases):
    frame, flags = cases
    total = total_metrics(frame, flags)
    assert (total["incidents"], total["counted"], total["resolved"]) == (9, 7, 4)
    assert total["closure_rate"] == pytest.approx(4 / 7)  # not the mean of 0.5 and 1.0
    assert total["satisfaction_rate"] == pytest.approx(2 / 3)
    assert total["response_rate"] == pytest.approx(3 / 7)
    assert total["on_time_rate"] == pytest.approx(3 / 4)
    assert total["breaches"] == 3
    assert total["contact_h"] == pytest.approx(1.5)
    assert total["resolve_h"] == pytest.approx(17.0)  # median of 10, 30, 24, 5


def test_rates_are_empty_when_there_is_nothing_to_count():
    # Only a rejected and a duplicate report: nothing counts, nothing is rated.
    frame = incidents([dict(status="rejected", r=0), dict(status="duplicate", r=1)])
    flags = incident_flags(frame, NOW.to_pydatetime())
    total = total_metrics(frame, flags)
    assert (total["incidents"], total["counted"], total["breaches"]) == (2, 0, 0)
    for rate in ("closure_rate", "satisfaction_rate", "response_rate", "on_time_rate"):
        assert math.isnan(total[rate]), rate
    # An incident that counts but is not resolved: closure 0, on-time rate empty.
    frame = incidents([dict(status="registered", r=0)])
    total = total_metrics(frame, incident_flags(frame, NOW.to_pydatetime()))
    assert total["closure_rate"] == 0.0 and math.isnan(total["on_time_rate"])


def test_no_incidents_at_all_give_zero_counts_and_empty_rates():
    frame = incidents([dict(status="closed", r=0)]).iloc[:0]
    flags = incident_flags(frame, NOW.to_pydatetime())
    assert len(flags) == 0
    total = total_metrics(frame, flags)
    assert list(total.index) == list(FIGURES)
    assert total["incidents"] == 0 and total["breaches"] == 0
    assert (
        total[
            [
                "closure_rate",
                "satisfaction_rate",
                "response_rate",
                "on_time_rate",
                "contact_h",
                "resolve_h",
            ]
        ]
        .isna()
        .all()
    )
    assert len(unit_metrics(frame, flags, "grid_code")) == 0


@pytest.fixture
def grid_units() -> pd.DataFrame:
    return pd.DataFrame(
        {"code": ["G1", "G2", "G3"], "name": ["一", "二", "三"], "population": [2000, 1000, 0]}
    )


def test_with_units_keeps_units_without_incidents(cases, grid_units):
    frame, flags = cases
    table = with_units(grid_units, unit_metrics(frame, flags, "grid_code"), "code")
    assert table["code"].tolist() == ["G1", "G2", "G3"]
    assert table["incidents"].tolist() == [8, 1, 0]
    assert table["breaches"].dtype == np.int64
    assert table["per_1000"].tolist()[:2] == [4.0, 1.0]  # 8 of 2,000 and 1 of 1,000
    g3 = table.iloc[2]
    assert math.isnan(g3["per_1000"])  # no residents on file: no rate, not infinity
    assert pd.isna(g3["closure_rate"]) and pd.isna(g3["satisfaction_rate"])


def test_ranking_best_first_with_empty_values_unranked_and_last(cases, grid_units):
    frame, flags = cases
    table = with_units(grid_units, unit_metrics(frame, flags, "grid_code"), "code")
    by_closure = ranking(table, METRICS["closure_rate"])
    assert by_closure["code"].tolist() == ["G2", "G1", "G3"]  # 1.0, 0.5, none
    assert by_closure["rank"].tolist() == [1, 2, pd.NA]
    # A load: most first.
    assert ranking(table, METRICS["incidents"])["code"].tolist() == ["G1", "G2", "G3"]
    # Hours: fewer is better; G2 and G3 have none, the busier one first.
    by_contact = ranking(table, METRICS["contact_h"])
    assert by_contact["code"].tolist() == ["G1", "G2", "G3"]
    assert by_contact["rank"].tolist() == [1, pd.NA, pd.NA]
    # Breaches: fewer is better, ties go to the unit with more incidents.
    assert ranking(table, METRICS["breaches"])["code"].tolist() == ["G2", "G3", "G1"]
    assert ranking(table, METRICS["closure_rate"], limit=1)["code"].tolist() == ["G2"]


@pytest.mark.parametrize(
    ("days", "step"), [(1, "D"), (31, "D"), (32, "W"), (186, "W"), (187, "M"), (366, "M")]
)
def test_trend_step_by_length(days, step):
    assert trend_step(days) == step


def _local(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="Asia/Shanghai").tz_convert("UTC")


def _reported(*local_times: str, statuses: list[str] | None = None) -> pd.DataFrame:
    frame = incidents([dict(status=s, r=0) for s in statuses or ["registered"] * len(local_times)])
    frame["reported_at"] = pd.to_datetime([_local(t) for t in local_times], utc=True)
    frame["resolved_at"] = frame["reported_at"].where(frame["status"] == "closed")
    return frame


def test_trend_by_local_day_with_empty_days_present():
    # 23:30 on 1 June and 00:30 on 2 June in Beijing are the same UTC day (1 June).
    frame = _reported("2026-06-01 23:30", "2026-06-02 00:30", statuses=["registered", "closed"])
    out = trend(
        frame, incident_flags(frame, NOW.to_pydatetime()), dt.date(2026, 6, 1), dt.date(2026, 6, 3)
    )
    assert out.attrs["step"] == "D"
    assert out["start"].tolist() == [dt.date(2026, 6, d) for d in (1, 2, 3)]
    assert out["incidents"].tolist() == [1, 1, 0]
    assert out["resolved"].tolist() == [0, 1, 0]
    assert out["closure_rate"].tolist()[:2] == [0.0, 1.0]
    assert math.isnan(out["closure_rate"].iloc[2])


def test_trend_by_week_from_monday():
    # 3 June is a Wednesday: the first step is the week from Monday 1 June.
    frame = _reported("2026-06-03 09:00", "2026-06-07 23:00", "2026-06-08 00:10")
    out = trend(
        frame, incident_flags(frame, NOW.to_pydatetime()), dt.date(2026, 6, 3), dt.date(2026, 7, 15)
    )
    assert out.attrs["step"] == "W"
    assert out["start"].tolist() == [dt.date(2026, 6, 1) + dt.timedelta(weeks=w) for w in range(7)]
    assert all(d.weekday() == 0 for d in out["start"])
    assert out["incidents"].tolist() == [2, 1, 0, 0, 0, 0, 0]


def test_trend_by_month():
    frame = _reported("2026-01-31 23:00", "2026-02-01 01:00", "2026-02-20 12:00")
    out = trend(
        frame,
        incident_flags(frame, NOW.to_pydatetime()),
        dt.date(2026, 1, 15),
        dt.date(2026, 12, 31),
    )
    assert out.attrs["step"] == "M"
    assert out["start"].tolist() == [dt.date(2026, m, 1) for m in range(1, 13)]
    assert out["incidents"].tolist() == [1, 2] + [0] * 10
    assert out["closure_rate"].isna().sum() == 10


def test_trend_of_nothing_is_every_step_at_zero():
    frame = _reported("2026-06-01 12:00").iloc[:0]
    out = trend(
        frame, incident_flags(frame, NOW.to_pydatetime()), dt.date(2026, 6, 1), dt.date(2026, 6, 5)
    )
    assert out["incidents"].tolist() == [0] * 5
    assert out["closure_rate"].isna().all()


def test_category_mix_sums_the_tail_into_one_row():
    statuses = {"garbage": 4, "noise": 3, "dispute": 2, "heating": 1}
    rows = [
        dict(status="closed" if i == 0 else "registered", r=0, s=1 if i == 0 else None, category=c)
        for c, n in statuses.items()
        for i in range(n)
    ]
    frame = incidents(rows)
    flags = incident_flags(frame, NOW.to_pydatetime())
    full = category_mix(frame, flags)
    assert full["category"].tolist() == ["garbage", "noise", "dispute", "heating"]
    assert full["share"].tolist() == pytest.approx([0.4, 0.3, 0.2, 0.1])
    short = category_mix(frame, flags, limit=3)
    assert short["category"].tolist() == ["garbage", "noise", "_rest"]
    rest = short.iloc[2]
    assert rest["incidents"] == 3  # dispute 2 + heating 1
    assert rest["closure_rate"] == pytest.approx(2 / 3)  # one closed in each
    assert math.isnan(rest["satisfaction_rate"])
    assert short["share"].tolist() == pytest.approx([0.4, 0.3, 0.3])


def test_category_mix_ties_go_by_code_and_nothing_gives_an_empty_table():
    frame = incidents([dict(status="registered", r=0, category=c) for c in ("noise", "dispute")])
    mix = category_mix(frame, incident_flags(frame, NOW.to_pydatetime()))
    assert mix["category"].tolist() == ["dispute", "noise"]
    empty = frame.iloc[:0]
    assert len(category_mix(empty, incident_flags(empty, NOW.to_pydatetime()))) == 0


# --- hot spots ------------------------------------------------------------------------------

GRIDS = pd.Index(["g1", "g2", "g3", "g4"])


def _series(values, index=GRIDS) -> pd.Series:
    return pd.Series(values, index=index[: len(values)])


def test_a_grid_that_jumps_from_its_usual_share_is_hot():
    out = hot_spots(_series([10, 10, 10, 30]), _series([100, 100, 100, 100]), GRIDS)
    assert out.index[0] == "g4"
    assert out["hot"].tolist() == [True, False, False, False]
    g4 = out.loc["g4"]
    assert g4["expected"] == 15.0 and g4["ratio"] == 2.0  # a quarter of 60
    assert g4["q"] < ALPHA


def test_a_grid_that_is_merely_big_is_not_hot():
    # g1 always has most of the reports; this period it keeps its share.
    out = hot_spots(_series([100, 10, 10, 10]), _series([1000, 100, 100, 100]), GRIDS)
    assert not out["hot"].any()
    assert out.loc["g1", "ratio"] == pytest.approx(1.0, abs=0.01)


def test_a_city_wide_surge_flags_nobody():
    out = hot_spots(_series([50, 50, 50, 50]), _series([10, 10, 10, 10]), GRIDS)
    assert not out["hot"].any()
    assert out["ratio"].tolist() == [1.0] * 4


def test_p_values_are_one_sided_binomial_tests_and_q_is_benjamini_hochberg():
    observed, baseline = _series([5, 3, 12, 0]), _series([50, 30, 20, 0])
    out = hot_spots(observed, baseline, GRIDS).reindex(GRIDS)
    total = 20
    for grid in GRIDS:
        share = (baseline[grid] + 0.5) / (100 + 0.5 * 4)
        expected = binomtest(int(observed[grid]), total, share, alternative="greater").pvalue
        assert out.loc[grid, "p"] == pytest.approx(expected, rel=1e-9), grid
        assert out.loc[grid, "expected"] == round(share * total, 2)
    # Benjamini-Hochberg by hand: sort, scale by m / rank, make monotone from the top.
    p = out["p"].to_numpy()
    order = np.argsort(p)
    scaled = p[order] * len(p) / np.arange(1, len(p) + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1].clip(max=1.0)
    by_hand = np.empty_like(q)
    by_hand[order] = q
    assert out["q"].to_numpy() == pytest.approx(by_hand)
    assert (out["q"] >= out["p"]).all()


def test_a_grid_with_no_reports_has_p_one():
    out = hot_spots(_series([0, 5]), _series([10, 10]), GRIDS[:2])
    assert out.loc["g1", "p"] == 1.0 and not out.loc["g1", "hot"]


def test_min_count_keeps_a_tiny_clear_rise_off_the_list():
    grids = pd.Index(["big1", "big2", "new"])
    baseline = pd.Series([10_000, 10_000], index=grids[:2])
    two = hot_spots(pd.Series([500, 500, MIN_COUNT - 1], index=grids), baseline, grids)
    assert two.loc["new", "q"] < ALPHA and two.loc["new", "ratio"] >= MIN_RATIO
    assert not two.loc["new", "hot"]
    three = hot_spots(pd.Series([500, 500, MIN_COUNT], index=grids), baseline, grids)
    assert three.loc["new", "hot"]
    assert three.index[0] == "new"


def test_min_ratio_keeps_a_significant_small_rise_off_the_list():
    out = hot_spots(_series([6000, 4000]), _series([10_000, 10_000]), GRIDS[:2])
    assert out.loc["g1", "q"] < 1e-6
    assert out.loc["g1", "ratio"] == pytest.approx(1.2)
    assert not out["hot"].any()


def test_hot_spots_of_empty_inputs():
    none = hot_spots(pd.Series(dtype="int64"), pd.Series(dtype="int64"), pd.Index([]))
    assert len(none) == 0
    assert list(none.columns) == ["observed", "expected", "ratio", "p", "q", "hot"]
    quiet = hot_spots(pd.Series(dtype="int64"), pd.Series(dtype="int64"), GRIDS)
    assert quiet["observed"].tolist() == [0] * 4
    assert quiet["p"].tolist() == [1.0] * 4 and not quiet["hot"].any()


def test_reports_of_grids_not_in_the_city_are_left_out():
    observed = pd.Series([3, 3, 100], index=["g1", "g2", "gone"])
    out = hot_spots(observed, _series([10, 10]), GRIDS[:2])
    assert sorted(out.index) == ["g1", "g2"]
    assert out["expected"].sum() == pytest.approx(6.0)


# --- league -----------------------------------------------------------------------------------


def test_department_skills_counts_cadres_per_department_and_skill():
    cadres = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "department_id": [1.0, 1.0, 2.0, np.nan, 3.0, 3.0],  # as Store.cadres reads it
            "skills": [
                "sanitation,enforcement",
                "sanitation",
                "sanitation",
                "sanitation",
                "",
                None,
            ],
        }
    )
    out = department_skills(cadres).sort_values(["department_id", "skill"])
    assert out.to_numpy().tolist() == [
        [1, "enforcement", 1],
        [1, "sanitation", 2],
        [2, "sanitation", 1],
    ]
    assert out["department_id"].dtype == np.int64


@pytest.fixture
def skills() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (1, "sanitation", 2),
            (2, "sanitation", 2),
            (1, "enforcement", 1),
            (2, "enforcement", 3),
            (1, "fire_safety", 3),
        ],
        columns=["department_id", "skill", "cadres"],
    )


def test_responsible_pairs_picks_the_department_with_most_skilled_cadres(skills):
    # Town T is paired with 2 and 1 (listed out of order), town U only with 3.
    pairings = pd.DataFrame({"department_id": [2, 1, 3], "town_code": ["T", "T", "U"]})
    out = responsible_pairs(pairings, skills)
    assert set(out["town_code"]) == {"T"}  # department 3 brings no skills: no rows for U
    found = dict(zip(out["category"], out["department_id"], strict=True))
    assert found == {
        "fire_lane": 1,  # enforcement + fire_safety: 1 + 3 against 3
        "garbage": 1,  # sanitation 2 against 2: the tie goes to the lower id
        "greening": 1,  # the same
        "noise": 2,  # enforcement 3 against 1
        "illegal_building": 2,  # enforcement + construction: 3 against 1
        "safety_hazard": 1,  # fire_safety + construction: 3 against 0
    }


def test_responsible_pairs_of_nothing():
    none = responsible_pairs(
        pd.DataFrame(columns=["department_id", "town_code"]),
        pd.DataFrame(columns=["department_id", "skill", "cadres"]),
    )
    assert len(none) == 0
    assert list(none.columns) == ["town_code", "category", "department_id"]


def _flags(rows: list[tuple[int, int, int, int, int, int]]) -> pd.DataFrame:
    """Flags as (resolved, rated, satisfied, responded, on_time, breached), all counted."""
    frame = pd.DataFrame(
        rows, columns=["resolved", "rated", "satisfied", "responded", "on_time", "breached"]
    )
    frame.insert(0, "counted", 1)
    frame["contact_h"] = 1.0
    frame["resolve_h"] = np.where(frame["resolved"] == 1, 5.0, np.nan)
    return frame


def test_league_table_ranks_pairs_on_the_mean_of_the_four_rates():
    pairings = pd.DataFrame(
        {
            "department_id": [1, 2, 3],
            "town_code": ["T", "T", "U"],
            "department": ["甲局", "乙局", "丙局"],
        }
    )
    responsible = pd.DataFrame(
        {
            "town_code": ["T", "T", "U"],
            "category": ["garbage", "noise", "garbage"],
            "department_id": [1, 2, 9],
        }
    )
    frame = pd.DataFrame(
        {
            "town_code": ["T", "T", "T", "T", "U"],
            # two garbage for 1, one noise for 2, a dispute nobody answers for,
            # and U's garbage for department 9, which is not paired with U here
            "category": ["garbage", "garbage", "noise", "dispute", "garbage"],
        }
    )
    flags = _flags(
        [
            (1, 1, 1, 1, 1, 0),
            (1, 1, 0, 1, 1, 0),  # rated 3: satisfaction 1 of 2
            (1, 1, 1, 1, 1, 0),
            (0, 0, 0, 0, 0, 1),
            (0, 0, 0, 0, 0, 1),
        ]
    )
    out = league_table(frame, flags, pairings, responsible)
    assert out["department_id"].tolist() == [2, 1, 3]
    assert out["rank"].tolist() == [1, 2, pd.NA]
    assert out["score"].tolist()[:2] == pytest.approx([1.0, (1 + 1 + 0.5 + 1) / 4])
    assert out["incidents"].tolist() == [1, 2, 0]  # the dispute counts for no pair
    assert out["breaches"].tolist() == [0, 0, 0]
    assert out["department"].tolist() == ["乙局", "甲局", "丙局"]  # pairing columns kept
    last = out.iloc[2]
    assert pd.isna(last["score"]) and pd.isna(last["closure_rate"])


def test_league_table_breaks_equal_scores_by_incidents():
    pairings = pd.DataFrame({"department_id": [1, 2], "town_code": ["T", "T"]})
    responsible = pd.DataFrame(
        {"town_code": ["T", "T"], "category": ["garbage", "noise"], "department_id": [1, 2]}
    )
    frame = pd.DataFrame({"town_code": ["T"] * 3, "category": ["garbage", "noise", "noise"]})
    flags = _flags([(1, 1, 1, 1, 1, 0)] * 3)
    out = league_table(frame, flags, pairings, responsible)
    assert out["department_id"].tolist() == [2, 1]
    assert out["rank"].tolist() == [1, 2]


def test_league_table_of_a_period_without_incidents():
    pairings = pd.DataFrame({"department_id": [1, 2], "town_code": ["T", "U"]})
    responsible = pd.DataFrame({"town_code": ["T"], "category": ["garbage"], "department_id": [1]})
    frame = pd.DataFrame(
        {"town_code": pd.Series([], dtype=str), "category": pd.Series([], dtype=str)}
    )
    out = league_table(frame, _flags([]), pairings, responsible)
    assert out["department_id"].tolist() == [1, 2]
    assert out["rank"].isna().all() and (out["incidents"] == 0).all()
