"""The review's tables as people read them: chosen columns, headers in the
screen's language, numbers rounded the way the screen shows them.

The screen, the Excel sheets, the CSV files and the print view all take their
tables from here, so every reader sees the same numbers: rates in percent
with one decimal, hours with one decimal, residents' rates with two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.categories import CATEGORIES, CHANNELS
from domain.lifecycle import status_name
from domain.review_metrics import METRICS

# Column -> (Chinese, English) header.
HEADERS: dict[str, tuple[str, str]] = {
    "rank": ("排名", "Rank"),
    "code": ("编码", "Code"),
    "name": ("名称", "Name"),
    "town": ("镇街", "Town"),
    "community": ("社区", "Community"),
    "population": ("人口", "Residents"),
    "households": ("户数", "Households"),
    "worker_name": ("网格员", "Grid worker"),
    "incidents": ("诉求件数", "Incidents"),
    "per_1000": ("千人诉求数", "Per 1,000 residents"),
    "closure_rate": ("办结率(%)", "Closure rate (%)"),
    "satisfaction_rate": ("满意率(%)", "Satisfaction rate (%)"),
    "response_rate": ("响应率(%)", "Response rate (%)"),
    "on_time_rate": ("按时办结率(%)", "On-time rate (%)"),
    "contact_h": ("首次联系中位时长(小时)", "Median first contact (h)"),
    "resolve_h": ("办结中位时长(小时)", "Median resolution (h)"),
    "breaches": ("超时件数", "SLA breaches"),
    "score": ("综合得分(%)", "Score (%)"),
    "department": ("结对单位", "Paired department"),
    "start": ("起始日期", "From"),
    "resolved": ("办结件数", "Resolved"),
    "category": ("类别", "Category"),
    "share": ("占比(%)", "Share (%)"),
    "observed": ("本期件数", "This period"),
    "expected": ("预期件数", "Expected"),
    "ratio": ("倍数", "Ratio"),
    "q": ("校正p值", "Adjusted p"),
    "public_id": ("编号", "Number"),
    "status": ("状态", "Status"),
    "priority": ("优先级", "Priority"),
    "description": ("内容", "Description"),
    "address": ("地址", "Address"),
    "reported_at": ("上报时间", "Reported"),
    "satisfaction": ("评价", "Rating"),
    "photo": ("现场照片", "Photo"),  # of a resolved incident: where to see it (/media/…)
}
FIGURE_COLUMNS = [
    "incidents",
    "per_1000",
    "closure_rate",
    "satisfaction_rate",
    "response_rate",
    "on_time_rate",
    "contact_h",
    "resolve_h",
    "breaches",
]
RATES = {"closure_rate", "satisfaction_rate", "response_rate", "on_time_rate", "score", "share"}
_CATEGORY = {c.code: (c.zh, c.en) for c in CATEGORIES}


@dataclass(frozen=True)
class Table:
    """One table of the review: a sheet of the workbook, a CSV, a block of the page."""

    key: str  # grids, units, towns, trend, categories, hot_spots, league, incidents
    title: str
    frame: pd.DataFrame  # display headers, rounded numbers (NaN where nothing to show)


def header(column: str, lang: str) -> str:
    zh, en = HEADERS.get(column, (column, column))
    return zh if lang == "zh" else en


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Rates as percent (1 decimal), hours (1 decimal), per-1,000 (2 decimals)."""
    out = frame.copy()
    for column in out.columns:
        if column in RATES:
            out[column] = (pd.to_numeric(out[column], errors="coerce") * 100).round(1)
        elif column in ("contact_h", "resolve_h", "ratio", "expected"):
            out[column] = pd.to_numeric(out[column], errors="coerce").round(1)
        elif column == "per_1000":
            out[column] = pd.to_numeric(out[column], errors="coerce").round(2)
        elif column == "q":
            out[column] = pd.to_numeric(out[column], errors="coerce").map(
                lambda v: float(f"{v:.3g}") if pd.notna(v) else np.nan
            )
    return out


def _shown(frame: pd.DataFrame, columns: list[str], lang: str) -> pd.DataFrame:
    if not len(frame):  # an empty table still has its headers
        return pd.DataFrame(columns=[header(c, lang) for c in columns])
    present = [c for c in columns if c in frame.columns]
    out = rounded(frame[present])
    return out.rename(columns={c: header(c, lang) for c in present}).reset_index(drop=True)


def category_name(code: str, lang: str) -> str:
    if code == "_rest":
        return "其他类别" if lang == "zh" else "Other categories"
    zh, en = _CATEGORY.get(code, (code, code))
    return zh if lang == "zh" else en


