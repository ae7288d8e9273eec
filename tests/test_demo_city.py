"""The demo city generator: shapes, counts, consistency. No database."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest
import shapely

from data import schema
from data.demo_city import SCALES, CityFrames, generate_city, small_region
from data.demo_geometry import LocalProjection
from data.facts import jiaozhou as facts
from data.facts.departments import DEPARTMENTS
from domain.categories import BY_CODE, REPORT_CHANNELS, SKILLS
from domain.lifecycle import OPEN_STATUSES, STATUSES
from domain.sla import deadlines

NOW = dt.datetime(2026, 6, 20, 4, 0, tzinfo=dt.UTC)
STAMPS = (
    "reported_at",
    "registered_at",
    "first_contact_at",
    "dispatched_at",
    "resolved_at",
    "closed_at",
)


@pytest.fixture(scope="module")
def city() -> CityFrames:
    return generate_city(seed=2022, scale="county", now=NOW)


def _km2(geoms) -> np.ndarray:
    """Areas of WGS84 geometries in km² (equal-area projection)."""
    proj = LocalProjection(120.0, 36.25)

    def to_m(xy):
        return np.column_stack(proj.to_metres(xy[:, 0], xy[:, 1]))

    return shapely.area(shapely.transform(np.asarray(geoms), to_m)) / 1e6


def _assert_tiles(parts, whole, tolerance=1e-3):
    """``parts`` cover ``whole`` without gaps and without overlaps."""
    parts = np.asarray(parts)
    union = shapely.union_all(parts)
    assert abs(_km2([union])[0] - _km2([whole])[0]) <= tolerance * _km2([whole])[0]
    assert _km2([shapely.symmetric_difference(union, whole)])[0] <= tolerance * _km2([whole])[0]
    tree = shapely.STRtree(parts)
    i, j = tree.query(parts, predicate="intersects")
    pair = i < j
    overlap = _km2(shapely.intersection(parts[i[pair]], parts[j[pair]])).sum()
    assert overlap <= 1e-4 * _km2([whole])[0]


def _check_geoms(frame):
    assert frame.crs.to_epsg() == 4326
    geoms = frame.geometry.to_numpy()
    assert set(shapely.get_type_id(geoms)) <= {3, 6}  # Polygon, MultiPolygon
    assert shapely.is_valid(geoms).all()
    coords = shapely.get_coordinates(geoms)
    assert np.array_equal(coords, np.round(coords, 6))
    assert shapely.contains_xy(geoms, frame["lon"], frame["lat"]).all()


def test_same_seed_same_city(city):
    again = generate_city(seed=2022, scale="county", now=NOW)
    for name in ("towns", "communities", "grids", "departments", "pairings", "cadres"):
        pd.testing.assert_frame_equal(getattr(city, name), getattr(again, name))
    pd.testing.assert_frame_equal(city.incidents, again.incidents)
    pd.testing.assert_frame_equal(city.planted_spots, again.planted_spots)
    other = generate_city(seed=7, scale="county", now=NOW)
    assert not other.grids.geometry.geom_equals(city.grids.geometry).all()


def test_columns_match_the_schema(city):
    geo_tables = {"towns", "communities", "grids"}
    for name in (*geo_tables, "departments", "pairings", "cadres", "incidents"):
        frame = getattr(city, name)
        table = schema.metadata.tables[name]
        # Every column the frame has is in the table, and every column the table
        # needs (not null, no default, not filled by the store) is in the frame.
        filled_by_store = {"minx", "miny", "maxx", "maxy", "id" if name == "incidents" else ""}
        needed = {
            c.name
            for c in table.columns
            if not c.nullable
            and c.server_default is None
            and c.name not in filled_by_store
            and not (c.primary_key and c.autoincrement is True)
        }
        assert set(frame.columns) <= {c.name for c in table.columns}, name
        assert needed <= set(frame.columns), name
        assert frame.notna().all().any(), name
    for column in (*STAMPS, "due_contact_at", "due_resolve_at", "updated_at"):
        assert str(city.incidents[column].dtype) == "datetime64[ns, UTC]"
    assert str(city.cadres["position_at"].dtype) == "datetime64[ns, UTC]"
    assert str(city.grids["worker_id"].dtype) == "Int64"
    assert str(city.cadres["department_id"].dtype) == "Int64"
    assert city.cadres["town_code"].dtype == object
    missing = city.cadres["town_code"].isna()
    assert missing.any() and all(v is None for v in city.cadres["town_code"][missing])


def test_towns_are_the_real_twelve(city):
    towns = city.towns.set_index("code")
    assert list(towns.index) == [t.code for t in facts.TOWNS]
    for fact in facts.TOWNS:
        town = towns.loc[fact.code]
        assert (town["name"], town["name_en"], town["kind"]) == (
            fact.name,
            fact.name_en,
            fact.kind,
        )
        assert town.geometry.contains(shapely.Point(fact.point)), fact.name
        assert abs(town["area_km2"] / fact.area_km2 - 1) < 0.25, fact.name
    _check_geoms(city.towns)
    assert shapely.get_num_geometries(city.towns.geometry.to_numpy()).max() == 1


def test_county_outline(city):
    outline = shapely.union_all(city.towns.geometry.to_numpy())
    assert outline.geom_type == "Polygon"
    assert 1270 <= _km2([outline])[0] <= 1320
    x0, y0, x1, y1 = outline.bounds
    assert abs(x0 - 119.63) < 0.04 and abs(x1 - 120.21) < 0.04
    assert abs(y0 - 36.01) < 0.04 and abs(y1 - 36.50) < 0.04
    # Organic, not a blob: well below the area of its convex hull.
    assert _km2([outline])[0] < 0.85 * _km2([outline.convex_hull])[0]
    _assert_tiles(city.towns.geometry.to_numpy(), outline)


def test_grids_tile_each_town(city):
    _check_geoms(city.grids)
    assert 1300 <= len(city.grids) <= 1500
    assert city.grids["code"].is_unique
    assert city.grids["code"].str.len().max() <= 20
    for town in city.towns.itertuples():
        mine = city.grids[city.grids["town_code"] == town.code]
        _assert_tiles(mine.geometry.to_numpy(), town.geometry)
        assert mine["population"].sum() == town.population
        assert mine["households"].sum() == town.households
    # Urban grids are small, rural ones about a village.
    area = city.grids.groupby("town_code")["area_km2"].median()
    assert area["370281001"] < 0.2 and area["370281108"] > 1.0
    hh_per_grid = city.grids["households"]
    assert 100 < hh_per_grid.median() < 600


def test_population(city):
    total = city.towns["population"].sum()
    assert 1_000_000 <= total <= 1_100_000
    ratio = city.towns["population"] / city.towns["households"]
    assert ratio.between(2.3, 3.0).all()
    core = city.towns.set_index("code").loc[["370281001", "370281002", "370281004"]]
    density = city.towns["population"] / city.towns["area_km2"]
    assert (core["population"] / core["area_km2"]).min() > 3 * density.median()


def test_communities_are_the_real_ones(city):
    comm = city.communities
    _check_geoms(comm)
    assert len(comm) == 221 and comm["code"].is_unique
    for town_code, rows in facts.COMMUNITIES.items():
        mine = comm[comm["town_code"] == town_code].set_index("code")
        assert sorted(mine.index) == sorted(code for code, _, _ in rows)
        for code, name, kind in rows:
            assert (mine.loc[code, "name"], mine.loc[code, "kind"]) == (name, kind)
    assert set(comm.loc[comm["town_code"] == "370281001", "name"]) >= {"大同社区", "市舶司社区"}
    per_comm = city.grids.groupby("community_code").size()
    assert set(per_comm.index) == set(comm["code"]) and per_comm.min() >= 1
    town_of = comm.set_index("code")["town_code"]
    assert (town_of[city.grids["community_code"]].to_numpy() == city.grids["town_code"]).all()
    assert shapely.get_num_geometries(comm.geometry.to_numpy()).max() == 1  # contiguous
    for town in city.towns.itertuples():
        _assert_tiles(comm.loc[comm["town_code"] == town.code].geometry.to_numpy(), town.geometry)
    assert comm.set_index("code")["population"].sum() == city.towns["population"].sum()


def test_departments_and_pairings(city):
    deps, pairs = city.departments, city.pairings
    assert len(deps) == 36 and deps["id"].is_unique and deps["name"].is_unique
    assert list(deps["name"]) == [d.name for d in DEPARTMENTS]
    assert len(pairs) == 36 and pairs["department_id"].is_unique
    assert pairs.groupby("town_code").size().eq(3).all()
    assert set(pairs["town_code"]) == set(city.towns["code"])
    jiaoxi = deps.set_index("id").loc[pairs.loc[pairs["town_code"] == "370281009", "department_id"]]
    assert "市农业农村局" in set(jiaoxi["name"])


def test_cadres(city):
    cadres = city.cadres
    roles = cadres["role"].value_counts()
    assert 1900 <= len(cadres) <= 2100 and cadres["id"].is_unique
    assert 380 <= roles["grid_worker"] <= 420
    assert 1000 <= roles["dept_cadre"] <= 1200
    assert 350 <= roles["town_cadre"] <= 450 and 80 <= roles["volunteer"] <= 120
    assert set(cadres["status"]) == {"available", "en_route", "on_site", "off_duty"}
    assert (cadres["status"] == "available").mean() > 0.5
    assert cadres["phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert cadres["name"].str.len().between(2, 3).all()
    for skills in cadres["skills"]:
        assert skills and set(skills.split(",")) <= set(SKILLS)
    dept = cadres[cadres["role"] == "dept_cadre"]
    assert dept["department_id"].notna().all() and dept["town_code"].isna().all()
    others = cadres[cadres["role"] != "dept_cadre"]
    assert others["town_code"].notna().all() and others["department_id"].isna().all()
    age = pd.Timestamp(NOW) - cadres["position_at"]
    assert age.between(pd.Timedelta(0), pd.Timedelta(hours=1)).all()
    assert cadres[["lon", "lat"]].notna().all().all()


def test_every_grid_has_a_worker_inside_it(city):
    grids, cadres = city.grids, city.cadres.set_index("id")
    assert grids["worker_id"].notna().all()
    workers = cadres.loc[grids["worker_id"].astype(int)]
    assert (workers["role"] == "grid_worker").all()
    assert (workers["town_code"].to_numpy() == grids["town_code"].to_numpy()).all()
    load = grids.groupby("worker_id").size()
    assert load.index.size == (cadres["role"] == "grid_worker").sum()
    assert 3 <= load.mean() <= 4 and load.max() <= 8
    # One community per worker, and the worker stands in one of their grids.
    assert grids.groupby("worker_id")["community_code"].nunique().eq(1).all()
    mine = grids.set_index("worker_id")
    for wid, row in cadres[cadres["role"] == "grid_worker"].head(60).iterrows():
        shapes = np.atleast_1d(mine.loc[[wid]].geometry.to_numpy())
        assert shapely.contains_xy(shapes, row["lon"], row["lat"]).any()


def test_incidents_volume_and_places(city):
    inc = city.incidents
    assert 28_000 <= len(inc) <= 32_000
    # Numbered by the store on loading, like live intake (tests/test_public_ids.py).
    assert inc["public_id"].isna().all()
    grids = city.grids.set_index("code")
    shapes = grids.geometry.loc[inc["grid_code"]].to_numpy()
    assert shapely.contains_xy(shapes, inc["lon"], inc["lat"]).all()
    assert (grids["town_code"].loc[inc["grid_code"]].to_numpy() == inc["town_code"]).all()
    assert inc["lon"].equals(inc["orig_lon"]) and (inc["orig_crs"] == "wgs84").all()
    assert set(inc["category"]) == set(BY_CODE) and set(inc["channel"]) == set(REPORT_CHANNELS)
    assert inc["channel"].value_counts().idxmax() == "app"
    assert inc["event_id"].isna().all()
    assert inc["description"].nunique() > 5000
    assert inc["address"].str.startswith("胶州市").all()
    assert inc["priority"].between(1, 4).all() and (inc["headcount"] >= 1).all()
    assert (inc.loc[inc["headcount"] > 1, "category"] == "farm_help").all()
    sensor = inc[inc["channel"] == "sensor"]
    assert sensor["reporter_name"].isna().all() and inc["reporter_name"].notna().mean() > 0.9


def test_incident_rhythms(city):
    inc = city.incidents
    local = inc["reported_at"].dt.tz_convert("Asia/Shanghai")
    assert local.min() >= pd.Timestamp("2022-04-01", tz="Asia/Shanghai")
    assert inc["reported_at"].max() <= pd.Timestamp(NOW)
    hours = local.dt.hour.value_counts()
    assert hours.loc[[9, 10, 15]].min() > 5 * hours.reindex([2, 3, 4], fill_value=0).max()
    plaza = local[inc["channel"] == "plaza"].dt.hour
    assert plaza.between(19, 21).all()
    yearly = local.dt.year.value_counts()
    per_day_2022 = yearly[2022] / 275
    per_day_2025 = yearly[2025] / 365
    assert per_day_2025 > 1.5 * per_day_2022  # the channel became known
    month = local.dt.month
    heating = inc["category"] == "heating"
    assert heating[month.isin([12, 1])].mean() > 5 * heating[month.isin([6, 7])].mean()
    rural = inc["town_code"].isin(["370281105", "370281108", "370281111"])
    farm = inc["category"] == "farm_help"
    assert farm[rural].mean() > 3 * farm[inc["town_code"] == "370281001"].mean()


def test_incident_lifecycle(city):
    inc = city.incidents
    assert set(inc["status"]) <= set(STATUSES)
    closed = inc["status"] == "closed"
    assert closed.mean() > 0.9
    open_ = inc["status"].isin(OPEN_STATUSES)
    # A normal day: the work of the last day or two, plus some harder cases;
    # most open work is still inside its deadline.
    assert 20 <= open_.sum() <= 300
    assert set(OPEN_STATUSES) - {"parked"} <= set(inc.loc[open_, "status"]) <= OPEN_STATUSES
    age = pd.Timestamp(NOW) - inc.loc[open_, "reported_at"]
    assert age.median() < pd.Timedelta(days=3) and age.max() < pd.Timedelta(days=60)
    overdue = inc.loc[open_, "due_resolve_at"] < pd.Timestamp(NOW)
    assert overdue.mean() < 0.5
    assert 0 < (inc["status"] == "rejected").mean() < 0.03
    # Timestamps in lifecycle order, none in the future, updated_at the last.
    stamps = inc[list(STAMPS)]
    for a, b in itertools.pairwise(STAMPS):
        both = stamps[a].notna() & stamps[b].notna()
        assert (stamps.loc[both, a] <= stamps.loc[both, b]).all(), (a, b)
    last = stamps.max(axis=1)
    assert (inc["updated_at"] >= last).all() and (inc["updated_at"] <= pd.Timestamp(NOW)).all()
    done = inc.loc[closed]
    assert done[list(STAMPS)].notna().all().all()
    assert inc.loc[inc["status"] == "reported", "registered_at"].isna().all()
    assert inc.loc[open_, ["resolved_at", "closed_at"]].isna().all().all()
    registered = (done["registered_at"] - done["reported_at"]).median()
    assert registered < pd.Timedelta(minutes=30)
    resolved = (done["resolved_at"] - done["reported_at"]).median()
    assert pd.Timedelta(hours=2) < resolved < pd.Timedelta(days=2)
    # Deadlines are those a live report gets (domain.sla's default policy:
    # working hours and days), so a demo incident's clock acts like a live one's.
    for row in inc.sample(300, random_state=1).itertuples():
        due = deadlines(row.category, row.priority, row.reported_at.to_pydatetime())
        assert (row.due_contact_at, row.due_resolve_at) == (due.first_contact_at, due.resolve_at)
    on_time = (done["resolved_at"] <= done["due_resolve_at"]).mean()
    assert 0.8 < on_time < 0.99


def test_satisfaction(city):
    inc = city.incidents
    rated = inc["satisfaction"].dropna()
    assert set(rated) == {1, 2, 3, 4, 5}
    assert (inc.loc[inc["satisfaction"].notna(), "status"] == "closed").all()
    assert len(rated) > 0.7 * (inc["status"] == "closed").sum()
    assert rated.isin([4, 5]).mean() > 0.9


def test_now_defaults_to_the_present():
    frames = generate_city(seed=1, scale=small_region(0.05))
    latest = frames.incidents["reported_at"].max()
    assert pd.Timestamp.now(tz="UTC") - latest < pd.Timedelta(days=3)


def test_region_code_path():
    spec = small_region(0.1)
    city = generate_city(seed=3, scale=spec, now=NOW)
    assert len(city.towns) == spec.n_towns and city.towns["code"].is_unique
    assert city.towns["code"].str.fullmatch(r"\d{9}").all()
    assert city.towns["name"].is_unique
    assert city.communities["code"].str.fullmatch(r"\d{12}").all()
    assert city.communities["code"].is_unique
    assert city.grids["code"].is_unique
    outline = shapely.union_all(city.towns.geometry.to_numpy())
    _assert_tiles(city.towns.geometry.to_numpy(), outline)
    assert 9_500 <= _km2([outline])[0] <= 12_500
    x0, y0, x1, y1 = outline.bounds
    assert x0 >= 119.4 and x1 <= 121.1 and y0 >= 35.5 and y1 <= 37.2
    assert abs(len(city.grids) - spec.n_grids) <= 0.15 * spec.n_grids
    assert city.grids["worker_id"].notna().all()
    assert city.pairings.groupby("town_code").size().eq(3).all()
    inc = city.incidents
    assert len(inc) == spec.incidents
    assert city.planted_spots["spot"].nunique() == round(15 * spec.incidents / 30_000)
    shapes = city.grids.set_index("code").geometry.loc[inc["grid_code"]].to_numpy()
    assert shapely.contains_xy(shapes, inc["lon"], inc["lat"]).all()


@pytest.mark.slow
def test_full_region():
    city = generate_city(seed=2022, scale="region", now=NOW)
    spec = SCALES["region"]
    assert 140 <= len(city.towns) <= 160
    assert 11_000 <= len(city.grids) <= 13_000
    assert 18_000 <= len(city.cadres) <= 22_000
    assert len(city.incidents) == spec.incidents
    assert 200 <= city.incidents["status"].isin(OPEN_STATUSES).sum() <= 3_000
    assert city.departments["name"].is_unique


def test_a_now_before_the_channel_gives_a_year_of_history():
    now = dt.datetime(2022, 5, 1, 12, 0)  # naive: UTC
    inc = generate_city(seed=5, scale=small_region(0.05), now=now).incidents
    first, last = inc["reported_at"].min(), inc["reported_at"].max()
    assert last <= pd.Timestamp(now, tz="UTC") and first > pd.Timestamp("2021-04-01", tz="UTC")
    assert last - first > pd.Timedelta(days=300)
