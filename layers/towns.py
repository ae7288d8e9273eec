"""Town boundaries and names: the outline of the county drawn from our own data."""

from __future__ import annotations

import pandas as pd

from layers.style import MapStyle

BOUNDARY = "#7fd1ff"


def build_map_layers(source: str, *, style: MapStyle, visible: bool = True) -> list[dict]:
    """A soft wide line under a crisp one: town boundaries that read from afar.

    Parameters
    ----------
    source : str
        URL of the towns GeoJSON.
    """
    return [
        {
            "name": "towns-glow",
            "sourcetype": "geojson",
            "source": source,
            "type": "line",
            "color": BOUNDARY,
            "opacity": 0.25,
            "line": {"width": style.px(6)},
            "below": "traces",
            "visible": visible,
        },
        {
            "name": "towns-line",
            "sourcetype": "geojson",
            "source": source,
            "type": "line",
            "color": BOUNDARY,
            "opacity": 0.95,
            "line": {"width": style.px(1.6)},
            "below": "traces",
            "visible": visible,
        },
    ]


def build_layer(towns: pd.DataFrame, *, style: MapStyle) -> list[dict]:
    """Town names at their label points (columns name, name_en, lon, lat)."""
    names = towns["name"] if style.lang == "zh" else towns["name_en"]
    return [
        {
            "type": "scattermap",
            "uid": "town-labels",
            "name": style.text("镇街", "Towns"),
            "lon": towns["lon"].round(6).tolist(),
            "lat": towns["lat"].round(6).tolist(),
            "mode": "text",
            "text": names.astype(str).tolist(),
            "textfont": {"size": style.px(15), "color": "#ffffff"},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    ]
