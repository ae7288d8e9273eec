"""Which grid a point falls in: point-in-polygon over thousands of grids."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely


@dataclass(frozen=True)
class Place:
    """Where a report landed."""

    grid_code: str
    town_code: str


class GridLocator:
    """Finds the grid containing a point, using an STR-tree of the grid polygons.

    Parameters
    ----------
    codes, town_codes : sequences of str
        Grid and town code of each polygon.
    polygons : array of shapely geometries
        Grid polygons, WGS84 (EPSG:4326).
    """

    def __init__(self, codes, town_codes, polygons):
        self._codes = np.asarray(codes, dtype=object)
        self._towns = np.asarray(town_codes, dtype=object)
        self._polygons = np.asarray(polygons, dtype=object)
        self._tree = shapely.STRtree(self._polygons)
        self._places = [
            Place(str(c), str(t)) for c, t in zip(self._codes, self._towns, strict=True)
        ]

    def locate(self, lon: float, lat: float) -> Place | None:
        """The grid containing (lon, lat) in WGS84 degrees; None outside every grid.

        A point on a shared edge belongs to the grid with the lower code, so the
        answer never depends on the order of the tree.
        """
        hits = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        if len(hits) == 1:  # inside one grid: nearly every report
            return self._places[hits[0]]
        return self._places[min(hits, key=lambda i: self._codes[i])]

    def __len__(self) -> int:
        return len(self._codes)
