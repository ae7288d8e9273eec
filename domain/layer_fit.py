"""Whether an imported layer sits where it belongs (issue 16): in its CRS's
valid area, near the city, and not shifted by the GCJ-02 offset.

A file can pass every topological check and still be in the wrong place: a
Gauss-Krüger file read as degrees, or grids traced on a Chinese web map
(GCJ-02, a few hundred metres off). The checks here compare the layer with
what the store already knows (its reference):

- ``outside_valid_area``: the coordinates, taken to WGS84 from the declared
  CRS, fall outside the area pyproj says that CRS is valid for.
- ``distance_km``: how far the layer's extent is from the city's.
- ``misfit``: how badly the layer covers its reference, as a share of the
  reference's area. With parents (a grid's community, a community's town)
  it is, per parent, the surface of the parent its children leave bare plus
  the surface of the children outside it; without, per code, the surface by
  which the feature and the stored one of the same code differ.
  ``gcj02_fit`` measures it as the file is and after undoing GCJ-02.

Pure: shapes in WGS84 and plain values in, numbers out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS

from domain.gcj02 import offset, outside_china

VALID_AREA_MARGIN_DEG = 1.0  # data a little past a zone's edge is still usable
NEAR_CITY_KM = 20.0  # a layer whose extent is further from the city's is misplaced
SAMPLE = 300  # parents (or codes) measured at most, evenly picked: enough to tell
CLEARLY_BETTER = 0.5  # undoing GCJ-02 must at least halve the misfit…
MIN_GAIN = 0.01  # …and gain at least one per cent of the reference's area


@dataclass(frozen=True)
class Gcj02Fit:
    """How well the layer fits its reference as it is and after undoing GCJ-02."""

    as_is: float  # misfit share, 0 perfect
    undone: float
    offset_m: float  # the GCJ-02 offset at the layer's centre
    reference: str  # what was compared with, e.g. "communities"

    @property
    def gcj02_likely(self) -> bool:
        return self.undone <= self.as_is * CLEARLY_BETTER and self.as_is - self.undone >= MIN_GAIN

    @property
    def wgs84_likely(self) -> bool:
        return self.as_is <= self.undone * CLEARLY_BETTER and self.undone - self.as_is >= MIN_GAIN


def outside_valid_area(crs: CRS, wgs_bounds) -> tuple[float, float, float, float] | None:
    """The CRS's valid area (lon/lat) when the data's WGS84 bounds leave it, else None.

    Bounds that are not finite numbers (a transform that failed) leave any area.
    """
    area = crs.area_of_use
    if area is None:
        return None
    west, south, east, north = area.bounds
    minx, miny, maxx, maxy = (float(v) for v in wgs_bounds)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        return (west, south, east, north)
    m = VALID_AREA_MARGIN_DEG
    if west > east:  # crosses the antimeridian: only the latitudes can be judged
        bad = miny < south - m or maxy > north + m
    else:
        bad = minx < west - m or maxx > east + m or miny < south - m or maxy > north + m
    return (west, south, east, north) if bad else None


def distance_km(bounds, other) -> float:
    """Kilometres between two lon/lat boxes (0 when they touch or overlap)."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    ominx, ominy, omaxx, omaxy = (float(v) for v in other)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        return math.inf
    dx = max(ominx - maxx, minx - omaxx, 0.0)
    dy = max(ominy - maxy, miny - omaxy, 0.0)
    lat = math.radians((max(miny, ominy) + min(maxy, omaxy)) / 2)
    return math.hypot(dx * 111.32 * math.cos(lat), dy * 110.57)


def _picked(keys: list[str]) -> list[str]:
    """At most ``SAMPLE`` of ``keys``, evenly spread over their sorted order."""
    keys = sorted(keys)
    if len(keys) <= SAMPLE:
        return keys
    return [keys[int(i)] for i in np.linspace(0, len(keys) - 1, SAMPLE)]


def misfit(shapes, keys, reference: dict) -> float | None:
    """The share of the reference's area the layer does not match.

    ``shapes`` and ``keys`` are the layer's polygons (WGS84) and, for each,
    the key of its reference shape (its parent's code, or its own code);
    ``reference`` maps keys to shapes. Per key, the area of the symmetric
    difference between the union of the layer's shapes and the reference
    shape; summed, over the reference shapes' area. None when no key has a
    reference shape. Areas are in square degrees: only their ratio is used.
    """
    groups: dict[str, list] = {}
    for shape, key in zip(shapes, keys, strict=True):
        if shape is not None and not shape.is_empty and key in reference:
            groups.setdefault(key, []).append(shape)
    picked = _picked(list(groups))
    if not picked:
        return None
    mine = np.array([shapely.union_all(groups[k]) for k in picked], dtype=object)
    theirs = np.array([reference[k] for k in picked], dtype=object)
    whole = float(shapely.area(theirs).sum())
    if whole <= 0:
        return None
    apart = shapely.area(
        shapely.symmetric_difference(shapely.make_valid(mine), shapely.make_valid(theirs))
    )
    return float(np.nansum(apart)) / whole


def offset_m(lon: float, lat: float) -> float:
    """Metres of the GCJ-02 offset at a WGS84 point (0 outside China)."""
    dlon, dlat = offset(lon, lat)
    east = float(dlon) * 111_320 * math.cos(math.radians(lat))
    return math.hypot(east, float(dlat) * 110_574)


def gcj02_fit(shapes, undone_shapes, keys, reference: dict, what: str) -> Gcj02Fit | None:
    """The layer's misfit as it is and with GCJ-02 undone (``undone_shapes``);
    None when it has no reference or lies outside China, where there is no offset."""
    as_is = misfit(shapes, keys, reference)
    if as_is is None:
        return None
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(list(shapes), dtype=object))
    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    if not (math.isfinite(lon) and math.isfinite(lat)) or bool(outside_china(lon, lat)):
        return None
    undone = misfit(undone_shapes, keys, reference)
    return Gcj02Fit(as_is, undone if undone is not None else math.inf, offset_m(lon, lat), what)
