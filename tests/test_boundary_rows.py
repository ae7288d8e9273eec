"""Pure parts of applying an import: counts from text, table rows, incident moves."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from domain.boundary_rows import community_kind, parse_counts, table_rows, town_kind
from domain.reassign import incident_moves


def test_counts_read_thousands_separators_and_refuse_words():
    codes = pd.Series(["a", "b", "c", "d", "e"])
    numbers, problems = parse_counts(
        pd.Series(["1,234", "56.0", None, " 7 ", "约300"]), codes, "population"
    )
    assert numbers.tolist()[:2] == [1234, 56] and pd.isna(numbers[2]) and numbers[3] == 7
    assert len(problems) == 1 and problems[0].kind == "bad_number" and problems[0].codes == ("e",)
    assert "e='约300'" in problems[0].message
    _, negative = parse_counts(pd.Series(["-5"]), pd.Series(["x"]), "households")
    assert negative and negative[0].codes == ("x",)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("阜安街道", "subdistrict"), ("胶西镇", "town"), ("三里河街道办事处", "subdistrict")],
)
def test_town_kind_from_the_name(name, kind):
    assert town_kind(name) == kind


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("东关村", "village"),
        ("李哥庄村委会", "village"),
        ("云溪社区", "community"),
        ("村庄花园社区", "community"),
    ],
)
def test_community_kind_from_the_name(name, kind):
    assert community_kind(name) == kind


def test_grid_rows_take_their_town_from_the_community_and_a_label_inside():
    ring = box(120.0, 36.0, 120.02, 36.02).difference(box(120.0, 36.0, 120.015, 36.015))  # an L
    features = gpd.GeoDataFrame(
        {"code": ["G1"], "name": [" 一网格 "], "parent_code": ["C1"]}, geometry=[ring], crs=4326
    )
    rows = table_rows("grids", features, {"C1": "T1"})
    row = rows.iloc[0]
    assert (row["community_code"], row["town_code"], row["name"]) == ("C1", "T1", "一网格")
    assert ring.contains(rows.geometry.iloc[0].representative_point())
    from shapely.geometry import Point

    assert ring.contains(Point(row["lon"], row["lat"])), "the label sits inside an L-shaped grid"
    assert row["area_km2"] == pytest.approx(ring.area * 111.0 * 90.0, rel=0.05)
    assert "population" not in rows, "a count the file lacks is left to the store"


GRIDS = gpd.GeoDataFrame(
    {"code": ["N1", "N2"], "town_code": ["T1", "T2"]},
    geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
    crs=4326,
)


def test_incidents_move_to_the_grid_that_contains_them():
    incidents = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "lon": [0.5, 1.5, 5.0, 5.0],
            "lat": [0.5] * 4,
            "grid_code": ["N1", "OLD", "N2", "GONE"],
            "town_code": ["T1", "T1", "T2", "T9"],
        }
    )
    moves = incident_moves(incidents, GRIDS).set_index("id")
    assert list(moves.index) == [2, 4], "an incident already in place does not move"
    assert moves.loc[2, "new_grid"] == "N2" and moves.loc[2, "new_town"] == "T2"
    assert pd.isna(moves.loc[4, "new_grid"]) and moves.loc[4, "new_town"] == "T9"


def test_outside_every_grid_an_incident_keeps_a_grid_that_still_exists():
    incidents = pd.DataFrame(
        {"id": [1], "lon": [5.0], "lat": [0.5], "grid_code": ["N2"], "town_code": ["T2"]}
    )
    assert incident_moves(incidents, GRIDS).empty


def test_in_overlapping_grids_an_incident_stays_in_its_own():
    overlapping = gpd.GeoDataFrame(
        {"code": ["A", "B"], "town_code": ["T", "T"]},
        geometry=[box(0, 0, 2, 1), box(1, 0, 3, 1)],
        crs=4326,
    )
    incidents = pd.DataFrame(
        {
            "id": [1, 2],
            "lon": [1.5, 1.5],
            "lat": [0.5, 0.5],
            "grid_code": ["B", "X"],
            "town_code": ["T", "T"],
        }
    )
    moves = incident_moves(incidents, overlapping)
    assert list(moves["id"]) == [2] and moves["new_grid"].iloc[0] == "A"
