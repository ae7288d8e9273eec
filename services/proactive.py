"""主动发现: recurring trouble spots proposed to the desk, and its decisions on them.

``proposals`` finds the spots of the last ``WINDOW_DAYS`` days in the store's
history (``domain.recurring_spots``) and leaves out those the desk has acted
on since their last report. ``open_case`` turns one into a proactive case (an
incident of channel 'proactive' that follows the normal lifecycle);
``dismiss`` sets it aside. Both name the spot by its key, as the console
showed it, and work on the spot as it is now: a spot that has had a newer
report since has a new key, and the desk is told to look again.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from domain.access import DISPATCH, Principal, require, town_scope
from domain.categories import BY_CODE, category_name
from domain.errors import Conflict, InvalidInput
from domain.recurring_spots import find_spots, key_parts, not_yet_handled

# The desk sees the spots of the last 45 days: five reports within 30 days
# (domain.recurring_spots.SPAN_DAYS), and two more weeks to act on them before
# their first reports age out (with 30, two of the county demo's four recent
# episodes had already gone on 1 December 2026; the backtest scores the same).
WINDOW_DAYS = 45
RADIUS_M = 60.0  # reports this close to each other are at one place
MIN_REPORTS = 5  # five reports of one kind within 30 days make a spot


def proposals(store, now: dt.datetime, town: str | None = None) -> pd.DataFrame:
    """The spots to propose to the desk now, most reports first.

    Parameters
    ----------
    store : Store
    now : datetime
        Aware.
    town : str, optional
        Only spots whose reports lie mostly in this town.

    Returns
    -------
    DataFrame with the columns of ``domain.recurring_spots.COLUMNS``: key,
    category, lon, lat (WGS84), radius_m, reports, report_ids,
    first_reported_at, last_reported_at (UTC), town_code, grid_code.
    """
    history = store.history(since=now - dt.timedelta(days=WINDOW_DAYS))
    spots = find_spots(history, now, WINDOW_DAYS, RADIUS_M, MIN_REPORTS)
    if town is not None:
        spots = spots.loc[spots["town_code"] == town]
    if spots.empty:
        return spots.reset_index(drop=True)
    return not_yet_handled(spots, store.spot_decisions()).reset_index(drop=True)


def _proposed(store, spot_key: object, principal: Principal, now: dt.datetime) -> dict:
    """The spot of ``spot_key`` among the proposals the caller may act on now:
    the one of its category whose last report is the key's (``key_parts``)."""
    require(principal, DISPATCH)
    named = key_parts(spot_key.strip()) if isinstance(spot_key, str) else None
    if named is None:
        raise InvalidInput(f"{spot_key!r} is not a spot's key", zh="请指明线索")
    found = proposals(store, now, town_scope(principal))
    last = [ids[-1] for ids in found["report_ids"]]
    match = found.loc[(found["category"] == named[0]).to_numpy() & (np.array(last) == named[1])]
    if match.empty:
        raise Conflict(
            f"spot {spot_key} is no longer proposed: it has had a newer report or was "
            "handled; look at the list again",
            zh="该线索已更新或已处理，请刷新后再看",
        )
    return match.iloc[0].to_dict()


def description(spot: dict, place: str | None) -> str:
    """The case's text: ``主动发现：消防通道占用 16天内5次（甲社区第1网格附近）``."""
    first = pd.Timestamp(spot["first_reported_at"])
    last = pd.Timestamp(spot["last_reported_at"])
    days = max(1, math.ceil((last - first) / pd.Timedelta(days=1)))
    text = f"主动发现：{category_name(spot['category'], 'zh')} {days}天内{int(spot['reports'])}次"
    return f"{text}（{place}附近）" if place else text


def _place(store, spot: dict) -> str | None:
    """The name of the grid most of the spot's reports lie in."""
    if not spot.get("grid_code"):
        return None
    grids = store.grids(town=spot.get("town_code"), geometry=False)
    named = grids.loc[grids["code"] == spot["grid_code"], "name"]
    return str(named.iloc[0]) if len(named) else None


def _decision(spot: dict) -> dict:
    return {
        "category": spot["category"],
        "lon": float(spot["lon"]),
        "lat": float(spot["lat"]),
        "radius_m": float(spot["radius_m"]),
        "first_reported_at": pd.Timestamp(spot["first_reported_at"]).to_pydatetime(),
        "last_reported_at": pd.Timestamp(spot["last_reported_at"]).to_pydatetime(),
        "report_ids": [int(i) for i in spot["report_ids"]],
    }


def open_case(store, spot_key: str, principal: Principal, now: dt.datetime) -> int:
    """Open the proposed spot ``spot_key`` as a proactive case; returns the incident's id.

    The case is registered at once with the category's default priority and
    a description of its evidence, in the grid of the spot's centre
    (``Store.open_proactive_case``).

    Raises
    ------
    Unauthenticated, Forbidden
        The caller may not dispatch.
    Conflict
        The spot is not (or no longer) proposed to this caller.
    InvalidInput
        The store refuses it (e.g. a centre outside every grid).
    """
    spot = _proposed(store, spot_key, principal, now)
    case = _decision(spot) | {
        "description": description(spot, _place(store, spot)),
        "priority": BY_CODE[spot["category"]].priority,
    }
    return store.open_proactive_case(case, principal.actor, now)


def dismiss(store, spot_key: str, principal: Principal, now: dt.datetime) -> int:
    """Set the proposed spot ``spot_key`` aside until a newer report comes;
    returns the decision's id. Raises as ``open_case``."""
    spot = _proposed(store, spot_key, principal, now)
    return store.dismiss_spot(_decision(spot), principal.actor, now)
