"""The review screen's parts, built from one ``Review``: tiles, breadcrumb,
tables, charts and the map. No callbacks here; ``pages.review`` wires them.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import dash_leaflet as dl
from dash import html

from dashboard import ids
from dashboard.i18n import t
from dashboard.leaflet_parts import PAPER_LAND, canvas_map, empty, js, towns_layer
from domain.review_metrics import METRICS, trend_step
from domain.review_query import Period, query_args, quick_period
from layers.dispatch_lines import fit_bounds
from layers.review_charts import category_figure, trend_figure
from layers.review_map import PAPER, TOWN_LINE, review_map_layers
from services.review_tables import TILE_METRICS, Table, category_name, header

EXPORTS = ("xlsx", "csv", "geojson", "png")
MAP_LAYERS = {name: f"review-map-{name}" for name in ("land", "grids", "towns", "hot")}
TOWN_BORDERS = {"color": TOWN_LINE, "weight": 1.6}
LEVEL_WORDS = {
    "city": ("全市", "City"),
    "town": ("镇街", "Town"),
    "community": ("社区", "Community"),
    "grid": ("网格", "Grid"),
}


def notice_text(review, lang: str) -> str | None:
    if review.notice == "reversed":
        return t("review.reversed", lang)
    if review.notice == "empty":
        return t("review.empty", lang)
    return None


def tiles(review, lang: str) -> list:
    """The headline figures, one tile each (hours with their unit)."""
    out = []
    for code in TILE_METRICS:
        metric = METRICS[code]
        value = metric.format(review.totals.get(code), lang)
        unit = metric.unit(lang) if metric.kind == "hours" and value != "—" else ""
        out.append(
            html.Div(
                [
                    html.Div(metric.label(lang), className="gc-review-tile-label"),
                    html.Div(
                        [value, html.Small(f" {unit}") if unit else None],
                        className="gc-review-tile-value",
                    ),
                ],
                className="gc-review-tile",
                **{"data-metric": code},
            )
        )
    return out


def breadcrumb(review, lang: str) -> list:
    """City › town › community › grid; every level above the current one is a button."""
    parts = []
    levels = [level for level in ("city", "town", "community", "grid") if level in review.names]
    codes = {"city": None, "town": review.query.town}
    if review.query.level in ("community", "grid"):
        if review.query.level == "community":
            codes["community"] = review.query.code
        else:
            codes["community"] = str(
                review.grids.loc[review.grids["code"] == review.query.code, "community_code"].iloc[
                    0
                ]
            )
            codes["grid"] = review.query.code
    for position, level in enumerate(levels):
        name = review.names[level]
        last = position == len(levels) - 1
        if position:
            parts.append(html.Span("›", className="gc-crumb-sep"))
        if last:
            parts.append(html.Span(name, className="gc-crumb gc-crumb-here"))
        else:
            parts.append(
                html.Button(
                    name,
                    className="gc-crumb",
                    n_clicks=0,
                    id={"type": ids.REVIEW_CRUMB, "level": level, "code": codes.get(level) or ""},
                )
            )
    return parts


def export_links(review, lang: str) -> list:
    """Download links with the screen's query, and the print views."""
    args = {**query_args(review.query), "lang": lang}
    links = [html.Span(t("review.export", lang), className="gc-review-label")]
    for fmt in EXPORTS:
        links.append(
            html.A(
                fmt.upper() if fmt != "xlsx" else "Excel",
                href=f"/api/v1/review/export.{fmt}?{urlencode(args)}",
                className="gc-review-export",
                id=f"review-export-{fmt}",
                download="",
            )
        )
    links.append(
        html.A(
            t("review.link", lang),
            href=f"/review?{urlencode(args)}",
            className="gc-review-export",
            id="review-link",
            title=t("review.link_hint", lang),
        )
    )
    for paper in ("a4", "a3"):
        links.append(
            html.A(
                t(f"review.print_{paper}", lang),
                href=f"/review/print?{urlencode({**args, 'paper': paper})}",
                target="_blank",
                className="gc-review-export",
            )
        )
    return links


def grids_url(geometry_version: int, town: str | None) -> str:
    """The review's grids, by URL: the browser keeps them per geometry version and town."""
    return f"/api/v1/grids.geojson?v={geometry_version}" + (f"&town={town}" if town else "")


def map_layers(review, lang: str, viewport: dict | None = None) -> dict:
    """The map's live values for ``review``: the grids' hideout, the hot spots,
    the legend, and the bounds to fit ([[south, west], [north, east]])."""
    hot = review.hot_spots.rename(columns={"grid_code": "code"}) if len(review.hot_spots) else None
    width = float((viewport or {}).get("width") or 1920)
    drawn = review_map_layers(
        review.grids,
        metric=review.metric,
        period_label=review.query.period.label(lang),
        lang=lang,
        selected=review.query.code if review.query.level == "grid" else None,
        hot=hot,
        scale=2.0 if width >= 3000 else 1.0,
    )
    drawn["bounds"] = fit_bounds([review.bounds[:2], review.bounds[2:]] if review.bounds else [])
    return drawn


