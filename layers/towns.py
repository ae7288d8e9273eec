"""Town boundaries and names: the outline of the county drawn from our own data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.leaflet import point_collection
from layers.style import MapStyle
from layers.view import TILE_SIZE

BOUNDARY = "#7fd1ff"
LABEL_SIZE = 15  # px at 1920


def label_positions(
    lon: np.ndarray, lat: np.ndarray, widths_px: np.ndarray, height_px: float, zoom: float
) -> list[str]:
    """Text anchors that keep neighbouring labels from hiding each other.

    Labels that overlap hide each other, so the small towns of a dense city
    core would lose their names at county zoom. Where two labels
    would overlap, the western one is set to the left of its point and the
    eastern one to the right.

    Parameters
    ----------
    lon, lat : arrays
        Label points, WGS84 degrees.
    widths_px, height_px :
        Size of each label on screen, CSS pixels.
    zoom : float
        Map zoom at which the labels are first seen.
    """
    px_per_degree = TILE_SIZE * 2**zoom / 360
    x = np.asarray(lon, dtype=float) * px_per_degree
    # Mercator stretches latitude by 1/cos(lat): fine for a county, exact enough here.
    y = np.asarray(lat, dtype=float) * px_per_degree / np.cos(np.radians(np.mean(lat)))
    positions = ["middle center"] * len(x)
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            gap_x = (widths_px[i] + widths_px[j]) / 2
            if abs(x[i] - x[j]) < gap_x and abs(y[i] - y[j]) < height_px:
                west, east = (i, j) if x[i] <= x[j] else (j, i)
                positions[west], positions[east] = "middle left", "middle right"
    return positions


def label_layer(towns: pd.DataFrame, *, style: MapStyle, zoom: float = 10.0) -> dict:
    """Town names at their label points, as points for the Leaflet wall.

    Each carries its text ``name``, font size ``s`` (CSS px) and side ``a``
    (center, left or right; see ``label_positions``, at ``zoom`` on the
    512 px-tile scale of ``layers.view.view_for``).
    """
    names = (towns["name"] if style.lang == "zh" else towns["name_en"]).astype(str)
    font = style.px(LABEL_SIZE)
    char_width = font if style.lang == "zh" else font * 0.55
    widths = names.str.len().to_numpy() * char_width + font
    anchors = label_positions(towns["lon"], towns["lat"], widths, font * 1.4, zoom)
    props = [
        {"name": name, "s": font, "a": anchor.split()[1]}
        for name, anchor in zip(names, anchors, strict=True)
    ]
    return point_collection(towns["code"], towns["lon"], towns["lat"], props)


def outline_style(style: MapStyle) -> dict:
    """How the town boundaries are drawn on the wall (read by gc_map.js)."""
    return {"color": BOUNDARY, "weight": style.px(1.8), "glow": style.px(6)}
