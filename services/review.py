"""The town review as one value: read, filter, compute; shared by the /review
screen, its exports and the print view, so an export holds exactly what the
screen shows for the same query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from data.review_cache import incident_cache
from domain.access import CONTACTS, Principal, mask_phone, town_scope
from domain.errors import NotFound
from domain.hotspots import BASELINE_DAYS, hot_spots
from domain.league import department_skills, league_table, responsible_pairs
from domain.review_metrics import (
    FIGURES,
    MAP_METRICS,
    METRICS,
    category_mix,
    incident_flags,
    ranking,
    total_metrics,
    trend,
    unit_metrics,
    with_units,
)
from domain.review_query import Period, ReviewQuery
from services.geometry_cache import PerGeometry
from services.photos import photo_links

MAX_LISTED = 500  # incidents listed for one grid, newest first
RESOLVED = frozenset({"resolved", "verified", "closed"})  # a listed one shows its proof photo
CHILD_LEVEL = {"city": "town", "town": "community", "community": "grid", "grid": None}


@dataclass(frozen=True)
class Units:
    """Towns, communities, grids (no shapes), pairings and who answers for what."""

    towns: pd.DataFrame
    communities: pd.DataFrame
    grids: pd.DataFrame
    pairings: pd.DataFrame
    responsible: pd.DataFrame


@dataclass
class Review:
    """Everything the review shows for one query."""

    query: ReviewQuery
    names: dict[str, str]  # breadcrumb: level -> name, widest first
    notice: str | None  # why there is nothing to show ("reversed", "empty"), or None
    totals: pd.Series
    grids: pd.DataFrame  # every grid of the area with its figures (the map), ranked
    units: pd.DataFrame  # the next level down (towns, communities or grids), ranked
    unit_level: str | None
    trend: pd.DataFrame
    categories: pd.DataFrame
    hot_spots: pd.DataFrame  # hot grids of the area, hottest first
    league: pd.DataFrame  # department–town pairs of the area, ranked
    grid: dict | None = None  # the grid drilled into: name, worker, …
    incidents: pd.DataFrame = field(default_factory=pd.DataFrame)  # that grid's incidents
    bounds: tuple[float, float, float, float] | None = None  # of the area, WGS84

    @property
    def metric(self):
        return METRICS[self.query.metric]


def _read_units(store) -> Units:
    parts = store.review_units()
    names = parts["communities"].set_index("code")["name"]
    parts["grids"]["community_name"] = parts["grids"]["community_code"].map(names)
    pairings = store.pairings()
    skills = department_skills(store.cadres())
    return Units(
        parts["towns"],
        parts["communities"],
        parts["grids"],
        pairings,
        responsible_pairs(pairings, skills),
    )


units = PerGeometry(
    _read_units
)  # units(store): the city's units, read again when a boundary changed


def scoped_query(query: ReviewQuery, principal: Principal, city: Units) -> ReviewQuery:
    """``query`` with its area checked and its town filled in; a caller bound
    to one town is kept inside it (asking for another is Forbidden)."""
    level, code = query.area
    town = query.town
    if level == "community":
        row = city.communities[city.communities["code"] == code]
        if not len(row):
            raise NotFound(f"no community {code}", zh=f"没有编码为 {code} 的社区")
        town = _same_town(town, row["town_code"].iloc[0], code)
    elif level == "grid":
        row = city.grids[city.grids["code"] == code]
        if not len(row):
            raise NotFound(f"no grid {code}", zh=f"没有编码为 {code} 的网格")
        town = _same_town(town, row["town_code"].iloc[0], code)
    elif level == "town":
        if not (city.towns["code"] == code).any():
            raise NotFound(f"no town {code}", zh=f"没有编码为 {code} 的镇街")
        town = code  # the area decides, whatever ``town`` says
    allowed = town_scope(principal, town)
    if allowed and level == "city":
        return replace(query, area=("town", allowed), town=allowed)
    return replace(query, town=allowed)


def _same_town(asked: str | None, actual: str, code: str) -> str:
    if asked and asked != actual:
        raise NotFound(f"{code} is not in town {asked}", zh=f"{code} 不属于所选镇街")
    return actual


def _in_period(frame: pd.DataFrame, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Rows reported in [start, end): the frame is sorted by reported_at."""
    times = frame["reported_at"].array
    lo, hi = times.searchsorted([pd.Timestamp(start), pd.Timestamp(end)], side="left")
    return frame.iloc[lo:hi]


