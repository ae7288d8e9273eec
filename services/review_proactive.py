"""The review's recurring trouble spots (主动发现), read only: the spots the
desk is being proposed now and the proactive cases opened in the period, for
the town reviewed (a town leader's own town) or the city.

Opening a case or dismissing a spot stays on the dispatch console
(``services.proactive.open_case``, which needs DISPATCH); a leader sees here
what the desk has in front of it and what it has made of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from domain.access import Principal
from domain.lifecycle import OPEN_STATUSES
from domain.review_query import Period, ReviewQuery
from services import proactive
from services.review import scoped_query, units

CHANNEL = "proactive"
SPOT_COLUMNS = [
    *("key", "category", "reports", "first_reported_at", "last_reported_at"),
    *("town_code", "grid_code", "grid_name"),
]
CASE_COLUMNS = [
    *("id", "public_id", "category", "status", "reported_at", "due_resolve_at"),
    *("resolved_at", "town_code", "grid_name", "late"),
]


@dataclass(frozen=True)
class ProactiveReview:
    """The recurring spots of one review.

    ``spots`` are proposed now, whatever the period (most reports first):
    SPOT_COLUMNS, times UTC. ``cases`` are the proactive cases opened
    (reported) in the period, newest first: CASE_COLUMNS, with their
    lifecycle status now and ``late``: resolved after its deadline, or
    still open past it. A reversed period has no cases.
    """

    town: str | None  # the town reviewed; None for the city
    period: Period
    spots: pd.DataFrame
    cases: pd.DataFrame


def review_proactive(
    store, query: ReviewQuery, principal: Principal, *, now: dt.datetime
) -> ProactiveReview:
    """The spots proposed now and the proactive cases of ``query``'s period,
    in its town, as ``principal`` may see them (a town leader: their own
    town only; an area below a town: its town, as the desk's spots are
    placed by town).

    Raises NotFound for an area that does not exist and Forbidden for a
    town the caller may not read, as ``services.review.build_review`` does.
    """
    city = units(store)
    query = scoped_query(query, principal, city)
    town, period = query.town, query.period
    names = city.grids.set_index("code")["name"]
    spots = proactive.proposals(store, now, town=town)
    spots = spots.assign(grid_name=spots["grid_code"].map(names)).reindex(columns=SPOT_COLUMNS)
    cases = pd.DataFrame(columns=CASE_COLUMNS)
    if not period.reversed:
        start, end = period.utc_bounds()
        found = store.incidents(town=town, reported=(start, end), channels=[CHANNEL])
        found = found.loc[found["reported_at"] < pd.Timestamp(end)]
        cases = found.assign(late=_late(found, now)).reindex(columns=CASE_COLUMNS)
        cases = cases.reset_index(drop=True)
    return ProactiveReview(town, period, spots.reset_index(drop=True), cases)


def _late(cases: pd.DataFrame, now: dt.datetime) -> pd.Series:
    """Resolved after the deadline, or open and past it (no deadline: not late)."""
    due = pd.to_datetime(cases["due_resolve_at"], utc=True)
    resolved = pd.to_datetime(cases["resolved_at"], utc=True)
    still_open = cases["status"].isin(OPEN_STATUSES) & (due < pd.Timestamp(now))
    return (still_open | (resolved > due)).fillna(False).astype(bool)
