"""The demo county against the real one (OpenStreetMap polygons in ../shared/data).

The generator never reads these polygons; this test only checks that what it
makes from facts lands where the real towns are. It skips with a reason where
the reference data is absent (CI has it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from data.demo_city import generate_city

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "jiaozhou_towns.geojson"
UTM_50N = "EPSG:32650"


@pytest.fixture(scope="module")
def towns():
    if not REFERENCE.exists():
        pytest.skip(f"reference polygons not found at {REFERENCE}")
    real = gpd.read_file(REFERENCE).to_crs(UTM_50N)
    made = generate_city(now=dt.datetime(2026, 6, 20, tzinfo=dt.UTC)).towns.to_crs(UTM_50N)
    return made.merge(real[["code", "geometry"]].rename(columns={"geometry": "real"}), on="code")


def iou(a, b) -> float:
    return shapely.intersection(a, b).area / shapely.union(a, b).area


def test_generated_county_covers_the_real_one(towns):
    made = shapely.union_all(towns.geometry.to_numpy())
    real = shapely.union_all(towns["real"].to_numpy())
    assert iou(made, real) > 0.65
    assert made.area == pytest.approx(real.area, rel=0.03)


def test_each_town_lies_over_its_real_self(towns):
    assert len(towns) == 12
    for _, town in towns.iterrows():
        assert town.geometry.area == pytest.approx(town["real"].area, rel=0.1), town["name"]
        assert iou(town.geometry, town["real"]) > 0.15, town["name"]
