"""Cadres in the field by status, at their last reported position."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from domain.cadres import CADRE_STATUSES, ROLES
from layers.style import MapStyle, coded_marker
from layers.timefmt import local_text

COLOURS: dict[str, str] = {
    "available": "#2ee6a6",
    "en_route": "#c77dff",
    "on_site": "#ff9f1c",
    "off_duty": "#5c6b7a",
}
_CODES = {status: i for i, status in enumerate(COLOURS)}


def build_layer(cadres: pd.DataFrame, *, style: MapStyle, now: dt.datetime) -> list[dict]:
    """Cadres with a known position as small dots coloured by status.

    ``cadres`` needs columns id, name, role, department, status, lon, lat
    (WGS84), position_at (UTC).
    """
    placed = cadres.dropna(subset=["lon", "lat"])
    zh = style.lang == "zh"
    role = placed["role"].map(lambda r: ROLES.get(r, (r, r))[0 if zh else 1])
    status = placed["status"].map(lambda s: CADRE_STATUSES.get(s, (s, s))[0 if zh else 1])
    unit = placed["department"].fillna("").astype(str)
    customdata = (
        np.column_stack(
            [
                placed["name"].astype(str),
                role,
                unit,
                status,
                local_text(placed["position_at"]),
            ]
        ).tolist()
        if len(placed)
        else []
    )
    template = (
        "<b>%{customdata[0]}</b> · %{customdata[1]}<br>%{customdata[2]}<br>"
        + (
            "状态 %{customdata[3]}<br>位置更新于 %{customdata[4]}"
            if zh
            else "Status %{customdata[3]}<br>Position at %{customdata[4]}"
        )
        + "<extra></extra>"
    )
    colours = list(COLOURS.values())
    return [
        {
            "type": "scattermap",
            "uid": "cadres",
            "name": style.text("干部", "Cadres"),
            "ids": placed["id"].astype(str).tolist(),
            "lon": placed["lon"].round(6).tolist(),
            "lat": placed["lat"].round(6).tolist(),
            "mode": "markers",
            "marker": coded_marker(
                placed["status"].map(_CODES).fillna(0).astype(int).tolist(),
                colours,
                size=style.px(5),
                opacity=0.75,
            ),
            "customdata": customdata,
            "hovertemplate": template,
            "showlegend": False,
        }
    ]


def legend(lang: str) -> list[tuple[str, str]]:
    """(colour, label) pairs for the map legend."""
    return [(COLOURS[s], names[0 if lang == "zh" else 1]) for s, names in CADRE_STATUSES.items()]
