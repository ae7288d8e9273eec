"""Exports of the town review, exactly as the /review screen shows it.

GET /api/v1/review/export.xlsx|csv|geojson|png and the print view /review/print
take the screen's own URL arguments (``domain.review_query.parse_query``:
period or from/to, metric, town, community, grid, category, channel) plus
``lang`` (zh, the default, or en), so a leader can bookmark or schedule any of
them. Every one is built from one ``Review`` (``api.review_service``) and its
tables (``api.review_tables``), so each file holds the numbers of the screen.

A town leader gets their own town only (``build_review`` scopes it; another
town is 403). A reversed range is refused (400) on the export URLs; an empty
period or a town without incidents gives valid files with headers and no
rows, and a grey map.
"""

from __future__ import annotations

import datetime as dt
import threading
from urllib.parse import quote, urlencode

import geopandas as gpd
import numpy as np
import pandas as pd
from flask import Blueprint, Response, current_app, request

from api.errors import status_for
from api.geojson import MEDIA_TYPE, feature_collection, geometry_json
from api.guard import current_principal
from api.map_image import MAP_IMAGES, image_key
from api.params import parse_int
from api.review_print import PAPERS, error_page, print_page
from api.review_service import build_review, units
from api.review_tables import HEADERS, RATES, Table, category_name, channel_name, review_tables
from api.review_workbook import workbook_bytes
from domain.errors import GridCommandError, InvalidInput
from domain.review_metrics import METRICS
from domain.review_query import LOCAL, local_today, parse_query, query_args
from layers.review_png import picture_titles, review_png

blueprint = Blueprint("review_export", __name__)

