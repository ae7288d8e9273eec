"""Checks of imported boundaries before anything is written (issue 9).

What a surveying bureau's grids can get wrong, each reported with the codes
involved, an area in square metres where there is one, and the shape to draw
on the map:

- ``invalid``: a self-crossing or otherwise invalid ring. Repaired with
  ``make_valid`` when the result still has surface (``repaired``, shown on
  the map for the user to accept); ``unrepairable`` when nothing of it is
  left but lines or points.
- ``not_polygon``: a point or line where a polygon belongs.
- ``duplicate_code`` and ``missing_code``.
- ``overlap``: two grids sharing surface.
- ``gap``: surface of a town that no grid of it covers.
- ``bad_number``: text in a population or households column
  (``domain.boundary_rows.parse_counts``).
- ``outside_parent``: a grid's surface outside the town (or community) it
  names as its parent, and ``unknown_parent`` for a parent code that does
  not exist.

Shapes are cut in WGS84, where neighbours share their vertices exactly;
only the pieces are projected, to CGCS2000 / 3-degree Gauss-Krüger CM 120°E
(EPSG:4549), to measure their areas (true to a fraction of a per cent in
Shandong). Projecting first would bend shared borders apart and invent
slivers. Pieces under ``MIN_AREA_M2`` are rounding, not problems.

Pure: GeoDataFrames (WGS84) in, a list of problems and the repaired frame out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.validation import make_valid

METRIC = "EPSG:4549"
MIN_AREA_M2 = 1.0


@dataclass(frozen=True)
class Problem:
    """One finding: its kind, the codes involved, its area and shape."""

    kind: str
    codes: tuple[str, ...]
    area_m2: float | None = None
    geometry: object = None  # WGS84, to draw
    message: str = ""


@dataclass
class CheckResult:
    """The repaired features and every finding; ``blocking`` ones stop the import."""

    features: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)

    BLOCKING = frozenset(
        {
            "unrepairable",
            "not_polygon",
            "duplicate_code",
            "missing_code",
            "unknown_parent",
            "bad_number",
        }
    )

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.kind in self.BLOCKING]

    def count(self, kind: str) -> int:
        return sum(p.kind == kind for p in self.problems)


def area_m2(geometry) -> float:
    """Square metres of a WGS84 shape."""
    if geometry is None or geometry.is_empty:
        return 0.0
    return float(areas_m2([geometry])[0])


def _polygonal(geometry):
    """Only the polygon parts of ``geometry`` (None when it has none)."""
    parts = [
        g
        for g in getattr(geometry, "geoms", [geometry])
        if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty
    ]
    return shapely.union_all(parts) if parts else None


def repaired(features: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Invalid rings repaired where the repair keeps the shape; the rest reported."""
    problems, shapes = [], list(features.geometry)
    for n, (code, shape) in enumerate(zip(features["code"].astype(str), shapes, strict=True)):
        if shape is None or shape.is_empty or shape.geom_type not in ("Polygon", "MultiPolygon"):
            kind = "not_polygon"
            problems.append(
                Problem(
                    kind,
                    (code,),
                    None,
                    shape,
                    f"{code}: {getattr(shape, 'geom_type', 'empty')} is not a polygon",
                )
            )
            continue
        if shape.is_valid:
            continue
        fixed = _polygonal(make_valid(shape))
        if fixed is not None and area_m2(fixed) > MIN_AREA_M2:
            shapes[n] = fixed
            problems.append(
                Problem(
                    "repaired", (code,), area_m2(fixed), fixed, f"{code}: invalid ring repaired"
                )
            )
        else:
            problems.append(
                Problem(
                    "unrepairable",
                    (code,),
                    None,
                    shape,
                    f"{code}: invalid ring that cannot be repaired safely",
                )
            )
    out = features.copy()
    out = out.set_geometry(gpd.GeoSeries(shapes, index=features.index, crs=features.crs))
    return out, problems


def code_problems(features: pd.DataFrame) -> list[Problem]:
    """Missing and duplicate codes."""
    codes = features["code"]
    problems = []
    missing = codes.isna() | (codes.astype(str).str.strip() == "")
    if missing.any():
        problems.append(
            Problem("missing_code", (), None, None, f"{int(missing.sum())} features have no code")
        )
    counts = codes[~missing].astype(str).value_counts()
    for code, n in counts[counts > 1].items():
        problems.append(
            Problem("duplicate_code", (str(code),), None, None, f"code {code} appears {n} times")
        )
    return problems