def channel_name(code: str, lang: str) -> str:
    zh, en = CHANNELS.get(code, (code, code))
    return zh if lang == "zh" else en


def _with_town_names(frame: pd.DataFrame, towns: pd.DataFrame, lang: str) -> pd.DataFrame:
    if "town_code" not in frame.columns or not len(frame):
        return frame
    names = towns.set_index("code")["name" if lang == "zh" else "name_en"]
    return frame.assign(town=frame["town_code"].map(names))


def review_tables(review, towns: pd.DataFrame, lang: str = "zh") -> list[Table]:
    """Every table the review shows for its query, in page order.

    ``towns``: the city's towns (code, name, name_en), for town names.
    """
    zh = lang == "zh"
    metric = METRICS[review.query.metric]
    level_names = {
        "town": ("镇街", "Towns"),
        "community": ("社区", "Communities"),
        "grid": ("网格", "Grids"),
    }
    tables: list[Table] = []
    grids = _with_town_names(review.grids, towns, lang)
    title = f"网格排名（{metric.zh}）" if zh else f"Grids ranked by {metric.en.lower()}"
    tables.append(
        Table(
            "grids",
            title,
            _shown(
                grids,
                [
                    "rank",
                    "code",
                    "name",
                    "town",
                    "population",
                    "households",
                    "worker_name",
                    *FIGURE_COLUMNS,
                ],
                lang,
            ),
        )
    )
    if review.unit_level:
        title = level_names[review.unit_level][0 if zh else 1]
        title = f"{title}排名（{metric.zh}）" if zh else f"{title} ranked by {metric.en.lower()}"
        tables.append(
            Table(
                "units",
                title,
                _shown(review.units, ["rank", "code", "name", *FIGURE_COLUMNS], lang),
            )
        )
    trend = (
        review.trend.assign(start=review.trend["start"].astype(str))
        if len(review.trend)
        else review.trend
    )
    tables.append(
        Table(
            "trend",
            "趋势" if zh else "Trend",
            _shown(trend, ["start", "incidents", "resolved", "closure_rate"], lang),
        )
    )
    categories = review.categories
    if len(categories):
        categories = categories.assign(
            category=categories["category"].map(lambda c: category_name(c, lang))
        )
    tables.append(
        Table(
            "categories",
            "类别构成" if zh else "Category mix",
            _shown(
                categories,
                ["category", "incidents", "share", "closure_rate", "satisfaction_rate"],
                lang,
            ),
        )
    )
    hot = _with_town_names(review.hot_spots.rename(columns={"grid_code": "code"}), towns, lang)
    tables.append(
        Table(
            "hot_spots",
            "热点网格" if zh else "Hot spots",
            _shown(hot, ["code", "name", "town", "observed", "expected", "ratio", "q"], lang),
        )
    )
    league = review.league
    tables.append(
        Table(
            "league",
            "结对单位三率排名" if zh else "Paired departments league",
            _shown(
                league.rename(columns={"town_code": "code"}) if len(league) else league,
                [
                    "rank",
                    "department",
                    "code",
                    "town",
                    "incidents",
                    "response_rate",
                    "closure_rate",
                    "satisfaction_rate",
                    "on_time_rate",
                    "score",
                ],
                lang,
            ),
        )
    )
    if review.query.level == "grid":
        listed = review.incidents
        if len(listed):
            listed = listed.assign(
                category=listed["category"].map(lambda c: category_name(c, lang)),
                status=listed["status"].map(lambda s: status_name(s, lang)),
                reported_at=pd.to_datetime(listed["reported_at"], utc=True)
                .dt.tz_convert("Asia/Shanghai")
                .dt.strftime("%Y-%m-%d %H:%M"),
            )
        tables.append(
            Table(
                "incidents",
                "网格诉求清单" if zh else "Incidents of the grid",
                _shown(
                    listed,
                    [
                        "public_id",
                        "category",
                        "status",
                        "priority",
                        "description",
                        "address",
                        "reported_at",
                        "satisfaction",
                        "photo",
                    ],
                    lang,
                ),
            )
        )
    return tables


TILE_METRICS = tuple(c for c in FIGURE_COLUMNS if c != "per_1000")  # the unit's tiles


def summary_rows(review, lang: str = "zh") -> list[tuple[str, str]]:
    """(label, value) pairs of the review's headline figures, as shown."""
    totals = review.totals
    return [
        (METRICS[code].label(lang), METRICS[code].format(totals.get(code), lang))
        for code in TILE_METRICS
    ]
