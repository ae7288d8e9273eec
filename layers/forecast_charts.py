"""The review's forecast against what came: per day, the 80 % interval as a
band, the expected count as a dashed line, and the reports that came as
bars, red on the days they fell outside the interval.

A plain plotly figure dict from a frame, in the look of ``review_charts``;
an empty frame still gets its axes hidden and a message, never a blank box.
"""

from __future__ import annotations

import pandas as pd

from layers.review_charts import GRID, chart_layout, count_step, empty_chart

BAND = "rgba(59, 110, 168, 0.18)"
EXPECTED = "#1e3a5f"
ACTUAL = "#6b9bd1"
OUTSIDE = "#b91c1c"
HALF_DAY = pd.Timedelta(hours=12)
BAR_WIDTH_MS = 0.55 * 86_400_000  # a bar's width on the date axis: half a day and a little
WORDS = {
    "zh": {
        "band": "预测 80% 区间",
        "expected": "预测件数",
        "actual": "实际件数",
        "outside": "超出区间",
    },
    "en": {
        "band": "Forecast, 80 % interval",
        "expected": "Forecast",
        "actual": "Reports that came",
        "outside": "outside the interval",
    },
}


def outside_interval(days: pd.DataFrame) -> pd.Series:
    """Days whose reports fell outside [low, high] (False where none came yet)."""
    actual = pd.to_numeric(days["actual"], errors="coerce")
    return (actual < days["low"]) | (actual > days["high"])


def forecast_figure(days: pd.DataFrame, lang: str, empty_message: str, scale: float = 1.0) -> dict:
    """The forecast per day against what came.

    Parameters
    ----------
    days : DataFrame
        One row per local date: date, expected, low and high (the 80 %
        interval), actual (reports that came; NaN for days still to come).
    lang : str
        'zh' or 'en'.
    empty_message : str
        Shown in the chart when ``days`` is empty (no forecast for the period).
    scale : float
        2.0 on a 4K screen: margins and type grow with it.
    """
    if not len(days):
        return empty_chart(empty_message, lang, scale)
    words = WORDS["zh" if lang == "zh" else "en"]
    dates = pd.DatetimeIndex(pd.to_datetime(days["date"]))
    centres = [d.strftime("%Y-%m-%d") for d in dates]
    # Steps that hold each day's value over the whole day ("hv": from one
    # edge to the next), the bars in the middle of their day.
    edges = [(d - HALF_DAY).strftime("%Y-%m-%d %H:%M") for d in dates]
    edges.append((dates[-1] + HALF_DAY).strftime("%Y-%m-%d %H:%M"))

    def held(column: str) -> list:
        values = days[column].astype(float).round(1).tolist()
        return [*values, values[-1]]

    actual = pd.to_numeric(days["actual"], errors="coerce")
    outside = outside_interval(days)
    came = [None if pd.isna(v) else int(v) for v in actual]
    peak = max(float(days["high"].max()), float(actual.max()) if actual.notna().any() else 0.0)
    step = {"width": 0, "shape": "hv"}
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "x": edges,
                "y": held("high"),
                "line": step,
                "hoverinfo": "skip",
                "showlegend": False,
                "legendgroup": "band",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "x": edges,
                "y": held("low"),
                "fill": "tonexty",
                "fillcolor": BAND,
                "line": step,
                "name": words["band"],
                "legendgroup": "band",
                "hoverinfo": "skip",
            },
            {
                "type": "bar",
                "x": centres,
                "y": came,
                "width": BAR_WIDTH_MS,
                "name": words["actual"],
                "marker": {"color": [OUTSIDE if o else ACTUAL for o in outside]},
                "customdata": [
                    [lo, hi, words["outside"] if o else ""]
                    for lo, hi, o in zip(days["low"], days["high"], outside, strict=True)
                ],
                "hovertemplate": (
                    f"{words['actual']}: %{{y}} %{{customdata[2]}}<br>"
                    f"{words['band']}: %{{customdata[0]:.0f}}–%{{customdata[1]:.0f}}<extra></extra>"
                ),
            },
            {
                "type": "scatter",
                "mode": "lines",
                "x": edges,
                "y": held("expected"),
                "name": words["expected"],
                "line": {
                    "color": EXPECTED,
                    "width": max(1, round(2 * scale)),
                    "dash": "dash",
                    "shape": "hv",
                },
                "hovertemplate": f"{words['expected']}: %{{y:.1f}}<extra></extra>",
            },
        ],
        "layout": chart_layout(
            lang,
            scale,
            barmode="overlay",
            hovermode="closest",
            xaxis={"type": "date", "gridcolor": GRID, "tickformat": "%m-%d", "nticks": 12},
            yaxis={
                "gridcolor": GRID,
                "rangemode": "tozero",
                "tick0": 0,
                "dtick": count_step(int(peak)),
            },
        ),
    }
