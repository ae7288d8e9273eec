"""What workers derive from the boundaries is held per store object, never per
``id(store)`` (services.geometry_cache): Python reuses a freed object's id."""

from __future__ import annotations

import gc

import pytest

import services.events as events
import services.feeds as feeds
import services.review as review
import services.review_files as review_files
from data.store import Store
from services.geometry_cache import PerGeometry
from tests.tiny_city import tiny_city


def _store(url: str, town_name: str) -> Store:
    city = tiny_city()
    city.towns.loc[0, "name"] = town_name
    store = Store.open(url)
    store.load_city(city)
    return store


@pytest.fixture
def two_cities(tmp_path, monkeypatch):
    """Two stores of one process, same geometry version, different first town,
    and ``id`` giving every object the same number in the caching modules, as
    Python may give a freed store's id to the next one."""
    for module in (events, feeds, review, review_files):
        monkeypatch.setattr(module, "id", lambda _: 7, raising=False)
    first = _store(f"sqlite:///{tmp_path / 'first.db'}", "甲街道")
    second = _store(f"sqlite:///{tmp_path / 'second.db'}", "丙街道")
    assert first.geometry_version() == second.geometry_version()
    yield first, second
    first.close()
    second.close()


def _first_town(frame) -> str:
    return frame.set_index("code").loc["370281001", "name"]


def test_each_store_gets_its_own_city_whatever_its_id(two_cities):
    first, second = two_cities
    for store, name in ((first, "甲街道"), (second, "丙街道"), (first, "甲街道")):
        assert _first_town(review.units(store).towns) == name
        assert _first_town(events.city(store).towns) == name
        assert _first_town(review_files.city_shapes(store)[1]) == name


def test_a_boundary_change_builds_again_and_a_value_goes_with_its_store(tmp_path):
    built: list[int] = []
    held = PerGeometry(lambda store: built.append(store.geometry_version()) or len(built))
    store = _store(f"sqlite:///{tmp_path / 'city.db'}", "甲街道")
    assert held(store) == held(store) == 1  # built once
    store.load_city(tiny_city(), replace=True)  # every boundary again: a new version
    assert held(store) == 2 and built[1] > built[0]
    store.close()
    del store
    gc.collect()
    assert len(held._held) == 0  # nothing keeps a closed store alive
