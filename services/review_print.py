"""The review as a page to print for a meeting: A4 or A3 landscape.

Plain HTML rendered on the server: no scripts (the site's Content-Security-
Policy allows none inline), no web fonts (the system's Chinese fonts), light
colours, the map as a PNG inlined as a data: URI (img-src allows data:).
The first page holds the title, the filters, the headline figures, the map
and its legend; every table follows, long ones on a page of their own and cut
to their first ``MAX_ROWS`` rows with a note that says so.
"""

from __future__ import annotations

import base64
import math

import jinja2
import pandas as pd

from domain.errors import GridCommandError
from layers.review_map import colorscale, shown_values, value_range
from services.review_tables import HEADERS, Table, header, summary_rows

PAPERS = {"a4": "A4", "a3": "A3"}
MAX_ROWS = 40
BIG_TABLE = 14  # rows: a table longer than this starts a new page
FONTS = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", '
    '"PingFang SC", sans-serif'
)
_KEY_OF = {label: key for key, pair in HEADERS.items() for label in pair}

_ENV = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_PAGE = _ENV.from_string("""<!doctype html>
<html lang="{{ 'zh-CN' if zh else 'en' }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · {{ period }}</title>
<style>
@page { size: {{ paper }} landscape; margin: 10mm; }
* { box-sizing: border-box; }
body { margin: 0; font-family: {{ fonts | safe }}; color: #1f2937; background: #eef1f5;
       font-size: {{ '9.5pt' if paper == 'A4' else '10.5pt' }}; line-height: 1.35; }
.sheet { background: #fff; max-width: {{ '297mm' if paper == 'A4' else '420mm' }};
         margin: 12px auto; padding: 10mm; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
.toolbar { max-width: {{ '297mm' if paper == 'A4' else '420mm' }}; margin: 12px auto 0;
           display: flex; gap: 16px; align-items: center; font-size: 10pt; padding: 0 10mm; }
.toolbar a { color: #1d4ed8; }
header h1 { font-size: 17pt; margin: 0 0 2mm; }
header .period { font-size: 12pt; color: #334155; }
.filters { display: flex; flex-wrap: wrap; gap: 1mm 6mm; margin: 2mm 0 3mm; color: #475569; }
.filters b { color: #1f2937; font-weight: 600; }
.notice { border: 1px solid #f59e0b; background: #fffbeb; padding: 2mm 3mm; margin: 2mm 0; }
.first { display: grid; grid-template-columns: 1fr {{ '72mm' if paper == 'A4' else '100mm' }};
         gap: 5mm; align-items: start; }
.map img { width: 100%; max-height: {{ '150mm' if paper == 'A4' else '225mm' }};
           object-fit: contain; border: 1px solid #cbd5e1; background: #f4f6f9; display: block; }
.map .missing { border: 1px dashed #94a3b8; padding: 20mm 5mm; text-align: center;
                color: #64748b; }
.tiles { display: grid; grid-template-columns: 1fr 1fr; gap: 2mm; }
.tile { border: 1px solid #cbd5e1; border-radius: 2mm; padding: 2mm 3mm; background: #f8fafc; }
.tile .label { color: #475569; font-size: 8.5pt; }
.tile .value { font-size: 15pt; font-weight: 700; }
.legend { margin-top: 4mm; font-size: 8.5pt; color: #334155; }
.legend .bar { height: 4mm; border: 1px solid #94a3b8; margin: 1mm 0; }
.legend .ends { display: flex; justify-content: space-between; }
.legend .swatch { display: inline-block; width: 4mm; height: 3mm; vertical-align: middle;
                  border: 1px solid #8a97a8; margin-right: 1mm; }
.legend .dot { display: inline-block; width: 3mm; height: 3mm; border-radius: 50%;
               background: rgba(176,0,32,.45); vertical-align: middle; margin-right: 1mm; }
.legend p { margin: 1mm 0; }
section { margin-top: 6mm; }
section.big { break-before: page; }
section.small { break-inside: avoid; }
section h2 { font-size: 12pt; margin: 0 0 1.5mm; border-left: 3px solid #1d4ed8;
             padding-left: 2mm; }
.note { color: #64748b; font-size: 8.5pt; margin: 1mm 0; }
table { border-collapse: collapse; width: 100%; font-size: {{ '8pt' if paper == 'A4' else '9pt' }}; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 1px solid #cbd5e1; padding: 0.6mm 1.2mm; text-align: left; vertical-align: top; }
td { white-space: nowrap; }
td.text { white-space: normal; min-width: 30mm; }
th { background: #e8edf3; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #f8fafc; }
.empty { color: #64748b; font-style: italic; }
footer { margin-top: 6mm; color: #94a3b8; font-size: 8pt; }
@media print {
  body { background: #fff; }
  .toolbar { display: none; }
  .sheet { margin: 0; padding: 0; box-shadow: none; max-width: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
</head>
<body>
<nav class="toolbar">
  <a href="{{ back_url }}">← {{ '返回考核页面' if zh else 'Back to the review' }}</a>
  <span>{{ ('按 Ctrl+P 打印（' ~ paper ~ ' 横向）') if zh else ('Press Ctrl+P to print (' ~ paper ~ ' landscape)') }}</span>
</nav>
<main class="sheet">
<header>
  <h1>{{ title }}</h1>
  <div class="period">{{ period }}</div>
</header>
<div class="filters">
{% for label, value in filters %}
  <span><b>{{ label }}{{ colon }}</b>{{ value }}</span>
{% endfor %}
</div>
{% if notice %}<div class="notice" role="status">{{ notice }}</div>{% endif %}
<div class="first">
  <div class="map">
  {% if image %}
    <img src="data:image/png;base64,{{ image }}" alt="{{ map_alt }}">
  {% else %}
    <div class="missing">{{ image_problem }}</div>
  {% endif %}
  </div>
  <div>
    <div class="tiles">
    {% for label, value in tiles %}
      <div class="tile"><div class="label">{{ label }}</div><div class="value">{{ value }}</div></div>
    {% endfor %}
    </div>
    <div class="legend">
      <p><b>{{ '图例' if zh else 'Legend' }}</b>{{ colon }}{{ legend.metric }}</p>
      <div class="bar" style="background: {{ legend.gradient }}"></div>
      <div class="ends"><span>{{ legend.low }}</span><span>{{ legend.high }}</span></div>
      <p>{{ legend.reading }}</p>
      <p><span class="swatch" style="background: {{ legend.no_data }}"></span>{{ legend.grey }}</p>
      <p><span class="dot"></span>{{ legend.hot }}</p>
      <p>{{ legend.lines }}</p>
    </div>
  </div>
</div>
{% for block in blocks %}
<section class="{{ 'big' if block.big else 'small' }}">
  <h2>{{ block.title }}</h2>
  {% if block.note %}<p class="note">{{ block.note }}</p>{% endif %}
  <table>
    <thead><tr>{% for h in block.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
    <tbody>
    {% for row in block.rows %}
      <tr>{% for text, number in row %}<td{% if number %} class="num"{% endif %}>{{ text }}</td>{% endfor %}</tr>
    {% else %}
      <tr><td class="empty" colspan="{{ block.headers | length or 1 }}">{{ '无数据' if zh else 'Nothing to list' }}</td></tr>
    {% endfor %}
    </tbody>
  </table>
</section>
{% endfor %}
<footer>{{ footer }}</footer>
</main>
</body>
</html>
""")
_ERROR = _ENV.from_string("""<!doctype html>
<html lang="{{ 'zh-CN' if zh else 'en' }}"><head><meta charset="utf-8">
<title>{{ heading }}</title>
<style>body { font-family: {{ fonts | safe }}; margin: 15mm; color: #1f2937; }
.box { border: 1px solid #f59e0b; background: #fffbeb; padding: 4mm 5mm; max-width: 160mm; }
a { color: #1d4ed8; }</style></head>
<body><div class="box" role="alert"><h1>{{ heading }}</h1><p>{{ message }}</p>
<p><a href="/review">{{ '返回考核页面' if zh else 'Back to the review' }}</a></p></div></body></html>
""")