LANGS = ("zh", "en")
TABLE_KEYS = ("grids", "units", "trend", "categories", "hot_spots", "league", "incidents")
PNG_SIZE = (1600, 1200)  # default width, height in pixels
PRINT_MAP = (1000, 750)  # the print view's map, drawn twice as fine (2000 x 1500 pixels)
PNG_MIN, PNG_MAX = 320, 2480  # either side; 2480 px is A3's long side at 150 dpi
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"  # Flask adds charset=utf-8
# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _store():
    return current_app.extensions["gridcommand.store"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def request_lang() -> str:
    lang = request.args.get("lang") or "zh"
    if lang not in LANGS:
        raise InvalidInput(f"lang must be zh or en, not {lang[:20]!r}", zh="lang 应为 zh 或 en")
    return lang


def request_review(*, refuse_reversed: bool = True):
    """(review, lang, now) of this request's arguments, as its caller may see it."""
    lang = request_lang()
    now = _now()
    query = parse_query(request.args, today=local_today(now), metrics=METRICS)
    review = build_review(_store(), query, current_principal(), now=now, lang=lang)
    if refuse_reversed and review.notice == "reversed":
        period = review.query.period
        raise InvalidInput(f"from is after to: {period.start} > {period.end}",
                           zh=f"开始日期晚于结束日期：{period.start} > {period.end}")  # fmt: skip
    return review, lang, now


def tables_of(review, lang: str) -> list[Table]:
    return review_tables(review, units(_store()).towns, lang)


def filter_words(review, lang: str, now: dt.datetime) -> list[tuple[str, str]]:
    """The query in words: (label, value) rows, for the summary sheet and the print view."""
    zh = lang == "zh"
    query = review.query
    every = "全部" if zh else "All"
    categories = "、".join(category_name(c, lang) for c in query.categories) or every
    channels = "、".join(channel_name(c, lang) for c in query.channels) or every
    metric = review.metric
    days = f"（{query.period.days}天）" if zh else f" ({query.period.days} days)"
    rows = [
        ("范围" if zh else "Area", " › ".join(review.names.values())),
        ("时间" if zh else "Period", query.period.label(lang) + days),
        ("类别" if zh else "Categories", categories),
        ("渠道" if zh else "Channels", channels),
        ("地图指标" if zh else "Map metric", f"{metric.label(lang)}（{metric.unit(lang)}）" if zh
         else f"{metric.label(lang)} ({metric.unit(lang)})"),
        ("生成时间" if zh else "Generated", now.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")),
    ]  # fmt: skip
    if review.notice == "empty":
        rows.append(("说明" if zh else "Note", "所选时段和范围内没有诉求。" if zh
                     else "No incidents in this period and area."))  # fmt: skip
    return rows


def download_names(review, lang: str, ext: str) -> tuple[str, str]:
    """File names people recognise: area and period (Chinese, and an ASCII fallback)."""
    period = review.query.period
    area = "-".join(list(review.names.values())[1:]) or ("全市" if lang == "zh" else "city")
    stem = "网格考核" if lang == "zh" else "review"
    name = f"{stem}_{area}_{period.start}_{period.end}.{ext}"
    code = review.query.code or "city"
    plain_name = f"review_{code}_{period.start}_{period.end}.{ext}"
    return name.replace("/", "-").replace(" ", "_"), plain_name


def _attachment(data: bytes, mimetype: str, name: str, ascii_name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    quoted = quote(name, safe="")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole-number columns that became floats (a missing value) back to whole numbers."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values) and len(values.dropna()):
            finite = values.dropna().to_numpy(float)
            if np.all(np.isfinite(finite)) and np.all(finite == np.round(finite)) and \
                    _key(column) not in RATES | {"per_1000", "contact_h", "resolve_h", "ratio",
                                                 "expected", "q"}:  # fmt: skip
                out[column] = values.astype("Int64")
    return out


_KEY_OF = {label: key for key, pair in HEADERS.items() for label in pair}


def _key(header: str) -> str:
    """The column key of a display header (either language)."""
    return _KEY_OF.get(header, header)


@blueprint.get("/api/v1/review/export.xlsx")
def export_xlsx():
    review, lang, now = request_review()
    data = workbook_bytes(tables_of(review, lang), filter_words(review, lang, now),
                          review, lang)  # fmt: skip
    return _attachment(data, XLSX, *download_names(review, lang, "xlsx"))


@blueprint.get("/api/v1/review/export.csv")
def export_csv():
    key = request.args.get("table") or "grids"
    if key not in TABLE_KEYS:
        raise InvalidInput(f"table must be one of {', '.join(TABLE_KEYS)}, not {key[:40]!r}",
                           zh=f"table 应为 {', '.join(TABLE_KEYS)} 之一")  # fmt: skip
    review, lang, _ = request_review()
    tables = {table.key: table for table in tables_of(review, lang)}
    if key not in tables:
        raise InvalidInput(f"this review has no {key} table: it has {', '.join(tables)}",
                           zh=f"此范围没有 {key} 表，可选：{', '.join(tables)}")  # fmt: skip
    text = csv_text(tables[key].frame)
    return _attachment(text.encode("utf-8"), CSV, *download_names(review, lang, f"{key}.csv"))


def csv_text(frame: pd.DataFrame) -> str:
    """UTF-8 with a byte-order mark (so Excel in China reads it right), CRLF rows;
    text that a spreadsheet would run as a formula is quoted with a leading '."""
    safe = plain(frame).copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(
                lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v
            )
    return "\ufeff" + safe.to_csv(index=False, lineterminator="\r\n")


@blueprint.get("/api/v1/review/export.geojson")
def export_geojson():
    review, lang, now = request_review()
    grids = {table.key: table for table in tables_of(review, lang)}["grids"].frame
    return _attachment(geojson_text(review, grids, now, lang).encode("utf-8"), MEDIA_TYPE,
                       *download_names(review, lang, "geojson"))  # fmt: skip


def property_name(header: str) -> str:
    """Stable English property keys: closure_rate_pct for a rate shown in percent."""
    key = _key(header)
    return f"{key}_pct" if key in RATES else key


def grid_shapes(review) -> dict[str, str]:
    """GeoJSON geometry texts (WGS84, RFC 7946 winding) of the review's grids, by code."""
    shapes = _store().grids(town=review.query.town)
    shapes = shapes[shapes["code"].isin(set(review.grids["code"]))]
    texts = geometry_json(shapes.geometry.to_numpy())
    return {code: text or "null" for code, text in zip(shapes["code"], texts, strict=True)}


def geojson_text(review, grids: pd.DataFrame, now: dt.datetime, lang: str = "zh") -> str:
    """The grids table as features: every column a property, the query as members."""
    code_header = next(c for c in grids.columns if _key(c) == "code")
    props = plain(grids).rename(columns={c: property_name(c) for c in grids.columns})
    codes = grids[code_header].astype(str)
    extra = review.grids.set_index(review.grids["code"].astype(str))
    for column in ("town_code", "community_code", "community_name"):
        if column in extra.columns:
            props[column] = codes.map(extra[column]).to_numpy()
    shapes = grid_shapes(review)
    query = review.query
    members = {
        "name": " › ".join(review.names.values()),
        "metric": query.metric,
        "metric_name": review.metric.label(lang),
        "period": {"from": query.period.start.isoformat(), "to": query.period.end.isoformat()},
        "area": {"level": query.level, "code": query.code, "town": query.town},
        "categories": list(query.categories),
        "channels": list(query.channels),
        "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if review.bounds:
        members["bbox"] = [round(v, 6) for v in review.bounds]
    return feature_collection([shapes.get(code, "null") for code in codes], props, **members)


@blueprint.get("/api/v1/review/export.png")
def export_png():
    width = parse_int(request.args.get("width"), "width", PNG_SIZE[0], PNG_MIN, PNG_MAX)
    height = parse_int(request.args.get("height"), "height", PNG_SIZE[1], PNG_MIN, PNG_MAX)
    review, lang, _ = request_review()
    image = map_png(review, lang, width, height)
    return _attachment(image, "image/png", *download_names(review, lang, "png"))


def map_png(review, lang: str, width: int, height: int, scale: float = 1) -> bytes:
    """The screen's map of ``review`` laid out at ``width`` × ``height`` pixels
    (the picture has ``scale`` times as many each way), drawn on the server.

    Only the review's area is drawn: its grids, and its town alone when the
    review is of one town (always so for a town leader), else every town.
    """
    store = _store()
    grid_shapes, town_shapes = city_shapes(store)
    codes = review.grids["code"].astype(str)
    metric = review.metric
    grids = gpd.GeoDataFrame(
        {"code": codes.to_numpy(), metric.code: review.grids[metric.code].to_numpy()},
        geometry=grid_shapes.reindex(codes.to_numpy()).to_numpy(), crs="EPSG:4326",
    )  # fmt: skip
    town = review.query.town
    towns = town_shapes[town_shapes["code"] == town] if town else town_shapes
    period = {code: review.query.period.label(code) for code in LANGS}
    titles, town_names = picture_titles(list(review.names.values()), metric, period, lang,
                                        review.query.code)  # fmt: skip
    selected = review.query.code if review.query.level == "grid" else None
    hot = review.hot_spots if len(review.hot_spots) else None
    key = image_key(
        store.geometry_version(), id(store), width, height, scale, titles, town_names,
        review.bounds, selected, metric.code, towns["code"].tolist(), codes.str.cat(sep=","),
        pd.to_numeric(review.grids[metric.code], errors="coerce").to_numpy(float).tobytes(),
        None if hot is None else hot[["lon", "lat"]].to_numpy(float).tobytes(),
    )  # fmt: skip
    return MAP_IMAGES.png(key, lambda: review_png(
        grids, towns, metric=metric, titles=titles, town_names=town_names,
        bounds=review.bounds, width=width, height=height, scale=scale,
        selected=selected, hot=hot,
    ))  # fmt: skip


_SHAPES: dict = {}
_SHAPES_LOCK = threading.Lock()


def city_shapes(store) -> tuple[gpd.GeoSeries, gpd.GeoDataFrame]:
    """Every grid's polygon by code, and the towns (code, name, geometry), read
    again only when a boundary changed."""
    key = (id(store), store.geometry_version())
    with _SHAPES_LOCK:
        found = _SHAPES.get(key)
        if found is None:
            grids = store.grids()
            found = (grids.set_index(grids["code"].astype(str)).geometry,
                     store.towns()[["code", "name", "geometry"]])  # fmt: skip
            _SHAPES.clear()
            _SHAPES[key] = found
        return found


@blueprint.get("/review/print")
def print_view():
    """A plain page to print for a meeting: A4 or A3 landscape, no scripts."""
    paper = request.args.get("paper") or "a4"
    try:
        if paper not in PAPERS:
            raise InvalidInput(
                f"paper must be a4 or a3, not {paper[:10]!r}", zh="纸张应为 A4 或 A3"
            )
        review, lang, now = request_review(refuse_reversed=False)
    except GridCommandError as error:
        lang = request.args.get("lang") if request.args.get("lang") in LANGS else "zh"
        return Response(error_page(error, lang), status=status_for(error),
                        mimetype="text/html")  # fmt: skip
    image, problem = None, None
    if review.notice != "reversed":
        try:
            image = map_png(review, lang, *PRINT_MAP, scale=2)
        except GridCommandError as error:  # the page still prints, without its map
            problem = error.message(lang)
    back = "/review?" + urlencode({**query_args(review.query), "lang": lang})
    html = print_page(review, tables_of(review, lang), filter_words(review, lang, now),
                      lang=lang, paper=paper, image=image, image_problem=problem,
                      back_url=back)  # fmt: skip
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "private, no-cache"
    return response
