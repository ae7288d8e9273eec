"""The rows of a layer import (issue 9): which of the file's features are
new, changed or the same as the store's, and the snapshot that lets an
import be undone.

Rows are dicts of the table's columns, geometry as WKB. No SQL here: the
store reads the rows and writes what these decide.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib

import shapely
from sqlalchemy import LargeBinary

from data.column_types import UTCDateTime

SAME_SHAPE_DEG = 1e-9  # ~0.1 mm: a round trip through a file is not a change
# What a new feature gets when the file has no column for it.
DEFAULTS = {"population": 0, "households": 0, "worker_id": None, "secretary": None}


def plan_layer(kind: str, table, before: list[dict], incoming: list[dict], whole: bool = False):
    """Stored rows by code, the towns the file stands for (None: the whole
    layer), the codes to remove, and the merge (added, changed, unchanged)."""
    old = {row["code"]: row for row in before}
    new_codes = {row["code"] for row in incoming}
    # A file of grids or communities stands for the towns it covers: a
    # bureau may send one town's grids, and the others' must stay.
    towns = None if kind == "towns" or whole else {row["town_code"] for row in incoming}
    removed = [
        code
        for code in old
        if code not in new_codes and (towns is None or old[code]["town_code"] in towns)
    ]
    return old, towns, removed, merge_rows(table, old, incoming)


def merge_rows(
    table, old: dict[str, dict], incoming: list[dict]
) -> tuple[list[dict], list[dict], int]:
    """Split the file's rows into added, changed (merged with what is kept) and a
    count of unchanged ones. A shape within ``SAME_SHAPE_DEG`` of the stored
    one keeps the stored shape and everything measured from it."""
    added, changed, unchanged = [], [], 0
    for row in incoming:
        present = {k: v for k, v in row.items() if v is not None or k not in DEFAULTS}
        stored = old.get(row["code"])
        if stored is None:
            new = {**DEFAULTS, "name_en": row.get("name"), **present}
            added.append({c.name: new.get(c.name) for c in table.c})
            continue
        merged = {**stored, **present}
        if same_shape(stored["geometry"], merged["geometry"]):
            for key in ("geometry", "minx", "miny", "maxx", "maxy", "lon", "lat", "area_km2"):
                if key in stored:
                    merged[key] = stored[key]
        if any(merged[k] != stored[k] for k in stored):
            changed.append(merged)
        else:
            unchanged += 1
    return added, changed, unchanged


def same_shape(a: bytes, b: bytes) -> bool:
    """Whether two WKB shapes are the same within ``SAME_SHAPE_DEG``, whatever
    their ring order, start vertex or single/multi type (formats differ)."""
    if a == b:
        return True
    first, second = shapely.from_wkb(a), shapely.from_wkb(b)
    return bool(shapely.hausdorff_distance(first, second) <= SAME_SHAPE_DEG)


def row_to_json(table, row: dict) -> dict:
    """A table row as JSON values: bytes as hex, times as ISO 8601."""
    out = {}
    for key, value in row.items():
        if isinstance(value, bytes):
            value = value.hex()
        elif isinstance(value, dt.datetime):
            value = value.isoformat()
        out[key] = value
    return out


def row_from_json(table, row: dict) -> dict:
    """``row_to_json`` undone, by the table's column types."""
    out = dict(row)
    for column in table.c:
        value = out.get(column.name)
        if value is None:
            continue
        if isinstance(column.type, LargeBinary):
            out[column.name] = bytes.fromhex(value)
        elif isinstance(column.type, UTCDateTime):
            out[column.name] = dt.datetime.fromisoformat(value)
    return out


def encode_snapshot(snapshot: dict) -> bytes:
    """What an import replaced, compressed for the ``imports`` table."""
    return zlib.compress(json.dumps(snapshot, ensure_ascii=False, default=str).encode(), 6)


def decode_snapshot(blob: bytes) -> dict:
    return json.loads(zlib.decompress(blob))
