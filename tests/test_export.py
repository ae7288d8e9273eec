"""Exporting every layer (issue 9): real files written from a real store, read
back with the import's own reader, and compared to the store: a round trip
through any format and CRS loses nothing. Wrong requests leave no file."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from data import export_files
from data.export_files import write_layer, write_table
from data.import_files import read_layer, to_wgs84
from data.store import Store
from domain.errors import InvalidInput
from domain.field_mapping import guess_mapping
from services import imports
from services.exports import KINDS, export_kind
from tests.tiny_city import tiny_city

FORMATS = [(".geojson", None)] + [
    (suffix, crs)
    for suffix in (".gpkg", ".zip")
    for crs in (None, "EPSG:4490", "EPSG:32650", "EPSG:4549")
]
# Store column -> export column, for the fields the import maps back.
PARENTS = {
    "towns": {},
    "communities": {"town_code": "parent"},
    "grids": {"community_code": "parent", "town_code": "town"},
}
LANDLINE = "053288880001"  # a leading zero a number would lose


def with_hole(outer: Polygon, inner: Polygon) -> Polygon:
    return Polygon(outer.exterior.coords, [inner.exterior.coords])


def awkward_city():
    """The tiny city with holes, multipolygons mixed with polygons, a landline."""
    city = tiny_city()
    # Town B: its land with a lake cut out, and an island off its east edge.
    lake = box(120.025, 36.005, 120.030, 36.010)
    island = box(120.041, 36.001, 120.042, 36.002)
    town_b = MultiPolygon([with_hole(box(120.02, 36.00, 120.04, 36.02), lake), island])
    city.towns.loc[1, "geometry"] = town_b
    city.communities.loc[1, "geometry"] = town_b
    # Grid A-1 encloses a barracks that belongs to no grid; B-2 owns the island.
    city.grids.loc[0, "geometry"] = with_hole(
        box(120.00, 36.00, 120.01, 36.02), box(120.002, 36.002, 120.004, 36.004)
    )
    city.grids.loc[3, "geometry"] = MultiPolygon([box(120.03, 36.00, 120.04, 36.02), island])
    extra = {
        "id": 4,
        "name": "赵敏",
        "phone": LANDLINE,
        "role": "dept_cadre",
        "department_id": 2,
        "town_code": None,
        "skills": "drainage,first_aid",
        "status": "available",
        "lon": None,
        "lat": None,
        "position_at": None,
    }
    city.cadres = pd.concat([city.cadres, pd.DataFrame([extra])], ignore_index=True)
    city.cadres["department_id"] = city.cadres["department_id"].astype("Int64")
    return city


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One SQLite store holding the awkward city, only read by these tests."""
    opened = Store.open(f"sqlite:///{tmp_path_factory.mktemp('export') / 'grid.db'}")
    opened.load_city(awkward_city())
    yield opened
    opened.close()


def stored(store, kind):
    return {"towns": store.towns, "communities": store.communities, "grids": store.grids}[kind]()


def small_frame():
    """A one-grid frame made inline, for the writer's own tests."""
    return gpd.GeoDataFrame(
        {"code": ["G1"], "name": ["一网格"]}, geometry=[box(120.0, 36.0, 120.01, 36.01)], crs=4326
    )


def as_multi(geometries):
    return [MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in geometries]


def same_geometry(read, expected, tolerance=1e-6):
    """Equal vertex by vertex within ``tolerance`` degrees, whatever the ring
    order and orientation each format prefers, Polygon or one-part MultiPolygon."""
    a = shapely.normalize(as_multi(read))
    b = shapely.normalize(as_multi(expected))
    assert shapely.equals_exact(a, b, tolerance=tolerance).all()


def test_the_test_city_has_holes_and_mixed_geometry_types(store):
    grids = store.grids()
    assert set(grids.geom_type) == {"Polygon", "MultiPolygon"}
    assert shapely.get_num_interior_rings(grids.geometry.iloc[0]) == 1
    town_b = store.towns().geometry.iloc[1]
    assert len(town_b.geoms) == 2 and len(town_b.geoms[0].interiors) == 1


