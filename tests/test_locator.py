"""Point in polygon over grids."""

from __future__ import annotations

from domain.locator import GridLocator, Place
from tests.tiny_city import tiny_city


def locator() -> GridLocator:
    grids = tiny_city().grids
    return GridLocator(grids["code"], grids["town_code"], grids.geometry.to_numpy())


def test_points_land_in_their_grid():
    found = locator()
    assert found.locate(120.005, 36.01) == Place("A-1", "370281001")
    assert found.locate(120.035, 36.01) == Place("B-2", "370281002")


def test_a_point_on_a_shared_edge_goes_to_the_lower_code():
    assert locator().locate(120.01, 36.01) == Place("A-1", "370281001")


def test_outside_every_grid_is_none():
    assert locator().locate(121.0, 36.01) is None
