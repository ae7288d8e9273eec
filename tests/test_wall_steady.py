"""The wall's worker reads the grids and cadres again only when something
other than new reports changed (dashboard.map_view.steady_inputs), and shares
panels and layer edits between its screens (dashboard.view_cache.memo)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard import map_view, view_cache
from dashboard.live import layer_digests
from dashboard.pages.command_map import map_updates, shared_panels

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
# One report, as tests/tiny_city.py places them (grid A-1 of town 370281001).
REPORT = dict(channel="app", category="garbage", description="垃圾", lon=120.001, lat=36.001)
REPORT |= dict(grid_code="A-1", town_code="370281001", priority=3)


def test_new_reports_keep_the_grids_and_cadres_anything_else_reads_them_again(
    city_store, monkeypatch
):
    monkeypatch.setattr(map_view, "_STEADY", {})
    monkeypatch.setattr(map_view, "current_minute", lambda: 1000)
    first = map_view.steady_inputs(city_store, None, city_store.latest_seq())
    for n in range(3):
        city_store.add_incident({**REPORT, "public_id": f"N{n}"}, actor="test")
    again = map_view.steady_inputs(city_store, None, city_store.latest_seq())
    assert again is first  # three new reports: nothing read again
    layer = again.cadre_layer(map_view.MapStyle(scale=1.0, lang="zh"), NOW)
    assert again.cadre_layer(map_view.MapStyle(scale=1.0, lang="zh"), NOW) is layer
    assert layer_digests({"cadres": layer}) == layer_digests({"cadres": dict(layer)})

    # A cadre moves (entity "cadre" in the feed): the cadres are read again.
    city_store.record_positions(
        [{"cadre_id": 3, "lon": 120.03, "lat": 36.02, "recorded_at": NOW}], actor="field-app"
    )
    moved = map_view.steady_inputs(city_store, None, city_store.latest_seq())
    assert moved is not first
    assert tuple(moved.cadres.set_index("id").loc[3, ["lon", "lat"]]) == (120.03, 36.02)
    assert map_view.steady_inputs(city_store, None, city_store.latest_seq()) is moved

    # A new minute reads them again too (the wall is rebuilt once a minute).
    monkeypatch.setattr(map_view, "current_minute", lambda: 1001)
    assert map_view.steady_inputs(city_store, None, city_store.latest_seq()) is not moved
    # And a town's wall has its own.
    town = map_view.steady_inputs(city_store, "370281001", city_store.latest_seq())
    assert set(town.cadres["town_code"]) <= {"370281001"}


def test_the_screens_of_one_view_share_its_panels_and_layer_edits(city_store, monkeypatch):
    monkeypatch.setattr(view_cache, "_CACHE", type(view_cache._CACHE)())
    monkeypatch.setattr(map_view, "_STEADY", {})
    before = view_cache.shared_view(city_store, lang="zh", screen=None)
    city_store.add_incident({**REPORT, "public_id": "N9"}, actor="test")
    view = view_cache.shared_view(city_store, lang="zh", screen=None)
    assert view is not before and view.change_seq > before.change_seq
    assert view.layers["cadres"] is before.layers["cadres"]  # a new report: the same cadres
    assert view.digests["incidents"] != before.digests["incidents"]
    assert shared_panels(view, "zh") is shared_panels(view, "zh")
    sent = map_updates(view, before.digests)
    again = map_updates(view, before.digests)
    assert all(a is b for a, b in zip(sent, again, strict=True))  # built once, for every screen


def fresh_reads(incidents, scope, now):
    """What the wall's picture read whole before incident_inputs (the
    reference), through the store's ``incidents``."""
    from domain.kpis import SERVICE_WINDOW
    from domain.lifecycle import OPEN_STATUSES

    return (
        incidents(sorted(OPEN_STATUSES)),
        incidents(town=scope, reported=(now - SERVICE_WINDOW, None)),
    )


