"""Distances on the Earth between WGS84 points, with numpy alone.

Kept apart from ``domain.travel`` (which builds scipy's KD-trees) so that a
store or a command that only measures a distance does not load scipy.
"""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), metres


def haversine_m(from_lon, from_lat, to_lon, to_lat) -> np.ndarray:
    """Great-circle distance in metres between WGS84 points (degrees), broadcast by numpy."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (from_lon, from_lat, to_lon, to_lat)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
