"""Place an address given in words, offline: by the names of villages, communities and grids.

A command centre on an intranet has no geocoding service, but residents write
the village or community they live in ("胶西街道宋戈庄村东头"). The longest
known place name found in the address wins, and the report is placed at that
place's interior point: an approximate location an operator can refine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SUFFIXES = re.compile(r"(社区居民委员会|村民委员会|居民委员会|社区|村)$")


@dataclass(frozen=True)
class Match:
    """A place name found in an address, and where that place is (WGS84)."""

    name: str
    lon: float
    lat: float


class Gazetteer:
    """Names of places with an interior point each.

    Parameters
    ----------
    names : sequence of str
        Place names (community, village or grid names).
    lons, lats : sequences of float
        An interior point of each place, WGS84 degrees.
    """

    def __init__(self, names, lons, lats):
        entries: dict[str, tuple[float, float]] = {}
        for name, lon, lat in zip(names, lons, lats, strict=True):
            for form in {str(name), _SUFFIXES.sub("", str(name))}:
                if len(form) >= 2:  # one character matches too much
                    entries.setdefault(form, (float(lon), float(lat)))
        # Longest first, so "宋戈庄村" wins over "宋戈庄" and a grid over its village.
        self._names = sorted(entries, key=len, reverse=True)
        self._points = entries

    def find(self, address: str) -> Match | None:
        """The longest known place name inside ``address``, or None."""
        for name in self._names:
            if name in address:
                lon, lat = self._points[name]
                return Match(name, lon, lat)
        return None
