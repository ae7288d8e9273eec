"""Frames to database rows and back: missing values, geometry as WKB, JSON texts."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import orjson
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
    """``value`` as JSON text with sorted keys, for audit entries and the change feed.

    orjson writes it (no spaces after separators, a NaN as null); the
    standard library took five times as long, and every write makes two.
    """
    if value is None:
        return None
    try:
        return orjson.dumps(value, default=_json_default, option=_JSON_OPTIONS).decode()
    except TypeError:  # what orjson does not take, e.g. an integer beyond 64 bits
        return json.dumps(
            value, ensure_ascii=False, default=_json_default, sort_keys=True, separators=(",", ":")
        )


_JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def json_text_later(value: dict, later: tuple[str, ...]) -> JsonLater:
    """``json_text`` of ``value`` with the keys ``later`` filled in later.

    Everything but ``later`` is encoded now; ``fill(values)``, the object
    returned, only encodes ``values`` (the keys ``later``) and joins the
    pieces: ``fill(v) == json_text({**value, **v})``. The intake encodes a
    report while no lock is held and fills in its id under the write lock,
    maybe in another process (``JsonLater`` is plain data).
    """
    slots = tuple(sorted(later))
    marks = {key: f"{_SLOT_MARK}{i}" for i, key in enumerate(slots)}
    text = json_text({**value, **marks})
    pieces = []
    for key in slots:  # sort_keys puts the slots in this order
        head, found, text = text.partition(f'"{marks[key]}"')
        if not found:
            raise AssertionError(f"the slot of {key!r} is missing from its JSON text")
        pieces.append(head)
    pieces.append(text)
    return JsonLater(tuple(pieces), slots)


# Stands for a later key's value while the rest is encoded; no data holds it.
_SLOT_MARK = f"gc-slot-{secrets.token_hex(16)}-"


@dataclass(frozen=True)
class JsonLater:
    """A JSON object's text but for some keys' values (``json_text_later``)."""

    pieces: tuple[str, ...]  # the text around the values, one more than the slots
    slots: tuple[str, ...]  # the keys whose values go between the pieces, in order

    def __call__(self, values: dict) -> str:
        out = [self.pieces[0]]
        for key, piece in zip(self.slots, self.pieces[1:], strict=True):
            value = values[key]
            if type(value) is int:  # the row id: what orjson writes, at a fraction of it
                out.append(str(value))
            elif isinstance(value, str) and value.isascii() and value.isalnum():
                out.append(f'"{value}"')  # a public id: nothing to escape
            else:
                out.append(orjson.dumps(value, default=_json_default).decode())
            out.append(piece)
        return "".join(out)


def _json_default(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return None
    return str(value)


def frame_of(result) -> pd.DataFrame:
    """The rows of a SQLAlchemy ``result`` with their columns, even when there
    are none (an empty frame without columns breaks every reader after it).

    The rows go to pandas as plain tuples: it takes a SQLAlchemy Row, or a
    mapping, for something else and asks each row for attributes it lacks
    (3 to 10 times slower: 10 ms instead of 1.3 for the county's cadres)."""
    keys = list(result.keys())
    return pd.DataFrame.from_records([tuple(row) for row in result], columns=keys)
