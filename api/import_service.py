"""Bringing a city's own data (issue 9), for the command line and /data:
read a file, map its columns, take it to WGS84, check it against the store,
preview what importing it would change, and apply it. Boundary files
(towns, communities, grids) and tables (cadre rosters, pairings) alike;
nothing is written until ``apply_check`` or ``apply_table``."""

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
from domain.pairing_table import (
    PAIRING_SYNONYMS,
    PairingCheck,
    check_pairings,
    guess_pairing_mapping,
)
from domain.roster import CADRE_SYNONYMS, RosterCheck, check_cadres, guess_cadre_mapping

KINDS = ("towns", "communities", "grids")
TABLE_KINDS = ("cadres", "pairings")
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


def fields_of(kind: str) -> tuple[str, ...]:
    """The fields a file of ``kind`` can map columns to."""
    fields = tuple({"cadres": CADRE_SYNONYMS, "pairings": PAIRING_SYNONYMS}.get(kind, SYNONYMS))
    return fields if kind == "towns" else tuple(f for f in fields if f != "name_en")


def parse_mapping(pairs: list[str] | None, kind: str = "grids") -> dict[str, str]:
    """``field=column`` pairs from the command line."""
    out, fields = {}, fields_of(kind)
    for pair in pairs or []:
        name, sep, column = pair.partition("=")
        if not sep or name not in fields or not column:
            raise InvalidInput(f"--map takes field=column with a field of {', '.join(fields)}, "
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
    if kind == "towns" and used.get("name_en"):
        features["name_en"] = wgs[used["name_en"]].astype("string")
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
    return store.import_boundaries(check.kind, _layer(store, check), actor=actor, source=source,
                                   progress=progress)  # fmt: skip


def preview_check(store, check: ImportCheck) -> dict:
    """What applying the checked file would do (added, updated, removed,
    incidents moved, or ``blocked``), without writing."""
    return store.preview_boundaries(check.kind, _layer(store, check))


def _layer(store, check: ImportCheck):
    if check.result is None:
        raise InvalidInput("confirm the file's CRS first", zh="请先确认文件的坐标系")
    if check.result.blocking:
        raise InvalidInput(f"{len(check.result.blocking)} blocking problem(s): nothing was "
                           "imported", zh="存在阻止导入的问题，未写入任何数据")  # fmt: skip
    towns_of = None
    if check.kind == "grids":
        parents = check.parents if check.parents is not None else store.communities()
        towns_of = dict(zip(parents["code"].astype(str), parents["town_code"], strict=True))
    return table_rows(check.kind, check.result.features, towns_of)


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


@dataclass
class TableCheck:
    """A checked roster or pairing table, and the mapping used."""

    kind: str
    rows: int
    mapping: dict[str, str | None]
    check: RosterCheck | PairingCheck

    @property
    def blocking(self) -> bool:
        return self.check.blocking


def check_table(store, kind: str, path, *, mapping: Mapping[str, str] | None = None,
                sheet: str | None = None) -> TableCheck:  # fmt: skip
    """Read and check a cadre roster or a pairing table (CSV or Excel); writes nothing."""
    from data.import_tables import read_table

    frame = read_table(path, sheet)
    guess = guess_cadre_mapping if kind == "cadres" else guess_pairing_mapping
    used = {**guess(frame.columns), **(mapping or {})}
    towns = store.towns()[["code", "name"]]
    departments = store.departments()[["id", "name"]]
    if kind == "cadres":
        grids = store.grids(geometry=False)
        checked = check_cadres(frame, used, towns=towns, departments=departments,
                               grid_codes=dict(zip(grids["code"], grids["town_code"], strict=True)))  # fmt: skip
    elif kind == "pairings":
        checked = check_pairings(frame, used, towns=towns, departments=departments)
    else:
        raise InvalidInput(f"tables hold {', '.join(TABLE_KINDS)}, not {kind!r}")
    return TableCheck(kind, len(frame), used, checked)


def apply_table(store, found: TableCheck, *, actor: str, source: str) -> dict:
    """Write a checked roster or pairing table, all or nothing."""
    if found.blocking:
        raise InvalidInput("the table has blocking problems: nothing was imported",
                           zh="存在阻止导入的问题，未写入任何数据")  # fmt: skip
    if found.kind == "cadres":
        return store.import_cadres(found.check.rows, found.check.new_departments, actor=actor,
                                   source=source)  # fmt: skip
    return store.import_pairings(found.check.pairs, found.check.new_departments, actor=actor,
                                 source=source)  # fmt: skip


def table_report_lines(found: TableCheck, lang: str = "en") -> list[str]:
    """A checked table's findings, a line each, for the terminal."""
    lines = [f"{found.rows:,} rows of {found.kind} read; columns: "
             + ", ".join(f"{k}={v}" for k, v in found.mapping.items() if v)]  # fmt: skip
    if found.check.new_departments:
        lines.append(
            "new departments (created on import): " + "、".join(found.check.new_departments)
        )
    counts = Counter(p.kind for p in found.check.problems)
    lines.append(
        "problems: " + (", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "none")
    )
    lines += [f"  row {p.row}: {p.text(lang)}" if p.row else f"  {p.text(lang)}"
              for p in found.check.problems[:30]]  # fmt: skip
    blocking = sum(p.blocking for p in found.check.problems)
    lines.append(f"{blocking} blocking problem(s): nothing can be imported" if blocking
                 else "ready to import")  # fmt: skip
    return lines


@dataclass
class Peek:
    """The first look at an uploaded file: its columns, first rows, the guess."""

    columns: list[str]
    rows: list[dict]
    mapping: dict[str, str | None]
    count: int
    crs: str | None
    guesses: list[CrsGuess] = field(default_factory=list)


def peek(kind: str, path, *, layer: str | None = None, rows: int = 10) -> Peek:
    """Columns, the first ``rows`` rows (as text) and the mapping guess of a file."""
    if kind in TABLE_KINDS:
        from data.import_tables import read_table

        frame = read_table(path, layer)
        guess = guess_cadre_mapping if kind == "cadres" else guess_pairing_mapping
        mapping, crs, guesses = guess(frame.columns), None, []
    elif kind in KINDS:
        frame = read_layer(path, layer)
        mapping = guess_mapping(frame.columns)
        crs = frame.crs.to_string() if frame.crs else None
        guesses = [] if frame.crs else guess_crs(tuple(frame.total_bounds))
        frame = frame.drop(columns=frame.geometry.name)
    else:
        raise InvalidInput(f"nothing imports {kind!r}", zh="未知的导入类型")
    head = frame.head(rows).astype(object)
    shown = head.where(head.notna(), "").astype(str).to_dict("records")
    return Peek([str(c) for c in frame.columns], shown, mapping, len(frame), crs, guesses)
