"""Exporting a city's layers to files (issue 9), for the command line now and
the /admin page later: boundaries to the formats import reads, people and
pairings to tables, so that an export imported again loses nothing.

Column names are the same in every format and at most 10 characters long
(a Shapefile's limit), chosen so ``domain.field_mapping.guess_mapping``
maps them back to code, name, parent_code, population and households.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from data.export_files import LAYER_SUFFIXES, TABLE_SUFFIXES, write_layer, write_table
from domain.errors import InvalidInput

BOUNDARY_KINDS = ("towns", "communities", "grids")
TABLE_KINDS = ("cadres", "pairings")
KINDS = BOUNDARY_KINDS + TABLE_KINDS

_ZH = {
    "towns": "镇街",
    "communities": "社区",
    "grids": "网格",
    "cadres": "干部",
    "pairings": "部门包联",
}


def export_kind(store, kind: str, path: Path | str, *, crs: str | int | None = None) -> int:
    """Write every row of ``kind`` from ``store`` to ``path``; returns the rows written.

    Boundaries (towns, communities, grids) go to ``.geojson``, ``.gpkg`` or
    ``.zip`` (Shapefile), in ``crs`` when given (WGS84 otherwise); cadres and
    pairings go to ``.csv`` or ``.xlsx``. Raises ``InvalidInput`` for an
    unknown kind or a format that does not fit it (before reading anything)
    and for a CRS that is unknown or that GeoJSON cannot hold; no file is
    left behind then.
    """
    path = Path(path)
    _check_format(kind, path, crs)
    if kind in BOUNDARY_KINDS:
        frame = _BOUNDARIES[kind](store)
        write_layer(frame, path, crs=crs)
    else:
        frame = _TABLES[kind](store)
        write_table(frame, path)
    return len(frame)


def _check_format(kind: str, path: Path, crs) -> None:
    """Refuse a kind export does not write, or a format that does not fit it."""
    suffix = path.suffix.lower()
    if kind not in KINDS:
        raise InvalidInput(
            f"export writes {', '.join(KINDS)}, not {kind!r}", zh=f"无法导出“{kind}”"
        )
    if kind in BOUNDARY_KINDS and suffix not in LAYER_SUFFIXES:
        raise InvalidInput(
            f"{kind} are boundaries: export them to .geojson, .gpkg or .zip "
            f"(Shapefile), not {path.name}",
            zh=f"{_ZH[kind]}边界只能导出为 .geojson、.gpkg 或 .zip（Shapefile），"
            f"不能导出为 {path.name}",
        )
    if kind in TABLE_KINDS and suffix not in TABLE_SUFFIXES:
        raise InvalidInput(
            f"{kind} are a table: export them to .csv or .xlsx, not {path.name}",
            zh=f"{_ZH[kind]}是表格，只能导出为 .csv 或 .xlsx，不能导出为 {path.name}",
        )
    if kind in TABLE_KINDS and crs is not None:
        raise InvalidInput(
            f"{kind} have no geometry: a coordinate system does not apply",
            zh=f"{_ZH[kind]}没有几何图形，无需指定坐标系",
        )


def _boundaries(frame: gpd.GeoDataFrame, columns: dict[str, str]) -> gpd.GeoDataFrame:
    """``frame``'s ``columns`` (store name -> export name) and its geometry."""
    out = frame[list(columns)].rename(columns=columns)
    return gpd.GeoDataFrame(out, geometry=frame.geometry.to_numpy(), crs=frame.crs)


def _towns(store) -> gpd.GeoDataFrame:
    columns = ("code", "name", "name_en", "kind", "population", "households")
    return _boundaries(store.towns(), {c: c for c in columns})


def _communities(store) -> gpd.GeoDataFrame:
    return _boundaries(
        store.communities(),
        {
            "code": "code",
            "name": "name",
            "town_code": "parent",
            "kind": "kind",
            "population": "population",
            "households": "households",
        },
    )


def _grids(store) -> gpd.GeoDataFrame:
    return _boundaries(
        store.grids(),
        {
            "code": "code",
            "name": "name",
            "community_code": "parent",
            "town_code": "town",
            "population": "population",
            "households": "households",
            "secretary": "secretary",
        },
    )


def _cadres(store) -> pd.DataFrame:
    """Cadres with the codes of the grids each one works (comma-separated)."""
    cadres = store.cadres()
    grids = store.grids(geometry=False)
    worked = grids.dropna(subset=["worker_id"]).groupby("worker_id")["code"]
    grid_of = worked.agg(lambda codes: ",".join(sorted(codes)))
    grid_of.index = grid_of.index.astype("int64")
    return pd.DataFrame(
        {
            "name": cadres["name"],
            "phone": cadres["phone"].astype("string"),
            "role": cadres["role"],
            "department": cadres["department"],
            "town": cadres["town_code"],
            "grid": cadres["id"].map(grid_of).fillna(""),
            "skills": cadres["skills"].fillna(""),
        }
    )


def _pairings(store) -> pd.DataFrame:
    pairs = store.pairings()
    return pd.DataFrame(
        {"department": pairs["department"], "town": pairs["town_code"], "town_name": pairs["town"]}
    )


_BOUNDARIES = {"towns": _towns, "communities": _communities, "grids": _grids}
_TABLES = {"cadres": _cadres, "pairings": _pairings}
