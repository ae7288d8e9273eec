"""Reading a city's boundary files for import (issue 9): GeoJSON, zipped
Shapefile, GeoPackage, through pyogrio.

A file is read whole into a GeoDataFrame with its CRS (None when the file
has none: a Shapefile without its .prj). Whatever is wrong with the file
itself is refused here with a clear message, before any mapping or check:
a name that does not match the content, a zip without a .shp, a file over
the size limit, a file with no features.

``to_wgs84`` takes a frame to WGS84 from its own CRS or the one the user
confirmed, optionally undoing the GCJ-02 offset of Chinese web maps.
"""

from __future__ import annotations

import tempfile
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from domain.errors import InvalidInput
from domain.gcj02 import gcj02_to_wgs84

MAX_BYTES = 500 * 1024 * 1024  # a county's grids are a few MB; a region's tens
SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".zip": "ESRI Shapefile", ".gpkg": "GPKG"}
_MAGIC = {"GPKG": b"SQLite format 3\x00", "ESRI Shapefile": b"PK\x03\x04"}


def read_layer(path: Path | str, layer: str | None = None) -> gpd.GeoDataFrame:
    """The features of a boundary file; ``layer`` picks one of a GeoPackage's."""
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InvalidInput(
            f"{path.name}: import reads .geojson, .zip (Shapefile) or .gpkg files",
            zh=f"{path.name}：只能导入 .geojson、.zip（Shapefile）或 .gpkg 文件",
        )
    existing_size(path, MAX_BYTES)
    _check_content(path, kind)
    if kind == "ESRI Shapefile":
        with tempfile.TemporaryDirectory() as folder:
            return _read(_unzipped_shapefile(path, Path(folder)), layer, path.name)
    return _read(path, layer, path.name)


def existing_size(path: Path, limit: int) -> int:
    """The bytes of an import file that exists and is within ``limit``."""
    if not path.is_file():
        raise InvalidInput(f"{path.name}: no such file", zh=f"{path.name}：文件不存在")
    size = path.stat().st_size
    if size > limit:
        raise InvalidInput(
            f"{path.name}: {size / 2**20:,.0f} MB is over the {limit / 2**20:,.0f} MB import limit",
            zh=f"{path.name}：文件超过 {limit / 2**20:,.0f} MB 上限",
        )
    return size


def _check_content(path: Path, kind: str) -> None:
    with path.open("rb") as file:
        head = file.read(64)
    magic = _MAGIC.get(kind)
    if magic is not None and not head.startswith(magic):
        raise InvalidInput(
            f"{path.name} is not a {'zip' if kind != 'GPKG' else 'GeoPackage'} "
            "file, whatever its name says",
            zh=f"{path.name} 的内容与文件名不符",
        )
    if kind == "GeoJSON" and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        raise InvalidInput(
            f"{path.name} is not GeoJSON, whatever its name says",
            zh=f"{path.name} 不是 GeoJSON 文件",
        )


def _unzipped_shapefile(path: Path, folder: Path) -> Path:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.startswith("__MACOSX")]
            shps = [n for n in names if n.lower().endswith(".shp")]
            if not shps:
                raise InvalidInput(
                    f"{path.name} holds no .shp file", zh=f"{path.name} 中没有 .shp 文件"
                )
            stem = shps[0][: -len(".shp")]
            for needed in (".dbf", ".shx"):
                if not any(n.lower() == (stem + needed).lower() for n in names):
                    raise InvalidInput(
                        f"{path.name}: {Path(stem).name}{needed} is missing next to the .shp",
                        zh=f"{path.name}：缺少 {Path(stem).name}{needed}",
                    )
            for name in names:
                target = (folder / name).resolve()
                if not str(target).startswith(str(folder.resolve())):
                    raise InvalidInput(
                        f"{path.name} has a path outside the archive: {name}",
                        zh=f"{path.name} 含有非法路径",
                    )
            archive.extractall(folder, members=names)
    except zipfile.BadZipFile:
        raise InvalidInput(
            f"{path.name} is not a readable zip file", zh=f"{path.name} 不是有效的 zip 文件"
        ) from None
    return folder / shps[0]


def _read(path: Path, layer: str | None, shown: str) -> gpd.GeoDataFrame:
    """The layer's features; ``frame.attrs["notes"]`` holds what the reader
    warned about, in plain words (``(en, zh)`` pairs), for the report."""
    try:
        if layer is None:
            _check_one_layer(path, shown)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise InvalidInput(
            f"{shown} cannot be read: {str(error)[:200]}", zh=f"{shown} 无法读取"
        ) from None
    frame.attrs["notes"] = [_note(str(w.message), shown) for w in caught]
    if not len(frame):
        raise InvalidInput(f"{shown} has no features", zh=f"{shown} 中没有任何图形")
    if frame.geometry.isna().all():
        raise InvalidInput(f"{shown} has no geometry", zh=f"{shown} 中没有几何图形")
    return frame


def _check_one_layer(path: Path, shown: str) -> None:
    """Refuse a file of several layers when none was named: which one is
    meant is the user's to say, not the reader's first pick."""
    layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    if len(layers) > 1:
        listed = ", ".join(layers[:10]) + (" …" if len(layers) > 10 else "")
        raise InvalidInput(
            f"{shown} has {len(layers)} layers ({listed}): name the one to "
            "import with --layer (on /data: the layer box)",
            zh=f"{shown} 含有 {len(layers)} 个图层（{listed}），请用 --layer "
            "（页面上为“图层”输入框）指定要导入的图层",
        )


def _note(message: str, shown: str) -> tuple[str, str]:
    """A reader's warning said plainly, in English and Chinese."""
    text = " ".join(message.split())[:200]
    return (f"{shown}: the file reader noted: {text}", f"{shown}：读取文件时的提示：{text}")


def to_wgs84(
    frame: gpd.GeoDataFrame, crs: int | str | None = None, *, gcj02: bool = False
) -> gpd.GeoDataFrame:
    """``frame`` in WGS84: from ``crs`` when given (the user's confirmation
    of a guess), else from the file's own; GCJ-02 offsets undone on request."""
    source = crs if crs is not None else frame.crs
    if source is None:
        raise InvalidInput(
            "the file has no coordinate reference system: confirm one",
            zh="文件没有坐标系，请确认坐标系",
        )
    try:
        source = CRS.from_user_input(source)
    except CRSError:
        raise InvalidInput(
            f"{str(crs)[:40]} is not a coordinate reference system", zh="无法识别的坐标系"
        ) from None
    out = frame.set_crs(source, allow_override=True).to_crs(4326)
    if gcj02:
        out = out.set_geometry(undo_gcj02(out.geometry))
    return out


def undo_gcj02(shapes: gpd.GeoSeries) -> gpd.GeoSeries:
    """WGS84 ``shapes`` with the GCJ-02 offset of Chinese web maps undone."""
    fixed = shapely.transform(shapes.to_numpy(), _from_gcj02)
    return gpd.GeoSeries(fixed, index=shapes.index, crs=4326)


def _from_gcj02(xy: np.ndarray) -> np.ndarray:
    return np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
