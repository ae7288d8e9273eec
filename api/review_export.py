"""Exports of the town review, exactly as the /review screen shows it.

GET /api/v1/review/export.xlsx|csv|geojson|png and the print view /review/print
take the screen's own URL arguments (``domain.review_query.parse_query``:
period or from/to, metric, town, community, grid, category, channel) plus
``lang`` (zh, the default, or en), so a leader can bookmark or schedule any of
them. Every one is built from one ``Review`` (``services.review``) and its
tables (``services.review_tables``), so each file holds the numbers of the screen.

A town leader gets their own town only (``build_review`` scopes it; another
town is 403). A reversed range is refused (400) on the export URLs; an empty
period or a town without incidents gives valid files with headers and no
rows, and a grey map.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, request

from api.errors import status_for
from api.geojson import MEDIA_TYPE
from api.params import parse_int
from domain.errors import GridCommandError, InvalidInput
from domain.review_metrics import METRICS
from domain.review_query import local_today, parse_query, query_args
from services.review import build_review, units
from services.review_files import csv_text, download_names, filter_words, geojson_text, map_png
from services.review_print import PAPERS, error_page, print_page
from services.review_tables import Table, review_tables
from services.review_workbook import workbook_bytes
from web.guard import current_principal

blueprint = Blueprint("review_export", __name__)

LANGS = ("zh", "en")
TABLE_KEYS = ("grids", "units", "trend", "categories", "hot_spots", "league", "incidents")
PNG_SIZE = (1600, 1200)  # default width, height in pixels
PRINT_MAP = (1000, 750)  # the print view's map, drawn twice as fine (2000 x 1500 pixels)
PNG_MIN, PNG_MAX = 320, 2480  # either side; 2480 px is A3's long side at 150 dpi
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"  # Flask adds charset=utf-8


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
        raise InvalidInput(
            f"from is after to: {period.start} > {period.end}",
            zh=f"开始日期晚于结束日期：{period.start} > {period.end}",
        )
    return review, lang, now


def tables_of(review, lang: str) -> list[Table]:
    return review_tables(review, units(_store()).towns, lang)


def _attachment(data: bytes, mimetype: str, name: str, ascii_name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    quoted = quote(name, safe="")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@blueprint.get("/api/v1/review/export.xlsx")
def export_xlsx():
    review, lang, now = request_review()
    data = workbook_bytes(tables_of(review, lang), filter_words(review, lang, now), review, lang)
    return _attachment(data, XLSX, *download_names(review, lang, "xlsx"))


@blueprint.get("/api/v1/review/export.csv")
def export_csv():
    key = request.args.get("table") or "grids"
    if key not in TABLE_KEYS:
        raise InvalidInput(
            f"table must be one of {', '.join(TABLE_KEYS)}, not {key[:40]!r}",
            zh=f"table 应为 {', '.join(TABLE_KEYS)} 之一",
        )
    review, lang, _ = request_review()
    tables = {table.key: table for table in tables_of(review, lang)}
    if key not in tables:
        raise InvalidInput(
            f"this review has no {key} table: it has {', '.join(tables)}",
            zh=f"此范围没有 {key} 表，可选：{', '.join(tables)}",
        )
    text = csv_text(tables[key].frame)
    return _attachment(text.encode("utf-8"), CSV, *download_names(review, lang, f"{key}.csv"))


@blueprint.get("/api/v1/review/export.geojson")
def export_geojson():
    review, lang, now = request_review()
    grids = {table.key: table for table in tables_of(review, lang)}["grids"].frame
    return _attachment(
        geojson_text(_store(), review, grids, now, lang).encode("utf-8"),
        MEDIA_TYPE,
        *download_names(review, lang, "geojson"),
    )


@blueprint.get("/api/v1/review/export.png")
def export_png():
    width = parse_int(request.args.get("width"), "width", PNG_SIZE[0], PNG_MIN, PNG_MAX)
    height = parse_int(request.args.get("height"), "height", PNG_SIZE[1], PNG_MIN, PNG_MAX)
    review, lang, _ = request_review()
    image = map_png(_store(), review, lang, width, height)
    return _attachment(image, "image/png", *download_names(review, lang, "png"))


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
        return Response(error_page(error, lang), status=status_for(error), mimetype="text/html")
    image, problem = None, None
    if review.notice != "reversed":
        try:
            image = map_png(_store(), review, lang, *PRINT_MAP, scale=2)
        except GridCommandError as error:  # the page still prints, without its map
            problem = error.message(lang)
    back = "/review?" + urlencode({**query_args(review.query), "lang": lang})
    html = print_page(
        review,
        tables_of(review, lang),
        filter_words(review, lang, now),
        lang=lang,
        paper=paper,
        image=image,
        image_problem=problem,
        back_url=back,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "private, no-cache"
    return response
