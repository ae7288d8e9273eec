"""Importing boundary files (issue 9): towns, communities or grids from a
GeoJSON, Shapefile or GeoPackage, for the command line and /data.

Read the file, map its columns, take it to WGS84, refuse it as a whole when
its CRS is missing or wrong or it was traced on a GCJ-02 web map, check it
against the store (``domain.boundary_checks``), preview what importing it
would change, and apply it; nothing is written until ``apply_check``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
from pyproj import CRS

from data.import_files import read_layer, to_wgs84, undo_gcj02
from domain.boundary_checks import CheckResult, check_boundaries
from domain.boundary_rows import COUNT_FIELDS, parse_counts, table_rows
from domain.crs_guess import CHINA, JIAOZHOU, CrsGuess, guess_crs
from domain.errors import InvalidInput
from domain.field_mapping import guess_mapping, missing_fields
from domain.layer_fit import (
    NEAR_CITY_KM,
    Gcj02Fit,
    distance_km,
    gcj02_fit,
    outside_valid_area,
)
from services.imports import KINDS

PARENT_OF = {"communities": "towns", "grids": "communities"}
LAYER_WORDS = {
    "towns": ("town", "镇街"),
    "communities": ("community", "社区（村）"),
    "grids": ("grid", "网格"),
}
# Aligned by hand: this table reads better laid out as a table.
REFERENCE_WORDS = {"communities": ("their parent communities", "所属社区"),
                   "towns": ("their parent towns", "所属镇街"),
                   "towns_stored": ("the towns stored", "现有镇街"),
                   "communities_stored": ("the communities stored", "现有社区"),
                   "grids_stored": ("the grids stored", "现有网格")}  # fmt: skip


@dataclass(frozen=True)
class Refusal:
    """Something wrong with the file as a whole (unmapped columns, its CRS,
    its place): the checks do not run and nothing can be imported."""

    kind: str  # unmapped, no_crs, wrong_crs, gcj02
    message: str
    zh: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.message


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
    refusals: list[Refusal] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # the reader's, (en, zh)
    fit: Gcj02Fit | None = None  # how it fits the store, as is and without GCJ-02
    gcj02: bool | None = None  # what the user said: undo it, it is not GCJ-02, or nothing

    @property
    def ok(self) -> bool:
        return self.result is not None and not self.result.blocking and not self.refusals


def check_file(
    store,
    kind: str,
    path,
    *,
    crs: str | None = None,
    gcj02: bool | None = None,
    mapping: Mapping[str, str] | None = None,
    layer: str | None = None,
) -> ImportCheck:
    """Read, map, reproject and check one file of ``kind``; writes nothing.

    ``gcj02``: True undoes the offset of Chinese web maps, False says the
    file is true WGS84 (or CGCS2000); None (not said) refuses a file that
    fits the store much better with the offset undone. Whatever is wrong with
    the file as a whole (unmapped columns, a missing or wrong CRS) is
    gathered in ``refusals`` at once; the checks then do not run.
    """
    if kind not in KINDS:
        raise InvalidInput(f"import reads {', '.join(KINDS)} from files, not {kind!r}")
    frame = read_layer(path, layer)
    used = {**guess_mapping(frame.columns, kind=kind), **(mapping or {})}
    unknown = [c for c in used.values() if c and c not in frame.columns]
    if unknown:
        raise InvalidInput(
            f"the file has no column {unknown[0]!r}; it has "
            f"{', '.join(map(str, frame.columns[:12]))}",
            zh=f"文件中没有“{unknown[0]}”这一列",
        )
    needed = ["code", "name"] + (["parent_code"] if kind in PARENT_OF else [])
    found = ImportCheck(
        kind,
        len(frame),
        used,
        frame.crs.to_string() if frame.crs else None,
        notes=list(frame.attrs.get("notes", [])),
        gcj02=gcj02,
    )
    missing = missing_fields(used, needed)
    if missing:
        columns = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
        found.refusals.append(
            Refusal(
                "unmapped",
                f"no column is mapped to {', '.join(missing)}: give --map "
                f"{missing[0]}=COLUMN (the file has {columns})",
                f"请指定 {', '.join(missing)} 所在的列（--map {missing[0]}=列名；文件中的列：{columns}）",
            )
        )
    city = store.towns()
    centre = _centre(city)
    if frame.crs is None and crs is None:
        found.guesses = guess_crs(tuple(frame.total_bounds), centre)
        found.refusals.append(
            Refusal(
                "no_crs",
                "the file has no CRS; likely ones, nearest to the city first "
                "(confirm with --crs EPSG:CODE):",
                "文件没有坐标系，可能的坐标系如下（离本市最近的在前，用 --crs 确认）：",
            )
        )
        return found
    wgs = to_wgs84(frame, crs)
    misplaced = _misplaced(frame, wgs, crs if crs is not None else frame.crs, city, centre)
    if misplaced is not None:
        found.guesses, refusal = misplaced
        found.refusals.append(refusal)
    if found.refusals:
        return found
    features = gpd.GeoDataFrame(
        {"code": wgs[used["code"]].astype("string"), "name": wgs[used["name"]]},
        geometry=wgs.geometry,
        crs=4326,
    )
    parents = None
    if kind in PARENT_OF:
        features["parent_code"] = wgs[used["parent_code"]].astype("string")
        parents = store.towns() if PARENT_OF[kind] == "towns" else store.communities()
    undone = undo_gcj02(features.geometry)
    found.fit = _fit(store, kind, features, undone, parents)
    if gcj02 is None and found.fit is not None and found.fit.gcj02_likely:
        found.refusals.append(_gcj02_refusal(found.fit))
        return found
    if gcj02:
        features = features.set_geometry(undone)
    if kind == "towns" and used.get("name_en"):
        features["name_en"] = wgs[used["name_en"]].astype("string")
    number_problems = []
    for name in COUNT_FIELDS:
        if used.get(name):
            features[name], problems = parse_counts(wgs[used[name]], features["code"], name)
            number_problems += problems
    found.result = check_boundaries(features, parents, unit=LAYER_WORDS[kind][0])
    found.result.problems[:0] = number_problems
    if kind == "grids":
        found.parents = parents
    return found


def _centre(city: gpd.GeoDataFrame) -> tuple[float, float]:
    """The middle of the city's towns (lon, lat); Jiaozhou when there are none."""
    if city.empty:
        return JIAOZHOU
    minx, miny, maxx, maxy = city.total_bounds
    return ((minx + maxx) / 2, (miny + maxy) / 2)