def areas_m2(shapes) -> np.ndarray:
    """Square metres of many WGS84 shapes at once (None counts 0)."""
    series = gpd.GeoSeries(list(shapes), crs="EPSG:4326")
    if series.empty:
        return np.zeros(0)
    return series.to_crs(METRIC).area.fillna(0.0).to_numpy()


def _measured(pieces: list) -> tuple[list, np.ndarray]:
    """Polygon parts of each piece, and their areas in m²."""
    polygons = [None if p is None else _polygonal(p) for p in pieces]
    return polygons, areas_m2(polygons)


def overlaps(features: gpd.GeoDataFrame) -> list[Problem]:
    """Pairs of features sharing more than ``MIN_AREA_M2`` of surface."""
    shapes = features.geometry.to_numpy()
    left, right = features.geometry.sindex.query(features.geometry, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    pieces, areas = _measured(list(shapely.intersection(shapes[left], shapes[right])))
    codes = features["code"].astype(str).to_numpy()
    problems = []
    for i, j, shared, area in zip(left, right, pieces, areas, strict=True):
        if area > MIN_AREA_M2:
            pair = (codes[i], codes[j])
            problems.append(
                Problem(
                    "overlap",
                    pair,
                    float(area),
                    shared,
                    f"{pair[0]} and {pair[1]} overlap by {area:,.0f} m²",
                )
            )
    return problems


def parent_problems(
    features: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, unit: str = "grid"
) -> list[Problem]:
    """Unknown parents, surface outside the parent, and each parent's gaps.

    ``features`` has ``parent_code``; ``parents`` has ``code`` and geometry;
    ``unit`` names the features in the messages (grid, community).
    """
    problems = []
    parent_shapes = dict(zip(parents["code"].astype(str), parents.geometry, strict=True))
    codes = features["code"].astype(str).to_numpy()
    parent_codes = features["parent_code"].astype(str).to_numpy()
    known = np.array([p in parent_shapes for p in parent_codes], dtype=bool)
    for code, parent in zip(codes[~known], parent_codes[~known], strict=True):
        problems.append(
            Problem("unknown_parent", (code,), None, None, f"{code}: no parent {parent}")
        )
    own = features.geometry.to_numpy()[known]
    their_parent = np.array([parent_shapes[p] for p in parent_codes[known]], dtype=object)
    pieces, areas = _measured(list(shapely.difference(own, their_parent)))
    for code, parent, outside, area in zip(
        codes[known], parent_codes[known], pieces, areas, strict=True
    ):
        if area > MIN_AREA_M2:
            problems.append(
                Problem(
                    "outside_parent",
                    (code, parent),
                    float(area),
                    outside,
                    f"{code}: {area:,.0f} m² outside {parent}",
                )
            )
    groups = [
        (parent, group)
        for parent, group in features.groupby(features["parent_code"].astype(str))
        if parent in parent_shapes
    ]
    gaps = [
        parent_shapes[parent].difference(shapely.union_all(group.geometry.to_numpy()))
        for parent, group in groups
    ]
    pieces, areas = _measured(gaps)
    for (parent, _), gap, area in zip(groups, pieces, areas, strict=True):
        if area > MIN_AREA_M2:
            problems.append(
                Problem(
                    "gap",
                    (parent,),
                    float(area),
                    gap,
                    f"{parent}: {area:,.0f} m² covered by no {unit}",
                )
            )
    return problems


def check_boundaries(
    features: gpd.GeoDataFrame, parents: gpd.GeoDataFrame | None = None, unit: str = "grid"
) -> CheckResult:
    """Every check on ``features`` (code, geometry; parent_code with ``parents``);
    ``unit`` names the features in the messages (grid, community, town)."""
    if features.crs is None or features.crs.to_epsg() != 4326:
        raise ValueError("check_boundaries needs features in WGS84 (EPSG:4326)")
    fixed, problems = repaired(features)
    problems += code_problems(fixed)
    usable = fixed[
        fixed.geometry.notna()
        & fixed.geometry.is_valid
        & fixed.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    ]
    problems += overlaps(usable)
    if parents is not None and "parent_code" in usable:
        problems += parent_problems(usable, parents, unit)
    return CheckResult(fixed, problems)
