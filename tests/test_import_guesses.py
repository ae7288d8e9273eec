"""The guesses of the import's mapping step (issue 9): the CRS of a file
without one, the GCJ-02 correction, and which column holds what."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer

from domain.crs_guess import JIAOZHOU, families, guess_crs
from domain.field_mapping import guess_mapping, missing_fields
from domain.gcj02 import gcj02_to_wgs84, outside_china, wgs84_to_gcj02

# A box around Jiaozhou in WGS84 degrees.
BOX = (119.80, 36.10, 120.25, 36.45)


def projected(epsg: int) -> tuple[float, float, float, float]:
    to = Transformer.from_crs(4326, epsg, always_xy=True)
    xs, ys = to.transform([BOX[0], BOX[2]], [BOX[1], BOX[3]])
    return min(xs), min(ys), max(xs), max(ys)


@pytest.mark.parametrize("epsg", [32650, 32651, 4549, 4528, 3857])
def test_the_true_crs_of_jiaozhou_data_is_the_first_guess(epsg):
    guesses = guess_crs(projected(epsg), JIAOZHOU)
    assert guesses[0].epsg == epsg and guesses[0].near
    assert guesses[0].distance_km < 30  # the data's centre lands in the city
    # The other zones of the family put the data hundreds of km away; only a
    # twin on the same central meridian (UTM and Gauss-Krüger differ by a
    # 0.04 % scale) lands nearby, which is why the user confirms the guess.
    twins = {32650: {4548}, 32651: {4550}}.get(epsg, set())
    assert {g.epsg for g in guesses[1:] if g.near} <= twins


def test_degrees_are_wgs84_or_cgcs2000_and_both_are_offered():
    guesses = guess_crs(BOX)
    assert {g.epsg for g in guesses} == {4326, 4490} and all(g.near for g in guesses)
    assert "CGCS2000" in {g.name for g in guesses} or any("2000" in g.name for g in guesses)


def test_numbers_that_fit_no_crs_give_no_guess():
    assert guess_crs((1e9, 1e9, 2e9, 2e9)) == []
    assert guess_crs((float("nan"), 0, 1, 1)) == []
    assert families(-500, -500, 500, 500) == (3857,)  # small metres: only Web Mercator fits
    assert guess_crs((-500, -500, 500, 500)) == []  # …and it puts them off China


def test_gcj02_moves_jiaozhou_a_few_hundred_metres_and_comes_back_exactly():
    lon, lat = np.array([120.03, 119.75, 120.2]), np.array([36.28, 36.15, 36.4])
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift_m = np.hypot((glon - lon) * 111_320 * np.cos(np.radians(lat)), (glat - lat) * 110_574)
    assert ((shift_m > 200) & (shift_m < 800)).all()
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    assert np.abs(back_lon - lon).max() < 1e-7 and np.abs(back_lat - lat).max() < 1e-7


def test_gcj02_leaves_points_outside_china_alone():
    lon, lat = np.array([2.35, 139.9]), np.array([48.85, 35.0])
    assert outside_china(lon, lat).tolist() == [True, True]
    out_lon, out_lat = gcj02_to_wgs84(lon, lat)
    assert out_lon.tolist() == lon.tolist() and out_lat.tolist() == lat.tolist()


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            ["网格编码", "网格名称", "所属社区编码", "常住人口", "户数", "geometry"],
            {
                "code": "网格编码",
                "name": "网格名称",
                "parent_code": "所属社区编码",
                "population": "常住人口",
                "households": "户数",
                "name_en": None,
            },
        ),
        (
            ["OBJECTID", "WGBM", "WGMC", "SQDM", "RKS", "HS"],
            {
                "code": "WGBM",
                "name": "WGMC",
                "parent_code": None,
                "population": "RKS",
                "households": "HS",
                "name_en": None,
            },
        ),
        (
            ["Grid_Code", "Name", "Town_Code", "Population", "Households"],
            {
                "code": "Grid_Code",
                "name": "Name",
                "parent_code": "Town_Code",
                "population": "Population",
                "households": "Households",
                "name_en": None,
            },
        ),
        (
            ["code", "name", "name_en", "area_km2"],
            {
                "code": "code",
                "name": "name",
                "parent_code": None,
                "population": None,
                "households": None,
                "name_en": "name_en",
            },
        ),
        (
            ["submitted", "remark"],
            {
                "code": None,
                "name": None,
                "parent_code": None,
                "population": None,
                "households": None,
                "name_en": None,
            },
        ),
    ],
)
def test_the_mapping_guess_reads_chinese_pinyin_and_english_names(columns, expected):
    assert guess_mapping(columns) == expected


def test_each_column_is_used_once_and_missing_fields_are_named():
    mapping = guess_mapping(["编码", "代码"])  # two candidates for the code, none for the name
    assert mapping["code"] == "编码" and list(mapping.values()).count("代码") <= 1
    assert missing_fields(mapping) == ["name"]
