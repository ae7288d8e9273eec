"""Exports of the town review over real HTTP: each file opens in its standard
reader (openpyxl, pandas, geopandas, PIL) with the numbers of the screen, the
print view holds the figures and tables, and town leaders get their own town.

The numbers are compared with ``review_tables`` of the same query built directly
with ``build_review``; the period is fixed (from/to), so "now" only decides
which open incidents are past their deadlines, the same for both sides.
Every test runs against a server on SQLite and on PostgreSQL. The map PNG is
drawn in the server process by geopandas on matplotlib: no browser is needed.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import io
import json
import math
import os
import re
import threading
import warnings
from pathlib import Path

import geopandas as gpd
import jsonschema
import numpy as np
import openpyxl
import pandas as pd
import pytest
import requests
import shapely
from PIL import Image

from app import create_app
from domain.access import for_user
from domain.errors import Unavailable
from domain.review_metrics import METRICS
from domain.review_query import parse_query
from layers import review_png
from layers.review_map import CONCERN, NO_DATA, TOWN_LINE
from services import review_print
from services.map_image import MapImages
from services.review import build_review, units
from services.review_files import csv_text, property_name
from services.review_tables import Table, review_tables, summary_rows
from services.review_workbook import sheet_title, workbook_bytes
from settings import Settings
from tests.servers import add_user, signed_in_session, thread_server
from tests.tiny_city import NOW, tiny_city

TOWN_A, TOWN_B = "370281001", "370281002"
JUNE = {"from": "2026-06-01", "to": "2026-06-30"}  # all five incidents of the tiny city
EMPTY = {"from": "2025-01-01", "to": "2025-01-31"}  # none
REVERSED = {"from": "2026-06-30", "to": "2026-06-01"}
XLSX, CSV, GEOJSON, PNG = (
    f"/api/v1/review/export.{ext}" for ext in ("xlsx", "csv", "geojson", "png")
)
HOUR = dt.timedelta(hours=1)


def exported_city():
    """The tiny city with its closed incidents resolved and T5 contacted, so that
    rates, times and satisfaction all have values."""
    city = tiny_city()
    city.incidents["resolved_at"] = [None, None, None, NOW - 22 * HOUR, NOW - 62 * HOUR]
    city.incidents["first_contact_at"] = [None, None, None, None, NOW - 79 * HOUR]
    return city


@pytest.fixture(scope="module")
def served(module_database_url):
    """A real server on the tiny city, with a city leader and a leader of town A."""
    url = module_database_url
    app = create_app(Settings.from_env({"DATABASE_URL": url, "GC_SIGNIN_RATE": "100000/minute"}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(exported_city())
    city, town = add_user(store, "city_leader"), add_user(store, "town_leader", town=TOWN_A)
    key = store.create_api_key("大屏", actor="test", scopes="display")
    with thread_server(app.server) as base:
        yield {
            "base": base,
            "store": store,
            "key": key,
            "city": signed_in_session(base, city),
            "town": signed_in_session(base, town),
            "principals": {
                "city": for_user(1, city, "city_leader", None),
                "town": for_user(2, town, "town_leader", TOWN_A),
            },
        }
    store.close()


def get(served, who: str, path: str, **args) -> requests.Response:
    return served[who].get(served["base"] + path, params=args, timeout=120)


def expected_tables(served, who: str, args: dict, lang: str = "zh") -> dict:
    """The screen's tables of the same query, built here directly."""
    store = served["store"]
    query = parse_query(args, today=NOW.date(), metrics=METRICS)
    review = build_review(
        store, query, served["principals"][who], now=dt.datetime.now(dt.UTC), lang=lang
    )
    return review, {t.key: t for t in review_tables(review, units(store).towns, lang)}


def missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def same(got, want) -> bool:
    """One cell as read back equals the table's: numbers as numbers, empty as empty."""
    if missing(want):
        return missing(got) or got == ""
    if isinstance(want, int | float | np.number) and not isinstance(want, bool):
        return isinstance(got, int | float) and math.isclose(float(got), float(want), abs_tol=1e-9)
    return str(got) == str(want)


