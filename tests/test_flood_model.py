"""The flood replay's pure parts: the bursts of reports, the daylight clock,
the cadres' helped sales and the outcome it prints (issue 16, item 12)."""

from __future__ import annotations

import random

import pytest

from scenario.client import Place
from scenario.flood_model import (
    HOUR,
    MU_PER_CADRE_HOUR,
    RAIN_PEAKS,
    YIELD_T_PER_MU,
    YUAN_PER_TONNE,
    Batch,
    Burst,
    DaylightClock,
    Followed,
    burst_schedule,
    field_schedule,
    helped_sales_t,
    outcome,
    outcome_lines,
    timeline,
)

VILLAGES = [Place(f"G{n}", f"村{n}第1网格", "370281009", 120.0 + n * 0.01, 36.3) for n in range(30)]
CITY = [Place(f"C{n}", f"社区{n}第1网格", "370281001", 120.3 + n * 0.01, 36.3) for n in range(30)]


# ------------------------------------------------------------------- bursts


def test_the_rain_peaks_bring_tens_of_reports_within_minutes():
    times = burst_schedule(40, random.Random(1))
    assert len(times) == 40 and times == sorted(times)
    for peak in RAIN_PEAKS:
        start = peak.at_h * HOUR
        inside = [t for t in times if start <= t <= start + peak.spread_min * 60]
        assert len(inside) >= 16  # 0.4 of 40, within 10-12 minutes
    assert all(0 <= t <= 8 * HOUR for t in times)


def test_reports_used_to_come_one_at_a_time_now_many_share_a_planning_round():
    """Regression: the old timeline spread 40 reports evenly over 8 hours, so a
    half-hour planning round held one or two and the plan never had to choose."""
    reports = timeline(VILLAGES, CITY, random.Random(2024), fields=10, water=40)
    water = [r.at_s for r in reports if r.kind == "water"]
    busiest = max(sum(1 for t in water if a <= t < a + 900) for a in water)
    assert busiest >= 15  # in one quarter of an hour
    fields = sorted(r.at_s for r in reports if r.kind == "field")
    assert sum(1 for t in fields if t - fields[0] <= 20 * 60) == 4  # four fields at once


def test_fields_come_in_waves_and_later_ones_a_day_apart():
    times = field_schedule(14, random.Random(3), waves_h=(3.0, 11.0), per_wave=4, spread_min=20)
    hours = [t / HOUR for t in times]
    assert sum(3 <= h <= 3 + 1 / 3 for h in hours) == 4
    assert sum(11 <= h <= 11 + 1 / 3 for h in hours) == 4
    assert sum(35 <= h <= 35 + 1 / 3 for h in hours) == 4  # the third wave: a day after
    assert sum(59 <= h <= 59 + 1 / 3 for h in hours) == 2


def test_bad_schedules_are_refused_with_a_message():
    with pytest.raises(ValueError, match="more than 1"):
        burst_schedule(10, random.Random(0), peaks=(Burst(1, 0.7, 5), Burst(2, 0.7, 5)))
    with pytest.raises(ValueError, match="n must be"):
        burst_schedule(-1, random.Random(0))
    with pytest.raises(ValueError, match="per_wave"):
        field_schedule(3, random.Random(0), per_wave=0)


# ------------------------------------------------------------ daylight clock


def test_the_clock_reads_china_time_from_two_in_the_morning():
    clock = DaylightClock()
    assert clock.label(0) == "第1天 02:00"
    assert clock.label(22 * HOUR + 30 * 60) == "第2天 00:30"
    assert not clock.is_daylight(0) and clock.is_daylight(4 * HOUR)  # 06:00
    assert not clock.is_daylight(17 * HOUR)  # 19:00: the day's work is over


def test_work_seconds_count_daylight_only():
    clock = DaylightClock()
    assert clock.work_seconds(0, 4 * HOUR) == 0  # 02:00-06:00
    assert clock.work_seconds(0, 24 * HOUR) == 13 * HOUR  # one whole working day
    assert clock.work_seconds(16 * HOUR, 30 * HOUR) == HOUR + 2 * HOUR  # 18-19, then 06-08
    assert clock.work_seconds(5 * HOUR, 5 * HOUR) == 0


