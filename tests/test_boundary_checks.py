"""Checks of imported boundaries (issue 9), on shapes made here, areas worked
out by hand: a 0.001° step near 36° N is about 90 m east-west by 111 m north-south."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Polygon, box

from domain.boundary_checks import area_m2, check_boundaries

TOWN = gpd.GeoDataFrame(
    {"code": ["T1"]}, geometry=[box(120.00, 36.00, 120.02, 36.01)], crs="EPSG:4326"
)


def grids(shapes, codes=None, parents=None):
    codes = codes or [f"G{n}" for n in range(len(shapes))]
    return gpd.GeoDataFrame(
        {"code": codes, "parent_code": parents or ["T1"] * len(shapes)},
        geometry=shapes,
        crs="EPSG:4326",
    )


def test_a_clean_tiling_has_no_problem():
    result = check_boundaries(
        grids([box(120.00, 36.00, 120.01, 36.01), box(120.01, 36.00, 120.02, 36.01)]), TOWN
    )
    assert result.problems == [] and result.blocking == []


def test_an_overlap_and_the_gap_it_leaves_are_reported_with_their_areas():
    # G1 slides 0.001° west over G0: a 0.001° strip shared, and a 0.001° strip
    # of the town left uncovered at the east end. Each about 90 m × 1,110 m.
    result = check_boundaries(
        grids([box(120.00, 36.00, 120.01, 36.01), box(120.009, 36.00, 120.019, 36.01)]), TOWN
    )
    overlap = [p for p in result.problems if p.kind == "overlap"]
    gap = [p for p in result.problems if p.kind == "gap"]
    assert [p.codes for p in overlap] == [("G0", "G1")]
    assert overlap[0].area_m2 == pytest.approx(90.0 * 1110, rel=0.03)
    assert gap[0].codes == ("T1",) and gap[0].area_m2 == pytest.approx(90.0 * 1110, rel=0.03)
    assert result.blocking == []  # reported, for the user to accept or cancel


def test_a_grid_outside_its_town_and_an_unknown_parent():
    result = check_boundaries(
        grids(
            [box(120.00, 36.00, 120.01, 36.011), box(120.01, 36.00, 120.02, 36.01)],
            parents=["T1", "T9"],
        ),
        TOWN,
    )
    outside = [p for p in result.problems if p.kind == "outside_parent"]
    assert outside[0].codes == ("G0", "T1")
    assert outside[0].area_m2 == pytest.approx(900 * 111, rel=0.05)  # 0.01° × 0.001°
    assert [p.codes for p in result.blocking] == [("G1",)]  # no town T9


def test_a_bow_tie_is_repaired_and_a_line_is_refused():
    bow_tie = Polygon([(120.00, 36.00), (120.01, 36.01), (120.01, 36.00), (120.00, 36.01)])
    result = check_boundaries(grids([bow_tie, LineString([(120.0, 36.0), (120.01, 36.0)])]))
    kinds = {p.kind: p for p in result.problems}
    # make_valid keeps both triangles: the same area as the ring drawn, so it is
    # safe; the line is not a grid.
    assert "repaired" in kinds and result.features.geometry.iloc[0].is_valid
    assert result.features.geometry.iloc[0].geom_type == "MultiPolygon"
    assert [p.kind for p in result.blocking] == ["not_polygon"]


def test_duplicate_and_missing_codes_block_the_import():
    shapes = [
        box(120.00, 36.00, 120.005, 36.01),
        box(120.005, 36.00, 120.01, 36.01),
        box(120.01, 36.00, 120.02, 36.01),
    ]
    result = check_boundaries(grids(shapes, codes=["A", "A", " "]))
    assert sorted(p.kind for p in result.blocking) == ["duplicate_code", "missing_code"]


def test_features_must_be_in_wgs84():
    with pytest.raises(ValueError, match="WGS84"):
        check_boundaries(grids([box(120.0, 36.0, 120.01, 36.01)]).to_crs("EPSG:4549"))


def test_the_real_osm_towns_of_jiaozhou_check_clean_enough():
    """The 12 OpenStreetMap town polygons: mapped by their own column names,
    no blocking problem; their area matches the file's own figure."""
    from pathlib import Path

    from domain.field_mapping import guess_mapping

    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "jiaozhou_towns.geojson"
    if not path.exists():
        pytest.skip("../shared/data/jiaozhou_towns.geojson is not here")
    towns = gpd.read_file(path)
    mapping = guess_mapping(towns.columns)
    assert mapping["code"] == "code" and mapping["name"] == "name"
    result = check_boundaries(towns[["code", "geometry"]])
    assert result.blocking == [] and len(result.features) == 12
    for shape, km2 in zip(result.features.geometry, towns["area_km2"], strict=True):
        assert area_m2(shape) / 1e6 == pytest.approx(km2, rel=0.02)
    # Neighbouring towns drawn by volunteers may overlap a little, never much.
    assert all(p.area_m2 < 0.01 * 50e6 for p in result.problems if p.kind == "overlap")
