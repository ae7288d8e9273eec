"""The review map: grids coloured by one metric over a period, on paper colours.

Town leaders read it on a laptop and print it for meetings, so unlike the dark
video wall it is light. Red always means "look here": many reports, slow
times, breaches, or low closure and satisfaction rates. Grids with nothing to
measure (no reports, no ratings) are grey, not a colour that reads as a value.
The colour key states the metric, its unit and the period. Pure: the
colours and values the Leaflet map's style function reads; the PNG export
(layers/review_png.py) and print view use the same scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.review_metrics import Metric
from layers.leaflet import card, point_collection, radius

PAPER = "#f4f6f9"
LAND = "#ffffff"
NO_DATA = "#d5dbe3"
OUTLINE = "#8a97a8"
TOWN_LINE = "#33475b"
SELECTED = "#111827"
HOT = "#b00020"
# Light to dark red: low to high concern (ColorBrewer YlOrRd, colour-blind safe).
CONCERN = [
    [0.0, "#ffffcc"],
    [0.25, "#fed976"],
    [0.5, "#fd8d3c"],
    [0.75, "#e31a1c"],
    [1.0, "#800026"],
]


def colorscale(metric: Metric) -> list[list]:
    """Red for concern: reversed for rates where higher is better."""
    if metric.higher_is_better:
        return [[round(1 - stop, 4), colour] for stop, colour in reversed(CONCERN)]
    return CONCERN


def shown_values(values: pd.Series, metric: Metric) -> pd.Series:
    """Values as the colour bar and hover cards show them (rates in percent)."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return (numbers * 100).round(1) if metric.kind == "rate" else numbers.round(2)


def value_range(values: pd.Series, metric: Metric) -> tuple[float, float]:
    """Colour range: counts and times from 0; rates over the values present,
    so that 96 % against 99 % still shows (from the 2nd percentile); always a non-empty range."""
    present = values.dropna()
    if not len(present):
        return (0.0, 1.0)
    high = float(present.quantile(0.98)) if len(present) > 20 else float(present.max())
    # Rates from the 2nd percentile: a grid with one bad rating must not wash
    # out the differences between all the others (it still shows darkest).
    low = float(present.quantile(0.02)) if metric.kind == "rate" and len(present) > 20 else 0.0
    if metric.kind == "rate" and len(present) <= 20:
        low = float(present.min())
    if metric.kind == "rate":
        low = min(low, high - 1.0)
    if high <= low:
        high = low + 1.0
    return (round(low, 2), round(high, 2))


def colours(values: pd.Series, metric: Metric, low: float, high: float) -> list[str]:
    """Each value's colour on the metric's scale from ``low`` to ``high``
    (clipped at both ends), as ``#rrggbb``: what the map's legend shows."""
    stops = colorscale(metric)
    at = np.array([float(stop) for stop, _ in stops])
    rgb = np.array([[int(colour[i : i + 2], 16) for i in (1, 3, 5)] for _, colour in stops])
    where = np.clip((np.asarray(values, dtype=float) - low) / (high - low), 0.0, 1.0)
    channels = np.column_stack([np.interp(where, at, rgb[:, c]) for c in range(3)])
    return ["#" + "".join(f"{c:02x}" for c in row) for row in np.rint(channels).astype(int)]


def value_text(value: float, metric: Metric, lang: str) -> str:
    """A shown value with its unit: "96.1%", "12 件", "—" for nothing to measure."""
    if pd.isna(value):
        return "—"
    number = f"{value:,.1f}".rstrip("0").rstrip(".")
    unit = metric.unit(lang)
    return f"{number}%" if unit == "%" else f"{number} {unit}"


def grid_hideout(grids: pd.DataFrame, metric: Metric, lang: str, selected: str | None) -> dict:
    """What the grids layer's style and hover cards read (``hideout``): a fill
    colour for each grid with a value, each grid's value and incidents, the
    selected grid. The shapes stay in the browser; only this travels."""
    shown = shown_values(grids[metric.code], metric) if len(grids) else pd.Series(dtype=float)
    low, high = value_range(shown, metric)
    codes = grids["code"].astype(str).tolist() if len(grids) else []
    has = shown.notna().to_numpy()
    fills = colours(shown[has], metric, low, high) if has.any() else []
    incidents = grids["incidents"].fillna(0).astype(int).tolist() if len(grids) else []
    zh = lang == "zh"
    return {
        "fill": dict(zip([c for c, h in zip(codes, has, strict=True) if h], fills, strict=True)),
        "value": {c: value_text(v, metric, lang) for c, v in zip(codes, shown, strict=True)},
        "incidents": dict(zip(codes, incidents, strict=True)),
        "selected": selected,
        "nodata": NO_DATA,
        "line": OUTLINE,
        "selectedLine": SELECTED,
        "words": {
            "metric": metric.label(lang),
            "incidents": "诉求" if zh else "Incidents",
            "unit": "件" if zh else "",
            "worker": "网格员" if zh else "Grid worker",
        },
    }


def legend(metric: Metric, period_label: str, lang: str, low: float, high: float) -> dict:
    """The colour key: the metric and its unit, the period, the scale as a CSS
    gradient from ``low`` to ``high`` and three labelled ticks."""
    unit = metric.unit(lang)
    title = metric.label(lang) + (f"（{unit}）" if lang == "zh" else f" ({unit})")
    stops = ", ".join(f"{colour} {float(stop) * 100:g}%" for stop, colour in colorscale(metric))
    suffix = "%" if metric.kind == "rate" else ""

    def tick(value: float) -> str:
        whole = metric.kind == "count" and float(value).is_integer()
        text = f"{value:,.0f}" if whole or abs(value) >= 100 else f"{value:,.1f}"
        return text + suffix

    return {
        "title": title,
        "period": period_label,
        "gradient": f"linear-gradient(to right, {stops})",
        "ticks": [tick(low), tick((low + high) / 2), tick(high)],
        "nodata": NO_DATA,
        "nodata_label": "无数据" if lang == "zh" else "No data",
    }


def hot_layer(hot: pd.DataFrame | None, lang: str, scale: float = 1.0) -> dict:
    """Hot-spot grids as translucent red dots, each with its card and its
    grid's ``code`` (a click on one drills into that grid)."""
    if hot is None or not len(hot):
        return {"type": "FeatureCollection", "features": []}
    said = "热点网格" if lang == "zh" else "Hot spot"
    codes = hot["code"].astype(str).tolist() if "code" in hot else [None] * len(hot)
    return point_collection(
        [f"hot-{n}" for n in range(len(hot))],
        hot["lon"].tolist(),
        hot["lat"].tolist(),
        [
            {
                "code": code,
                "c": HOT,
                "r": radius(16 * scale),
                "o": 0.35,
                "tooltip": card(said, [name]),
            }
            for code, name in zip(codes, hot["name"].astype(str), strict=True)
        ],
    )


def review_map_layers(
    grids: pd.DataFrame,
    *,
    metric: Metric,
    period_label: str,
    lang: str = "zh",
    selected: str | None = None,
    hot: pd.DataFrame | None = None,
    scale: float = 1.0,
) -> dict:
    """The review map's live values: the grids' ``hideout``, the hot spots,
    the legend. ``grids``: code, incidents and the metric's column;
    ``hot``: hot-spot grids (lon, lat, name)."""
    shown = shown_values(grids[metric.code], metric) if len(grids) else pd.Series(dtype=float)
    low, high = value_range(shown, metric)
    return {
        "grids": grid_hideout(grids, metric, lang, selected),
        "hot": hot_layer(hot, lang, scale),
        "legend": legend(metric, period_label, lang, low, high),
    }
