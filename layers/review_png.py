"""The review map as a PNG, drawn on the server by geopandas on matplotlib (Agg).

The same content as the review screen's map, for the PNG export and the print
view: grids coloured by the metric (grey where there is nothing to measure),
a colour bar with the metric, its unit and the period, town borders with their
names, the selected grid outlined, hot spots as red rings, and a title. No
browser, no network: matplotlib draws into memory with its Agg backend.

Chinese text needs a CJK font (Debian's fonts-noto-cjk); matplotlib finds it
among the system fonts. Without one, the picture is still drawn, in English
and with town codes instead of names, rather than with empty boxes.

Pure drawing: GeoDataFrames and values in, PNG bytes out (no SQL, no Dash).
Not thread-safe (matplotlib's font cache is shared): callers draw one at a time.
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from domain.review_metrics import Metric
from layers.review_charts import count_step
from layers.review_map import (
    HOT,
    LAND,
    NO_DATA,
    OUTLINE,
    PAPER,
    SELECTED,
    TOWN_LINE,
    colorscale,
    shown_values,
    value_range,
)

# Families tried in order; the first one matplotlib knows is used.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
)
LATIN_FAMILY = "DejaVu Sans"  # ships with matplotlib
PT = 0.72  # points per CSS pixel (the picture is laid out at 100 dpi)
FILL_ALPHA = 0.92  # as on the screen: the land shows faintly through
TEXT = "#1f2937"
BAR_STRIP = 80  # CSS pixels on the right kept for the colour bar and its ticks


@functools.cache
def _matplotlib():
    """Import matplotlib on first use, on the Agg backend (no display, no browser)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager  # noqa: F401  (loads the font list once)

    return matplotlib


@functools.cache
def cjk_family() -> str | None:
    """The installed font family that draws Chinese, or None."""
    from matplotlib import font_manager

    _matplotlib()
    known = {font.name for font in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in known), None)


@dataclass(frozen=True)
class Titles:
    """What the picture says, in the language it can be drawn in."""

    area: str  # "胶州市 › 九龙街道"
    metric: str  # "办结率（%）"
    period: str  # "2026年6月"


def picture_titles(
    names: list[str], metric: Metric, period: dict[str, str], lang: str, area_code: str | None
) -> tuple[Titles, bool]:
    """The titles, and whether town names may be drawn (a CJK font is present).

    ``period``: the period's label by language. Without a CJK font, Chinese
    would come out as empty boxes: then English, and the area's code.
    """
    if lang == "zh" and cjk_family() is not None:
        unit = metric.unit("zh")
        return Titles(" › ".join(names), f"{metric.label('zh')}（{unit}）", period["zh"]), True
    readable = cjk_family() is not None
    area = " › ".join(names) if readable else (area_code or "City")
    unit = metric.unit("en")
    return Titles(area, f"{metric.label('en')} ({unit})", period["en"]), readable


def _colormap(metric: Metric):
    from matplotlib.colors import LinearSegmentedColormap

    stops = [(float(stop), colour) for stop, colour in colorscale(metric)]
    return LinearSegmentedColormap.from_list(f"concern-{metric.code}", stops)


def _extent(bounds, width: int, height: int):
    """x and y limits around ``bounds`` with the picture's aspect (degrees,
    longitude shortened by the cosine of the latitude, as the eye sees it)."""
    west, south, east, north = bounds
    squeeze = math.cos(math.radians((south + north) / 2)) or 1.0
    span_x, span_y = max(east - west, 1e-6) * squeeze, max(north - south, 1e-6)
    pad = 1.06
    if span_x / span_y > width / height:
        span_y = span_x * height / width
    else:
        span_x = span_y * width / height
    cx, cy = (west + east) / 2, (south + north) / 2
    half_x, half_y = span_x * pad / 2 / squeeze, span_y * pad / 2
    return (cx - half_x, cx + half_x), (cy - half_y, cy + half_y), squeeze


