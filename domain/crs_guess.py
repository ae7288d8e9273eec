"""Which coordinate reference system a file without one is most likely in.

A surveying bureau's Shapefile often comes without its .prj. Its numbers
still say a lot: degrees are WGS84 or CGCS2000; easting near 500,000 m is a
transverse Mercator zone (UTM, or a Gauss-Krüger zone of CGCS2000); an
easting of tens of millions carries the Gauss-Krüger zone number in front;
about 13 million is Web Mercator. Within each family the zones differ by
where they put the data, so every candidate is tried: the data's centre is
taken back to WGS84 and the candidates are ranked by how far that lands from
the city we expect (the one already loaded, or Jiaozhou). The user confirms.

Pure: numbers in, ranked guesses out (pyproj does the transforms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from pyproj import CRS, Transformer

from domain.distance import haversine_m

JIAOZHOU = (120.03, 36.28)  # lon, lat: the default place to expect
CHINA = (73.0, 18.0, 135.5, 54.0)  # lon/lat box
GEOGRAPHIC = (4326, 4490)  # WGS84, CGCS2000
UTM_NORTH = tuple(range(32643, 32654))  # zones 43–53 N cover China
GK3_CENTRAL = tuple(range(4534, 4555))  # CGCS2000 3° Gauss-Krüger, CM 75°E … 135°E, no prefix
GK3_PREFIXED = tuple(range(4513, 4534))  # the same zones 25–45 with the zone number in front
GK6_PREFIXED = tuple(range(4491, 4502))  # CGCS2000 6° zones 13–23, zone number in front
WEB_MERCATOR = (3857,)
NEAR_KM = 150.0  # a guess landing further than this from the city is a poor one


@dataclass(frozen=True)
class CrsGuess:
    """One candidate: its EPSG code, name, and where it puts the data."""

    epsg: int
    name: str
    lon: float  # the data's centre in WGS84 under this CRS
    lat: float
    distance_km: float  # from the expected place

    @property
    def near(self) -> bool:
        return self.distance_km <= NEAR_KM


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(haversine_m(lon1, lat1, lon2, lat2)) / 1000


@cache
def _to_wgs84(epsg: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(epsg), CRS.from_epsg(4326), always_xy=True)


@cache
def crs_name(epsg: int) -> str:
    return CRS.from_epsg(epsg).name


def families(minx: float, miny: float, maxx: float, maxy: float) -> tuple[int, ...]:
    """The EPSG codes whose kind of numbers these bounds look like."""
    if minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90:
        return GEOGRAPHIC
    if minx >= 1e7 and maxx < 1e8:  # the zone number in front of the easting
        zone = int(minx // 1e6)
        prefixed = [c for c, z in zip(GK3_PREFIXED, range(25, 46), strict=True) if z == zone]
        prefixed += [c for c, z in zip(GK6_PREFIXED, range(13, 24), strict=True) if z == zone]
        return (*prefixed, *WEB_MERCATOR)
    if minx > 0 and maxx < 1e6 and miny > 0 and maxy < 1e7:
        return (*UTM_NORTH, *GK3_CENTRAL)
    if minx >= -2.1e7 and maxx <= 2.1e7 and miny >= -2.1e7 and maxy <= 2.1e7:
        return WEB_MERCATOR
    return ()


def guess_crs(
    bounds: tuple[float, float, float, float], expected: tuple[float, float] = JIAOZHOU
) -> list[CrsGuess]:
    """Candidate CRSs for data with these bounds, nearest to ``expected`` first.

    Only candidates that put the data inside China are returned; an empty
    list means the numbers fit no CRS we know (the user must name one).
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        return []
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    out = []
    for epsg in families(minx, miny, maxx, maxy):
        lon, lat = _to_wgs84(epsg).transform(cx, cy)
        if not (math.isfinite(lon) and math.isfinite(lat)):
            continue
        if not (CHINA[0] <= lon <= CHINA[2] and CHINA[1] <= lat <= CHINA[3]):
            continue
        out.append(CrsGuess(epsg, crs_name(epsg), lon, lat, _km(lon, lat, *expected)))
    return sorted(out, key=lambda g: (round(g.distance_km, 3), g.epsg))
