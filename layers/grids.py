"""Grid polygons coloured by their open incidents.

The polygons go into ``layout.map.layers`` with a GeoJSON URL as their source,
one layer per colour class: the browser fetches the geometry itself and plotly
does not re-process it on every update (measured: 1 s against 3 s per update at
12,000 grids, see MAPS.md). Hover cards come from a light trace of one
invisible marker per grid at its interior point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.style import MapStyle


@dataclass(frozen=True)
class LoadClass:
    """A band of open-incident counts and how it is drawn."""

    low: int
    high: int | None  # inclusive; None means no upper bound
    colour: str
    opacity: float

    def label(self, lang: str) -> str:
        if self.high is None:
            return f"≥ {self.low}" if lang == "en" else f"{self.low} 件以上"
        if self.low == self.high:
            return f"{self.low}" if lang == "en" else f"{self.low} 件"
        return f"{self.low}–{self.high}" if lang == "en" else f"{self.low}–{self.high} 件"


# On a normal day most grids have no open incident and a busy one has two or
# three (county: 286 open over 1,400 grids), so the bands are narrow at the bottom.
LOAD_CLASSES: tuple[LoadClass, ...] = (
    LoadClass(0, 0, "#12385c", 0.35),
    LoadClass(1, 1, "#1d7a8c", 0.55),
    LoadClass(2, 2, "#d4a62a", 0.6),
    LoadClass(3, 4, "#ec7a2d", 0.65),
    LoadClass(5, None, "#e0303f", 0.7),
)
OUTLINE = "#4f86b8"


def load_class(open_counts) -> np.ndarray:
    """The index into ``LOAD_CLASSES`` of each open-incident count."""
    counts = np.asarray(open_counts, dtype=float)
    counts = np.where(np.isnan(counts), 0, counts)
    edges = [c.low for c in LOAD_CLASSES[1:]]
    return np.searchsorted(edges, counts, side="right").astype(int)


def with_load(grids: pd.DataFrame, load: pd.DataFrame) -> pd.DataFrame:
    """Grids with columns ``open``, ``urgent`` and ``load_class`` added.

    Parameters
    ----------
    grids : DataFrame with a ``code`` column
    load : DataFrame with columns grid_code, open, urgent (from the store)
    """
    counts = load.set_index("grid_code") if len(load) else None
    out = grids.copy()
    for column in ("open", "urgent"):
        if counts is None:
            out[column] = 0
        else:
            out[column] = out["code"].map(counts[column]).fillna(0).astype(int)
    out["load_class"] = load_class(out["open"])
    return out


def build_map_layers(
    source_for_class: Callable[[int], str], *, style: MapStyle, visible: bool = True
) -> list[dict]:
    """One MapLibre fill layer per load class, geometry fetched from a URL.

    Parameters
    ----------
    source_for_class : callable
        Gives the GeoJSON URL of the grids of one class index.
    """
    return [
        {
            "name": f"grids-{index}",
            "sourcetype": "geojson",
            "source": source_for_class(index),
            "type": "fill",
            "color": cls.colour,
            "opacity": cls.opacity,
            "fill": {"outlinecolor": OUTLINE},
            "below": "traces",
            "visible": visible,
        }
        for index, cls in enumerate(LOAD_CLASSES)
    ]


def build_layer(grids: pd.DataFrame, *, style: MapStyle) -> list[dict]:
    """Invisible markers at grid interior points that carry the hover card.

    ``grids`` needs columns code, name, community_name, households,
    population, worker_name, open, lon, lat (WGS84).
    """
    zh = style.lang == "zh"
    worker = grids["worker_name"].fillna("—") if "worker_name" in grids else "—"
    customdata = (
        np.column_stack(
            [
                grids["name"].astype(str),
                grids["community_name"].astype(str),
                grids["households"].astype(int),
                grids["population"].astype(int),
                np.asarray(worker, dtype=object)
                if not isinstance(worker, str)
                else [worker] * len(grids),
                grids["open"].astype(int),
            ]
        ).tolist()
        if len(grids)
        else []
    )
    template = (
        "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
        + (
            "户数 %{customdata[2]:,} · 人口 %{customdata[3]:,}<br>网格员 %{customdata[4]}<br>"
            "未办结 <b>%{customdata[5]}</b> 件"
            if zh
            else "%{customdata[2]:,} households · %{customdata[3]:,} residents<br>"
            "Grid worker %{customdata[4]}<br><b>%{customdata[5]}</b> open"
        )
        + "<extra></extra>"
    )
    return [
        {
            "type": "scattermap",
            "uid": "grid-hover",
            "name": style.text("网格", "Grids"),
            "lon": grids["lon"].round(6).tolist(),
            "lat": grids["lat"].round(6).tolist(),
            "mode": "markers",
            "marker": {"size": style.px(14), "opacity": 0, "color": "#ffffff"},
            "customdata": customdata,
            "hovertemplate": template,
            "showlegend": False,
        }
    ]


def legend(lang: str) -> list[tuple[str, str]]:
    """(colour, label) pairs for the map legend."""
    return [(c.colour, c.label(lang)) for c in LOAD_CLASSES]
