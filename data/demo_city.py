"""A deterministic demo city: Jiaozhou at county scale, a Qingdao-sized region.

``generate_city`` builds every table of the city as data frames, ready for
``data.store.Store.load_city``: towns, communities and grids with generated
polygons (WGS84), departments and their pairings with towns, cadres and four
years of citizen reports. The county is made from the facts in
``data.facts``; the region for benchmarks is synthetic. The same seed and the
same ``now`` give the same city.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from data import demo_breach, demo_places, demo_spots
from data.demo_incidents import history_start, make_incidents
from data.demo_people import make_cadres, make_departments, person_names
from data.facts import jiaozhou as facts

# Column order of data.schema.grids (without the bounding box).
# Aligned by hand: this table reads better laid out as a table.
_GRID_COLUMNS = (
    "code", "town_code", "community_code", "name", "population", "households", "area_km2",
    "worker_id", "secretary", "lon", "lat",
)  # fmt: skip


@dataclass(frozen=True)
class ScaleSpec:
    """How big a demo city is.

    ``n_towns``, ``area_km2`` and ``n_atoms`` only matter for the synthetic
    region (the county takes its towns and area from the facts); the cadre
    counts are targets, the grid worker count follows from the grids.
    """

    name: str
    n_grids: int
    incidents: int
    grid_workers: int
    dept_cadres: int
    town_cadres: int
    volunteers: int
    n_towns: int = 12
    area_km2: float = facts.COUNTY_AREA_KM2
    n_atoms: int = 9000


SCALES: dict[str, ScaleSpec] = {
    "county": ScaleSpec("county", 1400, 30_000, 400, 1100, 400, 100),
    "region": ScaleSpec("region", 12_000, 300_000, 3400, 11_000, 4000, 1500, 150, 11_000.0, 24_000),
}


@dataclass(frozen=True)
class CityFrames:
    """Every table of a city, shaped like ``data.schema`` (without surrogate ids).

    Geometries are WGS84 (EPSG:4326) Polygons or MultiPolygons; ``lon``/``lat``
    are interior points; times are ``datetime64[ns, UTC]`` with NaT for
    missing; nullable integers are ``Int64``; nullable strings are ``object``
    columns holding None.
    """

    towns: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    departments: pd.DataFrame
    pairings: pd.DataFrame
    cadres: pd.DataFrame
    incidents: pd.DataFrame
    # Not a table: the recurring spots planted among the incidents, one row per
    # episode (``data.demo_spots.episodes``), the truth backtests score against.
    planted_spots: pd.DataFrame


def generate_city(
    seed: int = 2022, scale: str | ScaleSpec = "county", now: dt.datetime | None = None
) -> CityFrames:
    """Generate the demo city.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; everything derives from it.
    scale : str or ScaleSpec
        ``"county"`` (Jiaozhou: 12 towns, ~1,400 grids, ~2,000 cadres, ~30,000
        incidents), ``"region"`` (synthetic, Qingdao-sized: ~150 towns,
        ~12,000 grids, ~20,000 cadres, ~300,000 incidents) or a custom spec.
    now : datetime, optional
        The present of the city (timezone-aware; naive means UTC). History runs
        from 2022-04-01 to ``now``, positions are from the last hour. Defaults
        to the current time.

    Returns
    -------
    CityFrames
        Geometries in EPSG:4326 with coordinates rounded to 6 decimals.
    """
    spec = SCALES[scale] if isinstance(scale, str) else scale
    now = dt.datetime.now(dt.UTC) if now is None else now
    now = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
    # Independent streams, so that a change in one part leaves the others alone
    # (the first three are those of before the planted structure came).
    geo_rng, people_rng, incident_rng, structure_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    if spec.name == "county":
        places = demo_places.county(geo_rng, spec.n_grids, spec.n_atoms)
    else:
        places = demo_places.region(
            geo_rng, spec.n_grids, spec.n_towns, spec.area_km2, spec.n_atoms
        )
    departments, pairings, meta = make_departments(places)
    cadres, worker_of_grid = make_cadres(people_rng, places, departments, pairings, meta, spec, now)
    grids = places.grids.copy()
    grids["worker_id"] = pd.array(worker_of_grid, dtype="Int64")
    grids["secretary"] = person_names(people_rng, len(grids))
    cols = [*_GRID_COLUMNS, "geometry"]
    slow_towns = demo_breach.slow_towns(structure_rng, places.towns["code"])
    planted = demo_spots.plant(
        structure_rng, places, spec.incidents, history_start(now), now.timestamp()
    )
    incidents, rows = make_incidents(
        incident_rng, places, cadres, worker_of_grid, spec, now, planted, slow_towns
    )
    return CityFrames(
        towns=places.towns,
        communities=places.communities,
        grids=grids[cols],
        departments=departments,
        pairings=pairings,
        cadres=cadres,
        incidents=incidents,
        planted_spots=demo_spots.episodes(planted, incidents["reported_at"].iloc[rows]),
    )


def small_region(factor: float = 0.1) -> ScaleSpec:
    """The region spec shrunk by ``factor`` (for tests of the region code path)."""
    full = SCALES["region"]
    return replace(
        full,
        n_grids=int(full.n_grids * factor),
        incidents=int(full.incidents * factor),
        grid_workers=int(full.grid_workers * factor),
        dept_cadres=int(full.dept_cadres * factor),
        town_cadres=int(full.town_cadres * factor),
        volunteers=int(full.volunteers * factor),
        n_towns=max(12, int(full.n_towns * factor)),
        n_atoms=int(full.n_atoms * max(factor, 0.25)),
    )
