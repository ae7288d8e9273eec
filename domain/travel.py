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
``TravelModel`` is taken; nothing else in dispatch computes travel. Plans ask
for the pairs within a travel limit through ``reachable``: it calls the model's
``within`` method if it has one (``TravelModel.within`` finds them with k-d
trees, without the full matrix; a road network would run Dijkstra with a
cutoff) and otherwise keeps the pairs in reach of ``matrix``, a block of
targets at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from domain.distance import EARTH_RADIUS_M, haversine_m
from domain.errors import InvalidInput

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


def modes_for_roles(roles: Iterable[str]) -> np.ndarray:
    """The travel mode of each role (``ROLE_MODES``; unknown roles walk)."""
    if not isinstance(roles, np.ndarray | pd.Series | pd.Index):
        roles = list(roles)
    codes, uniques = pd.factorize(np.asarray(roles, dtype=object))  # a missing role is -1
    modes = [ROLE_MODES.get(str(role), FALLBACK_MODE) for role in uniques]
    return np.array([*modes, FALLBACK_MODE], dtype=object)[codes]


def _lookup(modes, table: Mapping[str, float]) -> tuple[np.ndarray, list]:
    """The code of each mode (flattened) and the distinct modes; every one must be in ``table``."""
    codes, uniques = pd.factorize(np.asarray(modes, dtype=object).reshape(-1))
    unknown = [m for m in uniques if m not in table] + (["None"] if (codes < 0).any() else [])
    if unknown:
        raise InvalidInput(f"unknown travel modes {sorted(map(str, unknown))}")
    return codes, list(uniques)


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
        codes, uniques = _lookup(modes, table)
        values = np.array([table[m] for m in uniques], dtype=float)
        return values[codes].reshape(modes.shape)

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
        cadres, targets, modes = _points_and_modes(cadre_lonlat, target_lonlat, modes)
        metres = self.ground_m(cadres[:, :1], cadres[:, 1:], targets[:, 0], targets[:, 1])
        return self.seconds(metres, modes[:, None]), metres

    def within(
        self, cadre_lonlat, target_lonlat, modes, max_s: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The (cadre, target) pairs at most ``max_s`` seconds apart, without the full matrix.

        The same estimate as ``matrix`` (equal up to rounding), found with one k-d
        tree of the targets, queried per mode with the straight-line radius that
        mode can cover in ``max_s``: ``(max_s − overhead) × speed / detour``.
        Points live on the sphere in 3-D; the chord the tree measures is never
        longer than the great circle, so no pair in reach is missed, and the
        great-circle distance follows from the chord exactly.

        Parameters are those of ``matrix``, plus ``max_s``, the limit in seconds.

        Returns
        -------
        cadre, target : int arrays
            Indices of the pairs in reach, in no particular order.
        seconds, metres : float arrays
            Their travel time (s) and ground distance (m).
        """
        cadres, targets, modes = _points_and_modes(cadre_lonlat, target_lonlat, modes)
        if type(self).matrix is not TravelModel.matrix or any(
            getattr(type(self), name) is not getattr(TravelModel, name)
            for name in ("seconds", "ground_m")
        ):  # a subclass with its own estimate: trust only its matrix
            return _within_by_blocks(self.matrix, cadres, targets, modes, max_s)
        codes, uniques = _lookup(modes, self.speeds_kmh)  # overhead_s names the same modes
        parts = []
        if len(cadres) and len(targets):
            cadre_xyz, target_xyz = _on_sphere(cadres), _on_sphere(targets)
            tree = cKDTree(target_xyz)
            for code, mode in enumerate(uniques):
                speed_ms = self.speeds_kmh[mode] / 3.6
                radius = (max_s - self.overhead_s[mode]) * speed_ms / self.detour
                if not radius >= 0:
                    continue
                # A chord is at most the diameter; the margin only guards rounding.
                radius = min(radius, 2 * EARTH_RADIUS_M) * (1 + 1e-9) + 1.0
                members = np.flatnonzero(codes == code)
                found = tree.sparse_distance_matrix(
                    cKDTree(cadre_xyz[members]), radius, output_type="ndarray"
                )
                # Great circle from chord, in place: 2R·asin(chord / 2R), then × detour.
                metres = found["v"] * (0.5 / EARTH_RADIUS_M)
                np.minimum(metres, 1.0, out=metres)
                np.arcsin(metres, out=metres)
                metres *= 2 * EARTH_RADIUS_M * self.detour
                seconds = metres / speed_ms
                seconds += self.overhead_s[mode]
                cadre, target = members[found["j"]], found["i"]
                keep = seconds <= max_s
                if not keep.all():
                    cadre, target = cadre[keep], target[keep]
                    seconds, metres = seconds[keep], metres[keep]
                parts.append((cadre, target, seconds, metres))
        return _joined(parts)


DEFAULT_MODEL = TravelModel()
BLOCK_CELLS = 8_000_000  # cadres × targets looked at in one go by ``reachable``


def _points_and_modes(cadre_lonlat, target_lonlat, modes):
    cadres = np.asarray(cadre_lonlat, dtype=float).reshape(-1, 2)
    targets = np.asarray(target_lonlat, dtype=float).reshape(-1, 2)
    modes = np.asarray(modes, dtype=object).reshape(-1)
    if len(modes) != len(cadres):
        raise InvalidInput(f"{len(cadres)} cadres but {len(modes)} modes")
    return cadres, targets, modes


def _on_sphere(lonlat: np.ndarray) -> np.ndarray:
    """WGS84 degrees to 3-D points on the sphere of radius ``EARTH_RADIUS_M``."""
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    return EARTH_RADIUS_M * np.column_stack(
        (np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat))
    )


def _joined(parts) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if not parts:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty.copy(), np.empty(0), np.empty(0)
    if len(parts) == 1:
        cadre, target, seconds, metres = parts[0]
    else:
        cadre, target, seconds, metres = (np.concatenate(p) for p in zip(*parts, strict=True))
    return (
        np.asarray(cadre, dtype=np.intp),
        np.asarray(target, dtype=np.intp),
        np.asarray(seconds, dtype=float),
        np.asarray(metres, dtype=float),
    )


def _within_by_blocks(matrix, cadres, targets, modes, max_s):
    parts = []
    step = max(1, BLOCK_CELLS // max(1, len(cadres)))
    for start in range(0, len(targets) if len(cadres) else 0, step):
        seconds, metres = matrix(cadres, targets[start : start + step], modes)
        seconds, metres = np.asarray(seconds, float), np.asarray(metres, float)
        cadre, target = np.nonzero(seconds <= max_s)
        parts.append((cadre, target + start, seconds[cadre, target], metres[cadre, target]))
    return _joined(parts)


def reachable(
    model, cadre_lonlat, target_lonlat, modes, max_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The (cadre, target) pairs at most ``max_s`` seconds apart, grouped by target.

    Works through the targets a block at a time, so that memory stays bounded by
    the pairs in reach (and a block), never the full cadres × targets matrix:
    with ``model.within`` when the model has it (see ``TravelModel.within``),
    otherwise with ``model.matrix``. Arguments are those of
    ``TravelModel.matrix`` plus the limit in seconds.

    Returns
    -------
    ptr : int array of shape (n_targets + 1,)
        The pairs of target ``t`` are ``ptr[t]:ptr[t + 1]``.
    cadre : int array
        Cadre index of each pair (in no particular order within a target).
    seconds, metres : float arrays
        Travel time (s) and ground distance (m) of each pair.
    """
    cadres, targets, modes = _points_and_modes(cadre_lonlat, target_lonlat, modes)
    within = getattr(model, "within", None)
    counts = np.zeros(len(targets), dtype=np.intp)
    parts = []
    step = min(1 << 16, max(1, BLOCK_CELLS // max(1, len(cadres))))
    for start in range(0, len(targets) if len(cadres) else 0, step):
        block = targets[start : start + step]
        if callable(within):
            cadre, target, seconds, metres = within(cadres, block, modes, max_s)
        else:
            cadre, target, seconds, metres = _within_by_blocks(
                model.matrix, cadres, block, modes, max_s
            )
        seconds = np.asarray(seconds, dtype=float)
        keep = seconds <= max_s  # whatever a model's ``within`` returns
        if not keep.all():
            cadre, target, seconds, metres = (
                np.asarray(v)[keep] for v in (cadre, target, seconds, metres)
            )
        target = np.asarray(target, dtype=np.intp)
        grouped = np.argsort(target.astype(np.uint16), kind="stable")  # a radix sort
        counts[start : start + len(block)] = np.bincount(target, minlength=len(block))
        parts.append((np.asarray(cadre)[grouped], seconds[grouped], np.asarray(metres)[grouped]))
    ptr = np.zeros(len(targets) + 1, dtype=np.intp)
    np.cumsum(counts, out=ptr[1:])
    cadre, seconds, metres = (
        np.concatenate([p[k] for p in parts]) if parts else np.empty(0) for k in range(3)
    )
    return ptr, cadre.astype(np.intp, copy=False), seconds, metres


def travel_seconds(from_lon, from_lat, to_lon, to_lat, mode, *, model=DEFAULT_MODEL) -> np.ndarray:
    """Estimated travel time in seconds between WGS84 points (degrees), broadcast by numpy.

    ``mode`` is one of ``MODE_SPEEDS_KMH`` (or an array of them); ``model`` defaults
    to the straight-line-with-detour ``TravelModel``.
    """
    return model.seconds(model.ground_m(from_lon, from_lat, to_lon, to_lat), mode)
