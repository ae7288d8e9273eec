"""The review's charts: the trend over the period and the category mix.

Plain plotly figure dicts from frames. An empty period still gets a chart
with its axes and a message in it, never a blank box.
"""

from __future__ import annotations

import pandas as pd

FONT = "Noto Sans CJK SC, Microsoft YaHei, sans-serif"
BAR = "#3b6ea8"
LINE = "#c2410c"
GRID = "#e5e7eb"
_STEP_WORDS = {"D": ("日", "day"), "W": ("周", "week"), "M": ("月", "month")}


def count_step(largest: int) -> int:
    """A whole-number tick step that gives about five ticks up to ``largest``."""
    raw = max(largest, 1) / 5
    magnitude = 10 ** max(len(str(int(raw))) - 1, 0)
    for step in (1, 2, 5, 10):
        if raw <= step * magnitude:
            return int(step * magnitude)
    return int(10 * magnitude)


def chart_layout(lang: str, scale: float = 1.0, **extra) -> dict:
    """The review charts' common layout (transparent, the page's type, the
    legend on top, ``scale`` times larger on 4K), with ``extra`` over it."""
    layout = {
        "margin": {
            "l": round(48 * scale),
            "r": round(48 * scale),
            "t": round(30 * scale),
            "b": round(36 * scale),
        },
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "color": "#1f2937", "size": round(12 * scale)},
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "y": 1.12, "font": {"size": round(11 * scale)}},
        "hovermode": "x unified",
    }
    layout.update(extra)
    return layout


def empty_chart(message: str, lang: str, scale: float = 1.0) -> dict:
    """A chart with nothing to draw: no axes, ``message`` in the middle."""
    return {
        "data": [],
        "layout": chart_layout(
            lang,
            scale,
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": message,
                    "showarrow": False,
                    "x": 0.5,
                    "y": 0.5,
                    "xref": "paper",
                    "yref": "paper",
                    "font": {"size": round(14 * scale), "color": "#6b7280"},
                }
            ],
        ),
    }


def trend_figure(trend: pd.DataFrame, lang: str, empty_message: str, scale: float = 1.0) -> dict:
    """Incidents per step (bars) and the closure rate (line, right axis)."""
    if not len(trend) or int(trend["incidents"].sum()) == 0:
        return empty_chart(empty_message, lang, scale)
    zh = lang == "zh"
    step = trend.attrs.get("step", "D")
    word = _STEP_WORDS[step][0 if zh else 1]
    starts = [str(s) for s in trend["start"]]
    rate = (pd.to_numeric(trend["closure_rate"], errors="coerce") * 100).round(1)
    return {
        "data": [
            {
                "type": "bar",
                "x": starts,
                "y": trend["incidents"].tolist(),
                "name": f"诉求件数（每{word}）" if zh else f"Incidents per {word}",
                "marker": {"color": BAR},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": starts,
                "y": [None if pd.isna(v) else v for v in rate],
                "yaxis": "y2",
                "name": "办结率 %" if zh else "Closure rate %",
                "line": {"color": LINE, "width": 2},
                "marker": {"size": 4},
                "cliponaxis": False,
            },
        ],
        "layout": chart_layout(
            lang,
            scale,
            xaxis={"type": "category", "gridcolor": GRID, "tickangle": 0, "nticks": 10},
            yaxis={
                "gridcolor": GRID,
                "rangemode": "tozero",
                "tick0": 0,
                "dtick": count_step(int(trend["incidents"].max())),
            },
            # A share never passes 100 %: the axis stops there (points on it are
            # drawn whole, not clipped, so 100 % needs no head-room above).
            yaxis2={
                "overlaying": "y",
                "side": "right",
                "range": [0, 100],
                "tick0": 0,
                "dtick": 20,
                "ticksuffix": "%",
                "showgrid": False,
                "fixedrange": True,
            },
        ),
    }


def category_figure(
    categories: pd.DataFrame,
    names: dict[str, str],
    lang: str,
    empty_message: str,
    scale: float = 1.0,
) -> dict:
    """Incidents per category, most at the top, with their share."""
    if not len(categories):
        return empty_chart(empty_message, lang, scale)
    ordered = categories.iloc[::-1]
    labels = [names.get(c, c) for c in ordered["category"]]
    share = (ordered["share"] * 100).round(1)
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": ordered["incidents"].tolist(),
                "text": [f"{v:.1f}%" for v in share],
                "textposition": "auto",
                "marker": {"color": BAR},
                "name": "诉求件数" if lang == "zh" else "Incidents",
                "customdata": ordered["category"].tolist(),
                "hovertemplate": "%{y}: %{x} (%{text})<extra></extra>",
            },
        ],
        "layout": chart_layout(
            lang,
            scale,
            showlegend=False,
            hovermode="closest",
            margin={"l": round(96 * scale), "r": 16, "t": 10, "b": round(30 * scale)},
            xaxis={
                "gridcolor": GRID,
                "tick0": 0,
                "dtick": count_step(int(categories["incidents"].max())),
            },
            yaxis={"automargin": True},
        ),
    }
