"""Towns, communities and grids of the demo city, with generated polygons.

The county is Jiaozhou from ``data.facts.jiaozhou``: an outline grown around
the towns' interior points and the county's extreme points, twelve towns grown
over atoms to their real areas, grids cut per town, the real communities as
groups of grids. The region is a synthetic Qingdao: district skeleton, a bay,
~150 towns of equal "weight" (small in the dense core, large in the country).
All polygon work is in metres (``demo_geometry.LocalProjection``); the frames
are WGS84.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data import demo_geometry as geo
from data import demo_regions as regions
from data.demo_people import apportion, place_name, village_names
from data.facts import jiaozhou as facts

# Residents per household: smaller families in town, larger in the villages.
_HOUSEHOLD_URBAN, _HOUSEHOLD_RURAL = 2.45, 2.85


@dataclass(frozen=True)
class TownPlan:
    """What a town is before it has a shape (facts or synthetic)."""

    code: str
    name: str
    name_en: str
    kind: str
    population: int
    rural: float
    communities: tuple[tuple[str, str, str], ...]
    district: str  # county or district name: address prefix, department owner


@dataclass(frozen=True)
class Places:
    """The geography of a city.

    ``towns``, ``communities`` and ``grids`` are the frames of ``CityFrames``
    (grids without ``worker_id``); ``towns_info`` adds, per town code, its
    ``rural`` score, ``district``, seat ``seat_lon``/``seat_lat``;
    ``grid_graph`` is the edge adjacency of the grids; ``offices`` maps a
    district to the (lon, lat) where its departments sit.
    """

    towns: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    towns_info: pd.DataFrame
    grid_graph: regions.Graph
    offices: dict[str, tuple[float, float]]
    community_kind: pd.Series  # per grid: community | village


def county(rng: np.random.Generator, n_grids: int, n_atoms: int = 9000) -> Places:
    """Jiaozhou: 12 real towns and 221 real communities over generated polygons."""
    proj = geo.LocalProjection(120.0, 36.25)
    towns = facts.TOWNS
    tp = np.column_stack(proj.to_metres(*np.array([t.point for t in towns]).T))
    ex = np.column_stack(proj.to_metres(*np.array(facts.COUNTY_EXTREMES).T))
    # The ragged edge reaches about 2 km beyond the skeleton: aim short of it.
    ex -= 2e3 * (ex - tp.mean(axis=0)) / np.hypot(*(ex - tp.mean(axis=0)).T)[:, None]
    centre = np.column_stack(proj.to_metres(*facts.CITY_CENTRE))
    box = shapely.box(*proj.to_metres(119.55, 35.93), *proj.to_metres(120.29, 36.58))
    # Atoms four times denser in town, so that the small urban towns get enough.
    atoms = geo.Atoms.scatter(rng, box, n_atoms, geo.Density(centre, np.r_[5e3], np.r_[4.0]))
    # The outline: tapered capsules along the minimum spanning tree of the towns
    # and the extreme points, wide at big towns, pointed at the extremes.
    area = np.array([t.area_km2 for t in towns]) * 1e6
    radius = np.r_[np.sqrt(area / np.pi), np.zeros(len(ex))]
    field = _skeleton_field(rng, atoms, np.vstack([tp, ex]), radius, noise=1500.0)
    seeds_all = atoms.containing(tp[:, 0], tp[:, 1])
    forced = np.isin(np.arange(len(atoms.cells)), seeds_all)
    # Noise must not push the county far past its real extremes (about 1 km).
    lon, lat = proj.to_lonlat(*atoms.points.T)
    (west, _), (east, _), (_, south), (_, north) = facts.COUNTY_EXTREMES
    beyond = (lon < west - 0.01) | (lon > east + 0.01) | (lat < south - 0.01) | (lat > north + 0.01)
    mask = geo.select_outline(atoms, field, facts.COUNTY_AREA_KM2 * 1e6, forced, beyond)
    land = atoms.subset(mask)
    seeds = land.containing(tp[:, 0], tp[:, 1])
    targets = area / area.sum() * land.area.sum()
    polys, _ = _partition(rng, land, seeds, land.area, targets, tolerance=0.03)
    plans = [
        TownPlan(
            t.code,
            t.name,
            t.name_en,
            t.kind,
            t.population,
            t.rural,
            facts.COMMUNITIES[t.code],
            facts.COUNTY_NAME,
        )
        for t in towns
    ]
    seats = np.array([t.seat or t.point for t in towns])
    sm = np.column_stack(proj.to_metres(*seats.T))
    density = geo.Density(
        np.vstack([centre, sm]),
        np.r_[3e3, np.full(len(towns), 1.2e3)],
        np.r_[6.0, [2.0] * len(towns)],
    )
    offices = {facts.COUNTY_NAME: facts.CITY_GOVERNMENT}
    points = np.array([t.point for t in towns])
    return _finish(rng, proj, polys, plans, n_grids, density, seats, offices, points)


_REGION_POPULATION = 10_300_000  # Qingdao, 2023

# Districts of the synthetic region: name, English, code, centre lon/lat, km², urban.
_DISTRICTS = (
    ("市南区", "Shinan", "370202", 120.39, 36.07, 30, True),
    ("市北区", "Shibei", "370203", 120.37, 36.11, 65, True),
    ("李沧区", "Licang", "370213", 120.43, 36.17, 100, True),
    ("崂山区", "Laoshan", "370212", 120.55, 36.15, 390, True),
    ("城阳区", "Chengyang", "370214", 120.40, 36.31, 580, True),
    ("黄岛区", "Huangdao", "370211", 119.98, 35.86, 2100, False),
    ("即墨区", "Jimo", "370215", 120.55, 36.45, 1800, False),
    ("胶州市", "Jiaozhou", "370281", 120.00, 36.27, 1300, False),
    ("平度市", "Pingdu", "370283", 119.95, 36.75, 3170, False),
    ("莱西市", "Laixi", "370285", 120.52, 36.88, 1570, False),
)


# Land links between districts (indices into _DISTRICTS): around the bay, not across.
_DISTRICT_LINKS = ((0, 1), (1, 2), (2, 3), (2, 4), (4, 6), (4, 7), (7, 5), (7, 8), (6, 9), (8, 9))


def region(rng, n_grids: int, n_towns: int, area_km2: float, n_atoms: int) -> Places:
    """A synthetic Qingdao: ~``n_towns`` towns around a bay, ``area_km2`` of land."""
    proj = geo.LocalProjection(120.25, 36.35)
    lon, lat = np.array([(d[3], d[4]) for d in _DISTRICTS]).T
    dc = np.column_stack(proj.to_metres(lon, lat))
    urban = np.array([d[6] for d in _DISTRICTS])
    core = np.column_stack(proj.to_metres(120.40, 36.10))
    density = geo.Density(
        np.vstack([core, dc]), np.r_[9e3, np.where(urban, 5e3, 3.5e3)], np.r_[40.0, [6.0] * 10]
    )
    box = shapely.box(*proj.to_metres(119.45, 35.55), *proj.to_metres(121.05, 37.15))
    atoms = geo.Atoms.scatter(rng, box, n_atoms, lambda x, y: density(x, y) ** 0.5)
    radius = np.sqrt(np.array([d[5] for d in _DISTRICTS]) * 1e6 / np.pi)
    field = _skeleton_field(
        rng, atoms, dc, radius, noise=4000.0, wavelengths=(10e3, 40e3), edges=_DISTRICT_LINKS
    )
    bay = np.column_stack(proj.to_metres(120.24, 36.15))
    shore = geo.smooth_noise(rng, 1500.0, (3e3, 12e3))(*atoms.points.T)
    water = np.hypot(*(atoms.points - bay).T) < 10e3 + shore
    land = atoms.subset(geo.select_outline(atoms, field, area_km2 * 1e6, forbidden=water))
    # Towns of equal "weight": small where people are many, large in the country.
    people = land.area * density(*land.points.T)
    weight = land.area * density(*land.points.T) ** 1.5
    seeds, targets = regions.kmeans_seeds(rng, land.points, weight, land.area, n_towns)
    polys, label = _partition(rng, land, seeds, weight, targets, tolerance=0.2)
    pop = apportion(_REGION_POPULATION, np.bincount(label, weights=people, minlength=n_towns))
    pop_density = pop / shapely.area(polys)
    rural = np.clip(np.log(pop_density.max() / pop_density) / 4.0, 0, 1)
    rep = shapely.get_coordinates(shapely.point_on_surface(polys))
    dist = np.hypot(rep[:, None, 0] - dc[:, 0], rep[:, None, 1] - dc[:, 1])
    district = np.argmin(dist, axis=1)
    plans = _region_plans(rng, pop, rural, district, urban, n_grids)
    offices = {d[0]: (d[3], d[4]) for d in _DISTRICTS}
    seats = np.column_stack(proj.to_lonlat(*rep.T))
    return _finish(rng, proj, polys, plans, n_grids, density, seats, offices)


def _region_plans(rng, pop, rural, district, urban, n_grids) -> list[TownPlan]:
    """Names, codes, kinds and communities of the synthetic towns."""
    grids = apportion(n_grids, pop)
    plans: list[TownPlan] = [None] * len(pop)  # type: ignore[list-item]
    used: set[str] = set()
    seq = {d: [0, 100] for d in range(len(_DISTRICTS))}
    for i in np.argsort(district * 1e6 - pop, kind="stable"):  # per district, biggest first
        d = int(district[i])
        name, name_en = place_name(rng, used)
        street = bool(urban[d] or rural[i] < 0.45)
        seq[d][0 if street else 1] += 1
        dname, den = _DISTRICTS[d][0], _DISTRICTS[d][1]
        code = f"{_DISTRICTS[d][2]}{seq[d][0 if street else 1]:03d}"
        suffix, en_suffix = ("街道", "Subdistrict") if street else ("镇", "Town")
        k = max(1, round(grids[i] / 6.3))
        n_village = round(k * rural[i])
        names = village_names(rng, k, n_village)
        comms = tuple(
            (f"{code}{(j + 1 if j < k - n_village else 200 + j):03d}", nm, kind)
            for j, (nm, kind) in enumerate(names)
        )
        plans[i] = TownPlan(
            code,
            f"{dname}{name}{suffix}",
            f"{den} {name_en} {en_suffix}",
            "subdistrict" if street else "town",
            int(pop[i]),
            float(rural[i]),
            comms,
            dname,
        )
    return plans


def _skeleton_field(rng, atoms, anchors, radius, noise, wavelengths=(4e3, 16e3), edges=None):
    """Field of tapered capsules along ``edges`` between anchors (by default
    their minimum spanning tree), plus noise."""
    edges = np.array(geo.mst_segments(anchors) if edges is None else edges)
    a, b = anchors[edges[:, 0]], anchors[edges[:, 1]]
    ra, rb = radius[edges[:, 0]], radius[edges[:, 1]]
    wobble = geo.smooth_noise(rng, noise, wavelengths)(*atoms.points.T)
    x, y = atoms.points.T
    return lambda s: geo.capsule_field(x, y, a, b, s * ra, s * rb) + wobble


def _partition(rng, land: geo.Atoms, seeds, weight, targets, tolerance):
    """Town polygons (metres) grown over the land atoms from the seeds, and the
    town of every atom."""
    bias = np.exp(0.25 * geo.smooth_noise(rng, 1.0)(*land.points.T))  # less round towns
    label = regions.grow_regions(land.graph, weight, land.points, seeds, targets, bias)
    label = regions.balance_regions(
        land.graph, label, weight, land.points, seeds, targets, tolerance
    )
    return geo.union_by_label(land.cells, label, len(seeds)), label


def _finish(rng, proj, polys, plans, n_grids, density, seats, offices, label_points=None):
    """Grids, populations and communities for town polygons; the frames."""
    pops = np.array([p.population for p in plans])
    n_comm = np.array([len(p.communities) for p in plans])
    counts = np.maximum(apportion(n_grids, pops), 2 * n_comm)
    cells, owner = [], []
    for i, poly in enumerate(polys):
        cells.append(geo.tile(poly, int(counts[i]), density, rng))
        owner.append(np.full(len(cells[-1]), i))
    cells, owner = shapely.coverage_clean(np.concatenate(cells)), np.concatenate(owner)
    grid_area = shapely.area(cells) / 1e6
    grids84 = proj.geoms_to_wgs84(cells)
    graph = regions.adjacency(grids84)
    # People follow the density; a little noise so that no two grids look alike.
    inner = shapely.get_coordinates(shapely.point_on_surface(cells))
    weight = density(*inner.T) * grid_area * rng.lognormal(0, 0.25, len(cells))
    grid_pop = np.zeros(len(cells), int)
    grid_hh = np.zeros(len(cells), int)
    comm_of = np.zeros(len(cells), int)
    comm_rows = []
    for i, plan in enumerate(plans):
        idx = np.flatnonzero(owner == i)
        grid_pop[idx] = apportion(plan.population, weight[idx])
        per_hh = _HOUSEHOLD_URBAN + (_HOUSEHOLD_RURAL - _HOUSEHOLD_URBAN) * plan.rural
        grid_hh[idx] = apportion(round(plan.population / per_hh), grid_pop[idx])
        label = _communities(rng, grids84[idx], inner[idx], grid_pop[idx], grid_area[idx], plan)
        comm_of[idx] = label + len(comm_rows)
        comm_rows += [(*c, plan.code) for c in plan.communities]
    comm = pd.DataFrame(comm_rows, columns=["code", "name", "kind", "town_code"])
    town_codes = np.array([p.code for p in plans])
    grids = _grid_frame(rng, grids84, grid_area, grid_pop, grid_hh, comm, comm_of)
    grids.insert(1, "town_code", town_codes[owner])
    comm_geom = geo.union_by_label(grids84, comm_of, len(comm))
    comm_frame = gpd.GeoDataFrame(
        {
            "code": comm["code"],
            "town_code": comm["town_code"],
            "name": comm["name"],
            "kind": comm["kind"],
            "population": np.bincount(comm_of, weights=grid_pop).astype(int),
            "households": np.bincount(comm_of, weights=grid_hh).astype(int),
            **_interior(comm_geom, rng),
        },
        geometry=comm_geom,
        crs=geo.WGS84,
    )
    town_geom = geo.union_by_label(grids84, owner, len(plans))
    town_frame = gpd.GeoDataFrame(
        {
            "code": town_codes,
            "name": [p.name for p in plans],
            "name_en": [p.name_en for p in plans],
            "kind": [p.kind for p in plans],
            "population": pops,
            "households": np.bincount(owner, weights=grid_hh).astype(int),
            "area_km2": np.round(np.bincount(owner, weights=grid_area), 2),
            **_interior(town_geom, rng, label_points),
        },
        geometry=town_geom,
        crs=geo.WGS84,
    )
    info = pd.DataFrame(
        {
            "rural": [p.rural for p in plans],
            "district": [p.district for p in plans],
            "seat_lon": seats[:, 0],
            "seat_lat": seats[:, 1],
        },
        index=pd.Index(town_codes, name="code"),
    )
    kind = pd.Series(comm["kind"].to_numpy()[comm_of], index=grids.index)
    return Places(town_frame, comm_frame, grids, info, graph, offices, kind)


def _communities(rng, cells84, inner, pop, area, plan: TownPlan) -> np.ndarray:
    """Group a town's grids into its communities; a label per grid.

    Regions of about equal population grow from well-spread seeds; the densest
    regions become the urban communities (社区), the others the villages.
    """
    k = len(plan.communities)
    graph = regions.adjacency(cells84)
    seeds = regions.spread_seeds(rng, inner, pop + 1.0, k)
    targets = np.full(k, pop.sum() / k + 1.0)
    label = regions.grow_regions(graph, pop + 1.0, inner, seeds, targets)
    orphan = label < 0  # grids cut off from every seed (rare): nearest seed
    if orphan.any():
        d = np.hypot(*(inner[orphan, None, :] - inner[seeds][None]).transpose(2, 0, 1))
        label[orphan] = np.argmin(d, axis=1)
    dens = np.bincount(label, weights=pop, minlength=k) / np.bincount(
        label, weights=area, minlength=k
    )
    kinds = np.array([c[2] for c in plan.communities])
    # Communities (社区) in the densest regions, villages in the rest.
    slot = np.empty(k, int)
    slot[np.argsort(-dens, kind="stable")] = np.r_[
        rng.permutation(np.flatnonzero(kinds == "community")),
        rng.permutation(np.flatnonzero(kinds != "community")),
    ]
    return slot[label]


def _grid_frame(rng, geoms, area, pop, hh, comm, comm_of) -> gpd.GeoDataFrame:
    """The grids frame (without town, worker and secretary), numbered within
    each community from north to south."""
    inner = _interior(geoms, rng)
    order = np.lexsort((-inner["lat"], comm_of))
    number = np.empty(len(geoms), int)
    starts = np.r_[True, comm_of[order][1:] != comm_of[order][:-1]]
    run = np.arange(len(order)) - np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    number[order] = run + 1
    ccode = comm["code"].to_numpy()[comm_of]
    cname = comm["name"].to_numpy()[comm_of]
    return gpd.GeoDataFrame(
        {
            "code": [f"{c}-{n:02d}" for c, n in zip(ccode, number, strict=True)],
            "community_code": ccode,
            "name": [f"{c}第{n}网格" for c, n in zip(cname, number, strict=True)],
            "population": pop,
            "households": hh,
            "area_km2": np.round(area, 4),
            **inner,
        },
        geometry=geoms,
        crs=geo.WGS84,
    )


def _interior(geoms: np.ndarray, rng, preferred=None) -> dict[str, np.ndarray]:
    """lon/lat of an interior point of each WGS84 polygon (6 decimals, inside):
    the ``preferred`` (n, 2) point where it is inside, else a point on surface."""
    xy = np.round(shapely.get_coordinates(shapely.point_on_surface(geoms)), geo.DECIMALS)
    if preferred is not None:
        ok = shapely.contains_xy(geoms, preferred[:, 0], preferred[:, 1])
        xy[ok] = preferred[ok]
    bad = np.flatnonzero(~shapely.contains_xy(geoms, xy[:, 0], xy[:, 1]))
    if len(bad):
        xy[bad, 0], xy[bad, 1] = geo.sample_points_in(geoms, bad, rng)
    return {"lon": xy[:, 0], "lat": xy[:, 1]}
