"""The review map: grids coloured by one metric over a period, on paper colours.

Town leaders read it on a laptop and print it for meetings, so unlike the dark
video wall it is light. Red always means "look here": many reports, slow
times, breaches, or low closure and satisfaction rates. Grids with nothing to
measure (no reports, no ratings) are grey, not a colour that reads as a value.
The colour bar states the metric, its unit and the period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.review_metrics import Metric
from layers.basemap import view_for
from layers.review_charts import FONT, count_step

PAPER = "#f4f6f9"
LAND = "#ffffff"
NO_DATA = "#d5dbe3"
OUTLINE = "#8a97a8"
TOWN_LINE = "#33475b"
SELECTED = "#111827"
HOT = "#b00020"
# Light to dark red: low to high concern (ColorBrewer YlOrRd, colour-blind safe).
CONCERN = [[0.0, "#ffffcc"], [0.25, "#fed976"], [0.5, "#fd8d3c"], [0.75, "#e31a1c"],
           [1.0, "#800026"]]  # fmt: skip


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


def light_style(towns_geojson) -> dict:
    """A MapLibre style with no remote sources: paper, the towns as land."""
    return {
        "version": 8,
        "sources": {"land": {"type": "geojson", "data": towns_geojson}},
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": PAPER}},
            {"id": "land", "type": "fill", "source": "land", "paint": {"fill-color": LAND}},
        ],
    }


def light_map(towns_geojson, centre: dict, zoom: float, *, town_line: float) -> dict:
    """``layout.map`` on paper colours: the towns as land, their borders drawn."""
    return {
        "style": light_style(towns_geojson),
        "center": centre,
        "zoom": zoom,
        "layers": [{"sourcetype": "geojson", "source": towns_geojson, "type": "line",
                    "color": TOWN_LINE, "line": {"width": town_line}, "below": ""}],
    }  # fmt: skip


def _hover(metric: Metric, lang: str) -> str:
    zh = lang == "zh"
    unit = metric.unit(lang)
    value = "%{customdata[2]}" + ("" if unit in ("%",) else f" {unit}")
    if unit == "%":
        value = "%{customdata[2]}%"
    return (
        "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
        + f"{metric.label(lang)}：{value}<br>"
        + ("诉求 %{customdata[3]} 件 · 网格员 %{customdata[4]}" if zh
           else "%{customdata[3]} incidents · grid worker %{customdata[4]}")
        + "<extra></extra>"
    )  # fmt: skip


def _customdata(grids: pd.DataFrame, shown: pd.Series) -> list:
    if not len(grids):
        return []
    place = grids["community_name"] if "community_name" in grids else grids.get("town", "")
    worker = grids["worker_name"].fillna("—") if "worker_name" in grids else "—"
    values = [("—" if pd.isna(v) else f"{v:,.1f}".rstrip("0").rstrip(".")) for v in shown]
    return np.column_stack([
        grids["name"].astype(str).to_numpy(),
        np.asarray(place, dtype=object) if not isinstance(place, str) else [place] * len(grids),
        np.asarray(values, dtype=object),
        grids["incidents"].fillna(0).astype(int).to_numpy(),
        np.asarray(worker, dtype=object) if not isinstance(worker, str) else [worker] * len(grids),
    ]).tolist()  # fmt: skip


def review_map_figure(
    grids: pd.DataFrame,
    *,
    metric: Metric,
    period_label: str,
    grids_geojson,
    towns_geojson,
    bounds: tuple[float, float, float, float] | None,
    lang: str = "zh",
    width_px: float = 1100,
    height_px: float = 760,
    selected: str | None = None,
    hot: pd.DataFrame | None = None,
    scale: float = 1.0,
) -> dict:
    """The choropleth of ``grids`` (code, name, community_name or town,
    worker_name, incidents and the metric's column).

    ``grids_geojson``/``towns_geojson``: a URL the browser fetches (the page)
    or the GeoJSON itself.
    ``hot``: hot-spot grids (columns lon, lat, name) drawn as rings.
    """
    shown = shown_values(grids[metric.code], metric) if len(grids) else pd.Series(dtype=float)
    has = shown.notna().to_numpy() if len(grids) else np.zeros(0, dtype=bool)
    low, high = value_range(shown, metric)
    customdata = _customdata(grids, shown)
    template = _hover(metric, lang)
    unit = metric.unit(lang)
    title = f"<b>{metric.label(lang)}</b>" + (f"（{unit}）" if lang == "zh" else f" ({unit})")
    title += f"<br><span style='font-size:0.85em'>{period_label}</span>"
    codes = grids["code"].astype(str).to_numpy() if len(grids) else np.array([], dtype=str)
    data: list[dict] = [
        {
            "type": "choroplethmap", "uid": "review-nodata", "name": "no data",
            "geojson": grids_geojson, "featureidkey": "properties.code",
            "locations": codes[~has].tolist(), "z": [0] * int((~has).sum()),
            "colorscale": [[0, NO_DATA], [1, NO_DATA]], "showscale": False,
            "marker": {"line": {"color": OUTLINE, "width": 0.5}},
            "customdata": [c for c, h in zip(customdata, has, strict=True) if not h],
            "hovertemplate": template,
        },
        {
            "type": "choroplethmap", "uid": "review-metric", "name": metric.label(lang),
            "geojson": grids_geojson, "featureidkey": "properties.code",
            "locations": codes[has].tolist(), "z": shown[has].tolist(),
            "zmin": low, "zmax": high, "colorscale": colorscale(metric),
            "marker": {"line": {"color": OUTLINE, "width": 0.5}, "opacity": 0.92},
            "customdata": [c for c, h in zip(customdata, has, strict=True) if h],
            "hovertemplate": template,
            "colorbar": {
                "title": {"text": title, "side": "top", "font": {"size": round(13 * scale)}},
                "tickfont": {"size": round(12 * scale)},
                "ticksuffix": "%" if metric.kind == "rate" else "",
                **({"tick0": 0, "dtick": count_step(int(high))} if metric.kind == "count" else {}),
                "thickness": round(14 * scale), "len": 0.6, "x": 0.99, "xanchor": "right", "y": 0.98,
                "yanchor": "top", "bgcolor": "rgba(255,255,255,0.85)", "outlinewidth": 0,
            },
        },
    ]  # fmt: skip
    if selected is not None and selected in set(codes):
        data.append({
            "type": "choroplethmap", "uid": "review-selected", "name": "selected",
            "geojson": grids_geojson, "featureidkey": "properties.code",
            "locations": [selected], "z": [1], "showscale": False,
            "colorscale": [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
            "marker": {"line": {"color": SELECTED, "width": 3}}, "hoverinfo": "skip",
        })  # fmt: skip
    if hot is not None and len(hot):
        data.append({
            "type": "scattermap", "uid": "review-hot", "mode": "markers",
            "name": "热点" if lang == "zh" else "Hot spot",
            "lon": hot["lon"].tolist(), "lat": hot["lat"].tolist(),
            "text": hot["name"].astype(str).tolist(),
            "marker": {"size": round(16 * scale), "color": HOT, "opacity": 0.35},
            "hovertemplate": ("热点网格：%{text}" if lang == "zh" else "Hot spot: %{text}")
            + "<extra></extra>",
        })  # fmt: skip
    centre, zoom = view_for(bounds, width_px, height_px) if bounds else ({"lon": 0, "lat": 0}, 1)
    return {
        "data": data,
        "layout": {
            "map": light_map(towns_geojson, centre, zoom, town_line=1.6),
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "paper_bgcolor": PAPER,
            "showlegend": False,
            "font": {"family": FONT, "color": "#1f2937"},
            "hoverlabel": {"font": {"family": FONT}},
            "uirevision": f"{bounds}",  # a new area re-centres; a metric change does not
        },
    }