def review_png(
    grids: gpd.GeoDataFrame,
    towns: gpd.GeoDataFrame,
    *,
    metric: Metric,
    titles: Titles,
    town_names: bool,
    bounds: tuple[float, float, float, float] | None,
    width: int,
    height: int,
    scale: float = 1.0,
    selected: str | None = None,
    hot: pd.DataFrame | None = None,
) -> bytes:
    """PNG bytes of the map, laid out at ``width`` × ``height`` CSS pixels and
    drawn ``scale`` times as fine.

    ``grids``: code, geometry and the metric's column (``metric.code``), WGS84.
    ``towns``: code, name and geometry of the towns to draw (the caller's scope).
    ``town_names``: label towns by name (a CJK font is present), else by code.
    ``hot``: hot-spot grids (lon, lat) drawn as red rings.
    """
    _matplotlib()
    from matplotlib import patheffects
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    family = [f for f in (cjk_family(), LATIN_FAMILY) if f]
    figure = Figure(figsize=(width / 100, height / 100), dpi=100 * scale, facecolor=PAPER)
    FigureCanvasAgg(figure)
    # The map leaves the colour bar's strip on the right free.
    ax = figure.add_axes((0, 0, 1 - BAR_STRIP / width, 1))
    ax.set_axis_off()
    ax.set_facecolor(PAPER)

    shown = shown_values(grids[metric.code], metric) if len(grids) else pd.Series(dtype=float)
    low, high = value_range(shown, metric)
    cmap, norm = _colormap(metric), Normalize(low, high, clip=True)
    if bounds is None:
        shapes = grids if len(grids) else towns
        bounds = tuple(shapes.total_bounds) if len(shapes) else (0.0, 0.0, 1.0, 1.0)
    xlim, ylim, squeeze = _extent(bounds, width - BAR_STRIP, height)

    if len(towns):
        towns.plot(ax=ax, color=LAND, linewidth=0, aspect=None)
    if len(grids):
        values = shown.to_numpy(float)
        colours = cmap(norm(np.nan_to_num(values)))
        colours[:, 3] = FILL_ALPHA
        colours[np.isnan(values)] = (*_rgb(NO_DATA), 1.0)
        grids.plot(ax=ax, color=colours, edgecolor=OUTLINE, linewidth=0.5 * PT, aspect=None)
        if selected is not None:
            chosen = grids[grids["code"].astype(str) == selected]
            if len(chosen):
                chosen.boundary.plot(ax=ax, color=SELECTED, linewidth=3 * PT, aspect=None)
    if len(towns):
        towns.boundary.plot(ax=ax, color=TOWN_LINE, linewidth=1.6 * PT, aspect=None)
    if hot is not None and len(hot):
        ax.scatter(
            hot["lon"], hot["lat"], s=(16 * PT) ** 2, color=HOT, alpha=0.35, linewidths=0, zorder=4
        )
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect(1 / squeeze, adjustable="datalim")

    halo = [patheffects.withStroke(linewidth=3 * PT, foreground="white")]
    for town in towns.itertuples():
        point = town.geometry.representative_point() if town.geometry is not None else None
        if point is None or point.is_empty:
            continue
        if not (xlim[0] <= point.x <= xlim[1] and ylim[0] <= point.y <= ylim[1]):
            continue
        ax.text(
            point.x,
            point.y,
            str(town.name if town_names else town.code),
            ha="center",
            va="center",
            fontsize=13 * PT,
            color=TOWN_LINE,
            family=family,
            weight="bold",
            path_effects=halo,
            zorder=5,
            clip_on=True,
        )

    # The title, top left: the area, then the metric and the period.
    box = {"boxstyle": "round,pad=0.4", "facecolor": "white", "alpha": 0.85, "linewidth": 0}
    figure.text(
        12 / width,
        1 - 12 / height,
        f"{titles.area}\n{titles.metric} · {titles.period}",
        ha="left",
        va="top",
        fontsize=15 * PT,
        color=TEXT,
        family=family,
        linespacing=1.5,
        bbox=box,
    )

    # The colour bar, top right: 14 px wide, 60 % of the height, ticks on its left.
    bar_w, bar_h = 14 / width, 0.6
    cax = figure.add_axes((1 - 24 / width - bar_w, 1 - 48 / height - bar_h, bar_w, bar_h))
    bar = figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax)
    bar.outline.set_visible(False)
    cax.yaxis.set_ticks_position("left")
    cax.tick_params(labelsize=12 * PT, colors=TEXT, length=3 * PT)
    if metric.kind == "rate":
        cax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}%"))
    elif metric.kind == "count":
        cax.yaxis.set_major_locator(MultipleLocator(count_step(int(high))))
    for label in cax.get_yticklabels():
        label.set_family(family)
    figure.text(
        1 - 24 / width,
        1 - 40 / height,
        titles.metric,
        ha="right",
        va="bottom",
        fontsize=12 * PT,
        color=TEXT,
        family=family,
        bbox=box,
    )

    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100 * scale, facecolor=PAPER)
    return out.getvalue()


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
