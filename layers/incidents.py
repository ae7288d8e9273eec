"""Incidents on the map: colour by lifecycle status, size and halo by priority."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from domain.categories import BY_CODE, PRIORITIES
from domain.lifecycle import STATUSES
from layers.leaflet import card, point_collection, radius
from layers.style import MapStyle
from layers.timefmt import local_text

# Open statuses in the order of the colour codes; anything else is "done".
STATUS_COLOURS: dict[str, str] = {
    "reported": "#ffe066",
    "registered": "#ffc43d",
    "dispatched": "#4cc9f0",
    "in_progress": "#3a86ff",
    "escalated": "#f72585",
    "parked": "#a3a8d6",
    "done": "#8d99ae",
}
_CODES = {status: i for i, status in enumerate(STATUS_COLOURS)}
URGENT = "#ff2e4c"
# Incidents are what the screen is for: bigger than the cadre dots around them.
_SIZE = {1: 17, 2: 14, 3: 12, 4: 10}


def status_code(statuses: pd.Series) -> np.ndarray:
    """Colour code of each status (see ``STATUS_COLOURS``)."""
    return statuses.map(_CODES).fillna(_CODES["done"]).astype(int).to_numpy()


def build_layer(incidents: pd.DataFrame, *, style: MapStyle, now: dt.datetime) -> dict[str, dict]:
    """The incidents as three point layers: ``halo`` (a red halo under urgent
    ones), ``dots`` (every incident, coloured by status, sized by priority,
    with its hover card) and ``flash`` (see ``build_flash``).

    ``incidents`` needs columns public_id, category, status, priority,
    description, reported_at (UTC), grid_name, lon, lat (WGS84).
    """
    zh = style.lang == "zh"
    urgent = incidents[incidents["priority"] == 1]
    halo = point_collection(
        urgent["public_id"],
        urgent["lon"],
        urgent["lat"],
        [{"c": URGENT, "r": radius(style.px(30)), "o": 0.35}] * len(urgent),
    )
    category = incidents["category"].map(
        lambda c: (BY_CODE[c].zh if zh else BY_CODE[c].en) if c in BY_CODE else c
    )
    status = incidents["status"].map(lambda s: STATUSES.get(s, (s, s))[0 if zh else 1])
    priority = incidents["priority"].map(lambda p: PRIORITIES.get(int(p), ("", ""))[0 if zh else 1])
    text = incidents["description"].fillna("").str.slice(0, 36)
    # Clock times, not ages: a live screen only redraws what changed, so an
    # age ("35 分钟前") would go stale in the card, and change every point every minute.
    reported = local_text(incidents["reported_at"])
    grid = incidents["grid_name"].fillna("—").astype(str)
    colours = list(STATUS_COLOURS.values())
    codes = status_code(incidents["status"])
    props = [
        {
            "c": colours[code],
            "r": radius(style.px(_SIZE.get(int(p), 9))),
            "tooltip": card(
                f"{cat} · {prio}",
                [
                    desc,
                    *(
                        (f"编号 {pid}", f"状态 {st}", f"上报 {at}", f"网格 {g}")
                        if zh
                        else (f"No. {pid}", f"Status {st}", f"Reported {at}", f"Grid {g}")
                    ),
                ],
            ),
        }
        for code, p, cat, prio, desc, pid, st, at, g in zip(
            codes,
            incidents["priority"],
            category,
            priority,
            text,
            incidents["public_id"],
            status,
            reported,
            grid,
            strict=True,
        )
    ]
    dots = point_collection(incidents["public_id"], incidents["lon"], incidents["lat"], props)
    return {"halo": halo, "dots": dots, "flash": build_flash(incidents, style=style, now=now)}


FLASH_SECONDS = 20  # how long a new urgent report stands out


def build_flash(incidents: pd.DataFrame, *, style: MapStyle, now: dt.datetime) -> dict:
    """A large white ring on urgent incidents reported in the last ``FLASH_SECONDS``.

    The screen rebuilds while a ring is up, so it goes away by itself.
    """
    reported = pd.to_datetime(incidents["reported_at"], utc=True)
    fresh = incidents[
        (incidents["priority"] == 1)
        & (reported > pd.Timestamp(now) - pd.Timedelta(seconds=FLASH_SECONDS))
    ]
    ring = {"c": "#ffffff", "r": radius(style.px(64)), "o": 0.2, "ring": style.px(4)}
    return point_collection(fresh["public_id"], fresh["lon"], fresh["lat"], [ring] * len(fresh))


def flash_until(incidents: pd.DataFrame, now: dt.datetime) -> dt.datetime | None:
    """When the last flash ring among ``incidents`` goes out; None if none is up."""
    urgent = pd.to_datetime(incidents.loc[incidents["priority"] == 1, "reported_at"], utc=True)
    ends = urgent + pd.Timedelta(seconds=FLASH_SECONDS)
    ends = ends[ends > pd.Timestamp(now)]
    return ends.max().to_pydatetime() if len(ends) else None


def legend(lang: str) -> list[tuple[str, str]]:
    """(colour, label) pairs for the map legend."""
    zh = lang == "zh"
    entries = [
        (colour, STATUSES[s][0 if zh else 1])
        for s, colour in STATUS_COLOURS.items()
        if s in STATUSES
    ]
    entries.append((URGENT, "紧急（红圈）" if zh else "Urgent (red halo)"))
    return entries
