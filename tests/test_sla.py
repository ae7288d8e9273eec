"""The Chinese working calendar and the service levels built on it."""

from __future__ import annotations

import datetime as dt
import random
import time

import numpy as np
import pandas as pd
import pytest

from domain.calendar_cn import SHANGHAI, WorkCalendar
from domain.calendar_days import NOTICE_YEARS, law_days
from domain.errors import InvalidInput
from domain.sla import (
    Deadlines,
    Limit,
    SlaPolicy,
    Targets,
    deadlines,
    resolve_deadline_with_pauses,
)
from domain.sla_states import STATES, sla_flags, sla_state

CAL = WorkCalendar()
BARE = SlaPolicy.default(categories=False)  # priority limits only
D = dt.date


def local(*args: int) -> dt.datetime:
    """An aware Asia/Shanghai datetime."""
    return dt.datetime(*args, tzinfo=SHANGHAI)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def as_local(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(SHANGHAI).replace(tzinfo=None)


# --- calendar data -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 2, 14), True),  # Saturday, make-up day before the Spring Festival
        (D(2026, 2, 16), False),  # Monday in the Spring Festival
        (D(2026, 2, 23), False),  # last day of the Spring Festival
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),  # Saturday make-up day after it
        (D(2026, 1, 2), False),  # Friday, New Year
        (D(2026, 1, 4), True),  # Sunday make-up day
        (D(2026, 4, 6), False),  # Qingming Monday
        (D(2026, 5, 5), False),  # Labour Day Tuesday
        (D(2026, 5, 9), True),  # Saturday make-up day
        (D(2026, 6, 19), False),  # Dragon Boat Friday
        (D(2026, 9, 20), True),  # Sunday make-up day
        (D(2026, 9, 25), False),  # Mid-Autumn Friday
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),  # ordinary Thursday after National Day
        (D(2026, 10, 10), True),  # Saturday make-up day
        (D(2026, 3, 7), False),  # ordinary Saturday
        (D(2026, 3, 11), True),  # ordinary Wednesday
        (D(2025, 10, 8), False),  # eighth day of National Day + Mid-Autumn 2025
        (D(2025, 9, 28), True),  # Sunday make-up day
        (D(2025, 10, 11), True),  # Saturday make-up day
        (D(2025, 1, 28), False),  # 除夕, a statutory day from 2025
        (D(2025, 1, 26), True),
        (D(2025, 2, 8), True),
        (D(2025, 4, 27), True),
        (D(2025, 5, 2), False),
        (D(2025, 6, 2), False),  # Dragon Boat Monday
        (D(2024, 2, 4), True),  # Sunday make-up day
        (D(2024, 2, 9), True),  # 除夕 was not a statutory day before 2025
        (D(2024, 2, 12), False),
        (D(2024, 2, 18), True),
        (D(2024, 4, 7), True),
        (D(2024, 5, 11), True),
        (D(2024, 9, 14), True),
        (D(2024, 9, 29), True),
        (D(2024, 10, 12), True),
        (D(2024, 6, 10), False),
        (D(2024, 12, 31), True),  # ordinary Tuesday
    ],
)
def test_official_days(day, working):
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize("year", range(2022, 2031))
def test_each_year_gives_its_statutory_days_on_weekdays(year):
    # Weekday days off minus weekend days worked equals the statutory days: 11 until 2024,
    # 13 from 2025 (除夕 and May 2 added). A wrong or missing date breaks the balance; in
    # the years after the notices the law's estimated 补假 keeps it, but for a festival
    # that falls on another (中秋 on 3 October 2028), which only a notice can settle.
    days, statutory, count = CAL.year(year), law_days(year)[0], 11 if year <= 2024 else 13
    off = sum(1 for d in days.off if d.weekday() < 5)
    assert off - len(days.work) == (count if days.noticed else len(statutory))
    assert sum(len(name.split("、")) for name in statutory.values()) == count


@pytest.mark.parametrize("year", sorted(NOTICE_YEARS))
def test_make_up_days_are_weekends_and_the_notices_keep_the_law(year):
    days = CAL.year(year)
    assert all(d.weekday() >= 5 for d in days.work)
    assert not days.off & days.work
    # The shipped notices and the holidays package agree on every statutory day.
    assert set(law_days(year)[0]) <= days.off
    assert days.noticed


