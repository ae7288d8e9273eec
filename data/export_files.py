"""Writing a city's layers back to files (issue 9): boundaries to GeoJSON,
GeoPackage or a zipped ESRI Shapefile through pyogrio, tables to CSV or
Excel, so that what ``data.import_files`` reads comes back unchanged.

The format follows the file's suffix, as on import. Every file is written in
a temporary folder beside its target and moved into place only once it is
complete: a refused or failed export leaves nothing behind, and a second
export replaces the first whole (a GeoPackage would otherwise gain a layer).
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS
from pyproj.exceptions import CRSError

from data.import_files import SUFFIXES
from domain.errors import InvalidInput

LAYER_SUFFIXES = tuple(SUFFIXES)  # .geojson, .json, .zip (Shapefile), .gpkg
TABLE_SUFFIXES = (".csv", ".xlsx")
SHAPEFILE_NAME_LIMIT = 10  # characters in a dBASE column name
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
# RFC 7946 suggests 6 decimals; 9 (about 0.1 mm) keeps a round trip exact to
# well within any survey's accuracy at a few bytes per coordinate.
_GEOJSON_OPTIONS = {"RFC7946": "YES", "COORDINATE_PRECISION": 9}
_WGS84 = CRS.from_epsg(4326)
# GeoPackage 1.2, the version GDAL wrote until 3.7 and reads fully since 2.2:
# GDAL 3.6 (Debian 12) warns on a newer 1.4 file, which GDAL 3.7+ writes by default.
GPKG_VERSION = "1.2"


def write_layer(frame: gpd.GeoDataFrame, path: Path | str, *, crs: str | int | None = None) -> Path:
    """Write ``frame`` to ``path`` in the format its suffix names.

    Parameters
    ----------
    frame : GeoDataFrame
        Features in WGS84 (EPSG:4326; a frame without a CRS is taken as
        such). Polygons are written as MultiPolygons, so a layer mixing the
        two is one geometry type in every format.
    path : Path or str
        ``.geojson``/``.json`` (GeoJSON), ``.gpkg`` (GeoPackage, one layer
        named after the file's stem) or ``.zip`` (an ESRI Shapefile, its
        parts side by side in the archive, text in UTF-8 with a ``.cpg``).
    crs : str or int, optional
        The CRS to write in, e.g. "EPSG:4549" or 32650; WGS84 when None.
        GeoJSON is always WGS84 (RFC 7946) and refuses any other.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InvalidInput
        An unknown suffix, an unknown CRS, a CRS GeoJSON cannot hold, or a
        column name a Shapefile would cut short. Nothing is written then.
    """
    path = Path(path)
    driver = SUFFIXES.get(path.suffix.lower())
    if driver is None:
        raise InvalidInput(
            f"{path.name}: boundaries are written to .geojson, .gpkg or .zip (Shapefile) files",
            zh=f"{path.name}：边界只能导出为 .geojson、.gpkg 或 .zip（Shapefile）文件",
        )
    target = _target_crs(crs)
    if driver == "GeoJSON" and not target.equals(_WGS84, ignore_axis_order=True):
        raise InvalidInput(
            f"{path.name}: GeoJSON is always WGS84 (RFC 7946); use .gpkg or .zip for {crs}",
            zh=f"{path.name}：GeoJSON 只能使用 WGS84 坐标系，其他坐标系请导出为 .gpkg 或 .zip",
        )
    if driver == "ESRI Shapefile":
        _check_shapefile_names(frame, path.name)
    out = _prepared(frame, target)
    with _written_in_place(path) as draft:
        if driver == "ESRI Shapefile":
            _write_zipped_shapefile(out, draft)
        elif driver == "GeoJSON":
            pyogrio.write_dataframe(
                out, draft, driver=driver, promote_to_multi=True, layer_options=_GEOJSON_OPTIONS
            )
        else:
            pyogrio.write_dataframe(
                out,
                draft,
                driver=driver,
                layer=path.stem,
                promote_to_multi=True,
                dataset_options={"VERSION": GPKG_VERSION},
            )
    return path


def write_table(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write ``frame`` without its index to a ``.csv`` or ``.xlsx`` file.

    CSV is UTF-8 with a byte-order mark, so Excel on a Chinese Windows reads
    Chinese right; Excel files hold one sheet named after the file. Text
    stays text in both (codes and phone numbers keep their leading zeros):
    text columns are formatted as text in Excel, so a later edit keeps them.

    Raises ``InvalidInput`` for any other suffix; nothing is written then.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InvalidInput(
            f"{path.name}: tables are written to .csv or .xlsx files",
            zh=f"{path.name}：表格只能导出为 .csv 或 .xlsx 文件",
        )
    table = frame.reset_index(drop=True)
    with _written_in_place(path) as draft:
        if suffix == ".csv":
            table.to_csv(draft, index=False, encoding="utf-8-sig")
        else:
            _write_workbook(table, draft, _sheet_name(path.stem))
    return path


def _target_crs(crs: str | int | None) -> CRS:
    if crs is None:
        return _WGS84
    try:
        return CRS.from_user_input(crs)
    except CRSError:
        raise InvalidInput(
            f"{str(crs)[:40]} is not a coordinate reference system", zh="无法识别的坐标系"
        ) from None


def _check_shapefile_names(frame: gpd.GeoDataFrame, shown: str) -> None:
    """dBASE cuts column names at 10 characters: refuse rather than rename."""
    names = [str(c) for c in frame.columns if c != frame.geometry.name]
    long = [name for name in names if len(name) > SHAPEFILE_NAME_LIMIT]
    if long:
        raise InvalidInput(
            f"{shown}: a Shapefile column name has at most "
            f"{SHAPEFILE_NAME_LIMIT} characters, not {long[0]!r}",
            zh=f"{shown}：Shapefile 列名最多 {SHAPEFILE_NAME_LIMIT} 个字符",
        )


def _prepared(frame: gpd.GeoDataFrame, target: CRS) -> gpd.GeoDataFrame:
    """``frame`` with a plain index, in ``target``."""
    out = frame.reset_index(drop=True)
    out = out.set_crs(_WGS84) if out.crs is None else out
    return out if out.crs.equals(target) else out.to_crs(target)


def _write_zipped_shapefile(frame: gpd.GeoDataFrame, archive: Path) -> None:
    """The Shapefile's parts written beside ``archive``, then zipped flat into it."""
    shp = archive.with_suffix(".shp")
    pyogrio.write_dataframe(
        frame, shp, driver="ESRI Shapefile", encoding="UTF-8", promote_to_multi=True
    )
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for suffix in _SHAPEFILE_PARTS:
            part = shp.with_suffix(suffix)
            if part.exists():
                out.write(part, part.name)


def _write_workbook(table: pd.DataFrame, path: Path, sheet: str) -> None:
    text = [i + 1 for i, column in enumerate(table.columns) if _is_text(table[column])]
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name=sheet, index=False)
        cells = writer.sheets[sheet]
        for column in text:
            for row in range(2, len(table) + 2):
                cells.cell(row=row, column=column).number_format = "@"


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(column) or column.dtype == object


def _sheet_name(stem: str) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "_", stem)[:31] or "Sheet1"


@contextmanager
def _written_in_place(path: Path) -> Iterator[Path]:
    """A draft path in a temporary folder beside ``path``, moved onto it on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".export-") as folder:
        draft = Path(folder) / path.name
        yield draft
        os.replace(draft, path)