@pytest.mark.parametrize(("suffix", "crs"), FORMATS, ids=str)
@pytest.mark.parametrize("kind", ["towns", "communities", "grids"])
def test_each_boundary_kind_round_trips_through_each_format_and_crs(
    store, tmp_path, kind, suffix, crs
):
    path = tmp_path / f"{kind}{suffix}"
    expected = stored(store, kind)
    assert export_kind(store, kind, path, crs=crs) == len(expected)
    read = read_layer(path)
    assert read.crs.to_epsg() == int((crs or "EPSG:4326").split(":")[1])
    wgs = to_wgs84(read)
    assert list(wgs["code"]) == list(expected["code"])
    assert list(wgs["name"]) == list(expected["name"])  # Chinese intact
    assert list(wgs["population"]) == list(expected["population"])
    assert list(wgs["households"]) == list(expected["households"])
    for column, exported in PARENTS[kind].items():
        assert list(wgs[exported]) == list(expected[column])
    same_geometry(wgs.geometry, expected.geometry)


@pytest.mark.parametrize("kind", ["towns", "communities", "grids"])
def test_exported_columns_are_short_and_map_back_to_the_import_fields(store, tmp_path, kind):
    path = tmp_path / f"{kind}.zip"
    export_kind(store, kind, path)
    columns = [c for c in read_layer(path).columns if c != "geometry"]
    assert all(len(c) <= 10 for c in columns)
    assert guess_mapping(columns) == {
        "code": "code",
        "name": "name",
        "parent_code": "parent" if kind != "towns" else None,
        "population": "population",
        "households": "households",
        "name_en": "name_en" if kind == "towns" else None,
    }


def test_a_shapefile_is_zipped_flat_with_its_encoding(store, tmp_path):
    path = tmp_path / "grids.zip"
    export_kind(store, "grids", path, crs="EPSG:4549")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"grids{part}" for part in (".shp", ".shx", ".dbf", ".prj", ".cpg")
        )
        assert archive.read("grids.cpg").decode().strip().upper() in {"UTF-8", "UTF8"}


def test_a_geopackage_holds_one_multipolygon_layer_named_after_the_file(store, tmp_path):
    path = tmp_path / "网格.gpkg"
    export_kind(store, "grids", path)
    export_kind(store, "grids", path)  # a second export replaces, not appends
    assert [list(layer) for layer in pyogrio.list_layers(path)] == [["网格", "MultiPolygon"]]
    assert len(read_layer(path)) == 4


@pytest.mark.parametrize("crs", [None, "EPSG:4549"])
def test_a_geopackage_is_a_version_gdal_3_6_reads_without_a_warning(store, tmp_path, crs):
    # Issue 16: GDAL 3.7+ writes GeoPackage 1.4 by default, which the GDAL of
    # Debian 12 (3.6) opens with a warning ("only partially supported").
    # The version is in the SQLite header: application_id 'GPKG', user_version.
    import sqlite3

    path = tmp_path / "grids.gpkg"
    export_kind(store, "grids", path, crs=crs)
    with sqlite3.connect(path) as db:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        user_version = db.execute("PRAGMA user_version").fetchone()[0]
    assert application_id.to_bytes(4, "big") == b"GPKG"
    assert user_version == 10200  # GeoPackage 1.2, fully read by GDAL 2.2 and later
    assert len(read_layer(path)) == 4


def test_geojson_is_rfc_7946_wgs84_multipolygons(store, tmp_path):
    path = tmp_path / "grids.geojson"
    export_kind(store, "grids", path, crs="EPSG:4326")
    read = read_layer(path)
    assert set(read.geom_type) == {"MultiPolygon"}
    assert '"crs"' not in path.read_text(encoding="utf-8")  # RFC 7946 has no crs member


CADRES = [
    {
        "name": "张伟",
        "phone": "13800000001",
        "role": "grid_worker",
        "department": "",
        "town": "370281001",
        "grid": "A-1,A-2",
        "skills": "",
    },
    {
        "name": "王芳",
        "phone": "13800000002",
        "role": "grid_worker",
        "department": "",
        "town": "370281002",
        "grid": "B-1,B-2",
        "skills": "",
    },
    {
        "name": "刘洋",
        "phone": "13800000003",
        "role": "dept_cadre",
        "department": "应急管理局",
        "town": "",
        "grid": "",
        "skills": "flood_control",
    },
    {
        "name": "赵敏",
        "phone": LANDLINE,
        "role": "dept_cadre",
        "department": "农业农村局",
        "town": "",
        "grid": "",
        "skills": "drainage,first_aid",
    },
]
PAIRINGS = [
    {"department": "应急管理局", "town": "370281001", "town_name": "甲街道"},
    {"department": "农业农村局", "town": "370281002", "town_name": "乙镇"},
]