def _misplaced(frame, wgs, declared, city, centre) -> tuple[list[CrsGuess], Refusal] | None:
    """The likely CRSs and the refusal when the coordinates leave the declared
    CRS's valid area or land away from the city; None when they are in place."""
    source = CRS.from_user_input(declared)
    name = f"EPSG:{source.to_epsg()} ({source.name})" if source.to_epsg() else source.name
    raw, bounds = tuple(frame.total_bounds), tuple(wgs.total_bounds)
    span = f"x {_num(raw[0])}…{_num(raw[2])}, y {_num(raw[1])}…{_num(raw[3])}"
    area = outside_valid_area(source, bounds)
    if area is not None:
        where = f"lon {area[0]:g}…{area[2]:g}, lat {area[1]:g}…{area[3]:g}"
        en = f"the coordinates ({span}) are outside the area where {name} is valid ({where})"
        zh = f"坐标（{span}）超出了 {name} 的有效范围（{where}）"
    else:
        far = distance_km(bounds, city.total_bounds) if not city.empty else None
        if far is not None and far > NEAR_CITY_KM:
            en = (
                f"read as {name}, the layer lands {far:,.0f} km from the city (if it is "
                "another city, clear-city first)"
            )
            zh = f"按 {name} 读取，图层落在距本市 {far:,.0f} 公里处（如果是另一个城市，请先 clear-city）"
        elif far is None and _outside_china(bounds):
            en, zh = (
                f"read as {name}, the layer lands outside China",
                f"按 {name} 读取，图层不在中国境内",
            )
        else:
            return None
    guesses = [g for g in guess_crs(raw, centre) if g.near and g.epsg != source.to_epsg()]
    if guesses:
        en += f": the file is likely in EPSG:{guesses[0].epsg} ({guesses[0].name}); give --crs EPSG:{guesses[0].epsg}"
        zh += f"：文件很可能是 EPSG:{guesses[0].epsg}（{guesses[0].name}），请用 --crs EPSG:{guesses[0].epsg}"
    else:
        en += ": no CRS we know puts it in the city; give the file's true CRS with --crs"
        zh += "：已知坐标系都无法把它放到本市，请用 --crs 指定文件的真实坐标系"
    return guesses, Refusal("wrong_crs", en, zh)


