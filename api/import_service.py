"""Checking a city's boundary file before import (issue 9), for the command
line now and the /admin page later: read it, map its columns, take it to
WGS84, check it against the parents already in the store. Nothing is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd

from data.import_files import read_layer, to_wgs84
from domain.boundary_checks import CheckResult, check_boundaries
from domain.boundary_rows import COUNT_FIELDS, parse_counts, table_rows
from domain.crs_guess import CrsGuess, guess_crs
from domain.errors import InvalidInput
from domain.field_mapping import SYNONYMS, guess_mapping, missing_fields

KINDS = ("towns", "communities", "grids")
PARENT_OF = {"communities": "towns", "grids": "communities"}


@dataclass
class ImportCheck:
    """What a dry run found: the mapping used, the CRS, the checks."""

    kind: str
    rows: int
    mapping: dict[str, str | None]
    crs: str | None  # the file's own, or None
    guesses: list[CrsGuess] = field(default_factory=list)
    result: CheckResult | None = None
    parents: gpd.GeoDataFrame | None = None  # communities, for a grid's town

    @property
    def ok(self) -> bool:
        return self.result is not None and not self.result.blocking


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``field=column`` pairs from the command line."""
    out = {}
    for pair in pairs or []:
        name, sep, column = pair.partition("=")
        if not sep or name not in SYNONYMS or not column:
            raise InvalidInput(f"--map takes field=column with a field of {', '.join(SYNONYMS)}, "
                               f"not {pair!r}", zh="--map 格式应为 字段=列名")  # fmt: skip
        out[name] = column
    return out


def check_file(store, kind: str, path, *, crs: str | None = None, gcj02: bool = False,
               mapping: Mapping[str, str] | None = None, layer: str | None = None) -> ImportCheck:  # fmt: skip
    """Read, map, reproject and check one file of ``kind``; writes nothing."""
    if kind not in KINDS:
        raise InvalidInput(f"import reads {', '.join(KINDS)} from files, not {kind!r}")
    frame = read_layer(path, layer)
    used = {**guess_mapping(frame.columns), **(mapping or {})}
    unknown = [c for c in used.values() if c and c not in frame.columns]
    if unknown:
        raise InvalidInput(f"the file has no column {unknown[0]!r}; it has "
                           f"{', '.join(map(str, frame.columns[:12]))}",
                           zh=f"文件中没有“{unknown[0]}”这一列")  # fmt: skip
    needed = ["code", "name"] + (["parent_code"] if kind in PARENT_OF else [])
    missing = missing_fields(used, needed)
    found = ImportCheck(kind, len(frame), used, frame.crs.to_string() if frame.crs else None)
    if frame.crs is None and crs is None:
        found.guesses = guess_crs(tuple(frame.total_bounds))
        return found
    if missing:
        raise InvalidInput(f"no column is mapped to {', '.join(missing)}: give --map "
                           f"{missing[0]}=COLUMN", zh=f"请指定 {', '.join(missing)} 所在的列")  # fmt: skip
    wgs = to_wgs84(frame, crs, gcj02=gcj02)
    features = gpd.GeoDataFrame(
        {"code": wgs[used["code"]].astype("string"), "name": wgs[used["name"]]},
        geometry=wgs.geometry, crs=4326,
    )  # fmt: skip
    parents = None
    if kind in PARENT_OF:
        features["parent_code"] = wgs[used["parent_code"]].astype("string")
        parents = store.towns() if PARENT_OF[kind] == "towns" else store.communities()
    number_problems = []
    for name in COUNT_FIELDS:
        if used.get(name):
            features[name], problems = parse_counts(wgs[used[name]], features["code"], name)
            number_problems += problems
    found.result = check_boundaries(features, parents)
    found.result.problems[:0] = number_problems
    if kind == "grids":
        found.parents = parents
    return found


def apply_check(store, check: ImportCheck, *, actor: str, source: str, progress=None) -> dict:
    """Write a checked file's layer, all or nothing; returns the counts.

    Refuses a check with blocking problems (or an unconfirmed CRS): the
    caller shows those instead.
    """
    if check.result is None:
        raise InvalidInput("confirm the file's CRS first", zh="请先确认文件的坐标系")
    if check.result.blocking:
        raise InvalidInput(f"{len(check.result.blocking)} blocking problem(s): nothing was "
                           "imported", zh="存在阻止导入的问题，未写入任何数据")  # fmt: skip
    towns_of = None
    if check.kind == "grids":
        parents = check.parents if check.parents is not None else store.communities()
        towns_of = dict(zip(parents["code"].astype(str), parents["town_code"], strict=True))
    layer = table_rows(check.kind, check.result.features, towns_of)
    return store.import_boundaries(check.kind, layer, actor=actor, source=source,
                                   progress=progress)  # fmt: skip


def report_lines(check: ImportCheck, lang: str = "en") -> list[str]:
    """The dry run's findings, a line each, for the terminal."""
    lines = [f"{check.rows:,} {check.kind} read; columns: "
             + ", ".join(f"{k}={v}" for k, v in check.mapping.items() if v)]  # fmt: skip
    if check.result is None:
        lines.append("the file has no CRS; likely ones, nearest to the city first "
                     "(confirm with --crs EPSG:CODE):")  # fmt: skip
        lines += [f"  EPSG:{g.epsg}  {g.name}  ({g.distance_km:,.0f} km from the city)"
                  for g in check.guesses[:5]] or ["  none fits: give --crs"]  # fmt: skip
        return lines
    counts = Counter(p.kind for p in check.result.problems)
    lines.append("problems: " + (", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
                                 or "none"))  # fmt: skip
    lines += [f"  {p.kind}: {p.message}" for p in check.result.problems[:20]]
    lines.append("ready to import" if check.ok
                 else f"{len(check.result.blocking)} blocking problem(s): nothing can be imported")  # fmt: skip
    return lines
