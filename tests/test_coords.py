"""Chinese map coordinate systems: conversions and the checking of positions."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest

from domain import coords
from domain.errors import InvalidInput

GEOD = pyproj.Geod(ellps="WGS84")

# (lon, lat) WGS84, degrees: Jiaozhou, Qingdao, Beijing, Shanghai, Urumqi, Sanya, Harbin
IN_CHINA = [
    (120.0, 36.28),
    (120.033, 36.264),
    (120.3826, 36.0671),
    (116.3913, 39.9075),
    (121.4737, 31.2304),
    (87.6168, 43.8256),
    (109.5120, 18.2528),
    (126.6424, 45.7567),
]
# Tokyo, Paris, New York, Sydney, Singapore: GCJ-02 leaves these alone
ABROAD = [(139.6917, 35.6895), (2.3522, 48.8566), (-74.006, 40.7128), (151.2093, -33.8688)]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


@pytest.mark.parametrize(("lon", "lat"), IN_CHINA)
def test_gcj02_round_trip(lon, lat):
    back = coords.to_wgs84(*coords.wgs84_to_gcj02(lon, lat), "gcj02")
    assert back == pytest.approx((lon, lat), abs=1e-6)


@pytest.mark.parametrize(("lon", "lat"), IN_CHINA)
def test_bd09_round_trip(lon, lat):
    bd = coords.gcj02_to_bd09(*coords.wgs84_to_gcj02(lon, lat))
    assert coords.from_wgs84(lon, lat, "bd09") == pytest.approx(bd, abs=1e-12)
    assert coords.to_wgs84(*bd, "bd09") == pytest.approx((lon, lat), abs=1e-6)


def test_inversion_is_much_tighter_than_required():
    # The iteration stops below 1e-7 degrees; in practice it lands far closer.
    lon, lat = 120.0, 36.28
    back = coords.to_wgs84(*coords.wgs84_to_gcj02(lon, lat), "GCJ02")
    assert max(abs(back[0] - lon), abs(back[1] - lat)) < 1e-8


def test_known_gcj02_value():
    # A published reference pair for Shanghai (WGS84 → GCJ-02).
    gcj = coords.wgs84_to_gcj02(121.5272106, 31.1774276)
    assert gcj == pytest.approx((121.531541859215, 31.17530398364597), abs=1e-9)


@pytest.mark.parametrize(("lon", "lat"), [(120.0, 36.28), (120.3826, 36.0671)])
def test_offset_near_qingdao_is_a_few_hundred_metres(lon, lat):
    offset = metres((lon, lat), coords.wgs84_to_gcj02(lon, lat))
    assert 100.0 < offset < 1000.0
    # BD-09 adds roughly another kilometre on top.
    assert 500.0 < metres((lon, lat), coords.from_wgs84(lon, lat, "bd09")) < 2000.0


@pytest.mark.parametrize(("lon", "lat"), ABROAD)
def test_no_gcj02_offset_outside_china(lon, lat):
    assert coords.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert coords.to_wgs84(lon, lat, "gcj02") == (lon, lat)


def test_wgs84_is_left_alone_and_crs_is_case_insensitive():
    assert coords.to_wgs84(120.0, 36.28, "WGS84") == (120.0, 36.28)
    assert coords.to_wgs84(120.0, 36.28, " wgs84 ") == (120.0, 36.28)
    assert coords.to_wgs84(120.0, 36.28, "Bd09") != (120.0, 36.28)


@pytest.mark.parametrize("crs", ["utm", "", "epsg:4326", None])
def test_unknown_crs_lists_the_accepted_ones(crs):
    with pytest.raises(InvalidInput, match="wgs84, gcj02, bd09"):
        coords.to_wgs84(120.0, 36.28, crs)


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
def test_array_version_matches_the_scalar_one(crs):
    rng = np.random.default_rng(7)
    lons = rng.uniform(119.5, 120.5, 200)
    lats = rng.uniform(35.8, 36.6, 200)
    got_lon, got_lat = coords.to_wgs84_array(lons, lats, crs)
    assert got_lon.shape == got_lat.shape == (200,)
    for i in (0, 57, 199):
        assert (got_lon[i], got_lat[i]) == pytest.approx(coords.to_wgs84(lons[i], lats[i], crs))
    back_lon, back_lat = coords.to_wgs84_array(*coords.from_wgs84_array(lons, lats, crs), crs)
    assert np.allclose(back_lon, lons, atol=1e-6, rtol=0)
    assert np.allclose(back_lat, lats, atol=1e-6, rtol=0)


def test_array_version_mixes_china_and_abroad_and_keeps_nan():
    lons = np.array([120.0, 139.6917, np.nan])
    lats = np.array([36.28, 35.6895, 36.0])
    lon, lat = coords.to_wgs84_array(lons, lats, "gcj02")
    assert lon[0] != 120.0
    assert (lon[1], lat[1]) == (139.6917, 35.6895)
    assert math.isnan(lon[2])
    # The input is not modified in place.
    assert lons[0] == 120.0


def test_array_version_takes_empty_and_2d_input():
    lon, lat = coords.to_wgs84_array([], [], "bd09")
    assert lon.shape == lat.shape == (0,)
    lon, lat = coords.to_wgs84_array(np.full((3, 2), 120.0), np.full((3, 2), 36.28), "gcj02")
    assert lon.shape == (3, 2)


def test_array_shapes_must_match():
    with pytest.raises(InvalidInput, match="same shape"):
        coords.to_wgs84_array([120.0, 120.1], [36.0], "gcj02")


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        ("120.03", "36.28", (120.03, 36.28)),
        (" 120 ", "-36.5", (120.0, -36.5)),
        (120, 36, (120.0, 36.0)),
        ("１２０.５", "３６", (120.5, 36.0)),  # full-width digits from a Chinese IME
        ("-180", "90", (-180.0, 90.0)),
        ("1.2e2", ".5", (120.0, 0.5)),
    ],
)
def test_check_lonlat_accepts_numbers_and_numeric_text(lon, lat, expected):
    assert coords.check_lonlat(lon, lat) == expected


@pytest.mark.parametrize(
    ("lat", "message"),
    [
        ("abc", "lat must be a number between -90 and 90, not 'abc'"),
        ("91", "lat must be a number between -90 and 90, not '91'"),
        (-90.5, "lat must be a number between -90 and 90, not -90.5"),
        ("nan", "not 'nan'"),
        (float("nan"), "not nan"),
        ("inf", "not 'inf'"),
        (float("-inf"), "not -inf"),
        ("1_0", "not '1_0'"),
        ("36,28", "not '36,28'"),
        (True, "not True"),
        ([36], r"not \[36\]"),
        ("", "lat is required"),
        (None, "lat is required"),
    ],
)
def test_check_lonlat_rejects_bad_latitudes(lat, message):
    with pytest.raises(InvalidInput, match=message):
        coords.check_lonlat("120", lat)


def test_check_lonlat_names_both_fields_at_once():
    with pytest.raises(InvalidInput) as caught:
        coords.check_lonlat("east", "200", lon_field="long")
    assert str(caught.value) == (
        "long must be a number between -180 and 180, not 'east'; "
        "lat must be a number between -90 and 90, not '200'"
    )


def test_check_lonlat_shortens_long_input_in_messages():
    with pytest.raises(InvalidInput) as caught:
        coords.check_lonlat("x" * 5000, "36")
    assert len(str(caught.value)) < 120
