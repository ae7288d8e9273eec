"""``python app.py import KIND FILE --dry-run``: a city checks its files
before anything is written (issue 9). Nothing is written, whatever the file."""

from __future__ import annotations

import zipfile

import geopandas as gpd
from shapely.geometry import box

from data.store import Store
from tests.test_cli import assert_one_clear_line, run_app
from tests.tiny_city import tiny_city


def city_db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    store = Store.open(url)
    store.load_city(tiny_city())
    store.close()
    return url


def state(url: str) -> tuple:
    store = Store.open(url)
    try:
        return store.latest_seq(), store.table_counts()
    finally:
        store.close()


def grids_file(tmp_path, shapes, parents, name="grids.geojson", crs=4326):
    frame = gpd.GeoDataFrame(
        {
            "网格编码": [f"N{n}" for n in range(len(shapes))],
            "网格名称": [f"新网格{n}" for n in range(len(shapes))],
            "所属社区编码": parents,
        },
        geometry=shapes,
        crs="EPSG:4326",
    ).to_crs(crs)
    path = tmp_path / name
    frame.to_file(path, driver="GeoJSON" if name.endswith("json") else "GPKG", engine="pyogrio")
    return path


def test_a_good_file_is_ready_and_nothing_is_written(tmp_path):
    url = city_db(tmp_path)
    before = state(url)
    path = grids_file(
        tmp_path,
        [box(120.00, 36.00, 120.01, 36.02), box(120.01, 36.00, 120.02, 36.02)],
        ["370281001001", "370281001001"],
    )
    run = run_app("import", "grids", str(path), "--dry-run", env={"DATABASE_URL": url})
    assert run.returncode == 0, run.stderr
    assert (
        "2 grids read; columns: code=网格编码, name=网格名称, parent_code=所属社区编码"
        in run.stdout
    )
    assert "problems: none" in run.stdout and "ready to import" in run.stdout
    assert state(url) == before


def test_overlaps_and_gaps_are_reported_and_an_unknown_parent_blocks(tmp_path):
    url = city_db(tmp_path)
    before = state(url)
    path = grids_file(
        tmp_path,
        [
            box(120.00, 36.00, 120.012, 36.02),
            box(120.01, 36.00, 120.018, 36.02),
            box(120.02, 36.00, 120.03, 36.02),
        ],
        ["370281001001", "370281001001", "NO-SUCH"],
        name="grids.gpkg",
        crs=4549,
    )
    run = run_app("import", "grids", str(path), "--dry-run", env={"DATABASE_URL": url})
    assert run.returncode == 1, run.stdout + run.stderr
    assert "overlap 1" in run.stdout and "gap 1" in run.stdout and "unknown_parent 1" in run.stdout
    assert "N0 and N1 overlap by" in run.stdout and "nothing can be imported" in run.stdout
    assert state(url) == before


def zip_without_prj(tmp_path, columns: dict):
    """A zipped Shapefile of one grid in EPSG:4549 whose .prj was left out."""
    shp = tmp_path / "grids.shp"
    gpd.GeoDataFrame(columns, geometry=[box(120.00, 36.00, 120.01, 36.02)], crs=4326).to_crs(
        4549
    ).to_file(shp, engine="pyogrio")
    archive = tmp_path / "grids.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in tmp_path.glob("grids.*"):
            if part.suffix not in (".zip", ".prj"):
                out.write(part, part.name)
    return archive


def test_a_file_without_a_crs_gets_guesses_and_then_checks_with_the_confirmed_one(tmp_path):
    url = city_db(tmp_path)
    archive = zip_without_prj(
        tmp_path, {"CODE": ["N0"], "NAME": ["新网格"], "SQBM": ["370281001001"]}
    )
    run = run_app("import", "grids", str(archive), "--dry-run", env={"DATABASE_URL": url})
    assert run.returncode == 1 and "the file has no CRS" in run.stdout
    assert run.stdout.index("EPSG:4549") < run.stdout.index("EPSG:32650")  # the true one first
    confirmed = run_app(
        "import",
        "grids",
        str(archive),
        "--dry-run",
        "--crs",
        "EPSG:4549",
        "--map",
        "parent_code=SQBM",
        env={"DATABASE_URL": url},
    )
    assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
    assert "parent_code=SQBM" in confirmed.stdout and "gap 1" in confirmed.stdout