def _filtered(frame: pd.DataFrame, query: ReviewQuery) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    if query.categories:
        keep &= frame["category"].isin(query.categories).to_numpy()
    if query.channels:
        keep &= frame["channel"].isin(query.channels).to_numpy()
    return frame[keep] if not keep.all() else frame


def _area_mask(frame: pd.DataFrame, query: ReviewQuery) -> np.ndarray:
    level, code = query.area
    column = {"town": "town_code", "community": "community_code", "grid": "grid_code"}.get(level)
    if column is None:
        return np.ones(len(frame), dtype=bool)
    return (frame[column] == code).to_numpy()


def _area_grids(city: Units, query: ReviewQuery) -> pd.DataFrame:
    """The grids the map shows: the area's (a grid shows its community's)."""
    grids = city.grids
    level, code = query.area
    if level == "town":
        return grids[grids["town_code"] == code]
    if level == "community":
        return grids[grids["community_code"] == code]
    if level == "grid":
        community = grids.loc[grids["code"] == code, "community_code"].iloc[0]
        return grids[grids["community_code"] == community]
    return grids


def _names(city: Units, query: ReviewQuery, lang: str) -> dict[str, str]:
    names = {"city": "全市" if lang == "zh" else "City"}
    level, code = query.area
    grid = community = None
    if level == "grid":
        grid = city.grids[city.grids["code"] == code].iloc[0]
        community = grid["community_code"]
    if level == "community":
        community = code
    if query.town:
        town = city.towns[city.towns["code"] == query.town].iloc[0]
        names["town"] = town["name"] if lang == "zh" else town["name_en"]
    if community is not None:
        found = city.communities[city.communities["code"] == community]
        names["community"] = found["name"].iloc[0] if len(found) else str(community)
    if grid is not None:
        names["grid"] = str(grid["name"])
    return names


def _unit_table(level: str, city: Units, figures: pd.DataFrame, query: ReviewQuery) -> pd.DataFrame:
    base = {"town": city.towns, "community": city.communities, "grid": city.grids}[level]
    if level == "community" and query.town:
        base = base[base["town_code"] == query.town]
    elif level == "grid":
        base = _area_grids(city, query)
    table = with_units(base, figures, "code")
    return ranking(table, METRICS[query.metric])


def build_review(
    store, query: ReviewQuery, principal: Principal, *, now: dt.datetime, lang: str = "zh"
) -> Review:
    """The review of ``query`` as ``principal`` may see it.

    Raises NotFound for an area that does not exist and Forbidden for a town
    the caller may not read; an empty or reversed period is not an error but
    a review with a ``notice`` and empty figures. The grid workers' phone
    numbers come masked unless ``principal`` may see contacts
    (``domain.access.CONTACTS``).
    """
    city = units(store)
    query = scoped_query(query, principal, city)
    METRICS[query.metric]
    if query.period.reversed:
        return _empty(query, city, principal, lang, "reversed")
    start, end = query.period.utc_bounds()
    everything = incident_cache(store).frame()
    period = _filtered(_in_period(everything, start, end), query)
    area = period[_area_mask(period, query)]
    flags = incident_flags(area, now)
    grids_in_area = _area_grids(city, query)
    grid_figures = unit_metrics(area, flags, "grid_code")
    grids = ranking(with_units(grids_in_area, grid_figures, "code"), METRICS[query.metric])
    grids = _contacts_as_seen(grids, principal)
    child = CHILD_LEVEL[query.level]
    child_table = pd.DataFrame()
    if child in ("town", "community"):
        column = f"{child}_code"
        child_table = _unit_table(child, city, unit_metrics(area, flags, column), query)
    elif child == "grid":
        child_table = _unit_table("grid", city, grid_figures, query)
    base_start = start - dt.timedelta(days=BASELINE_DAYS)
    baseline = _filtered(_in_period(everything, base_start, start), query)
    tested = hot_spots(
        period["grid_code"].value_counts(),
        baseline["grid_code"].value_counts(),
        pd.Index(city.grids["code"]),
    )
    hot = tested[tested["hot"] & tested.index.isin(grids_in_area["code"])]
    hot = hot.join(
        city.grids.set_index("code")[["name", "town_code", "community_code", "lon", "lat"]]
    )
    pairs = city.pairings
    if query.town:
        pairs = pairs[pairs["town_code"] == query.town]
    league = league_table(area, flags, pairs, city.responsible)
    review = Review(
        query=query,
        names=_names(city, query, lang),
        notice=None if len(area) else "empty",
        totals=total_metrics(area, flags),
        grids=grids,
        units=child_table,
        unit_level=child,
        trend=trend(area, flags, query.period.start, query.period.end),
        categories=category_mix(area, flags),
        hot_spots=hot.reset_index(),
        league=league,
        bounds=_bounds(grids_in_area),
    )
    if query.level == "grid":
        review.grid = _grid_card(city, query.code, principal)
        listed = area.sort_values("reported_at", ascending=False).head(MAX_LISTED)
        review.incidents = _with_photos(store, store.review_incident_list(listed["id"].tolist()))
    return review