def test_years_after_the_notices_keep_their_lunar_holidays_regression_issue_16():
    # The embedded data ended on 2026-12-31: 2027 fell back to Jan 1, May 1 and Oct 1-3.
    for day in (D(2027, 2, 5), D(2027, 2, 8), D(2027, 4, 5), D(2027, 6, 9), D(2027, 9, 15)):
        assert not CAL.is_working_day(day), day  # 除夕, 春节, 清明, 端午, 中秋
    assert not CAL.is_working_day(D(2027, 10, 4))  # 补假 for 3 October, a Sunday
    assert CAL.is_working_day(D(2027, 2, 11))
    assert not CAL.is_working_day(D(2027, 1, 2))  # Saturday
    assert not CAL.year(2027).noticed and CAL.year(2026).noticed


def test_a_datetime_counts_by_its_beijing_date():
    # 17:00 UTC on Friday 13 February is 01:00 on Saturday 14 February, a make-up day.
    assert CAL.is_working_day(utc(2026, 2, 13, 17)) is True
    assert CAL.is_working_day(utc(2026, 2, 15, 15)) is False  # 23:00 local, Sunday


# --- working hours -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (local(2026, 3, 9, 9), 2, (2026, 3, 9, 11)),  # morning
        (local(2026, 3, 9, 11), 2, (2026, 3, 9, 14, 30)),  # across lunch
        (local(2026, 3, 9, 12, 15), 1, (2026, 3, 9, 14, 30)),  # from lunch
        (local(2026, 3, 9, 8, 30), 3.5, (2026, 3, 9, 12)),  # ends on the period's end
        (local(2026, 3, 9, 8, 30), 7.5, (2026, 3, 9, 17, 30)),  # a whole day
        (local(2026, 3, 9, 18), 1, (2026, 3, 10, 9, 30)),  # evening start
        (local(2026, 3, 9, 6), 0.25, (2026, 3, 9, 8, 45)),  # early morning
        (local(2026, 3, 13, 17), 1, (2026, 3, 16, 9)),  # Friday to Monday
        (local(2026, 3, 14, 10), 1, (2026, 3, 16, 9, 30)),  # from a Saturday
        (local(2026, 2, 13, 16), 3, (2026, 2, 14, 10)),  # into the make-up Saturday
        (local(2026, 2, 14, 17), 1, (2026, 2, 24, 9)),  # over the Spring Festival
        (local(2026, 9, 30, 17), 2, (2026, 10, 8, 10)),  # over National Day
        (local(2026, 3, 9, 10), 0, (2026, 3, 9, 10)),
        (local(2026, 3, 9, 12), 0, (2026, 3, 9, 12)),
        (local(2026, 3, 9, 20), 0, (2026, 3, 10, 8, 30)),  # zero outside work: next period
    ],
)
def test_add_working_hours(start, hours, expected):
    due = CAL.add_working_hours(start, hours)
    assert due.tzinfo == dt.UTC
    assert as_local(due) == dt.datetime(*expected)


def test_add_working_hours_takes_any_aware_zone():
    assert CAL.add_working_hours(utc(2026, 3, 9, 1), 1) == utc(2026, 3, 9, 2)  # 09:00 local
    stamp = pd.Timestamp("2026-03-09 09:00", tz="Asia/Shanghai")
    assert CAL.add_working_hours(stamp, 1) == local(2026, 3, 9, 10)


def test_add_clock_hours_runs_round_the_clock():
    due = CAL.add_clock_hours(local(2026, 2, 16, 23), 8)  # a holiday night
    assert due.tzinfo == dt.UTC and as_local(due) == dt.datetime(2026, 2, 17, 7)