def test_bad_input_gets_one_clear_line(tmp_path):
    url = city_db(tmp_path)
    before = state(url)
    good = grids_file(tmp_path, [box(120.00, 36.00, 120.01, 36.02)], ["370281001001"])
    fake = tmp_path / "fake.gpkg"
    fake.write_text("just text")
    assert_one_clear_line(
        run_app("import", "grids", str(fake), "--dry-run", env={"DATABASE_URL": url}),
        "is not a GeoPackage",
    )
    assert_one_clear_line(
        run_app(
            "import",
            "grids",
            str(good),
            "--dry-run",
            "--map",
            "colour=x",
            env={"DATABASE_URL": url},
        ),
        "--map takes field=column",
    )
    assert_one_clear_line(
        run_app(
            "import",
            "grids",
            str(good),
            "--dry-run",
            "--map",
            "code=NOPE",
            env={"DATABASE_URL": url},
        ),
        "no column 'NOPE'",
    )
    assert_one_clear_line(
        run_app("import", "cadres", str(good), env={"DATABASE_URL": url}), "reads .csv or .xlsx"
    )
    assert_one_clear_line(
        run_app("imports", "undo", "99", env={"DATABASE_URL": url}), "no import 99"
    )
    assert_one_clear_line(run_app("clear-city", env={"DATABASE_URL": url}), "--yes")
    assert_one_clear_line(
        run_app("export", "grids", str(tmp_path / "g.csv"), env={"DATABASE_URL": url}), ".geojson"
    )
    assert state(url) == before


def test_import_writes_with_a_progress_bar_and_undo_puts_it_back(tmp_path):
    url = city_db(tmp_path)
    before = state(url)
    # Town A (community 370281001001) re-drawn as three grids; town B's stay.
    path = grids_file(
        tmp_path,
        [
            box(120.00, 36.00, 120.007, 36.02),
            box(120.007, 36.00, 120.014, 36.02),
            box(120.014, 36.00, 120.02, 36.02),
        ],
        ["370281001001"] * 3,
        name="town-a.gpkg",
        crs=4549,
    )
    run = run_app("import", "grids", str(path), env={"DATABASE_URL": url})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "importing grids: writing features: 100%" in run.stderr and "5/5" in run.stderr
    assert "importing grids: moving incidents: 100%" in run.stderr
    assert (
        "imported grids: added 3, updated 0, unchanged 0, removed 2, kept other towns 2"
        in run.stdout
    )
    assert "incidents moved 3" in run.stdout
    listed = run_app("imports", env={"DATABASE_URL": url})
    assert "grids" in listed.stdout and "town-a.gpkg" in listed.stdout
    undo = run_app("imports", "undo", "1", env={"DATABASE_URL": url})
    assert undo.returncode == 0 and "undid import 1: added 2" in undo.stdout, undo.stderr
    assert state(url)[1] == before[1]


def test_cadres_and_pairings_from_excel_and_csv_and_back_out(tmp_path):
    import openpyxl

    url = city_db(tmp_path)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机号码", "人员类别", "所属部门", "镇街", "网格"])
    sheet.append(["张伟", "13800000001", "网格员", None, "甲街道", "A-1、A-2"])
    sheet.append(["赵敏", "13900000009", "部门干部", "市水务局", None, None])
    book.save(tmp_path / "roster.xlsx")
    run = run_app("import", "cadres", str(tmp_path / "roster.xlsx"), env={"DATABASE_URL": url})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "new departments (created on import): 市水务局" in run.stdout
    assert "added 1, updated 0, unchanged 1, not in file 2, departments created 1" in run.stdout
    (tmp_path / "pairs.csv").write_text(
        "部门,镇街\n市水务局,乙镇\n应急管理局,甲街道\n", encoding="gbk"
    )
    run = run_app("import", "pairings", str(tmp_path / "pairs.csv"), env={"DATABASE_URL": url})
    assert run.returncode == 0 and "pairs 2, added 1, removed 1" in run.stdout, (
        run.stdout + run.stderr
    )
    out = run_app("export", "pairings", str(tmp_path / "out.xlsx"), env={"DATABASE_URL": url})
    assert out.returncode == 0 and "exported 2 pairings" in out.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,手机,角色\n钱七,12345,网格员\n", encoding="utf-8")
    before = state(url)
    run = run_app("import", "cadres", str(bad), env={"DATABASE_URL": url})
    assert (
        run.returncode == 1 and "row 2:" in run.stdout and "nothing can be imported" in run.stdout
    )
    assert state(url) == before
