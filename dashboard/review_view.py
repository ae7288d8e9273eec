"""The review screen's parts, built from one ``Review``: tiles, breadcrumb,
exports, tables, charts, the grid card; and all of the review callback's
outputs at once (``screen_outputs``). No callbacks here; ``pages.review``
wires them (the map's parts are in ``dashboard.review_map``).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from dash import html, no_update

from dashboard import ids
from dashboard.i18n import t
from dashboard.leaflet_parts import FIT
from dashboard.review_map import legend_view, map_layers
from domain.review_metrics import METRICS
from domain.review_query import query_args
from layers.review_charts import category_figure, trend_figure
from services.review_tables import TILE_METRICS, Table, category_name, header, review_tables

EXPORTS = ("xlsx", "csv", "geojson", "png")
# Table key -> the grid that shows it.
GRIDS = {
    "units": ids.REVIEW_UNITS,
    "grids": ids.REVIEW_GRIDS,
    "hot_spots": ids.REVIEW_HOT,
    "league": ids.REVIEW_LEAGUE,
}
CLICKABLE = (ids.REVIEW_UNITS, ids.REVIEW_GRIDS, ids.REVIEW_HOT, ids.REVIEW_LEAGUE)  # drill by row
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
    photos = {header("photo", lang) for lang in ("zh", "en")}
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
        if c in photos:  # a link that opens the photo in a new tab
            column.update(cellRenderer="markdown", linkTarget="_blank")
            column.pop("tooltipField")
            for row in rows:
                url = row.get(c)
                row[c] = f"[#{url.split('/')[-1]}]({url})" if url else None
        columns.append(column)
    return rows, columns


def screen_outputs(
    review, towns, lang: str, viewport: dict | None, *, grids_url: str, refit: bool
) -> list:
    """Everything the review callback shows of ``review``, in the order of its
    outputs (``pages.review.OUTPUTS``): the map (fitted anew only when
    ``refit``, else the leader's zoom and pan stay), the grids by
    ``grids_url``, legend, tiles, breadcrumb, exports, notice, charts, grid
    card, tables, and the filters as the review understood them."""
    tables = tables_by_key(review_tables(review, towns, lang))
    if review.query.level == "grid":  # a grid has no units below it: its incidents instead
        tables["units"] = tables.get("incidents")
    metric_header, scale = header(review.query.metric, lang), table_scale(viewport)
    grids = [part for key in GRIDS for part in grid_data(tables.get(key), metric_header, scale)]
    trend, mix = charts(review, lang, viewport)
    notice = notice_text(review, lang)
    units_title = tables["units"].title if tables.get("units") else t("review.units", lang)
    drawn = map_layers(review, lang, viewport)
    return [
        {"bounds": drawn["bounds"], "options": FIT} if refit else no_update,
        grids_url,
        drawn["grids"],
        drawn["hot"],
        legend_view(drawn["legend"]),
        tiles(review, lang),
        [
            *breadcrumb(review, lang),
            html.Span(period_text(review, lang), className="gc-review-period"),
        ],
        export_links(review, lang),
        notice,
        notice is None,
        trend,
        mix,
        grid_card(review, lang),
        units_title,
        *grids,
        review.query.pick,
        review.query.period.start.isoformat(),
        review.query.period.end.isoformat(),
        list(review.query.categories),
    ]