@pytest.mark.parametrize(
    ("a", "b", "hours"),
    [
        (local(2026, 3, 13, 16), local(2026, 3, 16, 9), 2.0),
        (local(2026, 3, 9, 11), local(2026, 3, 9, 14), 1.5),
        (local(2026, 3, 9, 12, 10), local(2026, 3, 9, 13, 20), 0.0),
        (local(2026, 2, 13, 8, 30), local(2026, 2, 24, 8, 30), 15.0),  # Fri + make-up Sat
        (local(2026, 3, 9, 8), local(2026, 3, 16, 8), 37.5),
        (local(2026, 3, 9, 10), local(2026, 3, 9, 10), 0.0),
        (local(2026, 3, 16, 9), local(2026, 3, 13, 16), -2.0),
    ],
)
def test_working_hours_between(a, b, hours):
    assert CAL.working_hours_between(a, b) == pytest.approx(hours)


def _random_moment(rng: random.Random, after: dt.datetime | None = None) -> dt.datetime:
    """A moment in 2022–2027, or within 60 days after ``after``."""
    if after is not None:
        return after + dt.timedelta(seconds=rng.randrange(60 * 86400))
    return local(2022, 1, 1) + dt.timedelta(seconds=rng.randrange(6 * 365 * 86400))


def test_working_hours_between_inverts_add_working_hours():
    rng = random.Random(20260214)
    for _ in range(400):
        start = _random_moment(rng)
        hours = rng.choice([0, rng.uniform(0, 3), rng.uniform(0, 200)])
        due = CAL.add_working_hours(start, hours)
        assert due >= start
        assert CAL.working_hours_between(start, due) == pytest.approx(hours, abs=1e-6)


def test_add_working_hours_inverts_working_hours_between_inside_working_time():
    rng = random.Random(7)
    checked = 0
    while checked < 300:
        a = _random_moment(rng)
        b = _random_moment(rng, after=a)
        inside = any(s < b.astimezone(SHANGHAI).time() < e for s, e in CAL.periods)
        if not (inside and CAL.is_working_day(b)):
            continue
        assert CAL.add_working_hours(a, CAL.working_hours_between(a, b)) == b
        checked += 1


def test_working_hours_add_up_over_a_middle_point():
    rng = random.Random(11)
    for _ in range(200):
        a = _random_moment(rng)
        b = _random_moment(rng, after=a)
        c = _random_moment(rng, after=b)
        whole = CAL.working_hours_between(a, c)
        parts = CAL.working_hours_between(a, b) + CAL.working_hours_between(b, c)
        assert whole == pytest.approx(parts, abs=1e-6)


# --- working days --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (local(2026, 3, 9, 10), 1, D(2026, 3, 10)),  # the day itself is not counted
        (local(2026, 3, 9, 10), 3, D(2026, 3, 12)),
        (local(2026, 3, 13, 10), 1, D(2026, 3, 16)),  # Friday to Monday
        (local(2026, 3, 14, 10), 1, D(2026, 3, 16)),  # Saturday to Monday
        (local(2026, 3, 9, 10), 0, D(2026, 3, 9)),  # close of business today
        (local(2026, 3, 9, 17, 30), 0, D(2026, 3, 9)),
        (local(2026, 3, 9, 18), 0, D(2026, 3, 10)),
        (local(2026, 3, 14, 10), 0, D(2026, 3, 16)),
        (local(2026, 9, 30, 10), 1, D(2026, 10, 8)),  # National Day
        (local(2026, 9, 30, 10), 3, D(2026, 10, 10)),  # the make-up Saturday counts
        (local(2026, 2, 13, 10), 2, D(2026, 2, 24)),  # make-up Saturday, then the festival
        (local(2025, 9, 30, 10), 1, D(2025, 10, 9)),  # after the eight days of 2025
    ],
)
def test_add_working_days_ends_at_close_of_business(start, days, expected):
    due = CAL.add_working_days(start, days)
    assert due.tzinfo == dt.UTC
    assert as_local(due) == dt.datetime.combine(expected, dt.time(17, 30))