def assert_same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for column in want.columns:
        for row, (a, b) in enumerate(zip(got[column], want[column], strict=True)):
            a = a.item() if isinstance(a, np.generic) else a
            assert same(a, b), f"{column} row {row}: {a!r} != {b!r}"


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def sheet_frame(sheet) -> pd.DataFrame:
    rows = list(sheet.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


# --- Excel ---------------------------------------------------------------------------------


def test_excel_has_a_summary_then_one_sheet_per_table_with_the_screens_numbers(served):
    book = workbook(get(served, "city", XLSX, **JUNE, metric="closure_rate"))
    review, tables = expected_tables(served, "city", {**JUNE, "metric": "closure_rate"})
    taken: set[str] = set()
    names = [sheet_title("概况", taken)] + [sheet_title(t.title, taken) for t in tables.values()]
    assert book.sheetnames == names
    assert all(len(name) <= 31 for name in book.sheetnames)
    for table, sheet in zip(tables.values(), book.worksheets[1:], strict=True):
        frame = sheet_frame(sheet)
        assert_same_frame(frame, table.frame)
        assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
        for column in table.frame.select_dtypes("number").columns:  # numbers, not text
            assert all(isinstance(v, int | float) for v in frame[column] if v is not None)
    assert "诉求件数" in tables["grids"].frame.columns and "办结率(%)" in tables["grids"].frame
    summary = [row for row in book["概况"].iter_rows(values_only=True) if any(row)]
    words = {row[0]: row[1] for row in summary}
    assert words["范围"] == "全市" and words["时间"].startswith("2026-06-01 至 2026-06-30")
    assert words["类别"] == "全部" and words["地图指标"] == "办结率（%）"
    for label, shown in summary_rows(review, "zh"):
        number = words[label]
        if shown == "—":
            assert number is None
        else:  # the tile's text, e.g. 33.3% or 5
            assert isinstance(number, int | float)
            assert shown.rstrip("%").replace(",", "") in (f"{number:.1f}", str(number))


def test_excel_in_english_with_filters_in_words(served):
    args = {**JUNE, "category": "garbage,waterlogging", "channel": "hotline", "lang": "en"}
    book = workbook(get(served, "city", XLSX, **args))
    assert book.sheetnames[0] == "Summary"
    words = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert words["Channels"] == "12345 hotline"
    assert words["Categories"].count("、") == 1
    _, tables = expected_tables(served, "city", args, lang="en")
    assert_same_frame(sheet_frame(book.worksheets[1]), tables["grids"].frame)


# --- CSV -----------------------------------------------------------------------------------


def test_csv_is_each_table_exactly_with_a_bom(served):
    _, tables = expected_tables(served, "city", JUNE)
    for key, table in tables.items():
        response = get(served, "city", CSV, **JUNE, table=key)
        assert response.status_code == 200 and response.headers["Content-Type"].startswith(
            "text/csv"
        )
        assert response.content.startswith("\ufeff".encode())
        assert "attachment" in response.headers["Content-Disposition"]
        read = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig", dtype={"编码": str})
        assert_same_frame(read, table.frame)
    default = get(served, "city", CSV, **JUNE)
    assert default.content == get(served, "city", CSV, **JUNE, table="grids").content


def test_csv_and_excel_never_hand_a_spreadsheet_a_formula():
    frame = pd.DataFrame({"内容": ['=HYPERLINK("http://x")', "+1", "普通"], "件数": [1, -2, 3]})
    assert csv_text(frame).splitlines()[1:] == [
        '"\'=HYPERLINK(""http://x"")",1',
        "'+1,-2",
        "普通,3",
    ]

    class Review:  # summary_rows reads totals only
        totals = pd.Series(dtype=float)

    data = workbook_bytes([Table("incidents", "清单", frame)], [("范围", "=1+1")], Review(), "zh")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book["清单"]["A2"].value == '=HYPERLINK("http://x")'
    assert book["清单"]["A2"].data_type == "s" and book["概况"]["B3"].data_type == "s"


# --- GeoJSON -------------------------------------------------------------------------------

GEOMETRY = {
    "type": "object",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"enum": ["Polygon", "MultiPolygon"]},
        "coordinates": {"type": "array", "minItems": 1},
    },
}
FEATURE_COLLECTION = {  # RFC 7946, the parts a grid layer uses
    "type": "object",
    "required": ["type", "features"],
    "not": {"required": ["crs"]},  # RFC 7946 removed it: WGS84 always
    "properties": {
        "type": {"const": "FeatureCollection"},
        "bbox": {"type": "array", "minItems": 4, "maxItems": 4},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"const": "Feature"},
                    "geometry": GEOMETRY,
                    "properties": {"type": "object"},
                },
            },
        },
    },
}


