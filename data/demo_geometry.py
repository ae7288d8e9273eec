"""Polygon work for the demo city: outlines, tilings and sampling (region
growing over the tiles is in ``data.demo_regions``).

The demo city has no real boundaries. Its outline and its towns are unions of
"atoms", the cells of a Voronoi diagram of a few thousand relaxed points: that
gives boundaries as ragged as real administrative ones and tilings without
gaps or overlaps by construction. Everything is computed in metres in a local
Lambert azimuthal equal-area projection (so areas are true) and converted to
WGS84 (EPSG:4326) only at the end, rounded to 6 decimals (about 0.1 m).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer

from data.demo_regions import Graph, adjacency, components

WGS84 = "EPSG:4326"
DECIMALS = 6


class LocalProjection:
    """A Lambert azimuthal equal-area projection centred on the city, in metres."""

    def __init__(self, lon0: float, lat0: float) -> None:
        laea = f"+proj=laea +lat_0={lat0} +lon_0={lon0} +ellps=WGS84 +units=m +no_defs"
        self._fwd = Transformer.from_crs(WGS84, laea, always_xy=True)
        self._inv = Transformer.from_crs(laea, WGS84, always_xy=True)

    def to_metres(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Project WGS84 lon/lat (degrees) to local x/y (metres)."""
        x, y = self._fwd.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x), np.asarray(y)

    def to_lonlat(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Unproject local x/y (metres) to WGS84 lon/lat (degrees), unrounded."""
        lon, lat = self._inv.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon), np.asarray(lat)

    def geoms_to_wgs84(self, geoms: np.ndarray) -> np.ndarray:
        """Metric geometries to WGS84 rounded to 6 decimals.

        Rounding is a function of the vertex alone, so a vertex shared by two
        polygons stays shared and common edges remain identical.
        """

        def transform(xy: np.ndarray) -> np.ndarray:
            lon, lat = self.to_lonlat(xy[:, 0], xy[:, 1])
            return np.round(np.column_stack([lon, lat]), DECIMALS)

        out = shapely.transform(np.asarray(geoms), transform)
        bad = ~shapely.is_valid(out)
        if bad.any():  # a sliver folded by rounding: repair only that polygon
            out[bad] = [_polygonal(g) for g in shapely.make_valid(out[bad])]
        return out


def _polygonal(geom):
    """The polygonal part of a geometry (make_valid may add lines or points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


@dataclass(frozen=True)
class Density:
    """A smooth density: a floor plus Gaussian bumps (city centre, town seats).

    ``centres`` are in metres, ``sigmas`` in metres, ``peaks`` relative to the
    floor of 1.
    """

    centres: np.ndarray
    sigmas: np.ndarray
    peaks: np.ndarray

    def __call__(self, x, y) -> np.ndarray:
        x = np.asarray(x, float)[:, None]
        y = np.asarray(y, float)[:, None]
        d2 = (x - self.centres[:, 0]) ** 2 + (y - self.centres[:, 1]) ** 2
        return 1.0 + (self.peaks * np.exp(-0.5 * d2 / self.sigmas**2)).sum(axis=1)


def smooth_noise(rng: np.random.Generator, amplitude: float, wavelengths=(4e3, 16e3), modes=24):
    """A random smooth field (sum of plane waves) of about the given amplitude.

    Returns a function of metric x, y arrays; the values have zero mean and a
    standard deviation of ``amplitude``.
    """
    angle = rng.uniform(0, 2 * np.pi, modes)
    k = 2 * np.pi / rng.uniform(*wavelengths, modes)
    phase = rng.uniform(0, 2 * np.pi, modes)
    kx, ky = k * np.cos(angle), k * np.sin(angle)
    scale = amplitude * np.sqrt(2.0 / modes)

    def field(x, y) -> np.ndarray:
        x = np.asarray(x, float)[:, None]
        y = np.asarray(y, float)[:, None]
        return scale * np.cos(x * kx + y * ky + phase).sum(axis=1)

    return field


def voronoi_cells(points: np.ndarray, clip) -> np.ndarray:
    """Voronoi cells of ``points`` (metres), in input order, clipped to ``clip``."""
    cells = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=clip, ordered=True)
    return shapely.intersection(shapely.get_parts(cells), clip)


def _safe_centroids(cells: np.ndarray) -> np.ndarray:
    """Centroids, or an interior point where a cell is not convex enough."""
    cen = shapely.centroid(cells)
    outside = ~shapely.contains(cells, cen)
    if outside.any():
        cen[outside] = shapely.point_on_surface(cells[outside])
    return shapely.get_coordinates(cen)


def scatter(rng, n: int, region, density, lloyd: int = 2) -> np.ndarray:
    """About ``n`` well-spread points in ``region`` (metric polygon), denser where
    ``density`` (a function of x, y) is higher.

    Rejection sampling gives the density, a few Lloyd steps (move each point to
    the centroid of its Voronoi cell) the even spacing of real settlements.
    Returns an (n, 2) array of metres.
    """
    shapely.prepare(region)
    x0, y0, x1, y1 = region.bounds
    peak = None
    pts = np.empty((0, 2))
    while len(pts) < n:
        m = 4 * (n - len(pts)) + 64
        cand = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        cand = cand[shapely.contains_xy(region, cand[:, 0], cand[:, 1])]
        dens = density(cand[:, 0], cand[:, 1])
        peak = dens.max() if peak is None else max(peak, dens.max())
        pts = np.vstack([pts, cand[rng.uniform(0, peak, len(cand)) < dens]])
    pts = pts[:n]
    for _ in range(lloyd):
        pts = _safe_centroids(voronoi_cells(pts, region))
    return pts


def sample_points_in(geoms: np.ndarray, which: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """A uniform random point strictly inside ``geoms[which[i]]`` for every i.

    Geometries are WGS84 and the points are rounded to 6 decimals before the
    containment test, so a stored point is inside its polygon. Vectorised
    rejection sampling within each polygon's bounding box.
    """
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)[which]
    lon = np.empty(len(which))
    lat = np.empty(len(which))
    todo = np.arange(len(which))
    while len(todo):
        b = bounds[todo]
        x = np.round(rng.uniform(b[:, 0], b[:, 2]), DECIMALS)
        y = np.round(rng.uniform(b[:, 1], b[:, 3]), DECIMALS)
        ok = shapely.contains_xy(geoms[which[todo]], x, y)
        lon[todo[ok]], lat[todo[ok]] = x[ok], y[ok]
        todo = todo[~ok]
    return lon, lat


def mst_segments(points: np.ndarray) -> list[tuple[int, int]]:
    """Edges of the Euclidean minimum spanning tree of a few points (Prim)."""
    n = len(points)
    d = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    inside = np.zeros(n, bool)
    inside[0] = True
    best = d[0].copy()
    parent = np.zeros(n, int)
    edges = []
    for _ in range(n - 1):
        cand = np.where(inside, np.inf, best)
        j = int(np.argmin(cand))
        edges.append((int(parent[j]), j))
        inside[j] = True
        closer = d[j] < best
        best[closer] = d[j][closer]
        parent[closer] = j
    return edges


def capsule_field(x, y, a: np.ndarray, b: np.ndarray, ra: np.ndarray, rb: np.ndarray):
    """max over segments of (radius at the nearest point − distance to the segment).

    Positive inside a union of tapered capsules a→b with radii ra→rb (metres).
    """
    px = np.asarray(x, float)[:, None]
    py = np.asarray(y, float)[:, None]
    dx, dy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    length2 = np.maximum(dx * dx + dy * dy, 1e-9)
    t = np.clip(((px - a[:, 0]) * dx + (py - a[:, 1]) * dy) / length2, 0, 1)
    dist = np.hypot(px - (a[:, 0] + t * dx), py - (a[:, 1] + t * dy))
    return (ra + t * (rb - ra) - dist).max(axis=1)


def tile(region, n: int, density, rng, lloyd: int = 2) -> np.ndarray:
    """Cut a metric polygon into ``n`` contiguous cells (Voronoi of relaxed seeds).

    A Voronoi cell clipped to a ragged region can fall apart; its smaller
    pieces go to the neighbouring cell they share the longest border with, so
    every cell is one polygon. Returns the cells, in metres.
    """
    pts = scatter(rng, n, region, density, lloyd=lloyd)
    cells = voronoi_cells(pts, region)
    parts, owner = shapely.get_parts(cells, return_index=True)
    if len(parts) == len(cells):
        return cells
    area = shapely.area(parts)
    order = np.lexsort((-area, owner))
    first = np.r_[True, owner[order][1:] != owner[order][:-1]]
    keep = order[first]
    out = parts[keep].copy()  # one piece per cell, in cell order
    tree = shapely.STRtree(out)
    for piece in parts[order[~first]]:
        # Pieces meet only up to rounding: measure the border within 1 mm.
        near = tree.query(piece, predicate="dwithin", distance=1e-3)
        if not len(near):
            near = tree.query_nearest(piece)
        shared = shapely.length(
            shapely.intersection(shapely.boundary(out[near]), piece.buffer(1e-3))
        )
        host = near[int(np.argmax(shared))]
        out[host] = shapely.union(out[host], piece)
    return out


@dataclass(frozen=True)
class Atoms:
    """The small cells that outlines and towns are made of (metres)."""

    points: np.ndarray
    cells: np.ndarray
    area: np.ndarray
    graph: Graph

    @classmethod
    def scatter(cls, rng, box, n: int, density) -> Atoms:
        """``n`` relaxed atoms over a metric box, denser where ``density`` is."""
        points = scatter(rng, n, box, density, lloyd=2)
        cells = voronoi_cells(points, box)
        return cls(points, cells, shapely.area(cells), adjacency(cells))

    def subset(self, mask: np.ndarray) -> Atoms:
        """The atoms in ``mask`` with their own adjacency."""
        cells = self.cells[mask]
        return Atoms(self.points[mask], cells, self.area[mask], adjacency(cells))

    def containing(self, x, y) -> np.ndarray:
        """Index of the atom containing each metric point."""
        tree = shapely.STRtree(self.cells)
        pi, ai = tree.query(shapely.points(x, y), predicate="intersects")
        out = np.full(len(np.atleast_1d(x)), -1)
        out[pi[::-1]] = ai[::-1]  # on a shared edge, the first atom wins
        return out


def select_outline(atoms: Atoms, field, area_m2: float, forced=None, forbidden=None):
    """Atoms inside an organic outline of about ``area_m2`` square metres.

    ``field(scale)`` gives a value per atom, positive inside a shape that grows
    with ``scale``; the scale is bisected to reach the area. The outline is the
    largest connected group of atoms with its holes filled; ``forced`` atoms
    count as inside the shape, ``forbidden`` ones (water) never do and are
    never filled. Returns a boolean mask.
    """
    n = len(atoms.cells)
    forced = np.zeros(n, bool) if forced is None else forced
    forbidden = np.zeros(n, bool) if forbidden is None else forbidden
    box = shapely.envelope(shapely.union_all(atoms.cells))
    on_border = shapely.intersects(atoms.cells, box.exterior)

    def mask_for(scale: float) -> np.ndarray:
        inside = ((field(scale) > 0) | forced) & ~forbidden
        comp = components(atoms.graph, inside)
        inside = comp == np.argmax(np.bincount(comp[inside]))
        # What the outline encloses is filled in, except water.
        outside = components(atoms.graph, ~inside)
        open_ = np.isin(outside, np.unique(outside[on_border & (outside >= 0)]))
        return inside | ((outside >= 0) & ~open_ & ~forbidden)

    lo, hi = 0.0, 3.0
    for _ in range(18):
        mid = 0.5 * (lo + hi)
        if atoms.area[mask_for(mid)].sum() < area_m2:
            lo = mid
        else:
            hi = mid
    return mask_for(0.5 * (lo + hi))


def union_by_label(cells: np.ndarray, label: np.ndarray, k: int) -> np.ndarray:
    """Coverage union of the cells of each label 0..k-1 (shared edges dissolve)."""
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(k + 1))
    return np.array(
        [shapely.coverage_union_all(cells[order[bounds[i] : bounds[i + 1]]]) for i in range(k)]
    )