def test_calendar_is_configurable():
    office = WorkCalendar(periods=(("09:00", "17:00"),), holidays=frozenset(), makeup_days=())
    assert not office.missing_notices(D(2026, 12, 6))  # its own days: nothing to warn of
    assert office.hours_per_day == 8
    assert not office.is_working_day(D(2026, 2, 14))  # no make-up days any more
    assert office.is_working_day(D(2026, 2, 16))  # nor holidays (2026 is still "listed")
    assert as_local(office.add_working_hours(local(2026, 3, 9, 16), 2)) == dt.datetime(
        2026, 3, 10, 10
    )
    assert as_local(office.add_working_days(local(2026, 3, 9, 10), 1)).time() == dt.time(17)
    assert CAL.hours_per_day == 7.5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"periods": ()},
        {"periods": (("12:00", "08:30"),)},
        {"periods": (("08:30", "12:00"), ("11:00", "17:00"))},
        {"periods": (("8h30", "12:00"),)},
        {"periods": ((dt.time(9), dt.time(12), dt.time(13)),)},
        {"holidays": {D(2026, 2, 14)}, "makeup_days": {D(2026, 2, 14)}},  # off and worked
    ],
)
def test_bad_calendars_are_rejected(kwargs):
    with pytest.raises(InvalidInput):
        WorkCalendar(**kwargs)


NAIVE = dt.datetime(2026, 3, 9, 10)


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.add_working_hours(NAIVE, 1),
        lambda: CAL.add_clock_hours(NAIVE, 1),
        lambda: CAL.add_working_days(NAIVE, 1),
        lambda: CAL.working_hours_between(NAIVE, local(2026, 3, 10)),
        lambda: CAL.working_hours_between(local(2026, 3, 10), NAIVE),
        lambda: CAL.is_working_day(NAIVE),
        lambda: CAL.is_working_day("2026-03-09"),
        lambda: CAL.add_working_hours(pd.NaT, 1),
        lambda: CAL.add_working_hours(local(2026, 3, 9), -1),
        lambda: CAL.add_working_hours(local(2026, 3, 9), float("nan")),
        lambda: CAL.add_working_hours(local(2026, 3, 9), True),
        lambda: CAL.add_working_hours(local(2026, 3, 9), 1e9),
        lambda: CAL.add_working_days(local(2026, 3, 9), 1.5),
        lambda: CAL.add_working_days(local(2026, 3, 9), -1),
        lambda: deadlines("garbage", 3, NAIVE),
        lambda: sla_state(NAIVE, None, None),
        lambda: sla_state(local(2026, 3, 9), NAIVE, None),
        lambda: sla_flags(pd.DataFrame(columns=list(FRAME)), NAIVE),
        lambda: resolve_deadline_with_pauses(
            local(2026, 3, 9), [(NAIVE, None)], category="garbage", priority=3
        ),
    ],
)
def test_naive_datetimes_and_bad_amounts_are_rejected(call):
    with pytest.raises(InvalidInput):
        call()


# --- deadlines -----------------------------------------------------------------------


def due_local(category: str, priority: int, reported: dt.datetime, policy=BARE):
    found = deadlines(category, priority, reported, policy)
    assert found.first_contact_at.tzinfo == dt.UTC and found.resolve_at.tzinfo == dt.UTC
    return as_local(found.first_contact_at), as_local(found.resolve_at)


def test_urgent_runs_round_the_clock():
    # Saturday 23:00: first contact within the hour, resolution by 07:00 Sunday.
    assert due_local("garbage", 1, local(2026, 3, 7, 23)) == (
        dt.datetime(2026, 3, 8, 0),
        dt.datetime(2026, 3, 8, 7),
    )


def test_high_is_called_back_within_two_hours_and_resolved_in_a_working_day():
    assert due_local("garbage", 2, local(2026, 3, 9, 16, 30)) == (
        dt.datetime(2026, 3, 9, 18, 30),
        dt.datetime(2026, 3, 10, 17, 30),
    )


def test_a_weekend_report_is_called_back_the_same_day():
    # A blocked fire lane on a Saturday afternoon: the centre calls back on
    # Saturday; the department fixes it on the next working day.
    first, resolve = due_local("fire_lane", 2, local(2026, 11, 28, 14, 36))
    assert first == dt.datetime(2026, 11, 28, 16, 36)
    assert resolve > dt.datetime(2026, 11, 30, 8, 30)