def review_map(sources: dict) -> html.Div:
    """The grids coloured by the metric over the towns as land, the town
    borders above them, hot spots on top, and the colour key.

    The grids' URL comes with their first ``hideout``, in one update: a
    GeoJSON layer fetching its URL before the hideout came would draw with
    the empty one and keep it (its filter shows only the area's grids)."""
    layers = [
        towns_layer(MAP_LAYERS["land"], sources["towns"], PAPER_LAND),
        dl.GeoJSON(
            id=MAP_LAYERS["grids"],
            style=js("reviewStyle"),
            onEachFeature=js("reviewEach"),
            filter=js("reviewShown"),
            hideout={},
        ),
        towns_layer(MAP_LAYERS["towns"], sources["towns"], TOWN_BORDERS),
        dl.GeoJSON(
            id=MAP_LAYERS["hot"],
            data=empty(),
            pointToLayer=js("point"),
            onEachFeature=js("pointEach"),
        ),
    ]
    return html.Div(
        [
            canvas_map(ids.REVIEW_MAP, layers, fit_bounds([]), sources, background=PAPER),
            html.Div(id=ids.REVIEW_LEGEND, className="gc-review-legend"),
        ],
        className="gc-review-map",
    )


def legend_view(legend: dict) -> list:
    """The colour key over the map: metric and unit, period, scale, no-data swatch."""
    return [
        html.Div(legend["title"], className="gc-review-legend-title"),
        html.Div(legend["period"], className="gc-review-legend-period"),
        html.Div(className="gc-review-legend-bar", style={"background": legend["gradient"]}),
        html.Div([html.Span(tick) for tick in legend["ticks"]], className="gc-review-legend-ticks"),
        html.Div(
            [html.Span(style={"background": legend["nodata"]}), legend["nodata_label"]],
            className="gc-review-legend-none",
        ),
    ]


def charts(review, lang: str, viewport: dict | None = None) -> tuple[dict, dict]:
    message = notice_text(review, lang) or t("review.empty", lang)
    names = {code: category_name(code, lang) for code in review.categories.get("category", [])}
    scale = 2.0 if float((viewport or {}).get("width") or 0) >= 3000 else 1.0
    return (
        trend_figure(review.trend, lang, message, scale),
        category_figure(review.categories, names, lang, message, scale),
    )


def grid_card(review, lang: str) -> list:
    """The grid drilled into: its worker, secretary, households and residents."""
    if review.grid is None:
        return []
    card = review.grid
    zh = lang == "zh"
    rows = [
        (
            t("review.worker", lang),
            f"{card.get('worker_name') or '—'}  {card.get('worker_phone') or ''}",
        ),
        (t("review.secretary", lang), card.get("secretary") or "—"),
        (
            "户数 · 人口" if zh else "Households · residents",
            f"{int(card['households']):,} · {int(card['population']):,}",
        ),
    ]
    return [
        html.H3(f"{card['name']}（{card['code']}）" if zh else f"{card['name']} ({card['code']})"),
        html.Dl([item for label, value in rows for item in (html.Dt(label), html.Dd(value))]),
    ]


def tables_by_key(tables: list[Table]) -> dict[str, Table]:
    return {table.key: table for table in tables}


def period_text(review, lang: str) -> str:
    level = LEVEL_WORDS[review.query.level][0 if lang == "zh" else 1]
    return f"{level} · {review.query.period.label(lang)}"


def area_from_click(click: dict | None) -> str | None:
    """The grid code of a click on the map's grids (the clicked GeoJSON feature)."""
    code = ((click or {}).get("properties") or {}).get("code")
    return str(code) if code else None


def clicked_step(click: dict | None, period: Period) -> Period | None:
    """The day, week or month of a click on the trend chart, inside ``period``."""
    points = (click or {}).get("points") or []
    if not points:
        return None
    try:
        first = dt.date.fromisoformat(str(points[0].get("x")))
    except ValueError:
        return None
    step = trend_step(period.days)
    if step == "D":
        last = first
    elif step == "W":
        last = first + dt.timedelta(days=6)
    else:
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        last = following - dt.timedelta(days=1)
    return Period(max(first, period.start), min(last, period.end))


def clicked_category(click: dict | None) -> str | None:
    """The category code of a click on the category chart (not "other categories")."""
    points = (click or {}).get("points") or []
    code = points[0].get("customdata") if points else None
    return str(code) if code and code != "_rest" else None


