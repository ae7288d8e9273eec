"""Frames to database rows and back: missing values, geometry as WKB, JSON texts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

if TYPE_CHECKING:  # imported where used: the command line starts without geopandas
    import geopandas as gpd

WGS84 = "EPSG:4326"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with None for every missing value (NaN, NaT, pd.NA)."""
    if frame is None or len(frame) == 0:
        return []
    plain = frame.astype(object)
    return plain.where(plain.notna(), None).to_dict("records")


def none_for_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with None for every missing value (NaN, NaT, pd.NA), all columns
    of Python objects: for lists that people read and act on, where a NaN name is
    truthy ("town nan") and a NaT is "not None" (every key shown revoked)."""
    plain = frame.astype(object)
    return plain.where(plain.notna(), None)


def with_geometry(frame: gpd.GeoDataFrame) -> list[dict]:
    """Rows with the geometry as WKB and its bounding box (WGS84)."""
    if frame.crs is not None and not frame.crs.equals(WGS84):
        frame = frame.to_crs(WGS84)
    geoms = frame.geometry.to_numpy()
    bounds = shapely.bounds(geoms)
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    for i, name in enumerate(("minx", "miny", "maxx", "maxy")):
        table[name] = bounds[:, i]
    table["geometry"] = shapely.to_wkb(geoms)
    return records(table)


def feed_incident(row: dict) -> dict:
    """What a live map needs of an incident."""
    keys = ("id", "public_id", "status", "priority", "category", "lon", "lat", "grid_code")
    return {key: row.get(key) for key in keys}


def json_text(value: dict | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=_json_default, sort_keys=True)


def json_text_later(value: dict, later: tuple[str, ...]) -> Callable[[dict], str]:
    """``json_text`` of ``value`` with the keys ``later`` filled in later.

    Everything but ``later`` is encoded now, each run of keys between them
    apart; ``fill(values)``, the function returned, only encodes ``values``
    (the keys ``later``) and joins the parts: ``fill(v) == json_text({**value,
    **v})``. The intake encodes a report while no lock is held and fills in
    its id under the write lock.
    """
    parts: list[str | None] = []  # encoded runs of keys, None where a later key goes
    run: dict = {}
    for key in sorted(set(value) | set(later)):
        if key in later:
            if run:
                parts.append(json_text(run)[1:-1])
                run = {}
            parts.append(None)
        else:
            run[key] = value[key]
    if run:
        parts.append(json_text(run)[1:-1])
    slots = sorted(later)

    def fill(values: dict) -> str:
        filled = iter(json.dumps({k: values[k]}, ensure_ascii=False)[1:-1] for k in slots)
        return "{" + ", ".join(p if p is not None else next(filled) for p in parts) + "}"

    return fill


def _json_default(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return None
    return str(value)