@pytest.mark.parametrize(
    ("reported", "first_contact"),
    [
        (local(2026, 3, 9, 10), dt.datetime(2026, 3, 9, 21)),
        (local(2026, 3, 9, 16, 59), dt.datetime(2026, 3, 9, 21)),
        (local(2026, 3, 9, 17), dt.datetime(2026, 3, 10, 12)),
        (local(2026, 3, 9, 23, 30), dt.datetime(2026, 3, 10, 12)),
        (local(2026, 3, 9, 0, 30), dt.datetime(2026, 3, 9, 21)),
        (local(2026, 3, 7, 10), dt.datetime(2026, 3, 7, 21)),  # Saturdays too
    ],
)
def test_normal_first_contact_is_the_same_evening(reported, first_contact):
    assert due_local("garbage", 3, reported)[0] == first_contact


@pytest.mark.parametrize(
    "reported",
    [
        local(2026, 6, 18, 16),  # Thursday before the Dragon Boat holiday (Jun 19–21)
        local(2026, 6, 19, 16),  # Friday, its first day
    ],
)
def test_normal_resolution_lands_after_the_dragon_boat_holiday(reported):
    assert due_local("garbage", 3, reported)[1] == dt.datetime(2026, 6, 24, 17, 30)


def test_low_priority():
    assert due_local("garbage", 4, local(2026, 3, 9, 10)) == (
        dt.datetime(2026, 3, 10, 17, 30),
        dt.datetime(2026, 3, 16, 17, 30),
    )


def test_category_limits_apply_to_their_own_priority():
    # Rubbish (8 h = 1 working day, first contact 2 hours) is stricter.
    assert due_local("garbage", 3, local(2026, 3, 9, 10), None) == (
        dt.datetime(2026, 3, 9, 12),
        dt.datetime(2026, 3, 10, 17, 30),
    )
    # Illegal building: 160 h = 20 working days, past the Qingming holiday (Apr 4–6).
    assert due_local("illegal_building", 3, local(2026, 3, 9, 10), None)[1] == dt.datetime(
        2026, 4, 7, 17, 30
    )
    # Road damage at 16:00: its own 4 hours (20:00) beat the same evening (21:00).
    assert due_local("road_damage", 3, local(2026, 3, 9, 16), None)[0] == dt.datetime(
        2026, 3, 9, 20
    )


def test_changed_priority_only_moves_resolution_its_own_way():
    reported = local(2026, 3, 9, 10)
    # Made urgent: the 8 clock hours beat rubbish's working day.
    assert due_local("garbage", 1, reported, None)[1] == dt.datetime(2026, 3, 9, 18)
    # Illegal building made high: 1 working day instead of 20.
    assert due_local("illegal_building", 2, reported, None)[1] == dt.datetime(2026, 3, 10, 17, 30)
    # Fire lane (2 working days) made low: the later 5 working days.
    assert due_local("fire_lane", 4, reported, None)[1] == dt.datetime(2026, 3, 16, 17, 30)
    # Illegal building made low: its 20 days stay, later than 5.
    assert due_local("illegal_building", 4, reported, None)[1] == dt.datetime(2026, 4, 7, 17, 30)


def test_default_policy_reads_the_categories():
    policy = SlaPolicy.default()
    assert policy.categories["illegal_building"].resolve == Limit(20, "working_days")
    assert policy.categories["waterlogging"].first_contact == Limit(1, "clock_hours")
    assert policy.priorities[3] == Targets(Limit(0, "same_evening"), Limit(3, "working_days"))
    assert isinstance(deadlines("noise", 3, local(2026, 3, 9, 10)), Deadlines)


@pytest.mark.parametrize(
    ("category", "priority"),
    [("garbag", 3), (None, 3), ("garbage", 0), ("garbage", 5), ("garbage", True), ("garbage", "3")],
)
def test_deadlines_reject_unknown_category_and_priority(category, priority):
    with pytest.raises(InvalidInput):
        deadlines(category, priority, local(2026, 3, 9, 10))


def test_numpy_priorities_are_accepted():
    assert deadlines("garbage", np.int64(3), local(2026, 3, 9, 10)) == deadlines(
        "garbage", 3, local(2026, 3, 9, 10)
    )


# --- policy from settings ------------------------------------------------------------


def test_policy_round_trips_through_a_plain_dict():
    policy = SlaPolicy.default()
    assert SlaPolicy.from_dict(policy.to_dict()) == policy
    assert SlaPolicy.from_dict(BARE.to_dict(), base=BARE) == BARE
    assert SlaPolicy.from_dict({}) == policy


