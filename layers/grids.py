"""Grid polygons coloured by their open incidents.

The polygons are a ``choroplethmap`` trace whose GeoJSON is a URL: plotly
fetches it once per page and keeps it, so the geometry is sent once and a live
update replaces only the colour of each grid (``z``). The trace carries the
hover cards too.
"""

from __future__ import annotations

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


def _rgba(colour: str, opacity: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{opacity})"


def colorscale() -> list[list]:
    """A stepped colour scale: z = the load class index, one flat band per class."""
    n = len(LOAD_CLASSES)
    scale = []
    for index, cls in enumerate(LOAD_CLASSES):
        colour = _rgba(cls.colour, cls.opacity)
        scale += [[index / n, colour], [(index + 1) / n, colour]]
    return scale


def load_z(grids: pd.DataFrame) -> list[int]:
    """The colour of each grid (its load class), in the order of ``grids``."""
    return [int(v) for v in grids["load_class"]]


def build_layer(grids: pd.DataFrame, *, style: MapStyle, geojson_url: str) -> list[dict]:
    """The grid polygons, coloured by load class, with their hover cards.

    The geometry is not in the trace: plotly fetches ``geojson_url`` once per
    page (and keeps it), and matches features by ``properties.code``. A live
    update only replaces ``z`` (and the hover data), never the geometry.

    ``grids`` needs columns code, name, community_name, households,
    population, worker_name, open, load_class.
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
            "type": "choroplethmap",
            "uid": "grids",
            "name": style.text("网格", "Grids"),
            "geojson": geojson_url,
            "featureidkey": "properties.code",
            "locations": grids["code"].astype(str).tolist(),
            "z": load_z(grids),
            "zmin": -0.5,  # class i sits in the middle of its band
            "zmax": len(LOAD_CLASSES) - 0.5,
            "colorscale": colorscale(),
            "showscale": False,
            "marker": {"line": {"color": OUTLINE, "width": style.px(0.6)}},
            "customdata": customdata,
            "hovertemplate": template,
        }
    ]


def legend(lang: str) -> list[tuple[str, str]]:
    """(colour, label) pairs for the map legend."""
    return [(c.colour, c.label(lang)) for c in LOAD_CLASSES]
