"""A city's data goes in right or not at all (issue 16): a file read in the
wrong CRS, or traced on a Chinese web map (GCJ-02), is refused with the
likely cause named, and nothing is written. Through the command line (a real
process on a real SQLite store), the /data page's service, and on the real
OSM town polygons of Jiaozhou where they are present."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from dashboard.import_view import gcj02_choice, problem_rows, summary
from data import import_jobs
from domain.errors import InvalidInput
from domain.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from domain.layer_fit import gcj02_fit, misfit
from services.import_runs import Choices, check_job
from tests.test_cli import run_app
from tests.test_import_cli import city_db, state

# Town A's two grids of the tiny city, in community 370281001001.
TOWN_A_GRIDS = [box(120.00, 36.00, 120.01, 36.02), box(120.01, 36.00, 120.02, 36.02)]


def to_gcj02(shape):
    return shapely.transform(shape, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))


def from_gcj02(shape):
    return shapely.transform(shape, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))


def grids_file(tmp_path, shapes, name="grids.gpkg", crs=4326) -> Path:
    frame = gpd.GeoDataFrame(
        {
            "网格编码": [f"N{n}" for n in range(len(shapes))],
            "网格名称": [f"新网格{n}" for n in range(len(shapes))],
            "所属社区编码": ["370281001001"] * len(shapes),
        },
        geometry=shapes,
        crs="EPSG:4326",
    ).to_crs(crs)
    path = tmp_path / name
    frame.to_file(path, driver="GeoJSON" if name.endswith("json") else "GPKG", engine="pyogrio")
    return path


def dry_run(url, path, *options):
    return run_app("import", "grids", str(path), "--dry-run", *options, env={"DATABASE_URL": url})


# --- Item 3: a wrong CRS ------------------------------------------------------


def test_metres_declared_as_degrees_are_refused_with_the_likely_crs(tmp_path):
    url = city_db(tmp_path)
    before = state(url)
    path = grids_file(tmp_path, TOWN_A_GRIDS, crs=4549)
    for wrong in ("EPSG:4326", "EPSG:4490"):
        run = dry_run(url, path, "--crs", wrong)
        assert run.returncode == 1, run.stdout + run.stderr
        assert f"outside the area where {wrong}" in run.stdout
        assert "likely in EPSG:4549" in run.stdout and "--crs EPSG:4549" in run.stdout
        assert "ready to import" not in run.stdout and "nothing can be imported" in run.stdout
        # Without --dry-run the same refusal, and nothing is written either.
        real = run_app("import", "grids", str(path), "--crs", wrong, env={"DATABASE_URL": url})
        assert real.returncode == 1 and "likely in EPSG:4549" in real.stdout
    assert dry_run(url, path, "--crs", "EPSG:4549").returncode == 0
    assert state(url) == before


def test_a_layer_that_lands_away_from_the_city_is_refused(tmp_path):
    # Gauss-Krüger metres read as UTM 50N: valid numbers, 268 km west.
    url = city_db(tmp_path)
    before = state(url)
    path = grids_file(tmp_path, TOWN_A_GRIDS, crs=4549)
    run = dry_run(url, path, "--crs", "EPSG:32650")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "km from the city" in run.stdout and "likely in EPSG:4549" in run.stdout
    assert "ready to import" not in run.stdout
    # A file in the right CRS but of another place (Beijing) is refused too.
    beijing = grids_file(tmp_path, [box(116.38, 39.90, 116.39, 39.91)], name="bj.geojson")
    run = dry_run(url, beijing)
    assert run.returncode == 1 and "km from the city" in run.stdout, run.stdout
    assert state(url) == before


# --- Item 4: GCJ-02 -------------------------------------------------------------


def test_a_gcj02_file_is_refused_until_the_user_says_which_it_is(tmp_path):
    url = city_db(tmp_path)
    before = state(url)
    path = grids_file(tmp_path, [to_gcj02(s) for s in TOWN_A_GRIDS], name="amap.geojson")
    run = dry_run(url, path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "GCJ-02" in run.stdout and "--gcj02" in run.stdout and "--not-gcj02" in run.stdout
    # Which fits better, and by how much.
    assert "far better, 0.0% of the area apart instead of 53.2%" in run.stdout
    assert "ready to import" not in run.stdout
    real = run_app("import", "grids", str(path), env={"DATABASE_URL": url})
    assert real.returncode == 1 and "GCJ-02" in real.stdout
    assert state(url) == before
    undone = dry_run(url, path, "--gcj02")
    assert undone.returncode == 0 and "problems: none" in undone.stdout, undone.stdout
    # The user's word that it is WGS84 is taken: the checks then run and
    # report the shift as what it is.
    kept = dry_run(url, path, "--not-gcj02")
    assert kept.returncode == 0 and "outside_parent 2" in kept.stdout, kept.stdout
    assert "53.2% of the area apart as it is" in kept.stdout
    assert dry_run(url, path, "--wgs84").returncode == 0
    both = dry_run(url, path, "--gcj02", "--not-gcj02")
    assert both.returncode == 2 and "not allowed with" in both.stderr
    assert state(url) == before


def test_a_true_wgs84_file_is_not_suspected(tmp_path):
    url = city_db(tmp_path)
    run = dry_run(url, grids_file(tmp_path, TOWN_A_GRIDS))
    assert run.returncode == 0 and "GCJ-02" not in run.stdout, run.stdout


def test_the_data_page_shows_the_refusal_and_takes_the_choice(city_store, tmp_path, monkeypatch):
    monkeypatch.setattr(import_jobs, "ROOT", tmp_path / "jobs")
    path = grids_file(tmp_path, [to_gcj02(s) for s in TOWN_A_GRIDS], name="amap.geojson")
    job = import_jobs.new_job("amap.geojson", path.read_bytes())
    seq = city_store.latest_seq()
    found, preview = check_job(city_store, job, Choices("grids", {}, gcj02=gcj02_choice([])))
    assert not found.ok and preview is None and [r.kind for r in found.refusals] == ["gcj02"]
    shown = " ".join(str(p.children) for p in summary(found, preview, "zh"))
    assert "GCJ-02" in shown and "不是 GCJ-02" in shown and "53.2%" in shown
    assert problem_rows(found, "en")[0]["kind"] == "GCJ-02 offset?"
    found, preview = check_job(city_store, job, Choices("grids", {}, gcj02=gcj02_choice(["gcj02"])))
    assert found.ok and preview["added"] == 2
    found, _ = check_job(city_store, job, Choices("grids", {}, gcj02=gcj02_choice(["not_gcj02"])))
    assert found.ok and found.result.count("outside_parent") == 2
    with pytest.raises(InvalidInput, match="not both"):
        gcj02_choice(["gcj02", "not_gcj02"])
    assert city_store.latest_seq() == seq


def test_misfit_measures_the_surface_apart_from_the_reference():
    reference = {"P": box(0, 0, 2, 1)}
    assert misfit([box(0, 0, 1, 1), box(1, 0, 2, 1)], ["P", "P"], reference) == 0.0
    assert misfit([box(0, 0, 1, 1)], ["P"], reference) == pytest.approx(0.5)  # half bare
    assert misfit([box(1, 0, 3, 1)], ["P"], reference) == pytest.approx(1.0)  # half out, half bare
    assert misfit([box(0, 0, 1, 1)], ["Q"], reference) is None


def _shared_towns() -> Path | None:
    for folder in (
        Path(__file__).resolve().parents[2] / "shared" / "data",
        Path(os.environ.get("GC_SHARED_DATA", "/nonexistent")),
    ):
        if (folder / "jiaozhou_towns.geojson").is_file():
            return folder / "jiaozhou_towns.geojson"
    return None


def test_the_real_towns_of_jiaozhou_traced_in_gcj02_are_told_apart():
    path = _shared_towns()
    if path is None:
        pytest.skip("../shared/data/jiaozhou_towns.geojson is not here (or set GC_SHARED_DATA)")
    towns = gpd.read_file(path, engine="pyogrio")
    reference = dict(zip(towns["code"], towns.geometry, strict=True))
    shapes, codes = towns.geometry.to_numpy(), towns["code"].to_numpy()
    traced = np.array([to_gcj02(s) for s in shapes], dtype=object)
    # A web map's tracing, compared with the stored towns, fits after undoing.
    undone = np.array([from_gcj02(s) for s in traced], dtype=object)
    fit = gcj02_fit(traced, undone, codes, reference, "towns_stored")
    assert fit.gcj02_likely and not fit.wgs84_likely and 400 < fit.offset_m < 700
    # The true shapes are not suspected: undoing a shift they do not have hurts.
    wrongly = np.array([from_gcj02(s) for s in shapes], dtype=object)
    fit = gcj02_fit(shapes, wrongly, codes, reference, "towns_stored")
    assert fit.as_is == pytest.approx(0.0, abs=1e-9) and fit.wgs84_likely and not fit.gcj02_likely