def test_policy_dict_overrides_merge_onto_the_defaults():
    policy = SlaPolicy.from_dict(
        {
            "priorities": {
                "2": {"resolve": "2 working_days"},
                4: {"first_contact": "3 clock_hours"},
            },
            "categories": {"garbage": {"resolve": "4 working_hours"}, "noise": None},
            "evening": {"cutoff": "16:00", "due": "20:00"},
        }
    )
    assert policy.priorities[2] == Targets(Limit(2, "clock_hours"), Limit(2, "working_days"))
    assert policy.priorities[4].first_contact == Limit(3, "clock_hours")
    assert policy.categories["garbage"] == Targets(
        Limit(2, "clock_hours"), Limit(4, "working_hours")
    )
    assert "noise" not in policy.categories
    assert policy.evening_cutoff == dt.time(16) and policy.next_day_due == dt.time(12)
    # Noise has no limits of its own now: the new evening rule alone decides.
    assert due_local("noise", 3, local(2026, 3, 9, 16, 30), policy)[0] == dt.datetime(
        2026, 3, 10, 12
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "sla must be a mapping"),
        ({"prioritys": {}}, "unknown key 'prioritys'"),
        ({"priorities": {"5": {}}}, "sla.priorities: priority must be"),
        ({"priorities": {"2": {"resolve": "2 days"}}}, "sla.priorities.2.resolve: unit 'days'"),
        ({"priorities": {"2": {"resolve": "two working_days"}}}, "'<amount> <unit>'"),
        ({"priorities": {"2": {"resolve": "1.5 working_days"}}}, "whole number"),
        ({"priorities": {"2": {"resolve": "-1 working_hours"}}}, "working_hours takes"),
        ({"priorities": {"2": {"resolve": "nan clock_hours"}}}, "clock_hours takes"),
        ({"priorities": {"2": {"reslove": "1 working_days"}}}, "unknown key 'reslove'"),
        ({"priorities": {"2": None}}, "sla.priorities.2 must be a mapping"),
        ({"categories": {"garbag": {}}}, "sla.categories: unknown category 'garbag'"),
        ({"categories": {"garbage": {"resolve": 8}}}, "sla.categories.garbage.resolve"),
        ({"evening": {"cutoff": "5pm"}}, "sla.evening.cutoff"),
        ({"evening": {"cutoff": "22:00"}}, "evening cutoff"),
        ({"evening": {"noon": "12:00"}}, "unknown key 'noon'"),
    ],
)
def test_policy_dict_errors_name_the_entry(data, message):
    with pytest.raises(InvalidInput, match=message.replace(".", r"\.").replace("(", r"\(")):
        SlaPolicy.from_dict(data)


def test_policy_needs_every_priority():
    with pytest.raises(InvalidInput, match="priority 4"):
        SlaPolicy({p: BARE.priorities[p] for p in (1, 2, 3)})
    with pytest.raises(InvalidInput, match="priority 1"):
        SlaPolicy({**BARE.priorities, 1: Targets(Limit(1, "clock_hours"))})


def test_limits_parse_and_print():
    assert Limit.parse("3 working_days") == Limit(3, "working_days")
    assert str(Limit.parse("same_evening")) == "same_evening"
    assert str(Limit(1.5, "working_hours")) == "1.5 working_hours"
    with pytest.raises(InvalidInput):
        Limit(1, "same_evening")


# --- pauses --------------------------------------------------------------------------


def paused(pauses, category="garbage", priority=3, reported=None, policy=BARE):
    reported = reported or local(2026, 3, 9, 9)  # Monday; due Thursday 17:30
    return as_local(
        resolve_deadline_with_pauses(
            reported, pauses, category=category, priority=priority, policy=policy
        )
    )


def test_no_pause_keeps_the_deadline():
    assert paused([]) == dt.datetime(2026, 3, 12, 17, 30)


def test_a_pause_adds_the_working_time_parked():
    # Tuesday 10:00–14:00 is 2.5 working hours: Thursday 17:30 becomes Friday 11:00.
    assert paused([(local(2026, 3, 10, 10), local(2026, 3, 10, 14))]) == dt.datetime(
        2026, 3, 13, 11
    )