def _num(value: float) -> str:
    """A coordinate as people read it: metres whole, degrees to 6 digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.6g}"


def _outside_china(bounds) -> bool:
    """Whether the middle of these lon/lat bounds is outside China's box."""
    lon, lat = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    return not (CHINA[0] <= lon <= CHINA[2] and CHINA[1] <= lat <= CHINA[3])


def _fit(store, kind, features, undone, parents) -> Gcj02Fit | None:
    """How the layer fits the store as it is and with GCJ-02 undone: against
    its parents when it has known ones, else the stored layer of its kind."""
    shapes, moved = features.geometry.to_numpy(), undone.to_numpy()
    if parents is not None and not parents.empty:
        reference = dict(zip(parents["code"].astype(str), parents.geometry, strict=True))
        keys = features["parent_code"].astype(str).to_numpy()
        fit = gcj02_fit(shapes, moved, keys, reference, PARENT_OF[kind])
        if fit is not None:
            return fit
    stored = {"towns": store.towns, "communities": store.communities, "grids": store.grids}[kind]()
    if stored.empty:
        return None
    reference = dict(zip(stored["code"].astype(str), stored.geometry, strict=True))
    keys = features["code"].astype(str).to_numpy()
    return gcj02_fit(shapes, moved, keys, reference, f"{kind}_stored")


def _gcj02_refusal(fit: Gcj02Fit) -> Refusal:
    what, what_zh = REFERENCE_WORDS[fit.reference]
    return Refusal(
        "gcj02",
        f"the shapes look traced on a Chinese web map (GCJ-02): with that offset (about "
        f"{fit.offset_m:,.0f} m here) undone they fit {what} far better, {fit.undone:.1%} of "
        f"the area apart instead of {fit.as_is:.1%}. Say which it is: --gcj02 to undo the "
        "offset, or --not-gcj02 if the file is true WGS84/CGCS2000",
        f"图形疑似描自国内网络地图（GCJ-02）：纠偏（此处约 {fit.offset_m:,.0f} 米）后与{what_zh}"
        f"吻合得多，差异面积占 {fit.undone:.1%}，不纠偏则为 {fit.as_is:.1%}。请说明：需要纠偏加 "
        "--gcj02，文件确为 WGS84/CGCS2000 坐标加 --not-gcj02",
    )


def fit_line(fit: Gcj02Fit, lang: str = "en") -> str:
    """How the layer fits the store as it is and with GCJ-02 undone, one line."""
    what, what_zh = REFERENCE_WORDS[fit.reference]
    if lang == "zh":
        return f"与{what_zh}的差异面积：不纠偏 {fit.as_is:.1%}，GCJ-02 纠偏后 {fit.undone:.1%}"
    return (
        f"fit with {what}: {fit.as_is:.1%} of the area apart as it is, {fit.undone:.1%} "
        "with GCJ-02 undone"
    )


def apply_check(store, check: ImportCheck, *, actor: str, source: str, progress=None) -> dict:
    """Write a checked file's layer, all or nothing; returns the counts.

    Refuses a check with blocking problems (or an unconfirmed CRS): the
    caller shows those instead.
    """
    return store.import_boundaries(
        check.kind, _layer(store, check), actor=actor, source=source, progress=progress
    )


def preview_check(store, check: ImportCheck) -> dict:
    """What applying the checked file would do (added, updated, removed,
    incidents moved, or ``blocked``), without writing."""
    return store.preview_boundaries(check.kind, _layer(store, check))


def refused(check: ImportCheck) -> InvalidInput:
    """The error for a check whose file was refused as a whole (its refusals)."""
    first = (
        check.refusals[0]
        if check.refusals
        else Refusal("no_crs", "confirm the file's CRS first", "请先确认文件的坐标系")
    )
    return InvalidInput(f"{first.message}; nothing was imported", zh=f"{first.zh}；未写入任何数据")


def _layer(store, check: ImportCheck):
    if check.result is None:
        raise refused(check)
    if check.result.blocking:
        raise InvalidInput(
            f"{len(check.result.blocking)} blocking problem(s): nothing was imported",
            zh="存在阻止导入的问题，未写入任何数据",
        )
    towns_of = None
    if check.kind == "grids":
        parents = check.parents if check.parents is not None else store.communities()
        towns_of = dict(zip(parents["code"].astype(str), parents["town_code"], strict=True))
    return table_rows(check.kind, check.result.features, towns_of)