def cell_text(value) -> tuple[str, bool]:
    """(text, is_number) of one table cell, as the screen's tables show it."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—", False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value)), True
    if hasattr(value, "item"):  # numpy scalars
        return cell_text(value.item())
    return str(value), False


def concern_first(frame: pd.DataFrame, metric, lang: str) -> pd.DataFrame:
    """Grids needing attention first: the lowest rates, the most reports, the longest times."""
    column = header(metric.code, lang)
    if column not in frame.columns or not len(frame):
        return frame
    ascending = metric.higher_is_better is True
    values = pd.to_numeric(frame[column], errors="coerce")
    order = values.sort_values(ascending=ascending, na_position="last", kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _block(table: Table, review, lang: str) -> dict:
    zh = lang == "zh"
    frame, note = table.frame, None
    total = len(frame)
    if table.key == "grids":
        frame = concern_first(frame, review.metric, lang)
        if total > MAX_ROWS:
            label = review.metric.label(lang)
            note = (
                f"共{total}个网格，按{label}列出最需关注的前{MAX_ROWS}个"
                if zh
                else f"{total} grids; the {MAX_ROWS} needing most attention by "
                f"{label.lower()} are listed"
            )
    elif total > MAX_ROWS:
        note = (
            f"共{total}行，列出前{MAX_ROWS}行"
            if zh
            else f"{total} rows; the first {MAX_ROWS} are listed"
        )
    shown = frame.head(MAX_ROWS)
    rows = [[cell_text(v) for v in values] for values in shown.itertuples(index=False, name=None)]
    return {
        "title": table.title,
        "headers": [str(c) for c in frame.columns],
        "rows": rows,
        "note": note,
        "big": len(rows) > BIG_TABLE,
    }


def legend(review, lang: str) -> dict:
    """The map's legend in words, and its colour bar as a CSS gradient."""
    from layers.review_map import NO_DATA

    zh = lang == "zh"
    metric = review.metric
    stops = colorscale(metric)
    gradient = (
        "linear-gradient(to right, "
        + ", ".join(f"{colour} {float(stop) * 100:.0f}%" for stop, colour in stops)
        + ")"
    )
    values = shown_values(review.grids[metric.code], metric) if len(review.grids) else pd.Series()
    low, high = value_range(values, metric)
    unit = "%" if metric.kind == "rate" else f" {metric.unit(lang)}"
    has_values = bool(len(values.dropna()))
    if metric.higher_is_better:
        reading = (
            "浅黄为高、深红为低：越红越需关注"
            if zh
            else "pale yellow is high, dark red low: the redder, the more to look at"
        )
    else:
        reading = (
            "浅黄为少、深红为多：越红越需关注"
            if zh
            else "pale yellow is low, dark red high: the redder, the more to look at"
        )
    return {
        "metric": f"{metric.label(lang)}（{metric.unit(lang)}）"
        if zh
        else f"{metric.label(lang)} ({metric.unit(lang)})",
        "gradient": gradient,
        "low": f"{low:g}{unit}" if has_values else "—",
        "high": f"{high:g}{unit}" if has_values else "—",
        "reading": reading,
        "no_data": NO_DATA,
        "grey": "灰色：无可计算的数据（没有诉求或没有评价）"
        if zh
        else "grey: nothing to measure (no incidents or no ratings)",
        "hot": "红色圆点：热点网格（显著高于常态）"
        if zh
        else "red dots: hot spots (well above their usual level)",
        "lines": "深色粗线为镇街界线，细线为网格界线"
        if zh
        else "thick dark lines: town borders; thin lines: grid borders",
    }