def test_a_pause_over_a_weekend_counts_only_working_time():
    # Friday 17:00 to Monday 09:00 is one working hour.
    due = paused([(local(2026, 3, 6, 17), local(2026, 3, 9, 9))], reported=local(2026, 3, 5, 9))
    assert due == dt.datetime(2026, 3, 11, 9, 30)  # Tuesday 17:30 deadline, then +1 h


def test_overlapping_pauses_are_counted_once():
    one = [(local(2026, 3, 10, 10), local(2026, 3, 10, 14))]
    two = [
        (local(2026, 3, 10, 10), local(2026, 3, 10, 11)),
        (local(2026, 3, 10, 10, 30), one[0][1]),
    ]
    assert paused(two) == paused(one + one) == paused(one)


def test_a_still_open_pause_leaves_the_deadline_undetermined():
    assert paused([(local(2026, 3, 10, 10), None)]) is None
    merged = [(local(2026, 3, 10, 10), None), (local(2026, 3, 10, 11), local(2026, 3, 10, 12))]
    assert paused(merged) is None


def test_a_pause_after_the_deadline_does_not_undo_the_breach():
    assert paused([(local(2026, 3, 13, 9), None)]) == dt.datetime(2026, 3, 12, 17, 30)
    late = [(local(2026, 3, 13, 9), local(2026, 3, 13, 12))]
    assert paused(late) == dt.datetime(2026, 3, 12, 17, 30)


def test_time_parked_before_the_report_does_not_count():
    before = [(local(2026, 3, 6, 9), local(2026, 3, 9, 10))]  # only 09:00–10:00 counts
    assert paused(before) == dt.datetime(2026, 3, 13, 9, 30)
    assert paused([(local(2026, 3, 6, 9), local(2026, 3, 6, 10))]) == paused([])


def test_urgent_pauses_count_clock_time():
    # Reported 22:00, due 06:00; parked 23:00–01:00 (no working time): due 08:00.
    due = paused(
        [(local(2026, 3, 9, 23), local(2026, 3, 10, 1))], priority=1, reported=local(2026, 3, 9, 22)
    )
    assert due == dt.datetime(2026, 3, 10, 8)


@pytest.mark.parametrize(
    "pauses",
    [
        [(local(2026, 3, 10, 14), local(2026, 3, 10, 10))],
        [(local(2026, 3, 10, 14),)],
        [local(2026, 3, 10, 14)],
        [(None, None)],
    ],
)
def test_bad_pauses_are_rejected(pauses):
    with pytest.raises(InvalidInput):
        paused(pauses)


# --- states --------------------------------------------------------------------------

START = utc(2026, 3, 9, 0)
DUE = utc(2026, 3, 9, 10)  # ten hours allowed; "near" in the last two


@pytest.mark.parametrize(
    ("now", "due", "done", "state"),
    [
        (utc(2026, 3, 9, 5), DUE, None, "running"),
        (utc(2026, 3, 9, 8), DUE, None, "running"),  # exactly 20 % left is not "near"
        (utc(2026, 3, 9, 8, 1), DUE, None, "near"),
        (DUE, DUE, None, "near"),  # due "by" 10:00: not breached at 10:00
        (utc(2026, 3, 9, 10, 0, 1), DUE, None, "breached"),
        (utc(2026, 3, 9, 12), DUE, utc(2026, 3, 9, 9), "met"),
        (utc(2026, 3, 9, 12), DUE, DUE, "met"),
        (utc(2026, 3, 9, 12), DUE, utc(2026, 3, 9, 11), "breached"),
        (utc(2026, 3, 9, 5), DUE, utc(2026, 3, 9, 11), "breached"),  # done "later" than now
        (utc(2026, 3, 9, 5), None, None, "paused"),
        (utc(2026, 3, 9, 5), None, utc(2026, 3, 9, 4), "met"),
    ],
)
def test_sla_state(now, due, done, state):
    assert sla_state(now, due, START, done) == state
    assert state in STATES


