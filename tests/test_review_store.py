"""The town review against real databases: the store's lean reads, the incident
cache kept up to date from the change feed, and the whole review as
``build_review`` computes it for a city or a town leader.

Every test runs on SQLite and on PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data.review_cache import IncidentCache, incident_cache
from data.store import Store
from domain.access import CONTACTS, for_user
from domain.errors import Forbidden, NotFound
from domain.review_metrics import METRICS
from domain.review_query import ReviewQuery, parse_query
from services.review import build_review
from services.review_tables import review_tables
from tests.tiny_city import NOW, tiny_city

TOWN_A, TOWN_B = "370281001", "370281002"
CITY = for_user(1, "市领导", "city_leader", None)
LEADER_A = for_user(2, "甲街道领导", "town_leader", TOWN_A)
OPERATOR = for_user(3, "值班调度员", "operator", None)
JUNE = {"from": "2026-06-01", "to": "2026-06-20"}  # all five incidents of the tiny city
TIMES = ("reported_at", "first_contact_at", "resolved_at", "due_contact_at", "due_resolve_at")
COUNTS = [
    "incidents",
    "counted",
    "resolved",
    "rated",
    "satisfied",
    "responded",
    "on_time",
    "breaches",
]
HOUR = dt.timedelta(hours=1)


def query(**args) -> ReviewQuery:
    return parse_query(args, today=NOW.date(), metrics=METRICS)


def review_city():
    """The tiny city with its closed incidents resolved first (as the lifecycle
    always does) and T5 contacted after 1 h 20 min.

    Town A: T1 registered, T2 reported, T5 closed: closure 1 of 3.
    Town B: T3 dispatched (past its deadline), T4 closed: closure 1 of 2.
    """
    city = tiny_city()
    frame = city.incidents
    frame["resolved_at"] = [None, None, None, NOW - 22 * HOUR, NOW - 62 * HOUR]
    contact = NOW - 80 * HOUR + 80 * dt.timedelta(minutes=1)
    frame["first_contact_at"] = [None, None, None, None, contact]
    return city


def incident(public_id: str, grid: str, town: str, reported: dt.datetime, **more) -> dict:
    return {
        "public_id": public_id,
        "channel": "app",
        "category": "garbage",
        "description": "垃圾未清运",
        "lon": 120.005,
        "lat": 36.01,
        "grid_code": grid,
        "town_code": town,
        "priority": 3,
        "status": "registered",
        "reported_at": reported,
        "updated_at": reported,
        **more,
    }


@pytest.fixture(scope="module")
def review_store(module_database_url):
    """The review city, one per backend for the whole module: the tests that use
    it only read (a fresh schema per test cost a third of a second on PostgreSQL)."""
    url = module_database_url
    store = Store.open(url)
    store.load_city(review_city())
    seq = store.latest_seq()
    yield store
    assert store.latest_seq() == seq, "a test wrote to the shared review store"
    store.close()


def ids_by_public_id(store) -> dict[str, int]:
    frame = store.incidents()
    return dict(zip(frame["public_id"], frame["id"].astype(int), strict=True))


# --- store reads -------------------------------------------------------------------------


def test_review_rows_times_equal_the_incidents_to_the_millisecond(city_store):
    us = dt.timedelta(microseconds=1)
    odd = [
        dt.datetime(2026, 6, 20, 4, 0, 0, 123456, tzinfo=dt.UTC),
        dt.datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2199, 12, 31, 23, 59, 58, 998765, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 12, 34, 56, 789012, tzinfo=dt.UTC),
    ]
    for k, at in enumerate(odd):
        city_store.add_incident(
            incident(
                f"M{k}",
                None,
                None,
                at,
                first_contact_at=at + 777 * us,
                resolved_at=at + 2 * HOUR + 5 * us,
                due_contact_at=at + HOUR,
                due_resolve_at=at + 8 * HOUR,
            ),
            actor="tester",
        )
    rows = city_store.review_rows().set_index("id").sort_index()
    full = city_store.incidents().set_index("id").sort_index()
    assert list(rows.index) == list(full.index) and len(rows) == 9
    for name in TIMES:
        mine = rows[name]
        theirs = pd.to_datetime(full[name], utc=True)
        assert str(mine.dt.tz) == "UTC", name
        assert (mine.isna() == theirs.isna()).all(), name
        both = mine.notna()
        assert (mine[both].dt.round("ms") == theirs[both].dt.round("ms")).all(), name
        assert (mine[both] - theirs[both]).abs().max() < pd.Timedelta(milliseconds=0.5), name
    # The tiny city's whole seconds come back exactly.
    tiny = rows["public_id"].str.startswith("T")
    assert (rows.loc[tiny, "reported_at"] == full.loc[tiny, "reported_at"]).all()


def test_review_rows_join_the_community_and_keep_the_columns_clean(city_store):
    loose = city_store.add_incident(
        incident("N0", None, None, NOW - HOUR), actor="tester"
    )  # no grid: kept, with no community
    rows = city_store.review_rows().set_index("public_id")
    assert list(rows.columns) == [
        "id",
        "town_code",
        "community_code",
        "grid_code",
        "category",
        "channel",
        "status",
        "priority",
        "satisfaction",
        *TIMES,
    ]
    expected = {
        "A-1": "370281001001",
        "A-2": "370281001001",
        "B-1": "370281002001",
        "B-2": "370281002001",
    }
    tiny = rows.drop(index="N0")
    assert (tiny["community_code"] == tiny["grid_code"].map(expected)).all()
    assert pd.isna(rows.loc["N0", "community_code"]) and rows.loc["N0", "id"] == loose
    rated = rows["satisfaction"].dropna()
    assert rated.sort_index().to_dict() == {"T4": 5.0, "T5": 4.0}
    assert rows["priority"].dtype == "int64" and rows["id"].dtype == "int64"
    assert rows.loc["T2", "status"] == "reported" and rows.loc["T2", "channel"] == "hotline"
    some = city_store.review_rows([1, 3])
    assert sorted(some["public_id"]) == ["T1", "T3"]
    assert len(city_store.review_rows([])) == 0


def test_review_units_are_the_city_without_shapes(city_store):
    parts = city_store.review_units()
    assert set(parts) == {"towns", "communities", "grids"}
    assert parts["towns"]["code"].tolist() == [TOWN_A, TOWN_B]
    assert parts["towns"]["population"].tolist() == [6000, 4000]
    assert parts["communities"]["town_code"].tolist() == [TOWN_A, TOWN_B]
    grids = parts["grids"].set_index("code")
    assert list(grids.index) == ["A-1", "A-2", "B-1", "B-2"]
    assert grids.loc["B-2", "worker_name"] == "王芳"
    assert grids.loc["A-1", "worker_phone"] == "13800000001"
    assert grids.loc["A-1", ["minx", "miny", "maxx", "maxy"]].tolist() == pytest.approx(
        [120.0, 36.0, 120.01, 36.02]
    )
    assert all("geometry" not in frame.columns for frame in parts.values())


# --- the incident cache ------------------------------------------------------------------


@pytest.fixture
def counted_reads(city_store, monkeypatch):
    """The store with its reads counted: how often rows and changes are read."""
    calls = {"rows": 0, "changes": 0}
    rows, changes = city_store.review_rows, city_store.changed_entities

    def review_rows(ids=None):
        calls["rows"] += 1
        return rows(ids)

    def changed_entities(since, limit):
        calls["changes"] += 1
        return changes(since, limit)

    monkeypatch.setattr(city_store, "review_rows", review_rows)
    monkeypatch.setattr(city_store, "changed_entities", changed_entities)
    return city_store, calls


def test_the_first_frame_loads_everything_and_an_unchanged_store_is_not_read_again(
    counted_reads,
):
    store, calls = counted_reads
    cache = IncidentCache(store)
    first = cache.frame()
    assert (cache.loads, cache.patches, calls["rows"]) == (1, 0, 1)
    assert first["public_id"].tolist() == ["T5", "T4", "T3", "T1", "T2"]  # by reported_at
    again = cache.frame()
    assert again is first
    assert (cache.loads, cache.patches, calls["rows"], calls["changes"]) == (1, 0, 1, 0)


def test_a_new_incident_is_patched_in(counted_reads):
    store, calls = counted_reads
    cache = IncidentCache(store)
    cache.frame()
    new_id = store.add_incident(incident("N1", "B-1", TOWN_B, NOW - HOUR / 2), actor="tester")
    frame = cache.frame()
    assert (cache.loads, cache.patches) == (1, 1)
    assert calls["rows"] == 2  # the load, then the one new row by id
    assert len(frame) == 6
    row = frame.set_index("id").loc[new_id]
    assert (row["public_id"], row["community_code"], row["status"]) == (
        "N1",
        "370281002001",
        "registered",
    )
    assert frame["reported_at"].is_monotonic_increasing
    cache.frame()
    assert (cache.loads, cache.patches, calls["rows"]) == (1, 1, 2)


def test_a_lifecycle_action_is_patched_in(counted_reads):
    store, _ = counted_reads
    cache = IncidentCache(store)
    t2 = ids_by_public_id(store)["T2"]
    assert cache.frame().set_index("id").loc[t2, "status"] == "reported"
    store.apply_action(t2, "reject", actor="值班员", note="不属于受理范围")
    frame = cache.frame()
    assert (cache.loads, cache.patches) == (1, 1)
    assert len(frame) == 5
    assert frame.set_index("id").loc[t2, "status"] == "rejected"


def test_the_patched_frame_equals_a_fresh_read(city_store):
    cache = IncidentCache(city_store)
    cache.frame()
    ids = ids_by_public_id(city_store)
    city_store.add_incident(incident("N1", "A-2", TOWN_A, NOW - 100 * HOUR), actor="tester")
    city_store.apply_action(ids["T2"], "register", actor="值班员")
    city_store.apply_action(ids["T1"], "dispatch", actor="值班员")
    patched = cache.frame()
    assert (cache.loads, cache.patches) == (1, 1)  # three changes, one read
    fresh = city_store.review_rows().sort_values(["reported_at", "id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(patched, fresh, check_dtype=False)


def test_a_change_that_is_not_an_incident_reads_no_rows(counted_reads):
    store, calls = counted_reads
    cache = IncidentCache(store)
    cache.frame()
    store.record_positions(
        [{"cadre_id": 1, "lon": 120.007, "lat": 36.012, "recorded_at": NOW}], actor="field"
    )
    cache.frame()
    assert (cache.loads, cache.patches, calls["rows"], calls["changes"]) == (1, 0, 1, 1)
    cache.frame()  # the feed position was taken: nothing asked again
    assert calls["changes"] == 1


def test_loading_the_city_anew_reloads(counted_reads):
    store, calls = counted_reads
    cache = IncidentCache(store)
    assert len(cache.frame()) == 5
    city = tiny_city()
    city.incidents = city.incidents.iloc[:2]
    store.load_city(city, replace=True)
    frame = cache.frame()
    assert (cache.loads, cache.patches, calls["rows"]) == (2, 0, 2)
    assert sorted(frame["public_id"]) == ["T1", "T2"]


def test_one_cache_per_store(city_store):
    cache = incident_cache(city_store)
    assert incident_cache(city_store) is cache
    assert len(cache.frame()) == 5


# --- build_review ----------------------------------------------------------------------------


def codes(frame: pd.DataFrame, column: str = "code") -> list[str]:
    return sorted(frame[column]) if len(frame) else []


def test_a_town_leader_asking_for_the_city_gets_their_town(review_store):
    review = build_review(review_store, query(**JUNE), LEADER_A, now=NOW)
    assert review.query.area == ("town", TOWN_A) and review.query.town == TOWN_A
    assert review.notice is None
    assert codes(review.grids) == ["A-1", "A-2"]
    assert review.totals["incidents"] == 3  # T1, T2, T5
    assert review.unit_level == "community" and codes(review.units) == ["370281001001"]
    assert set(review.league["town_code"]) == {TOWN_A}
    assert review.names == {"city": "全市", "town": "甲街道"}
    assert review.hot_spots.empty or set(review.hot_spots["town_code"]) <= {TOWN_A}


def test_a_city_leader_sees_every_town(review_store):
    review = build_review(review_store, query(**JUNE), CITY, now=NOW, lang="en")
    assert review.query.area == ("city", None) and review.query.town is None
    assert codes(review.grids) == ["A-1", "A-2", "B-1", "B-2"]
    assert review.unit_level == "town" and codes(review.units) == [TOWN_A, TOWN_B]
    assert review.grids["rank"].tolist() == [1, 2, 3, 4]  # the map's grids, ranked
    assert review.grids["code"].iloc[0] == "A-1"  # two incidents, the most
    assert review.totals["incidents"] == 5
    assert review.names == {"city": "City"}


def test_a_town_leader_asking_for_another_town_is_forbidden(review_store):
    for args in (
        {"town": TOWN_B},
        {"community": "370281002001"},
        {"grid": "B-1"},
        {"town": TOWN_B, "from": "2026-06-20", "to": "2026-06-01"},
    ):
        with pytest.raises(Forbidden):
            build_review(review_store, query(**{**JUNE, **args}), LEADER_A, now=NOW)
    # The same questions from the city are answered.
    assert (
        build_review(review_store, query(**JUNE, grid="B-1"), CITY, now=NOW).totals["incidents"]
        == 1
    )


def test_an_unknown_area_is_not_found(review_store):
    for args in (
        {"town": "370281999"},
        {"community": "370281999001"},
        {"grid": "Z-9"},
        {"town": TOWN_A, "grid": "B-1"},
        {"town": TOWN_A, "community": "370281002001"},
    ):
        with pytest.raises(NotFound):
            build_review(review_store, query(**JUNE, **args), CITY, now=NOW)


def test_a_reversed_period_shows_every_grid_with_nothing_counted(review_store):
    backwards = query(**{"from": "2026-06-20", "to": "2026-06-01"})
    for principal, grids in ((CITY, 4), (LEADER_A, 2)):
        review = build_review(review_store, backwards, principal, now=NOW)
        assert review.notice == "reversed"
        assert len(review.grids) == grids
        assert (review.grids[COUNTS] == 0).all().all()
        assert review.grids["closure_rate"].isna().all()
        assert len(review.trend) == 0 and len(review.categories) == 0
        assert len(review.hot_spots) == 0 and len(review.league) == 0
        assert review.bounds is not None


def test_an_empty_period_shows_every_grid_and_empty_tables(review_store):
    review = build_review(
        review_store, query(**{"from": "2026-05-01", "to": "2026-05-31"}), CITY, now=NOW
    )
    assert review.notice == "empty"
    assert codes(review.grids) == ["A-1", "A-2", "B-1", "B-2"]
    assert (review.grids[COUNTS] == 0).all().all()
    assert review.totals["incidents"] == 0 and pd.isna(review.totals["closure_rate"])
    assert len(review.categories) == 0 and len(review.hot_spots) == 0
    assert len(review.trend) == 31 and (review.trend["incidents"] == 0).all()
    assert review.league["rank"].isna().all()
    assert (review.units["incidents"] == 0).all() and review.units["rank"].tolist() == [1, 2]


def test_a_town_without_incidents_in_the_period_is_empty(review_store):
    day = {"from": "2026-06-20", "to": "2026-06-20"}  # only T1 and T2, both in town A
    town_b = build_review(review_store, query(**day, town=TOWN_B), CITY, now=NOW)
    assert town_b.notice == "empty"
    assert codes(town_b.grids) == ["B-1", "B-2"] and (town_b.grids["incidents"] == 0).all()
    town_a = build_review(review_store, query(**day, town=TOWN_A), CITY, now=NOW)
    assert town_a.notice is None and town_a.totals["incidents"] == 2


def test_a_town_with_no_incidents_at_all_is_empty(store):
    city = review_city()
    city.incidents = city.incidents[city.incidents["town_code"] == TOWN_A]
    store.load_city(city)
    review = build_review(store, query(period="year", town=TOWN_B), CITY, now=NOW)
    assert review.notice == "empty" and review.totals["incidents"] == 0
    assert codes(review.grids) == ["B-1", "B-2"]


def test_counts_of_a_town_are_the_sums_over_its_grids(review_store):
    city = build_review(review_store, query(**JUNE), CITY, now=NOW)
    towns = city.units.set_index("code")
    for town in (TOWN_A, TOWN_B):
        grids = city.grids[city.grids["town_code"] == town]
        assert towns.loc[town, COUNTS].tolist() == grids[COUNTS].sum().tolist(), town
        alone = build_review(review_store, query(**JUNE, town=town), CITY, now=NOW)
        assert [alone.totals[c] for c in COUNTS] == grids[COUNTS].sum().tolist(), town
        assert alone.grids[COUNTS].sum().tolist() == grids[COUNTS].sum().tolist(), town
    assert [city.totals[c] for c in COUNTS] == city.grids[COUNTS].sum().tolist()
    # The figures themselves (review_city's docstring).
    assert towns.loc[TOWN_A, "closure_rate"] == pytest.approx(1 / 3)
    assert towns.loc[TOWN_B, "closure_rate"] == pytest.approx(1 / 2)
    assert towns.loc[TOWN_B, "breaches"] == 1  # T3 is open past its deadline
    assert city.totals["satisfaction_rate"] == 1.0  # ratings 5 and 4


def test_filters_and_drilling_down_to_a_grid(review_store):
    garbage = build_review(review_store, query(**JUNE, category="garbage"), CITY, now=NOW)
    assert garbage.totals["incidents"] == 1  # T3
    hotline = build_review(review_store, query(**JUNE, channel="hotline,plaza"), CITY, now=NOW)
    assert hotline.totals["incidents"] == 2  # T2, T5
    grid = build_review(review_store, query(**JUNE, grid="A-1"), LEADER_A, now=NOW)
    assert grid.query.town == TOWN_A and grid.unit_level is None
    assert codes(grid.grids) == ["A-1", "A-2"]  # the map shows the grid's community
    assert grid.totals["incidents"] == 2
    assert grid.grid["name"] == "甲社区第1网格" and grid.grid["worker_name"] == "张伟"
    assert grid.incidents["public_id"].tolist() == ["T2", "T1"]  # newest first
    assert grid.names["grid"] == "甲社区第1网格" and grid.names["community"] == "甲社区"


def test_a_grid_worker_phone_is_masked_for_a_caller_without_contacts(review_store):
    """The review masks it where it is read, so no page or export has to."""
    grid = build_review(review_store, query(**JUNE, grid="A-1"), LEADER_A, now=NOW)
    assert not LEADER_A.can(CONTACTS)
    assert grid.grid["worker_phone"] == "138****0001"
    phones = grid.grids.set_index("code")["worker_phone"]
    assert phones["A-1"] == "138****0001"
    assert "13800000001" not in phones.tolist()


def test_a_grid_worker_phone_is_whole_for_a_caller_with_contacts(review_store):
    assert OPERATOR.can(CONTACTS)
    grid = build_review(review_store, query(**JUNE, grid="A-1"), OPERATOR, now=NOW)
    assert grid.grid["worker_phone"] == "13800000001"
    assert grid.grids.set_index("code").loc["A-1", "worker_phone"] == "13800000001"


def test_a_quarter_is_shown_by_week(review_store):
    review = build_review(review_store, query(period="quarter"), CITY, now=NOW)
    assert review.query.period.start == dt.date(2026, 4, 1)
    assert review.trend.attrs["step"] == "W"
    assert review.trend["incidents"].sum() == 5
    assert review.trend["start"].iloc[0] == dt.date(2026, 3, 30)  # the Monday before


def test_the_review_sees_new_incidents_without_a_reload(store):
    store.load_city(review_city())
    before = build_review(store, query(**JUNE), CITY, now=NOW)
    loads = incident_cache(store).loads
    store.add_incident(incident("N1", "B-2", TOWN_B, NOW - HOUR), actor="tester")
    after = build_review(store, query(**JUNE), CITY, now=NOW)
    assert after.totals["incidents"] == before.totals["incidents"] + 1
    assert after.grids.set_index("code").loc["B-2", "incidents"] == 2
    assert incident_cache(store).loads == loads


@pytest.fixture
def hot_store(store):
    """The review city with a year of even history and a June surge in A-1 and B-1.

    In June: A-1 17, A-2 1, B-1 16, B-2 1 of 35, against an even quarter each:
    8.75 expected, about twice as many in A-1 and B-1.
    """
    city = review_city()
    extra = []
    for k, grid in enumerate(["A-1", "A-2", "B-1", "B-2"] * 20):
        town = TOWN_A if grid.startswith("A") else TOWN_B
        extra.append(incident(f"H{k}", grid, town, NOW - dt.timedelta(days=100 + k % 50)))
    for k in range(15):
        extra.append(incident(f"S{k}", "A-1", TOWN_A, NOW - dt.timedelta(days=5, hours=k)))
        extra.append(incident(f"R{k}", "B-1", TOWN_B, NOW - dt.timedelta(days=6, hours=k)))
    city.incidents = pd.concat([city.incidents, pd.DataFrame(extra)], ignore_index=True)
    store.load_city(city)
    return store


def test_the_hot_spots_shown_lie_in_the_area(hot_store):
    city = build_review(hot_store, query(**JUNE), CITY, now=NOW)
    assert codes(city.hot_spots, "grid_code") == ["A-1", "B-1"]
    assert (city.hot_spots["ratio"] >= 1.5).all()
    town = build_review(hot_store, query(**JUNE, town=TOWN_B), CITY, now=NOW)
    assert codes(town.hot_spots, "grid_code") == ["B-1"]
    leader = build_review(hot_store, query(**JUNE), LEADER_A, now=NOW)
    assert codes(leader.hot_spots, "grid_code") == ["A-1"]
    assert set(leader.hot_spots["town_code"]) == {TOWN_A}
    grid = build_review(hot_store, query(**JUNE, grid="A-2"), CITY, now=NOW)
    assert set(grid.hot_spots["grid_code"]) <= set(grid.grids["code"])
    # The test is city-wide: the town's observed count is the same as the city's.
    assert (
        town.hot_spots.set_index("grid_code").loc["B-1", "observed"]
        == city.hot_spots.set_index("grid_code").loc["B-1", "observed"]
        == 16
    )


# --- review_tables -----------------------------------------------------------------------


def test_review_tables_in_chinese_and_english_with_rounded_numbers(review_store):
    towns = review_store.review_units()["towns"]
    for lang, closure, name, town_a in (
        ("zh", "办结率(%)", "名称", "甲街道"),
        ("en", "Closure rate (%)", "Name", "Jia Subdistrict"),
    ):
        review = build_review(review_store, query(**JUNE), CITY, now=NOW, lang=lang)
        tables = {t.key: t for t in review_tables(review, towns, lang)}
        assert list(tables) == ["grids", "units", "trend", "categories", "hot_spots", "league"]
        grids = tables["grids"].frame
        assert closure in grids.columns and name in grids.columns
        town_column = "镇街" if lang == "zh" else "Town"
        assert grids[town_column].tolist()[:2] == [town_a, town_a]
        ranked = tables["units"].frame.set_index("编码" if lang == "zh" else "Code")
        assert ranked.loc[TOWN_A, closure] == 33.3  # 1 of 3
        assert ranked.loc[TOWN_B, closure] == 50.0
        contact = "首次联系中位时长(小时)" if lang == "zh" else "Median first contact (h)"
        assert ranked.loc[TOWN_A, contact] == 1.3  # 1 h 20 min
        per_1000 = "千人诉求数" if lang == "zh" else "Per 1,000 residents"
        by_grid = grids.set_index("编码" if lang == "zh" else "Code")
        assert by_grid.loc["A-1", per_1000] == 0.67  # 2 of 3,000
        mix = tables["categories"].frame
        share = "占比(%)" if lang == "zh" else "Share (%)"
        assert mix[share].tolist() == [20.0] * 5
        category = "类别" if lang == "zh" else "Category"
        assert ("积水内涝" if lang == "zh" else "Waterlogging") in mix[category].tolist()
    assert tables["trend"].title == "Trend"
    assert tables["units"].title == "Towns ranked by incidents"