def _with_photos(store, listed: pd.DataFrame) -> pd.DataFrame:
    """The listed incidents with a ``photo`` column: the URL of the first photo
    of each resolved one (the proof it was done), else None."""
    done = listed.loc[listed["status"].isin(RESOLVED), "id"] if len(listed) else []
    links = photo_links(store, done)
    first = [links[int(i)][0]["url"] if int(i) in links else None for i in listed["id"]]
    return listed.assign(photo=pd.Series(first, index=listed.index, dtype=object))


def _grid_card(city: Units, code: str, principal: Principal) -> dict:
    """The grid drilled into; its worker's phone as ``principal`` may see it."""
    row = city.grids[city.grids["code"] == code].iloc[0]
    card = {
        key: (None if pd.isna(row[key]) else row[key])
        for key in (
            "code",
            "name",
            "population",
            "households",
            "worker_name",
            "worker_phone",
            "secretary",
        )
    }
    card["worker_phone"] = mask_phone(card["worker_phone"], principal)
    return card


def _contacts_as_seen(grids: pd.DataFrame, principal: Principal) -> pd.DataFrame:
    """``grids`` with their workers' phones masked unless ``principal`` may see
    contacts: the review reaches the page, the exports and the print view alike,
    so the phone is masked here, where it is read, and in no caller."""
    if principal.can(CONTACTS) or "worker_phone" not in grids.columns:
        return grids
    masked = grids["worker_phone"].map(
        lambda phone: mask_phone(phone, principal), na_action="ignore"
    )
    return grids.assign(worker_phone=masked)


def _bounds(grids: pd.DataFrame) -> tuple[float, float, float, float] | None:
    if not len(grids):
        return None
    return (
        float(grids["minx"].min()),
        float(grids["miny"].min()),
        float(grids["maxx"].max()),
        float(grids["maxy"].max()),
    )


def _empty(query: ReviewQuery, city: Units, principal: Principal, lang: str, notice: str) -> Review:
    """A review with nothing counted: every grid of the area still on the map."""
    grids_in_area = _area_grids(city, query)
    none = pd.DataFrame(index=pd.Index([], name="code"), columns=list(FIGURES))
    return Review(
        query=query,
        names=_names(city, query, lang),
        notice=notice,
        totals=pd.Series({f: np.nan for f in FIGURES}),
        grids=_contacts_as_seen(
            ranking(with_units(grids_in_area, none, "code"), METRICS[query.metric]), principal
        ),
        units=pd.DataFrame(),
        unit_level=CHILD_LEVEL[query.level],
        trend=pd.DataFrame(columns=["start", "incidents", "resolved", "closure_rate"]),
        categories=pd.DataFrame(),
        hot_spots=pd.DataFrame(),
        league=pd.DataFrame(),
        bounds=_bounds(grids_in_area),
    )


def map_metrics() -> tuple[str, ...]:
    return MAP_METRICS


def default_period(today: dt.date) -> Period:
    return Period(today.replace(day=1), today)