def test_sla_state_without_a_start_is_never_near():
    assert sla_state(utc(2026, 3, 9, 9, 59), DUE, None) == "running"
    assert sla_state(utc(2026, 3, 9, 9), DUE, START, near_fraction=0.05) == "running"
    for fraction in (-0.1, 1.5, "0.2", None):
        with pytest.raises(InvalidInput):
            sla_state(utc(2026, 3, 9, 9), DUE, START, near_fraction=fraction)


FRAME = ("reported_at", "due_contact_at", "first_contact_at", "due_resolve_at", "resolved_at")


def test_sla_flags_on_a_small_frame_with_nat():
    nat = pd.NaT
    frame = pd.DataFrame(
        {
            "reported_at": [START, START, START, START, nat],
            "due_contact_at": [DUE, DUE, DUE, nat, DUE],
            "first_contact_at": [utc(2026, 3, 9, 1), utc(2026, 3, 9, 11), nat, nat, nat],
            "due_resolve_at": [utc(2026, 3, 9, 12), DUE, nat, DUE, DUE],
            "resolved_at": [nat, nat, nat, utc(2026, 3, 9, 2), nat],
        },
        index=[10, 20, 30, 40, 50],
    )
    now = utc(2026, 3, 9, 9, 30)
    flagged = sla_flags(frame, now)
    assert list(flagged.index) == [10, 20, 30, 40, 50]
    assert list(flagged.contact_state) == ["met", "breached", "near", "paused", "running"]
    assert list(flagged.resolve_state) == ["running", "near", "paused", "met", "running"]
    assert "contact_state" not in frame.columns  # the input is left alone
    assert pd.api.types.is_string_dtype(flagged.contact_state)


def test_sla_flags_reads_naive_and_object_columns_as_utc():
    frame = pd.DataFrame(
        {
            "reported_at": [dt.datetime(2026, 3, 9)],
            "due_contact_at": [dt.datetime(2026, 3, 9, 10)],
            "first_contact_at": [None],
            "due_resolve_at": ["2026-03-09T10:00:00+00:00"],
            "resolved_at": [None],
        }
    )
    flagged = sla_flags(frame, utc(2026, 3, 9, 11))
    assert (flagged.contact_state.iloc[0], flagged.resolve_state.iloc[0]) == ("breached",) * 2


def test_sla_flags_needs_its_columns():
    with pytest.raises(InvalidInput, match="resolved_at"):
        sla_flags(pd.DataFrame(columns=list(FRAME[:-1])), START)
    empty = sla_flags(pd.DataFrame(columns=list(FRAME)), START)
    assert list(empty.columns) == [*FRAME, "contact_state", "resolve_state"]


def _random_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = pd.Timestamp("2026-03-01", tz="UTC")

    def moments(missing: float) -> pd.Series:
        values = base + pd.to_timedelta(rng.integers(0, 20 * 86400, rows), unit="s")
        return pd.Series(values).mask(rng.random(rows) < missing)

    return pd.DataFrame(
        {
            "reported_at": moments(0.05),
            "due_contact_at": moments(0.1),
            "first_contact_at": moments(0.5),
            "due_resolve_at": moments(0.1),
            "resolved_at": moments(0.5),
        }
    )


def test_sla_flags_agrees_with_sla_state_row_by_row():
    frame = _random_frame(3000, seed=3)
    now = utc(2026, 3, 11, 12)
    flagged = sla_flags(frame, now, near_fraction=0.3)

    def scalar(value):
        return None if pd.isna(value) else value.to_pydatetime()

    for row in flagged.itertuples():
        started = scalar(row.reported_at)
        for due, done, state in (
            (row.due_contact_at, row.first_contact_at, row.contact_state),
            (row.due_resolve_at, row.resolved_at, row.resolve_state),
        ):
            assert sla_state(now, scalar(due), started, scalar(done), 0.3) == state
    assert set(flagged.contact_state) == set(STATES)


def test_sla_flags_is_fast_on_thirty_thousand_rows():
    frame = _random_frame(30_000, seed=5)
    started = time.perf_counter()
    flagged = sla_flags(frame, utc(2026, 3, 11, 12))
    assert time.perf_counter() - started < 1.0  # vectorised: a few milliseconds
    assert len(flagged) == 30_000