def read_table(path):
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return pd.read_excel(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize(("kind", "expected"), [("cadres", CADRES), ("pairings", PAIRINGS)])
def test_tables_read_back_to_the_same_text(store, tmp_path, kind, expected, suffix):
    path = tmp_path / f"{kind}{suffix}"
    assert export_kind(store, kind, path) == len(expected)
    assert read_table(path).to_dict("records") == expected


def test_csv_has_a_byte_order_mark_for_excel(store, tmp_path):
    path = tmp_path / "cadres.csv"
    export_kind(store, "cadres", path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_phones_are_text_cells_in_excel(store, tmp_path):
    path = tmp_path / "cadres.xlsx"
    export_kind(store, "cadres", path)
    sheet = openpyxl.load_workbook(path).active
    phones = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in phones][-1] == LANDLINE
    assert {c.data_type for c in phones} == {"s"}
    assert {c.number_format for c in phones} == {"@"}  # an edit in Excel stays text


@pytest.mark.parametrize(
    ("kind", "name", "crs"),
    [
        ("grids", "grids.kml", None),  # unknown suffix
        ("cadres", "cadres.txt", None),
        ("grids", "grids.geojson", "EPSG:4549"),  # GeoJSON is WGS84 only
        ("grids", "grids.gpkg", "EPSG:999999"),  # no such CRS
        ("cadres", "cadres.gpkg", None),  # a table as boundaries
        ("pairings", "pairings.zip", None),
        ("towns", "towns.csv", None),  # boundaries as a table
        ("grids", "grids.xlsx", None),
        ("pairings", "pairings.csv", "EPSG:4549"),  # a table has no CRS
        ("incidents", "incidents.csv", None),  # not a kind export writes
    ],
)
def test_wrong_requests_are_refused_and_leave_no_file(store, tmp_path, kind, name, crs):
    with pytest.raises(InvalidInput) as refused:
        export_kind(store, kind, tmp_path / name, crs=crs)
    assert refused.value.zh  # the operator's screens are in Chinese
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def plain_store(tmp_path_factory):
    """A store holding the plain tiny city, for the kinds' own round trip."""
    opened = Store.open(f"sqlite:///{tmp_path_factory.mktemp('kinds') / 'grid.db'}")
    opened.load_city(tiny_city())
    yield opened
    opened.close()


# The tiny city's rows of each layer, by the column that names a row in the export.
TINY_CITY_ROWS = {
    "towns": ("code", ["370281001", "370281002"]),
    "communities": ("code", ["370281001001", "370281002001"]),
    "grids": ("code", ["A-1", "A-2", "B-1", "B-2"]),
    "cadres": ("name", ["张伟", "王芳", "刘洋"]),
    "pairings": ("department", ["应急管理局", "农业农村局"]),
}


# Every kind export names, and every kind import reads (an export imported
# again loses nothing, so export must write each of them).
@pytest.mark.parametrize("kind", sorted(set(KINDS) | set(imports.KINDS + imports.TABLE_KINDS)))
def test_every_kind_is_written_and_read_back_with_its_rows(plain_store, tmp_path, kind):
    path = tmp_path / f"{kind}{'.csv' if kind in imports.TABLE_KINDS else '.gpkg'}"
    column, rows = TINY_CITY_ROWS[kind]
    assert export_kind(plain_store, kind, path) == len(rows)
    read = pyogrio.read_dataframe(path, read_geometry=kind not in imports.TABLE_KINDS)
    assert sorted(read[column]) == sorted(rows)


def test_a_column_name_a_shapefile_would_cut_is_refused(tmp_path):
    frame = small_frame()
    frame["population_2025"] = 1
    with pytest.raises(InvalidInput, match="10 characters"):
        write_layer(frame, tmp_path / "grids.zip")
    assert list(tmp_path.iterdir()) == []
    write_layer(frame, tmp_path / "grids.gpkg")  # other formats keep long names
    assert "population_2025" in read_layer(tmp_path / "grids.gpkg").columns


def test_a_write_that_fails_midway_leaves_nothing_behind(tmp_path, monkeypatch):
    def half_written(frame, path, **options):
        path.write_bytes(b"half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_files.pyogrio, "write_dataframe", half_written)
    with pytest.raises(RuntimeError):
        write_layer(small_frame(), tmp_path / "grids.gpkg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("write", "name", "formats"),
    [(write_table, "codes.json", ".csv 或 .xlsx"), (write_layer, "grids.kml", ".gpkg 或 .zip")],
)
def test_the_writers_refuse_other_suffixes_in_both_languages(tmp_path, write, name, formats):
    with pytest.raises(InvalidInput) as refused:
        write(small_frame(), tmp_path / name)
    assert formats.replace(" 或 ", " or ") in str(refused.value)
    assert formats in refused.value.zh
    assert list(tmp_path.iterdir()) == []
