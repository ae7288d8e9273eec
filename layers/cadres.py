"""Cadres in the field by status, at their last reported position."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from domain.cadres import CADRE_STATUSES, ROLES
from layers.leaflet import card, point_collection, radius
from layers.style import MapStyle
from layers.timefmt import local_text

COLOURS: dict[str, str] = {
    "available": "#2ee6a6",
    "en_route": "#c77dff",
    "on_site": "#ff9f1c",
    "off_duty": "#5c6b7a",
}


def build_layer(cadres: pd.DataFrame, *, style: MapStyle, now: dt.datetime) -> dict:
    """Cadres with a known position as small dots coloured by status, with hover cards.

    ``cadres`` needs columns id, name, role, department, status, lon, lat
    (WGS84), position_at (UTC).
    """
    placed = cadres.dropna(subset=["lon", "lat"])
    zh = style.lang == "zh"
    role = placed["role"].map(lambda r: ROLES.get(r, (r, r))[0 if zh else 1])
    status = placed["status"].map(lambda s: CADRE_STATUSES.get(s, (s, s))[0 if zh else 1])
    unit = placed["department"].fillna("").astype(str)
    at = local_text(placed["position_at"])
    colour = placed["status"].map(COLOURS).fillna(COLOURS["available"])
    r = radius(style.px(5))
    props = [
        {
            "c": c,
            "r": r,
            "tooltip": card(
                f"{name} · {ro}",
                [
                    u,
                    *(
                        (f"状态 {st}", f"位置更新于 {t}")
                        if zh
                        else (f"Status {st}", f"Position at {t}")
                    ),
                ],
            ),
        }
        for c, name, ro, u, st, t in zip(
            colour, placed["name"], role, unit, status, at, strict=True
        )
    ]
    return point_collection(placed["id"], placed["lon"], placed["lat"], props)


def legend(lang: str) -> list[tuple[str, str]]:
    """(colour, label) pairs for the map legend."""
    return [(COLOURS[s], names[0 if lang == "zh" else 1]) for s, names in CADRE_STATUSES.items()]
