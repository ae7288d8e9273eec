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
        {"网格编码": [f"N{n}" for n in range(len(shapes))],
         "网格名称": [f"新网格{n}" for n in range(len(shapes))], "所属社区编码": parents},
        geometry=shapes, crs="EPSG:4326",
    ).to_crs(crs)  # fmt: skip
    path = tmp_path / name
    frame.to_file(path, driver="GeoJSON" if name.endswith("json") else "GPKG", engine="pyogrio")
    return path


def test_a_good_file_is_ready_and_nothing_is_written(tmp_path):
    url = city_db(tmp_path)
    before = state(url)
    path = grids_file(tmp_path, [box(120.00, 36.00, 120.01, 36.02), box(120.01, 36.00, 120.02, 36.02)],
                      ["370281001001", "370281001001"])  # fmt: skip
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
    path = grids_file(tmp_path, [box(120.00, 36.00, 120.012, 36.02), box(120.01, 36.00, 120.018, 36.02),
                                 box(120.02, 36.00, 120.03, 36.02)],
                      ["370281001001", "370281001001", "NO-SUCH"], name="grids.gpkg", crs=4549)  # fmt: skip
    run = run_app("import", "grids", str(path), "--dry-run", env={"DATABASE_URL": url})
    assert run.returncode == 1, run.stdout + run.stderr
    assert "overlap 1" in run.stdout and "gap 1" in run.stdout and "unknown_parent 1" in run.stdout
    assert "N0 and N1 overlap by" in run.stdout and "nothing can be imported" in run.stdout
    assert state(url) == before


def test_a_file_without_a_crs_gets_guesses_and_then_checks_with_the_confirmed_one(tmp_path):
    url = city_db(tmp_path)
    shp = tmp_path / "grids.shp"
    gpd.GeoDataFrame({"CODE": ["N0"], "NAME": ["新网格"], "SQBM": ["370281001001"]},
                     geometry=[box(120.00, 36.00, 120.01, 36.02)], crs=4326).to_crs(4549).to_file(
        shp, engine="pyogrio")  # fmt: skip
    archive = tmp_path / "grids.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in tmp_path.glob("grids.*"):
            if part.suffix not in (".zip", ".prj"):
                out.write(part, part.name)
    run = run_app("import", "grids", str(archive), "--dry-run", env={"DATABASE_URL": url})
    assert run.returncode == 1 and "the file has no CRS" in run.stdout
    assert run.stdout.index("EPSG:4549") < run.stdout.index("EPSG:32650")  # the true one first
    confirmed = run_app("import", "grids", str(archive), "--dry-run", "--crs", "EPSG:4549",
                        "--map", "parent_code=SQBM", env={"DATABASE_URL": url})  # fmt: skip
    assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
    assert "parent_code=SQBM" in confirmed.stdout and "gap 1" in confirmed.stdout


def test_bad_input_gets_one_clear_line(tmp_path):
    url = city_db(tmp_path)
    before = state(url)
    good = grids_file(tmp_path, [box(120.00, 36.00, 120.01, 36.02)], ["370281001001"])
    assert_one_clear_line(run_app("import", "grids", str(good), env={"DATABASE_URL": url}),
                          "--dry-run")  # fmt: skip
    fake = tmp_path / "fake.gpkg"
    fake.write_text("just text")
    assert_one_clear_line(run_app("import", "grids", str(fake), "--dry-run",
                                  env={"DATABASE_URL": url}), "is not a GeoPackage")  # fmt: skip
    assert_one_clear_line(run_app("import", "grids", str(good), "--dry-run", "--map", "colour=x",
                                  env={"DATABASE_URL": url}), "--map takes field=column")  # fmt: skip
    assert_one_clear_line(run_app("import", "grids", str(good), "--dry-run", "--map",
                                  "code=NOPE", env={"DATABASE_URL": url}), "no column 'NOPE'")  # fmt: skip
    assert state(url) == before
