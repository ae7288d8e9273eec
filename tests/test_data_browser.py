"""A city's own data at /data in headless Chromium, against the real server:
an administrator uploads a broken grid file (refused, nothing written), then a
town's re-drawn grids (previewed, imported with a progress bar, undone from
the log), a cadre roster, and downloads a layer back. An operator cannot open
the page."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from data.import_files import read_layer
from data.store import Store
from domain.gcj02 import wgs84_to_gcj02
from tests.servers import browser_sign_in, demo_county_server, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN, OPERATOR = "qian", "li"
TOWN = "370281009"  # 胶西


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    users = [("admin", ADMIN, None), ("operator", OPERATOR, None)]
    with demo_county_server(tmp_path_factory.mktemp("data"), users) as served:
        yield served


@pytest.fixture
def desk(browser, served):
    page = browser.new_page(viewport={"width": 1920, "height": 1080}, accept_downloads=True)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    browser_sign_in(page, served["base"], ADMIN, then="/data")
    page.wait_for_selector("#import-upload input[type=file]", state="attached", timeout=60_000)
    yield page
    errors = page.errors
    page.close()
    log = served["log"].read_text(errors="replace") if errors else ""
    assert errors == [], log[-4000:]


def state(url: str) -> tuple:
    store = Store.open(url)
    try:
        grids = store.grids(geometry=False)
        return store.latest_seq(), len(grids), tuple(sorted(grids["code"])), store.table_counts()
    finally:
        store.close()


def town_grids(url: str, path, *, broken: bool = False, gcj02: bool = False):
    """胶西's grids as a bureau would send them (EPSG:4549, Chinese headers),
    the first two merged into one; ``broken`` adds an overlap and text;
    ``gcj02`` shifts them as a tracing on a Chinese web map would."""
    store = Store.open(url)
    grids = store.grids(town=TOWN)
    store.close()
    first, second = grids.iloc[0], grids.iloc[1]
    rest = grids.iloc[2:][["code", "name", "community_code", "population", "geometry"]]
    merged = gpd.GeoDataFrame(
        {
            "code": [f"{first['code']}M"],
            "name": ["合并网格"],
            "community_code": [first["community_code"]],
            "population": [first["population"] + second["population"]],
        },
        geometry=[shapely.union(first.geometry, second.geometry)],
        crs=4326,
    )
    frame = gpd.GeoDataFrame(pd.concat([rest, merged], ignore_index=True), crs=4326)
    frame["population"] = frame["population"].astype(str)
    if broken:
        frame.loc[0, "geometry"] = frame.geometry.iloc[0].buffer(0.003)
        frame.loc[1, "population"] = "约300"
    if gcj02:
        frame = frame.set_geometry(
            shapely.transform(
                frame.geometry.to_numpy(),
                lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])),
            )
        )
    frame = frame.rename(
        columns={
            "code": "网格编码",
            "name": "网格名称",
            "community_code": "所属社区编码",
            "population": "人口",
        }
    )
    frame.to_crs(4549).to_file(path, engine="pyogrio")
    return path, {first["code"], second["code"]}, f"{first['code']}M"


def red_pixels(page) -> int:
    """Pixels of the map's canvas in the problems' red (blended over white land)."""
    return page.evaluate("""() => {
        const canvas = document.querySelector('#import-map canvas');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let red = 0;
        for (let i = 0; i < pixels.length; i += 4) {
            if (pixels[i] > 200 && pixels[i + 1] < 150 && pixels[i + 2] < 150) red += 1;
        }
        return red;
    }""")


def upload(page, path) -> str:
    page.set_input_files("#import-upload input[type=file]", str(path))
    return wait_text(page, "#import-summary", "读取")


def test_a_broken_file_is_shown_on_the_map_and_the_list_and_writes_nothing(desk, served, tmp_path):
    path, _, _ = town_grids(served["url"], tmp_path / "jiaoxi-bad.gpkg", broken=True)
    before = state(served["url"])
    summary = upload(desk, path)
    assert "问题阻止导入" in summary and "未写入任何数据" in summary
    assert desk.is_disabled("#import-apply")
    problems = wait_text(desk, "#import-problems", "相互重叠")
    assert "数字列含文字" in problems and "人口或户数须为整数" in problems
    # On the Leaflet canvas: the file's outlines, the overlap filled red in
    # view, over the towns as white land; and the red is really on screen.
    desk.wait_for_function(
        "() => { const s = window.gc.map.state();"
        " return s && (s.fills['import-map-problems'] || {})['#dc2626'] > 0"
        " && s.drawn['import-map-shapes'] > 0"
        " && (s.fills['import-map-towns'] || {})['#ffffff'] > 0; }",
        timeout=30_000,
    )
    assert red_pixels(desk) > 0
    assert state(served["url"]) == before


def test_a_file_traced_on_a_web_map_is_refused_until_a_box_says_which(desk, served, tmp_path):
    # Issue 16: a GCJ-02 tracing passed the checks and moved incidents wrongly.
    path, _, _ = town_grids(served["url"], tmp_path / "jiaoxi-amap.gpkg", gcj02=True)
    before = state(served["url"])
    summary = upload(desk, path)
    assert "GCJ-02" in summary and "请在上方勾选其一" in summary, summary
    assert desk.is_disabled("#import-apply")
    desk.locator("#import-gcj02 input[value=gcj02]").check()
    summary = wait_text(desk, "#import-summary", "可以导入")
    assert "新增 1" in summary and "删除 2" in summary, summary
    assert state(served["url"]) == before


def test_a_redrawn_town_is_previewed_imported_with_progress_and_undone(desk, served, tmp_path):
    path, gone, merged = town_grids(served["url"], tmp_path / "jiaoxi.gpkg")
    before = state(served["url"])
    summary = upload(desk, path)
    assert "可以导入" in summary and "新增 1" in summary and "删除 2" in summary, summary
    assert "事件改归新网格" in summary
    assert state(served["url"]) == before, "checking and previewing write nothing"
    desk.click("#import-apply")
    done = wait_text(desk, "#import-progress", "导入完成", timeout_ms=120_000)
    assert "新增 1" in done and "删除 2" in done
    after = state(served["url"])
    assert merged in after[2] and not gone & set(after[2]) and after[1] == before[1] - 1
    wait_text(desk, "#import-log", "jiaoxi.gpkg")
    desk.click("#import-log .ag-row[row-index='0']")
    desk.click("#import-undo")
    assert "已撤销第" in wait_text(desk, "#import-undo-result", "已撤销")
    restored = state(served["url"])
    assert restored[1:3] == before[1:3]
    wait_text(desk, "#import-log", "已撤销")


def test_a_roster_from_excel_adds_people_by_phone(desk, served, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["姓名", "手机号码", "人员类别", "派出单位", "镇街"])
    book.active.append(["周强", "13912340001", "下沉干部", "市农业农村局", None])
    book.active.append(["吴芳", "13912340002", "志愿者", None, "胶西街道"])
    book.save(tmp_path / "roster.xlsx")
    cadres = state(served["url"])[3]["cadres"]
    desk.click("#import-kind")
    desk.locator("[role=option]", has_text="干部花名册").click()
    summary = upload(desk, tmp_path / "roster.xlsx")
    assert "读取 2 条干部花名册" in summary and "可以导入" in summary, summary
    desk.click("#import-apply")
    assert "新增 2" in wait_text(desk, "#import-progress", "导入完成", timeout_ms=60_000)
    assert state(served["url"])[3]["cadres"] == cadres + 2


def test_a_layer_downloads_in_the_format_picked(desk, served, tmp_path):
    with desk.expect_download(timeout=60_000) as download:
        desk.click("#import-export")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "grids.gpkg"
    frame = read_layer(saved)
    assert len(frame) == state(served["url"])[1] and frame.crs.to_epsg() == 4326


def test_an_operator_is_not_shown_the_page(browser, served):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    browser_sign_in(page, served["base"], OPERATOR, then="/data")
    page.wait_for_selector("#page", timeout=30_000)
    wait_text(page, "#page", "您没有使用此页面的权限")  # the router has answered
    assert page.query_selector("#import-upload") is None
    assert "数据导入" not in page.inner_text(".gc-header")
    page.close()
