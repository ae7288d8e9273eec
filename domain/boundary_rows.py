"""Checked boundaries to the rows of the towns, communities or grids table.

What the file gives (code, name, parent code, population, households and the
shape) is completed with what the table needs and a surveying bureau's file
does not carry: the kind (街道 or 镇, 社区 or 村) from the name, the area in
km², a label point inside the shape, and a grid's town from its community.
Counts that the file does not have are left out, so that a re-import keeps
the figures already in the store (``data.store_import`` merges them).

Also: counts read from text columns, where "1,234" and "1234.0" are numbers
and "约300" is a problem that stops the import.

Pure: GeoDataFrames and Series in, a GeoDataFrame and problems out.
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import shapely

from domain.boundary_checks import METRIC, Problem

COUNT_FIELDS = ("population", "households")
_NUMBER = re.compile(r"^\d+(\.0*)?$")


def parse_counts(
    values: pd.Series, codes: pd.Series, field: str
) -> tuple[pd.Series, list[Problem]]:
    """Whole, non-negative numbers of ``field`` (population, households).

    Empty cells stay missing; anything that is not a whole number is a
    ``bad_number`` problem naming the features, which blocks the import.
    """
    text = values.astype("string").str.replace(",", "", regex=False).str.strip()
    empty = text.isna() | (text == "")
    good = text.str.fullmatch(_NUMBER.pattern).fillna(False).astype(bool)
    bad = ~empty & ~good
    problems = []
    if bad.any():
        shown = [f"{c}={v!r}" for c, v in zip(codes[bad][:5], values[bad][:5], strict=True)]
        problems.append(
            Problem(
                "bad_number",
                tuple(codes[bad].astype(str)),
                None,
                None,
                f"{field} must be a whole number: {int(bad.sum())} features are "
                f"not ({', '.join(shown)})",
            )
        )
    numbers = pd.to_numeric(text.where(good), errors="coerce").astype("Int64")
    return numbers, problems


def town_kind(name: str) -> str:
    """街道 (subdistrict) or 镇 (town), from the name."""
    return "subdistrict" if str(name).endswith(("街道", "街道办事处")) else "town"


def community_kind(name: str) -> str:
    """村 (village) or 社区 (community), from the name."""
    return "village" if re.search(r"村(委会|民委员会)?$", str(name)) else "community"


def table_rows(
    kind: str, features: gpd.GeoDataFrame, community_towns: dict[str, str] | None = None
) -> gpd.GeoDataFrame:
    """The table's columns for checked ``features`` of ``kind`` (WGS84).

    ``features`` has code, name and geometry, parent_code for communities and
    grids, and population/households where the file has them. Grids need
    ``community_towns`` (community code -> town code).
    """
    geometry = features.geometry.reset_index(drop=True)
    out = pd.DataFrame(
        {
            "code": features["code"].astype(str).to_numpy(),
            "name": features["name"].astype(str).str.strip().to_numpy(),
        }
    )
    for name in COUNT_FIELDS:
        if name in features:
            out[name] = features[name].to_numpy()
    labels = shapely.point_on_surface(geometry.to_numpy())
    out["lon"], out["lat"] = shapely.get_x(labels), shapely.get_y(labels)
    area_km2 = (gpd.GeoSeries(geometry, crs=features.crs).to_crs(METRIC).area / 1e6).round(4)
    parent = features["parent_code"].astype(str).to_numpy() if "parent_code" in features else None
    if kind == "towns":
        out["kind"] = out["name"].map(town_kind)
        if "name_en" in features:
            out["name_en"] = features["name_en"].astype(object).to_numpy()
        out["area_km2"] = area_km2.to_numpy()
    elif kind == "communities":
        out["town_code"] = parent
        out["kind"] = out["name"].map(community_kind)
    elif kind == "grids":
        out["community_code"] = parent
        out["town_code"] = [(community_towns or {}).get(p) for p in parent]
        out["area_km2"] = area_km2.to_numpy()
    else:
        raise ValueError(f"no boundary table {kind!r}")
    return gpd.GeoDataFrame(out, geometry=geometry.to_numpy(), crs=features.crs)