def test_new_reports_are_added_to_the_incidents_held_exactly_as_a_whole_read_gives_them(
    city_store, monkeypatch
):
    """After new reports alone the open incidents and the window's reports
    are the rows held plus the new ones read by id: the same frames, row for
    row and type for type, as reading them whole; anything else, or a new
    minute, reads them whole again."""
    monkeypatch.setattr(map_view, "_INCIDENTS", {})
    monkeypatch.setattr(map_view, "current_minute", lambda: 1000)
    now = dt.datetime.now(dt.UTC)
    for scope in (None, "370281001", "370281002"):
        map_view.incident_inputs(city_store, scope, city_store.latest_seq(), now)
    reads, whole = [], city_store.incidents
    monkeypatch.setattr(city_store, "incidents", _counting(whole, reads))
    ids = [
        city_store.add_incident({**REPORT, "public_id": f"W{n}"}, actor="test") for n in range(3)
    ]
    for scope in (None, "370281001", "370281002"):
        held = map_view.incident_inputs(city_store, scope, city_store.latest_seq(), now)
        all_open, recent = fresh_reads(whole, scope, now)
        pd.testing.assert_frame_equal(held.all_open, all_open)
        pd.testing.assert_frame_equal(held.recent, recent)
    assert set(ids) <= set(held.all_open["id"])
    assert reads == [{"ids": ids}] * 3  # only the new rows, by id

    # A move of an incident (not an insert) reads them whole again: the
    # incident left the open ones.
    city_store.apply_action(ids[0], "reject", actor="test", note="不属实")
    reads.clear()
    held = map_view.incident_inputs(city_store, None, city_store.latest_seq(), now)
    assert len(reads) == 2 and ids[0] not in set(held.all_open["id"])
    pd.testing.assert_frame_equal(held.all_open, fresh_reads(whole, None, now)[0])

    # A new minute reads them whole again too.
    monkeypatch.setattr(map_view, "current_minute", lambda: 1001)
    reads.clear()
    map_view.incident_inputs(city_store, None, city_store.latest_seq(), now)
    assert len(reads) == 2


def _counting(read, calls: list):
    def counted(*args, **kwargs):
        calls.append(kwargs if set(kwargs) == {"ids"} else {"whole": True})
        return read(*args, **kwargs)

    return counted


def test_two_databases_at_the_same_feed_position_never_share_what_the_worker_read(
    tmp_path, monkeypatch
):
    """The worker's caches (the pictures, the grids and cadres, the incidents)
    are of one database: another store of the process at the same feed
    position (another database, as in a test run) reads its own."""
    from data.store import Store
    from tests.tiny_city import tiny_city

    monkeypatch.setattr(view_cache, "_CACHE", type(view_cache._CACHE)())
    monkeypatch.setattr(map_view, "_STEADY", {})
    monkeypatch.setattr(map_view, "_INCIDENTS", {})
    stores = [Store.open(f"sqlite:///{tmp_path / name}.db") for name in ("a", "b")]
    try:
        for store, category in zip(stores, ("garbage", "road"), strict=True):
            store.load_city(tiny_city())
            store.add_incident({**REPORT, "category": category, "public_id": "X1"}, actor="t")
        assert stores[0].latest_seq() == stores[1].latest_seq()
        views = [view_cache.shared_view(store, lang="zh", screen=None) for store in stores]
        firsts = [set(view.newest["category"].head(1)) for view in views]
        assert firsts == [{"garbage"}, {"road"}]
        now = dt.datetime.now(dt.UTC)
        held = [map_view.incident_inputs(s, None, s.latest_seq(), now) for s in stores]
        assert [h.all_open["category"].iloc[0] for h in held] == ["garbage", "road"]
    finally:
        for store in stores:
            store.close()


def test_a_picture_after_new_reports_reads_the_feed_once(city_store, monkeypatch):
    """The grids and cadres and the incidents ask the feed the same question
    (only new reports since?): one read answers both, and the next picture
    looks only at what came after this one."""
    monkeypatch.setattr(view_cache, "_CACHE", type(view_cache._CACHE)())
    monkeypatch.setattr(map_view, "_STEADY", {})
    monkeypatch.setattr(map_view, "_INCIDENTS", {})
    view_cache.shared_view(city_store, lang="zh", screen=None)
    reads, read = [], city_store.changes_since
    monkeypatch.setattr(
        city_store, "changes_since", lambda seq, **kw: reads.append(seq) or read(seq, **kw)
    )
    for n in range(2):
        before = city_store.latest_seq()
        city_store.add_incident({**REPORT, "public_id": f"F{n}"}, actor="test")
        view_cache.shared_view(city_store, lang="zh", screen=None)
        assert reads == [before]
        reads.clear()
