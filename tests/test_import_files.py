"""Reading boundary files for import (issue 9): small files made here in each
format and CRS, read back to the same shapes in WGS84; broken files refused
with a clear message."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from data.import_files import read_layer, to_wgs84
from domain.crs_guess import guess_crs
from domain.errors import InvalidInput
from domain.gcj02 import wgs84_to_gcj02

GRIDS = gpd.GeoDataFrame(
    {"编码": ["G1", "G2"], "名称": ["一网格", "二网格"], "人口": [1200, 800]},
    geometry=[box(120.00, 36.20, 120.01, 36.21), box(120.01, 36.20, 120.02, 36.21)],
    crs="EPSG:4326",
)


def zipped_shapefile(frame, folder, *, prj: bool = True, name: str = "grids"):
    frame.to_file(folder / f"{name}.shp", engine="pyogrio", encoding="utf-8")
    archive = folder / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in folder.glob(f"{name}.*"):
            if part.suffix == ".zip" or (part.suffix == ".prj" and not prj):
                continue
            out.write(part, part.name)
    return archive


def same_shapes(read, expected=GRIDS, tolerance=1e-7):
    assert len(read) == len(expected)
    for a, b in zip(read.geometry, expected.geometry, strict=True):
        assert a.symmetric_difference(b).area < tolerance * b.area + 1e-12


@pytest.mark.parametrize("epsg", [4326, 4490, 32650, 4549, 4528])
@pytest.mark.parametrize("fmt", ["geojson", "shp", "gpkg"])
def test_each_format_and_crs_round_trips_to_the_same_wgs84_shapes(tmp_path, fmt, epsg):
    frame = GRIDS.to_crs(epsg)
    if fmt == "geojson":
        path = tmp_path / "grids.geojson"
        frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    elif fmt == "shp":
        path = zipped_shapefile(frame, tmp_path)
    else:
        path = tmp_path / "grids.gpkg"
        frame.to_file(path, driver="GPKG", engine="pyogrio")
    read = read_layer(path)
    if fmt != "geojson" or epsg in (4326, 4490):  # GeoJSON (RFC 7946) keeps no other CRS
        assert read.crs.to_epsg() == epsg
    assert list(read["编码"]) == ["G1", "G2"] and list(read["人口"]) == [1200, 800]
    wgs = to_wgs84(read, epsg if read.crs is None else None)
    same_shapes(wgs, tolerance=1e-6)


def test_a_shapefile_without_its_prj_is_read_and_its_crs_guessed(tmp_path):
    path = zipped_shapefile(GRIDS.to_crs(4549), tmp_path, prj=False)
    read = read_layer(path)
    assert read.crs is None
    guesses = guess_crs(tuple(read.total_bounds))
    assert guesses[0].epsg == 4549  # the user is asked to confirm this one
    same_shapes(to_wgs84(read, guesses[0].epsg), tolerance=1e-6)
    with pytest.raises(InvalidInput, match="no coordinate reference system"):
        to_wgs84(read)


def test_shapes_traced_on_a_chinese_web_map_are_corrected(tmp_path):
    import shapely

    def to_gcj02(xy):
        return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

    traced = GRIDS.set_geometry(
        gpd.GeoSeries(shapely.transform(GRIDS.geometry.to_numpy(), to_gcj02), crs=4326)
    )
    path = tmp_path / "traced.geojson"
    traced.to_file(path, driver="GeoJSON", engine="pyogrio")
    read = read_layer(path)
    assert read.geometry.iloc[0].symmetric_difference(GRIDS.geometry.iloc[0]).area > 1e-6
    same_shapes(to_wgs84(read, gcj02=True), tolerance=1e-6)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("grids.geojson", b"code,name\nG1,a\n", "is not GeoJSON"),
        ("grids.gpkg", b"\x89PNG\r\n\x1a\n....", "is not a GeoPackage"),
        ("grids.zip", b"not a zip at all", "is not a zip"),
        ("grids.kml", b"<kml/>", "reads .geojson, .zip"),
        ("grids.geojson", b'{"type": "FeatureCollection", "features": []}', "no features"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_refused(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as error:
        read_layer(path)
    assert error.value.zh


def test_a_zip_without_a_shp_or_its_dbf_is_refused(tmp_path):
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as out:
        out.writestr("readme.txt", "no shapes here")
    with pytest.raises(InvalidInput, match=r"holds no \.shp"):
        read_layer(empty)
    partial = tmp_path / "partial.zip"
    with zipfile.ZipFile(partial, "w") as out:
        out.writestr("grids.shp", b"\x00" * 100)
    with pytest.raises(InvalidInput, match=r"grids\.dbf is missing"):
        read_layer(partial)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import data.import_files as import_files

    path = tmp_path / "grids.geojson"
    GRIDS.to_file(path, driver="GeoJSON", engine="pyogrio")
    monkeypatch.setattr(import_files, "MAX_BYTES", 100)
    with pytest.raises(InvalidInput, match="over the"):
        read_layer(path)


def test_a_crs_that_cannot_be_used_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="is not a coordinate reference system"):
        to_wgs84(GRIDS, "EPSG:999999")
