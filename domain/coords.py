"""Chinese map coordinate systems: WGS84, GCJ-02 and BD-09.

Phones in China get positions from map SDKs that shift them on purpose: Amap
(Gaode) and Tencent give GCJ-02 ("Mars coordinates"), Baidu gives BD-09, a
further transform of GCJ-02. The product stores WGS84 (EPSG:4326) everywhere,
so every position is converted on the way in and, for exports to those maps,
on the way out.

GCJ-02 is the published forward transform (Krasovsky 1940 ellipsoid plus a sum
of sines; offsets of a few hundred metres). It has no closed inverse, so WGS84
is found by fixed-point iteration on the forward transform. All angles are
degrees of longitude (east positive) and latitude (north positive).
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata

import numpy as np

from domain.errors import InvalidInput

CRS_CHOICES: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

# The GCJ-02 algorithm works on the Krasovsky 1940 ellipsoid, not WGS84's.
_A = 6378245.0  # semi-major axis, m
_EE = 0.00669342162296594323  # first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0  # BD-09's angular constant
_TOLERANCE = 1e-7  # degrees, about 1 cm on the ground
_MAX_ITERATIONS = 10  # the offset varies slowly: 3-4 iterations reach the tolerance

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def _in_china(lon, lat):
    """True inside the rough mainland-China box where GCJ-02 applies an offset."""
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offset (dlon, dlat) in degrees that GCJ-02 adds to a WGS84 position; 0 outside China."""
    # sin(inf) warns; such inputs are outside China anyway and get no offset.
    with np.errstate(invalid="ignore"):
        x = lon - 105.0
        y = lat - 35.0
        wave = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        dlat = (
            -100.0
            + 2.0 * x
            + 3.0 * y
            + 0.2 * y * y
            + 0.1 * x * y
            + 0.2 * np.sqrt(np.abs(x))
            + wave
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
        )
        dlon = (
            300.0
            + x
            + 2.0 * y
            + 0.1 * x * x
            + 0.1 * x * y
            + 0.1 * np.sqrt(np.abs(x))
            + wave
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
        )
        # The sums above are metres; turn them into degrees with the meridional
        # and prime-vertical radii of curvature at this latitude.
        rad = np.radians(lat)
        w = 1.0 - _EE * np.sin(rad) ** 2
        dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (w * np.sqrt(w)) * np.pi)
        dlon = dlon * 180.0 / (_A / np.sqrt(w) * np.cos(rad) * np.pi)
        inside = _in_china(lon, lat)
        return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _arrays(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    lon = np.asarray(lons, dtype=np.float64)
    lat = np.asarray(lats, dtype=np.float64)
    if lon.shape != lat.shape:
        raise InvalidInput(
            f"longitudes and latitudes must have the same shape, not {lon.shape} and {lat.shape}"
        )
    return lon, lat


def _invert(forward, lon: np.ndarray, lat: np.ndarray, guess) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x) == (lon, lat)`` by fixed-point iteration from ``guess``.

    Works because each forward transform is the identity plus a small, slowly
    varying offset, so the map ``x - (forward(x) - target)`` is a contraction.
    NaN inputs stay NaN and do not hold up the loop.
    """
    x_lon, x_lat = guess
    with np.errstate(invalid="ignore"):  # inf - inf: infinities come out as NaN
        for _ in range(_MAX_ITERATIONS):
            f_lon, f_lat = forward(x_lon, x_lat)
            e_lon, e_lat = f_lon - lon, f_lat - lat
            x_lon, x_lat = x_lon - e_lon, x_lat - e_lat
            error = np.abs(np.concatenate([np.ravel(e_lon), np.ravel(e_lat)]))
            if np.max(error, initial=0.0, where=np.isfinite(error)) < _TOLERANCE:
                break
    return x_lon, x_lat


def wgs84_to_gcj02_array(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 longitudes and latitudes (degrees) of WGS84 ones (arrays of one shape)."""
    lon, lat = _arrays(lons, lats)
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_bd09_array(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 longitudes and latitudes (degrees) of GCJ-02 ones (arrays of one shape)."""
    lon, lat = _arrays(lons, lats)
    with np.errstate(invalid="ignore"):  # infinities give NaN, without a warning
        z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
        theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def gcj02_to_wgs84_array(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitudes and latitudes (degrees) of GCJ-02 ones, to better than 1e-7 degrees."""
    lon, lat = _arrays(lons, lats)
    dlon, dlat = _gcj_offset(lon, lat)  # one step already gets within a few metres
    return _invert(wgs84_to_gcj02_array, lon, lat, (lon - dlon, lat - dlat))


def bd09_to_gcj02_array(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 longitudes and latitudes (degrees) of BD-09 ones, to better than 1e-7 degrees."""
    lon, lat = _arrays(lons, lats)
    # The usual closed-form inverse is off by up to ~1e-6 degrees; use it as the
    # starting point and let the iteration finish the job.
    x, y = lon - 0.0065, lat - 0.006
    with np.errstate(invalid="ignore"):
        z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
        theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _invert(gcj02_to_bd09_array, lon, lat, (z * np.cos(theta), z * np.sin(theta)))


def normalize_crs(crs: str) -> str:
    """``crs`` in lower case, checked against ``CRS_CHOICES``; ``InvalidInput`` if unknown."""
    name = crs.strip().lower() if isinstance(crs, str) else crs
    if name not in CRS_CHOICES:
        raise InvalidInput(f"crs must be one of {', '.join(CRS_CHOICES)}, not {crs!r}")
    return name


def to_wgs84_array(lons, lats, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitudes and latitudes (degrees) of positions given in ``crs``.

    Parameters
    ----------
    lons, lats : array_like of float
        Longitudes and latitudes in degrees, of the same shape; NaN stays NaN and
        infinities become NaN (check positions with ``check_lonlat`` first).
    crs : str
        "wgs84", "gcj02" (Amap, Tencent) or "bd09" (Baidu), any case.

    Returns
    -------
    tuple of ndarray
        WGS84 (EPSG:4326) longitudes and latitudes in degrees, new arrays.
    """
    name = normalize_crs(crs)
    lon, lat = _arrays(lons, lats)
    if name == "gcj02":
        return gcj02_to_wgs84_array(lon, lat)
    if name == "bd09":
        return gcj02_to_wgs84_array(*bd09_to_gcj02_array(lon, lat))
    return lon.copy(), lat.copy()


def from_wgs84_array(lons, lats, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``crs`` of WGS84 longitudes and latitudes (degrees), e.g. for exports."""
    name = normalize_crs(crs)
    lon, lat = _arrays(lons, lats)
    if name == "gcj02":
        return wgs84_to_gcj02_array(lon, lat)
    if name == "bd09":
        return gcj02_to_bd09_array(*wgs84_to_gcj02_array(lon, lat))
    return lon.copy(), lat.copy()


def _pair(result: tuple[np.ndarray, np.ndarray]) -> tuple[float, float]:
    return float(result[0]), float(result[1])


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 (lon, lat) in degrees of a WGS84 position; unchanged outside China."""
    return _pair(wgs84_to_gcj02_array(lon, lat))


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 (lon, lat) in degrees of a GCJ-02 position."""
    return _pair(gcj02_to_bd09_array(lon, lat))


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """WGS84 (lon, lat) in degrees of a position in ``crs`` ("wgs84", "gcj02", "bd09")."""
    return _pair(to_wgs84_array(lon, lat, crs))


def from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """(lon, lat) in degrees in ``crs`` of a WGS84 position."""
    return _pair(from_wgs84_array(lon, lat, crs))


def check_degrees(value, field: str, low: float, high: float) -> float:
    """``value`` as a float in degrees within [low, high]; ``InvalidInput`` naming ``field``.

    Accepts numbers and numeric strings (full-width digits too); rejects booleans,
    NaN, infinities, empty and non-numeric text.
    """
    problem = f"{field} must be a number between {low:g} and {high:g}, not "
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(f"{field} is required")
    if isinstance(value, str):
        # NFKC turns full-width digits from Chinese input methods into ASCII.
        text = unicodedata.normalize("NFKC", value).strip()
        if not _NUMBER.fullmatch(text):  # also refuses "nan", "inf" and "1_0"
            raise InvalidInput(problem + shown)
        number = float(text)
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
    else:
        raise InvalidInput(problem + shown)
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidInput(problem + shown)
    return number


def check_lonlat(
    lon, lat, *, lon_field: str = "lon", lat_field: str = "lat"
) -> tuple[float, float]:
    """Longitude and latitude as floats, checked.

    Parameters
    ----------
    lon, lat : str or float
        Degrees, as typed or sent (e.g. "120.03"); any CRS, only ranges are checked.
    lon_field, lat_field : str
        Field names used in messages (Open311 forms call longitude "long").

    Returns
    -------
    tuple of float
        (lon, lat) in degrees, lon in [-180, 180], lat in [-90, 90].

    Raises
    ------
    InvalidInput
        Naming every bad field, e.g. "lat must be a number between -90 and 90, not 'abc'".
    """
    problems, values = [], []
    for value, field, limit in ((lon, lon_field, 180.0), (lat, lat_field, 90.0)):
        try:
            values.append(check_degrees(value, field, -limit, limit))
        except InvalidInput as error:
            problems.append(str(error))
    if problems:
        raise InvalidInput("; ".join(problems))
    return values[0], values[1]
