"""How long a cadre takes to reach a place: the one travel model behind dispatch.

Without a road network the model estimates the distance on the ground from the
great-circle distance times a detour (circuity) factor, and the time from a speed
per mode of travel plus a fixed start-up overhead:

    ground_m  = haversine_m × detour
    seconds   = overhead_s[mode] + ground_m / speed[mode]

Choices, all in ``TravelModel`` so a city can tune them:

* ``detour = 1.3``: roads are longer than the straight line. Circuity factors
  measured on real road networks are about 1.2–1.4 (Ballou et al. 2002; Boscoe
  et al. 2012 found 1.42 on average in the US, less in dense grids); a county
  seat with a rectilinear core and rural roads sits in the middle.
* Speeds are effective door-to-door speeds in county traffic, not speed limits:
  walking 4.5 km/h, bicycle 12 km/h, electric bicycle 15 km/h, car 30 km/h
  (lights, village lanes, parking).
* Overheads: getting to and starting a car and parking it at the other end
  costs about 2 minutes; unlocking a (e-)bike about 30 s; walking none.

Which mode a cadre uses follows the role (``ROLE_MODES``): full-time grid
workers ride the electric bicycles they patrol their grids on; department and
town cadres come by (official or own) car; volunteers are local residents on a
bicycle. An unknown role gets the slowest mode, walking, so that an estimate
is never optimistic.

To use a road network later, write a class with the same ``matrix`` method
(for instance, shortest paths on an OSM graph) and pass it wherever a
``TravelModel`` is taken; nothing else in dispatch computes travel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from domain.errors import InvalidInput

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), metres

MODE_SPEEDS_KMH: dict[str, float] = {"walk": 4.5, "bike": 12.0, "ebike": 15.0, "car": 30.0}
MODE_OVERHEAD_S: dict[str, float] = {"walk": 0.0, "bike": 30.0, "ebike": 30.0, "car": 120.0}
DETOUR = 1.3

ROLE_MODES: dict[str, str] = {
    "grid_worker": "ebike",
    "dept_cadre": "car",
    "town_cadre": "car",
    "volunteer": "bike",
}
FALLBACK_MODE = "walk"  # the slowest: an unknown role never looks closer than it is


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


def modes_for_roles(roles: Iterable[str]) -> np.ndarray:
    """The travel mode of each role (``ROLE_MODES``; unknown roles walk)."""
    return np.array([ROLE_MODES.get(str(role), FALLBACK_MODE) for role in roles], dtype=object)


@dataclass(frozen=True)
class TravelModel:
    """Straight line × detour at a speed per mode, plus a start-up overhead.

    Attributes
    ----------
    detour : float
        Ground distance over great-circle distance, >= 1.
    speeds_kmh : mapping of str to float
        Effective speed of each mode, km/h.
    overhead_s : mapping of str to float
        Fixed time to set off and arrive with each mode, seconds.
    """

    detour: float = DETOUR
    speeds_kmh: Mapping[str, float] = field(default_factory=lambda: dict(MODE_SPEEDS_KMH))
    overhead_s: Mapping[str, float] = field(default_factory=lambda: dict(MODE_OVERHEAD_S))

    def __post_init__(self) -> None:
        if not self.detour >= 1.0:
            raise InvalidInput(f"detour must be at least 1, not {self.detour!r}")
        if set(self.speeds_kmh) != set(self.overhead_s):
            raise InvalidInput("speeds_kmh and overhead_s must name the same modes")
        if any(not speed > 0 for speed in self.speeds_kmh.values()):
            raise InvalidInput("every speed must be positive")

    def _per_mode(self, modes, table: Mapping[str, float]) -> np.ndarray:
        modes = np.asarray(modes, dtype=object)
        unknown = set(np.unique(modes).tolist()) - set(table)
        if unknown:
            raise InvalidInput(f"unknown travel modes {sorted(map(str, unknown))}")
        lookup = np.vectorize(table.__getitem__, otypes=[float])
        return lookup(modes) if modes.size else np.zeros(modes.shape)

    def ground_m(self, from_lon, from_lat, to_lon, to_lat) -> np.ndarray:
        """Estimated distance on the ground in metres (WGS84 degrees in, broadcast)."""
        return haversine_m(from_lon, from_lat, to_lon, to_lat) * self.detour

    def seconds(self, ground_m, modes) -> np.ndarray:
        """Travel time in seconds for ground distances (m) with modes, broadcast."""
        speed_ms = self._per_mode(modes, self.speeds_kmh) / 3.6
        return self._per_mode(modes, self.overhead_s) + np.asarray(ground_m, float) / speed_ms

    def matrix(self, cadre_lonlat, target_lonlat, modes) -> tuple[np.ndarray, np.ndarray]:
        """Travel from every cadre to every target.

        Parameters
        ----------
        cadre_lonlat : array of shape (n_cadres, 2)
            Cadres' positions, WGS84 longitude and latitude in degrees.
        target_lonlat : array of shape (n_targets, 2)
            Incidents' positions, WGS84 degrees.
        modes : sequence of str of length n_cadres
            Each cadre's mode (see ``modes_for_roles``).

        Returns
        -------
        seconds, metres : arrays of shape (n_cadres, n_targets)
            Estimated travel time (s) and ground distance (m).

        Raises
        ------
        InvalidInput
            Shapes do not match or a mode is unknown.
        """
        cadres = np.asarray(cadre_lonlat, dtype=float).reshape(-1, 2)
        targets = np.asarray(target_lonlat, dtype=float).reshape(-1, 2)
        modes = np.asarray(modes, dtype=object).reshape(-1)
        if len(modes) != len(cadres):
            raise InvalidInput(f"{len(cadres)} cadres but {len(modes)} modes")
        metres = self.ground_m(cadres[:, :1], cadres[:, 1:], targets[:, 0], targets[:, 1])
        return self.seconds(metres, modes[:, None]), metres


DEFAULT_MODEL = TravelModel()


def travel_seconds(from_lon, from_lat, to_lon, to_lat, mode, *, model=DEFAULT_MODEL) -> np.ndarray:
    """Estimated travel time in seconds between WGS84 points (degrees), broadcast by numpy.

    ``mode`` is one of ``MODE_SPEEDS_KMH`` (or an array of them); ``model`` defaults
    to the straight-line-with-detour ``TravelModel``.
    """
    return model.seconds(model.ground_m(from_lon, from_lat, to_lon, to_lat), mode)