def print_page(
    review,
    tables: list[Table],
    filters: list[tuple[str, str]],
    *,
    lang: str,
    paper: str,
    image: bytes | None,
    image_problem: str | None,
    back_url: str,
) -> str:
    """The HTML of the print view."""
    zh = lang == "zh"
    names = list(review.names.values())
    title = " › ".join(names) + (" 网格化治理考核复盘" if zh else " · town review")
    notice = None
    if review.notice == "reversed":
        notice = (
            "开始日期晚于结束日期，请调整时间范围。"
            if zh
            else "The start date is after the end date: change the period."
        )
    elif review.notice == "empty":
        notice = "所选时段和范围内没有诉求。" if zh else "No incidents in this period and area."
    generated = dict(filters).get("生成时间" if zh else "Generated", "")
    return _PAGE.render(
        zh=zh,
        colon="：" if zh else ": ",
        paper=PAPERS[paper],
        fonts=FONTS,
        title=title,
        period=review.query.period.label(lang),
        filters=filters,
        notice=notice,
        image=base64.b64encode(image).decode("ascii") if image else None,
        image_problem=image_problem
        or ("地图图片暂不可用" if zh else "The map image is not available"),
        map_alt=(
            f"{review.metric.label(lang)}地图" if zh else f"Map of {review.metric.en.lower()}"
        ),
        tiles=summary_rows(review, lang),
        legend=legend(review, lang),
        blocks=[_block(t, review, lang) for t in tables] if review.notice != "reversed" else [],
        back_url=back_url,
        footer=(
            f"胶州市网格化指挥中心 · 生成于 {generated}"
            if zh
            else f"Grid Command · generated {generated}"
        ),
    )


def error_page(error: GridCommandError, lang: str) -> str:
    """A short page that says what is wrong with the link."""
    zh = lang == "zh"
    return _ERROR.render(
        zh=zh,
        fonts=FONTS,
        heading="无法生成打印页" if zh else "Cannot print this",
        message=error.message(lang),
    )