def test_geojson_is_rfc7946_wgs84_with_the_grid_tables_figures(served):
    response = get(served, "city", GEOJSON, **JUNE, metric="satisfaction_rate")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/geo+json"
    document = response.json()
    jsonschema.validate(document, FEATURE_COLLECTION)
    assert document["metric"] == "satisfaction_rate"
    assert document["period"] == {"from": "2026-06-01", "to": "2026-06-30"}
    for feature in document["features"]:
        shape = shapely.geometry.shape(feature["geometry"])
        polygons = getattr(shape, "geoms", [shape])
        for polygon in polygons:
            assert polygon.exterior.is_ccw, "exterior rings run counter-clockwise"
            assert all(not ring.is_ccw for ring in polygon.interiors)
            lon, lat = np.asarray(polygon.exterior.coords).T
            assert (lon > 119).all() and (lon < 121).all() and (lat > 35).all() and (lat < 37).all()
    frame = gpd.read_file(io.BytesIO(response.content))
    assert frame.crs.to_epsg() == 4326
    _, tables = expected_tables(served, "city", {**JUNE, "metric": "satisfaction_rate"})
    grids = tables["grids"].frame
    keys = {column: property_name(column) for column in grids.columns}
    assert "satisfaction_rate_pct" in keys.values() and "incidents" in keys.values()
    got = pd.DataFrame(frame.drop(columns="geometry"))[list(keys.values())]
    assert_same_frame(got.rename(columns={v: k for k, v in keys.items()}), grids)
    assert set(frame["town_code"]) == {TOWN_A, TOWN_B}


# --- PNG -----------------------------------------------------------------------------------