# Shorter English headers on screen, where a long word would not fit a narrow
# column; the full header is the tooltip, and exports keep it.
SCREEN_HEADERS = {
    "Per 1,000 residents": "Per 1,000 people",
    "Satisfaction rate (%)": "Satisfied (%)",
    "Median resolution (h)": "Median to resolve (h)",
}
_CELL_PAD = 16  # px at 13 px type: the cell's padding (style.css) and a little air
_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
# What a header can wrap between: one CJK character, or a run of anything else.
_UNBREAKABLE = re.compile(
    r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+"
)


def text_px(text: str, size: float = 13.0) -> float:
    """About how wide ``text`` is set in the sans-serif at ``size`` px (CJK 1 em, Latin ~0.56 em)."""
    wide = len(_WIDE.findall(text))
    return (wide + 0.56 * (len(text) - wide)) * size


def table_scale(viewport: dict | None) -> float:
    """How much larger the tables' type is on this screen (style.css: 13 px, 24 px on 4K)."""
    return 24 / 13 if float((viewport or {}).get("width") or 0) >= 3000 else 1.0


def grid_data(table, metric_header: str | None = None, scale: float = 1.0) -> tuple[list, list]:
    """rowData and columnDefs of one table (empty when the review has none).

    The code stays in the rows (a click drills by it) but not on screen; the
    name is pinned and the map's metric comes right after it. Headers wrap
    onto as many lines as they need, and the columns are narrow enough at
    their least (about four characters, ``scale`` times larger on 4K) that
    every one fits its card without scrolling sideways.
    """
    if table is None:
        return [], []
    frame = table.frame
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    codes = {header("code", lang) for lang in ("zh", "en")}
    names = {
        header(c, lang) for c in ("name", "department", "description") for lang in ("zh", "en")
    }
    ranks = {header("rank", lang) for lang in ("zh", "en")}
    ordered = list(frame.columns)
    if metric_header in ordered:
        ordered.remove(metric_header)
        at = next((i + 1 for i, c in enumerate(ordered) if c in names), 0)
        ordered.insert(at, metric_header)
    columns = []
    for c in ordered:
        shown = SCREEN_HEADERS.get(c, c)
        # At least three characters, and the longest word of the header whole.
        word = max((text_px(w) for w in _UNBREAKABLE.findall(shown)), default=0.0)
        least = max(56, round(word) + _CELL_PAD)
        column = {
            "field": c,
            "headerName": shown,
            "minWidth": round(least * scale),
            "flex": 1,
            "tooltipField": c,
            "headerTooltip": c,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        }
        if c in codes and any(n in ordered for n in names):
            column["hide"] = True
        # Pinned columns take no flex (AG Grid sizes them by ``width``, 200 px unless
        # told): as wide as the longest name, within reason (the tooltip has the rest).
        if c in names:
            longest = max((text_px(str(v)) for v in frame[c].dropna()), default=0.0)
            width = min(max(round(longest) + _CELL_PAD, 80), 150)
            column.update(pinned="left", width=round(width * scale), flex=None)
        if c in ranks:
            column.update(
                pinned="left", width=round(46 * scale), minWidth=round(40 * scale), flex=None
            )
        if c == metric_header:
            column["cellClass"] = "gc-review-metric-cell"
        columns.append(column)
    return rows, columns


def picked_period(pick: str, start: str | None, end: str | None, today: dt.date) -> Period:
    """The period of a quick pick, or of the date pickers for "custom"."""
    if pick != "custom":
        return quick_period(pick, today)
    first = dt.date.fromisoformat(start) if start else today.replace(day=1)
    last = dt.date.fromisoformat(end) if end else today
    return Period(first, last)


def row_code(cell: dict | None, rows: list | None) -> str | None:
    """The unit code of the row a cell click hit.

    Without ``getRowId`` AG Grid names each row by its index in ``rowData``,
    so the row is found the same whichever way the table is sorted.
    """
    if not cell or not rows:
        return None
    try:
        row = rows[int(cell.get("rowId"))]
    except (TypeError, ValueError, IndexError):
        return None
    for key in (header("code", "zh"), header("code", "en")):
        if row.get(key):
            return str(row[key])
    return None


def area_town(city, area: dict) -> str | None:
    """The town an area ({"level", "code"}) lies in; None for the city."""
    if not area or area.get("level") == "city" or not area.get("code"):
        return None
    found = locate(city, area["code"])
    return found[1] if found else None


def locate(city, code: str) -> tuple[str, str] | None:
    """(level, town code) of a unit code: a town, community or grid."""
    for level, frame in (
        ("town", city.towns),
        ("community", city.communities),
        ("grid", city.grids),
    ):
        found = frame[frame["code"] == code]
        if len(found):
            return level, (code if level == "town" else str(found["town_code"].iloc[0]))
    return None
