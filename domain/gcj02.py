"""GCJ-02 ("火星坐标"), the obfuscated datum of Chinese web maps, and back to WGS84.

Boundaries traced on a Chinese web map (Amap, Tencent) are in GCJ-02: WGS84
moved by a few hundred metres, by a published closed-form offset that
depends on the place. Going from WGS84 to GCJ-02 is that formula; going back
has no closed form, so the offset is removed by fixed-point iteration, which
converges to well under a centimetre in a few steps. Points outside China
are not shifted (the offset only applies inside).

Pure numpy: arrays of lon and lat in, arrays out.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the offset is defined
_EE = 0.00669342162296594323  # its first eccentricity squared
_ITERATIONS = 6


def outside_china(lon, lat) -> np.ndarray:
    """True where the offset does not apply (the rough box the formula is used in)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _shift_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    pi = np.pi
    out = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    out += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    out += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    out += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    return out


def _shift_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    pi = np.pi
    out = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    out += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    out += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    out += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    return out


def offset(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (degrees) at WGS84 points; zero outside China."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    x, y = lon - 105.0, lat - 35.0
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    root = np.sqrt(magic)
    dlat = _shift_lat(x, y) * 180.0 / ((_A * (1 - _EE)) / (magic * root) * np.pi)
    dlon = _shift_lon(x, y) * 180.0 / (_A / root * np.cos(rad) * np.pi)
    out = outside_china(lon, lat)
    return np.where(out, 0.0, dlon), np.where(out, 0.0, dlat)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 to GCJ-02."""
    dlon, dlat = offset(lon, lat)
    return np.asarray(lon, float) + dlon, np.asarray(lat, float) + dlat


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to WGS84: the point whose GCJ-02 position is (lon, lat)."""
    gx, gy = np.asarray(lon, float), np.asarray(lat, float)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(_ITERATIONS):
        fx, fy = wgs84_to_gcj02(wx, wy)
        wx, wy = wx - (fx - gx), wy - (fy - gy)
    return wx, wy
