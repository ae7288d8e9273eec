"""What the import's checks tell the user (issue 16, item 5): the whole list
on request, in the words of the layer imported, every whole-file problem at
once, no raw reader warnings, and "ready to import" only when it is true.
Each through the command line on a real SQLite store; nothing is written."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Polygon, box

from dashboard.import_view import problem_text
from domain.boundary_checks import Problem
from domain.field_mapping import guess_mapping
from tests.test_cli import assert_one_clear_line, run_app
from tests.test_import_cli import city_db, state, zip_without_prj

COMMUNITY_A = "370281001001"


def boundaries(tmp_path, name, columns, shapes, crs=4326):
    frame = gpd.GeoDataFrame(columns, geometry=shapes, crs="EPSG:4326").to_crs(crs)
    path = tmp_path / name
    frame.to_file(path, driver="GeoJSON" if name.endswith("json") else "GPKG", engine="pyogrio")
    return path


def strips(n: int):
    """``n`` grids across community A, each overlapping the next."""
    width = 0.02 / n
    return [
        box(120.0 + i * width, 36.0, min(120.02, 120.0 + (i + 1.5) * width), 36.02)
        for i in range(n)
    ]


def test_a_long_problem_list_says_how_many_more_and_writes_them_all(tmp_path):
    url = city_db(tmp_path)
    before = state(url)
    path = boundaries(
        tmp_path,
        "grids.geojson",
        {
            "网格编码": [f"N{i:02}" for i in range(30)],
            "网格名称": [f"第{i}网格" for i in range(30)],
            "所属社区编码": [COMMUNITY_A] * 30,
        },
        strips(30),
    )
    out = tmp_path / "problems.csv"
    run = run_app(
        "import", "grids", str(path), "--dry-run", "--problems", str(out), env={"DATABASE_URL": url}
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "problems: overlap 29" in run.stdout
    assert run.stdout.count("  overlap: ") == 20
    assert "… and 9 more (--problems FILE writes them all)" in run.stdout
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert len(written) == 29 and set(written["kind"]) == {"overlap"}
    assert "N28 and N29 overlap by" in " ".join(written["message"])
    assert f"29 problem(s) written to {out}" in run.stdout
    assert state(url) == before


def test_a_long_roster_problem_list_is_cut_at_20_too(tmp_path):
    url = city_db(tmp_path)
    before = state(url)
    roster = tmp_path / "roster.csv"
    rows = "".join(f"人{i},12345,网格员,,,A-1\n" for i in range(25))
    roster.write_text("姓名,手机,角色,部门,镇街,网格\n" + rows, encoding="utf-8")
    out = tmp_path / "problems.xlsx"
    run = run_app(
        "import", "cadres", str(roster), "--problems", str(out), env={"DATABASE_URL": url}
    )
    assert run.returncode == 1 and run.stdout.count("  row ") == 20, run.stdout
    assert "more (--problems FILE writes them all)" in run.stdout
    assert len(pd.read_excel(out)) > 20
    assert state(url) == before


def test_a_communities_import_speaks_of_communities(tmp_path):
    url = city_db(tmp_path)
    before = state(url)
    # Community A kept under its code, but drawn over half of town A only.
    path = boundaries(
        tmp_path,
        "communities.geojson",
        {"社区编码": [COMMUNITY_A], "社区名称": ["甲社区"], "所属镇街": ["370281001"]},
        [box(120.00, 36.00, 120.01, 36.02)],
    )
    run = run_app("import", "communities", str(path), "--dry-run", env={"DATABASE_URL": url})
    assert "code=社区编码, name=社区名称, parent_code=所属镇街" in run.stdout, run.stdout
    assert "370281001: " in run.stdout and "covered by no community" in run.stdout
    assert "grid" not in run.stdout
    gap = Problem("gap", ("370281001",), 1.0e6)
    assert "不属于任何社区（村）" in problem_text(gap, "zh", "communities")
    assert "网格" not in problem_text(gap, "zh", "communities")
    assert state(url) == before


def test_unmapped_columns_and_a_missing_crs_are_reported_in_one_go(tmp_path):
    url = city_db(tmp_path)
    archive = zip_without_prj(tmp_path, {"CODE": ["N0"], "REMARK": ["x"], "SQBM": [COMMUNITY_A]})
    run = run_app("import", "grids", str(archive), "--dry-run", env={"DATABASE_URL": url})
    assert run.returncode == 1, run.stdout + run.stderr
    assert "no column is mapped to name" in run.stdout and "the file has no CRS" in run.stdout
    assert "EPSG:4549" in run.stdout and "2 problem(s) with the file" in run.stdout
    # The wrong CRS too: both at once, with the column guessed from SQBM.
    run = run_app(
        "import",
        "grids",
        str(archive),
        "--dry-run",
        "--crs",
        "EPSG:4326",
        env={"DATABASE_URL": url},
    )
    assert "parent_code=SQBM" in run.stdout
    assert "no column is mapped to name" in run.stdout and "likely in EPSG:4549" in run.stdout


def test_the_column_guess_knows_the_readmes_pinyin_and_the_parents_of_each_kind():
    grids = guess_mapping(["OBJECTID", "SQMC", "WGBM", "WGMC", "SQBM", "RKS"], kind="grids")
    assert (grids["code"], grids["name"], grids["parent_code"]) == ("WGBM", "WGMC", "SQBM")
    grids = guess_mapping(["社区名称", "网格编码", "网格名称", "社区编码"], kind="grids")
    assert (grids["code"], grids["name"], grids["parent_code"]) == (
        "网格编码",
        "网格名称",
        "社区编码",
    )
    communities = guess_mapping(["SQBM", "SQMC", "SSZJ", "RKS", "HS"], kind="communities")
    assert (communities["code"], communities["name"], communities["parent_code"]) == (
        "SQBM",
        "SQMC",
        "SSZJ",
    )
    towns = guess_mapping(["ZJBM", "ZJMC", "NAME_EN"], kind="towns")
    assert (towns["code"], towns["name"], towns["name_en"]) == ("ZJBM", "ZJMC", "NAME_EN")


def test_a_geopackage_of_several_layers_is_refused_plainly_then_read_by_name(tmp_path):
    url = city_db(tmp_path)
    path = tmp_path / "two.gpkg"
    frame = gpd.GeoDataFrame(
        {"网格编码": ["N0"], "网格名称": ["新"], "所属社区编码": [COMMUNITY_A]},
        geometry=[box(120.00, 36.00, 120.02, 36.02)],
        crs=4326,
    )
    frame.to_file(path, layer="old", engine="pyogrio")
    frame.to_file(path, layer="new", engine="pyogrio")
    run = run_app("import", "grids", str(path), "--dry-run", env={"DATABASE_URL": url})
    assert_one_clear_line(run, "2 layers (old, new)", "--layer")
    assert "Warning" not in run.stderr
    run = run_app(
        "import", "grids", str(path), "--dry-run", "--layer", "new", env={"DATABASE_URL": url}
    )
    assert run.returncode == 0 and "Warning" not in run.stderr, run.stderr


def test_ready_to_import_is_never_said_before_a_refusal(tmp_path):
    url = city_db(tmp_path)
    before = state(url)
    # A self-crossing ring is repaired; without --accept-repairs nothing is written.
    bowtie = Polygon([(120.0, 36.0), (120.02, 36.02), (120.02, 36.0), (120.0, 36.02)])
    path = boundaries(
        tmp_path,
        "bowtie.geojson",
        {"网格编码": ["N0"], "网格名称": ["新"], "所属社区编码": [COMMUNITY_A]},
        [bowtie],
    )
    for options in ([], ["--dry-run"]):
        run = run_app("import", "grids", str(path), *options, env={"DATABASE_URL": url})
        assert run.returncode == 1, run.stdout + run.stderr
        assert "ready to import" not in run.stdout and "--accept-repairs" in run.stdout
    # A community gone from the file while grids still belong to it: the
    # store refuses, and the dry run says so instead of "ready".
    path = boundaries(
        tmp_path,
        "communities.geojson",
        {"社区编码": ["370281001009"], "社区名称": ["新社区"], "所属镇街": ["370281001"]},
        [box(120.00, 36.00, 120.02, 36.02)],
    )
    run = run_app("import", "communities", str(path), "--dry-run", env={"DATABASE_URL": url})
    assert run.returncode == 1, run.stdout + run.stderr
    assert "ready to import" not in run.stdout and "nothing can be imported" in run.stdout
    assert state(url) == before
