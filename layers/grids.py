"""Grid polygons coloured by their open incidents.

The polygons come by URL (/api/v1/grids.geojson?v=<geometry_version>): the
browser fetches them once per page, and a live update sends only each grid's
load class and open count (``hideout``), read by the style function of
dashboard/assets/gc_map.js, which also builds the hover cards.
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


def hideout(grids: pd.DataFrame, *, style: MapStyle) -> dict:
    """What the grid style function reads (dashboard/assets/gc_map.js): each
    grid's load class and open count by code, and the line width.

    The polygons come once by URL; a live update sends only this mapping.
    ``grids`` needs columns code, open, load_class.
    """
    codes = grids["code"].astype(str).tolist()
    return {
        "cls": dict(zip(codes, (int(v) for v in grids["load_class"]), strict=True)),
        "open": dict(zip(codes, (int(v) for v in grids["open"]), strict=True)),
        "weight": style.px(0.6),
    }


def static_hideout(lang: str, show: bool = True) -> dict:
    """The parts of the grid hideout that do not change: colours and card words."""
    zh = lang == "zh"
    return {
        "show": show,
        "fill": [c.colour for c in LOAD_CLASSES],
        "alpha": [c.opacity for c in LOAD_CLASSES],
        "line": OUTLINE,
        "words": {
            "households": "户数" if zh else "households",
            "population": "人口" if zh else "residents",
            "worker": "网格员" if zh else "Grid worker",
            "open": "未办结" if zh else "open",
            "unit": "件" if zh else "",
        },
    }


def legend(lang: str) -> list[tuple[str, str]]:
    """(colour, label) pairs for the map legend."""
    return [(c.colour, c.label(lang)) for c in LOAD_CLASSES]