def test_a_field_finishes_in_daylight_never_at_night():
    """Regression: harvests finished between 00:43 and 04:51 because the
    fields were worked around the clock."""
    clock = DaylightClock()
    mu, helpers = 3_000, 15
    work_s = mu / (helpers * MU_PER_CADRE_HOUR) * HOUR  # 33.3 h of fieldwork
    for start_h in (0.0, 3.5, 11.0, 16.9, 20.0, 26.0):
        done = clock.after_work(start_h * HOUR, work_s)
        assert clock.work_seconds(start_h * HOUR, done) == pytest.approx(work_s)
        hour = (2 + done / HOUR) % 24
        assert 6 <= hour <= 19, (start_h, clock.label(done))
    # 33.3 h of daylight from 05:00 on day 1: two full days and 7.3 h of the third.
    assert clock.label(clock.after_work(3 * HOUR, work_s)) == "第3天 13:20"
    with pytest.raises(ValueError):
        clock.after_work(0, -1)
    with pytest.raises(ValueError):
        DaylightClock(day_start=20, day_end=6)


# ------------------------------------------------------------------- sales


def test_the_cadres_helped_sell_about_300000_yuan_not_the_whole_crop():
    """Regression: the replay sold 60-90 % of a 60,000 t harvest (¥52 million);
    the seed's cadres helped sell nearly ¥300,000 in a week."""
    reports = timeline(VILLAGES, CITY, random.Random(2024), fields=10, water=40)
    fields = [r for r in reports if r.kind == "field"]
    assert sum(r.area_mu for r in fields) == pytest.approx(30_000)
    helpers = [int(r.attributes["helpers_needed"]) for r in fields]
    assert 140 <= sum(helpers) <= 160
    rng = random.Random(7)
    sold_t = sum(
        helped_sales_t(h, r.area_mu * YIELD_T_PER_MU, rng)
        for h, r in zip(helpers, fields, strict=True)
    )
    assert 240_000 <= sold_t * YUAN_PER_TONNE <= 300_000
    assert sold_t < 0.01 * 30_000 * YIELD_T_PER_MU  # a sliver of the crop


def test_sales_never_exceed_the_harvest():
    assert helped_sales_t(20, 5.0, random.Random(0)) == 5.0
    assert helped_sales_t(0, 100.0, random.Random(0)) == 0.0
    with pytest.raises(ValueError):
        helped_sales_t(-1, 1.0, random.Random(0))


# ------------------------------------------------------------------ outcome


def test_the_outcome_counts_contact_hands_resolution_and_the_plans_gain():
    h = HOUR
    reports = [
        Followed(0, 1, (0.5 * h,), 2 * h),  # contacted in 30 min, resolved in 2 h
        Followed(0, 2, (1.5 * h, 30 * h), 40 * h),  # contacted late; one hand after 24 h
        Followed(h, 3, (), None),  # nobody came, not resolved
    ]
    batches = [
        Batch(1, 100.0, 100.0, 1, 1),  # one incident: nothing to choose
        Batch(4, 80.0, 100.0, 4, 4),  # 20 % better
        Batch(3, 90.0, 100.0, 3, 3),  # 10 % better
        Batch(2, 500.0, 100.0, 3, 2),  # filled one more: not comparable on time
    ]
    o = outcome(reports, batches)
    assert (o.reports, o.contacted_1h, o.hands_needed, o.hands_24h) == (3, 1, 6, 2)
    assert o.resolved == 2 and o.median_resolve_h == 21.0
    assert (o.batches, o.contested, o.gained, o.extra_filled) == (4, 3, 2, 1)
    assert o.gain_pct == pytest.approx(10.0)  # (300 - 270) / 300
    lines = outcome_lines(o)
    assert "contacted within 1 h: 1/3 (33.3%)" in lines[0]
    assert "headcount met within 24 h: 2/6 (33.3%)" in lines[1]
    assert "median time to resolve: 21.0 小时" in lines[2]
    assert "gain over greedy: 10.0%" in lines[3] and "2 批无收益 no gain" in lines[3]


def test_an_empty_run_says_so_rather_than_dividing_by_zero():
    lines = outcome_lines(outcome([], []))
    assert "0/0 (—)" in lines[0] and "无办结" in lines[2] and "no comparable batch" in lines[3]