def colours(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB")).reshape(-1, 3).astype(int)


def share_near(pixels: np.ndarray, hex_colour: str, tolerance: int = 40) -> float:
    """Share of pixels close to ``hex_colour`` (the map's fills are 92% opaque on white)."""
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    blended = 0.92 * rgb + 0.08 * 255
    near = (np.abs(pixels - rgb).max(axis=1) <= tolerance) | (
        np.abs(pixels - blended).max(axis=1) <= tolerance
    )
    return float(near.mean())


def png_of(response) -> Image.Image:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    return image


def test_png_is_the_map_with_its_metric_colours(served):
    image = png_of(get(served, "city", PNG, **JUNE, width=800, height=600))
    assert image.size == (800, 600)
    pixels = colours(image)
    assert len(np.unique(pixels, axis=0)) > 50, "a drawn map, not a blank picture"
    # incidents: A-1 has 2 (the top of the scale), the other grids 1 (its middle)
    assert share_near(pixels, CONCERN[-1][1]) > 0.01
    assert share_near(pixels, CONCERN[2][1]) > 0.01
    assert share_near(pixels, TOWN_LINE, 20) > 0.001  # the town borders


def test_png_of_an_empty_period_is_a_grey_map(served):
    """Nothing to rate: every grid grey (a count would be 0, the palest colour)."""
    response = get(served, "town", PNG, **EMPTY, metric="closure_rate", width=640, height=480)
    pixels = colours(png_of(response))
    assert share_near(pixels, NO_DATA, 12) > 0.2
    assert share_near(pixels, CONCERN[0][1], 12) < 0.01  # the colour bar's end only


def test_png_needs_no_browser_on_the_server(served, monkeypatch):
    """Regression: the PNG was drawn by kaleido in Chromium, and without one it was 503."""
    monkeypatch.setenv("GC_BROWSER", "/nonexistent/chromium")
    monkeypatch.setenv("PATH", "/nonexistent")
    image = png_of(get(served, "city", PNG, **JUNE, metric="closure_rate", width=333, height=444))
    assert image.size == (333, 444) and len(np.unique(colours(image), axis=0)) > 50
    printed = get(served, "city", "/review/print", **JUNE, metric="on_time_rate")
    assert 'src="data:image/png;base64,' in printed.text
    # the server (this process) started no browser for any of its pictures
    assert not [name for name in child_commands(os.getpid()) if "chrom" in name.lower()]


def child_commands(pid: int) -> list[str]:
    """The command names of every process below ``pid`` (Linux /proc)."""
    names, queue = [], [pid]
    while queue:
        for task in Path(f"/proc/{queue.pop()}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            for child in children:
                queue.append(child)
                with contextlib.suppress(OSError):
                    names.append(Path(f"/proc/{child}/comm").read_text().strip())
    return names


def test_a_town_leaders_png_is_their_town_alone(served):
    own = get(served, "town", PNG, **JUNE, width=700, height=500)
    asked = get(served, "city", PNG, **JUNE, town=TOWN_A, width=700, height=500)
    city = get(served, "city", PNG, **JUNE, width=700, height=500)
    assert own.content == asked.content, "the town leader's map is the map of their town"
    assert own.content != city.content
    other = get(served, "town", PNG, **JUNE, town=TOWN_B, width=700, height=500)
    assert other.status_code == 403 and other.headers["Content-Type"] == "application/json"


def test_the_same_png_again_comes_from_the_cache(served):
    first = get(served, "city", PNG, **JUNE, metric="breaches", width=500, height=400)
    again = get(served, "city", PNG, **JUNE, metric="breaches", width=500, height=400)
    assert first.content == again.content
    other = get(served, "city", PNG, **JUNE, metric="incidents", width=500, height=400)
    assert png_of(other).size == (500, 400) and other.content != first.content


def _busy_drawing(images: MapImages, release: threading.Event) -> threading.Thread:
    """A thread that holds ``images``' turn to draw until ``release`` is set."""
    started = threading.Event()

    def draw() -> bytes:
        started.set()
        release.wait(10)
        return b"held"

    thread = threading.Thread(target=images.png, args=("held", draw))
    thread.start()
    assert started.wait(10)
    return thread


def test_a_png_that_waits_too_long_for_its_turn_is_unavailable_not_a_hang():
    images, release = MapImages(wait_s=0.05), threading.Event()
    thread = _busy_drawing(images, release)
    try:
        with pytest.raises(Unavailable, match=r"within 0\.05 s"):
            images.png("next", lambda: b"never drawn")
    finally:
        release.set()
        thread.join()
    assert images.png("held", lambda: b"drawn again") == b"held"  # kept in the cache


def test_too_many_pngs_at_once_are_turned_away_at_once():
    images, release = MapImages(max_waiting=1), threading.Event()
    thread = _busy_drawing(images, release)
    try:
        with pytest.raises(Unavailable, match="too many"):
            images.png("next", lambda: b"never drawn")
    finally:
        release.set()
        thread.join()


def _tiny_picture(names: list[str], lang: str) -> bytes:
    square = shapely.box(120.0, 36.0, 120.01, 36.01)
    grids = gpd.GeoDataFrame(
        {"code": ["A-1"], "incidents": [3]}, geometry=[square], crs="EPSG:4326"
    )
    towns = gpd.GeoDataFrame(
        {"code": [TOWN_A], "name": ["九龙街道"]}, geometry=[square], crs="EPSG:4326"
    )
    period = {"zh": "2026年6月", "en": "June 2026"}
    titles, town_names = review_png.picture_titles(
        names, METRICS["incidents"], period, lang, TOWN_A
    )
    return review_png.review_png(
        grids,
        towns,
        metric=METRICS["incidents"],
        titles=titles,
        town_names=town_names,
        bounds=None,
        width=400,
        height=300,
    )


def test_chinese_labels_are_drawn_with_the_installed_cjk_font():
    if not list(Path("/usr/share/fonts").rglob("NotoSansCJK*")):
        pytest.skip("fonts-noto-cjk is not installed")
    assert review_png.cjk_family() is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = Image.open(io.BytesIO(_tiny_picture(["全市", "九龙街道"], "zh")))
    assert image.size == (400, 300)
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_without_a_cjk_font_the_map_is_drawn_in_english_with_town_codes(monkeypatch):
    """No boxes for missing glyphs, and nothing fetched: English and codes instead."""
    monkeypatch.setattr(review_png, "CJK_FAMILIES", ())
    review_png.cjk_family.cache_clear()
    try:
        titles, town_names = review_png.picture_titles(
            ["全市", "九龙街道"],
            METRICS["incidents"],
            {"zh": "2026年6月", "en": "June 2026"},
            "zh",
            TOWN_A,
        )
        assert titles == review_png.Titles(TOWN_A, "Incidents (incidents)", "June 2026")
        assert town_names is False
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            image = Image.open(io.BytesIO(_tiny_picture(["全市", "九龙街道"], "zh")))
        assert image.size == (400, 300)
        assert not [w for w in caught if "missing from font" in str(w.message)]
    finally:
        review_png.cjk_family.cache_clear()


# --- print view ----------------------------------------------------------------------------


@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_print_view_has_figures_map_legend_and_tables_and_no_script(served, paper):
    response = get(served, "city", "/review/print", **JUNE, metric="closure_rate", paper=paper)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    page = response.text
    assert f"size: {paper.upper()} landscape" in page and "<script" not in page.lower()
    review, tables = expected_tables(served, "city", {**JUNE, "metric": "closure_rate"})
    for label, shown in summary_rows(review, "zh"):
        assert f'<div class="label">{label}</div><div class="value">{shown}</div>' in page
    for table in tables.values():
        assert f"<h2>{table.title}</h2>" in page
        for header in table.frame.columns:
            assert f"<th>{header}</th>" in page
    assert "图例" in page and "办结率（%）" in page and "灰色" in page
    # regression: the font list was HTML-escaped inside <style>, so pages printed in a serif
    assert 'font-family: "Noto Sans CJK SC"' in page
    image = re.search(r'src="data:image/png;base64,([^"]+)"', page)
    assert image and Image.open(io.BytesIO(base64.b64decode(image.group(1)))).size == (2000, 1500)
    assert (
        'href="/review?metric=closure_rate&amp;from=2026-06-01&amp;to=2026-06-30&amp;lang=zh"'
        in page
    )
    assert "img-src 'self' data:" in response.headers["Content-Security-Policy"]


def test_print_view_of_an_empty_or_reversed_period_says_so(served):
    reversed_page = get(served, "town", "/review/print", **REVERSED)
    assert reversed_page.status_code == 200 and "开始日期晚于结束日期" in reversed_page.text
    assert "<table" not in reversed_page.text


def test_print_view_caps_long_tables_with_a_note(served, monkeypatch):
    monkeypatch.setattr(review_print, "MAX_ROWS", 3)
    _, tables = expected_tables(served, "city", JUNE)
    block = review_print._block(tables["grids"], expected_tables(served, "city", JUNE)[0], "zh")
    assert len(block["rows"]) == 3 and block["note"] == "共4个网格，按诉求件数列出最需关注的前3个"
    code = block["headers"].index("编码")
    assert block["rows"][0][code][0] == "A-1"  # the most incidents first


# --- who may export what ---------------------------------------------------------------------


def test_a_town_leader_gets_their_town_and_never_another(served):
    other = get(served, "town", XLSX, **JUNE, town=TOWN_B)
    assert other.status_code == 403 and other.json()["error"]["message_zh"]
    assert get(served, "town", "/review/print", **JUNE, town=TOWN_B).status_code == 403
    own = get(served, "town", GEOJSON, **JUNE, town=TOWN_A)
    assert own.status_code == 200
    city_wide = get(served, "town", GEOJSON, **JUNE)  # no town: theirs
    codes = [f["properties"]["code"] for f in city_wide.json()["features"]]
    assert codes and set(codes) == {"A-1", "A-2"}
    assert city_wide.json()["area"]["town"] == TOWN_A
    book = workbook(get(served, "town", XLSX, **JUNE))
    _, tables = expected_tables(served, "town", JUNE)
    assert_same_frame(sheet_frame(book.worksheets[1]), tables["grids"].frame)
    assert "towns" not in tables


def test_nobody_signed_in_is_refused_and_a_display_key_may_export(served):
    for path in (XLSX, CSV, GEOJSON, PNG):
        answer = requests.get(served["base"] + path, params=JUNE, timeout=30)
        assert answer.status_code == 401 and answer.json()["error"]["message"]
    page = requests.get(
        served["base"] + "/review/print", params=JUNE, timeout=30, allow_redirects=False
    )
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=")
    keyed = requests.get(
        served["base"] + CSV, params=JUNE, timeout=30, headers={"X-API-Key": served["key"]}
    )
    assert keyed.status_code == 200


# --- bad and empty input ---------------------------------------------------------------------


@pytest.mark.parametrize("path", [XLSX, CSV, GEOJSON, PNG])
def test_a_reversed_range_is_refused_with_a_message_and_no_file(served, path):
    answer = get(served, "city", path, **REVERSED)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/json"
    assert "Content-Disposition" not in answer.headers
    error = answer.json()["error"]
    assert "from is after to" in error["message"] and "开始日期晚于结束日期" in error["message_zh"]


@pytest.mark.parametrize(
    "args, phrase",
    [
        ({"metric": "happiness"}, "unknown metric"),
        ({"table": "secrets"}, "table must be one of"),
        ({"lang": "fr"}, "lang must be zh or en"),
        ({"from": "2026-13-01"}, "not a calendar date"),
        ({"town": "no such town"}, "town is not a code"),
        ({"category": "unicorns"}, "unknown categories"),
    ],
)
def test_bad_arguments_are_400_saying_why(served, args, phrase):
    answer = get(served, "city", CSV, **{**JUNE, **args})
    assert answer.status_code == 400 and phrase in answer.json()["error"]["message"]


def test_bad_png_sizes_are_400(served):
    for size in ({"width": 10}, {"height": 99999}, {"width": "wide"}):
        answer = get(served, "city", PNG, **JUNE, **size)
        assert answer.status_code == 400 and re.search(
            "width|height", answer.json()["error"]["message"]
        )


def test_an_empty_period_gives_valid_files_with_headers_and_no_rows(served):
    book = workbook(get(served, "city", XLSX, **EMPTY))
    _, tables = expected_tables(served, "city", EMPTY)
    for table, sheet in zip(tables.values(), book.worksheets[1:], strict=True):
        assert [c.value for c in sheet[1]] == list(table.frame.columns)
    grids = sheet_frame(book.worksheets[1])
    assert len(grids) == 4 and (grids["诉求件数"] == 0).all()  # every grid, nothing counted
    words = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True) if row[0]}
    assert words["说明"] == "所选时段和范围内没有诉求。"
    categories = get(served, "city", CSV, **EMPTY, table="categories")
    read = pd.read_csv(io.BytesIO(categories.content), encoding="utf-8-sig")
    assert len(read) == 0 and list(read.columns) == list(tables["categories"].frame.columns)
    document = get(served, "town", GEOJSON, **EMPTY).json()
    assert len(document["features"]) == 2
    assert all(f["properties"]["incidents"] == 0 for f in document["features"])
    assert all(f["properties"]["closure_rate_pct"] is None for f in document["features"])
    assert json.dumps(document)  # a valid document, no NaN in it
