"""Who in the demo city misses the resolution deadline, and why.

Each report's chance of being resolved late is a logistic of a few planted
effects, so that a breach-risk model has something true to find (see
docs/demo_history.md): some categories are slow and some fast, a few towns are
slow, a town that had more reports than usual in the last three days falls
behind, reports that come on Friday afternoon or at the weekend wait for
Monday, and urgent reports are seldom late. The intercept is solved so that
about ``TARGET`` of all reports are late, whatever the mix.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from domain.categories import CATEGORIES

TARGET = 0.08  # share of reports whose resolution is late
# Log-odds effects. Categories not listed are 0.
CATEGORY = {
    "illegal_building": 1.1,  # owners to find, notices to serve
    "dispute": 0.9,  # mediation takes meetings
    "pollution": 0.8,  # sampling, another department
    "farm_help": 0.7,  # fields far out, few agronomists
    "garbage": -1.0,  # a truck on a round
    "street_light": -0.8,  # a standing contractor
    "waterlogging": -0.8,  # pumps on call in the flood season
}
SLOW_TOWN = 0.9  # a town whose office is short of hands
SLOW_TOWN_SHARE = 0.25  # of the towns (3 of the county's 12)
LOAD = 0.6  # per doubling of the last 3 days' reports over the town's usual
LOAD_RANGE = (-1.0, 2.0)  # log2 of that ratio is clipped to this range
AFTER_HOURS = 0.7  # reported on Friday from 15:00 or at the weekend (local)
PRIORITY = {1: -1.0, 2: -0.4, 3: 0.0, 4: 0.2}  # 1 urgent … 4 low
USUAL_DAYS = 28  # the town's usual 3-day count: its trailing 28 days × 3/28
_LOCAL = 8 * 3600  # Asia/Shanghai is UTC+8 all year
_DAY = 86400.0


def slow_towns(rng: np.random.Generator, town_codes) -> frozenset[str]:
    """The slow towns: ``SLOW_TOWN_SHARE`` of them (at least two), at random."""
    codes = np.asarray(town_codes, dtype=object)
    k = max(2, round(SLOW_TOWN_SHARE * len(codes)))
    return frozenset(codes[rng.choice(len(codes), min(k, len(codes)), replace=False)])


def probability(
    cat: np.ndarray,
    town: np.ndarray,
    reported: np.ndarray,
    priority: np.ndarray,
    slow: frozenset[str],
) -> np.ndarray:
    """Chance that each report is resolved after its deadline.

    Parameters
    ----------
    cat : ndarray of int
        Index into ``domain.categories.CATEGORIES``.
    town : ndarray of str
        Town code of each report.
    reported : ndarray of float
        Report time, epoch seconds (UTC).
    priority : ndarray of int
        1 (urgent) to 4 (low).
    slow : frozenset of str
        The slow towns' codes.

    Returns
    -------
    ndarray of float
        Probabilities in (0, 1), averaging ``TARGET``.
    """
    codes = [c.code for c in CATEGORIES]
    effect = np.array([CATEGORY.get(code, 0.0) for code in codes])[cat]
    effect = effect + SLOW_TOWN * np.isin(town, list(slow))
    ratio = np.log2(recent_load(reported, town))
    effect += LOAD * np.clip(ratio, *LOAD_RANGE)
    effect += AFTER_HOURS * after_hours(reported)
    prio = np.zeros(5)
    for level, value in PRIORITY.items():
        prio[level] = value
    effect += prio[np.clip(priority, 1, 4)]
    return expit(_intercept(effect) + effect)


def after_hours(reported: np.ndarray) -> np.ndarray:
    """Reported on Friday from 15:00 or on Saturday or Sunday, local time."""
    local = reported + _LOCAL
    weekday = (np.floor(local / _DAY).astype(np.int64) + 3) % 7  # Monday 0; 1970-01-01 Thu
    hour = (local % _DAY) / 3600
    return (weekday >= 5) | ((weekday == 4) & (hour >= 15))


def recent_load(reported: np.ndarray, town: np.ndarray) -> np.ndarray:
    """Reports of the same town in the 3 days before each report, over the
    town's usual 3-day count (its trailing ``USUAL_DAYS`` days, scaled).

    Both counts get one added, so a quiet town is not divided by zero; the
    town's first ``USUAL_DAYS`` days have no usual yet and count as 1.
    """
    ratio = np.ones(len(reported))
    codes, inverse = np.unique(town, return_inverse=True)
    for k in range(len(codes)):
        rows = np.flatnonzero(inverse == k)
        rows = rows[np.argsort(reported[rows], kind="stable")]
        t = reported[rows]
        before = np.arange(len(t))
        last3 = before - np.searchsorted(t, t - 3 * _DAY)
        usual = (before - np.searchsorted(t, t - USUAL_DAYS * _DAY)) * 3 / USUAL_DAYS
        r = (last3 + 1) / (usual + 1)
        r[t - t[0] < USUAL_DAYS * _DAY] = 1.0
        ratio[rows] = r
    return ratio


def _intercept(effect: np.ndarray) -> float:
    """The intercept that makes the mean probability ``TARGET`` (bisection)."""
    lo, hi = -12.0, 4.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if expit(mid + effect).mean() < TARGET:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
