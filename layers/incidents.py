"""Incidents on the map: colour by lifecycle status, size and halo by priority."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from domain.categories import BY_CODE, PRIORITIES
from domain.lifecycle import STATUSES
from layers.style import MapStyle, coded_marker
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


def build_layer(incidents: pd.DataFrame, *, style: MapStyle, now: dt.datetime) -> list[dict]:
    """A red halo under urgent incidents, then every incident as a dot.

    ``incidents`` needs columns public_id, category, status, priority,
    description, reported_at (UTC), grid_name, lon, lat (WGS84).
    """
    zh = style.lang == "zh"
    urgent = incidents[incidents["priority"] == 1]
    halo = {
        "type": "scattermap",
        "uid": "incident-halo",
        "name": style.text("紧急", "Urgent"),
        "lon": urgent["lon"].round(6).tolist(),
        "lat": urgent["lat"].round(6).tolist(),
        "mode": "markers",
        "marker": {"size": style.px(30), "color": URGENT, "opacity": 0.35},
        "hoverinfo": "skip",
        "showlegend": False,
    }
    category = incidents["category"].map(
        lambda c: (BY_CODE[c].zh if zh else BY_CODE[c].en) if c in BY_CODE else c
    )
    status = incidents["status"].map(lambda s: STATUSES.get(s, (s, s))[0 if zh else 1])
    priority = incidents["priority"].map(lambda p: PRIORITIES.get(int(p), ("", ""))[0 if zh else 1])
    text = incidents["description"].fillna("").str.slice(0, 36)
    customdata = (
        np.column_stack(
            [
                incidents["public_id"].astype(str),
                category,
                status,
                priority,
                local_text(incidents["reported_at"]),
                incidents["grid_name"].fillna("—").astype(str),
                text,
            ]
        ).tolist()
        if len(incidents)
        else []
    )
    # Clock times, not ages: a live screen only redraws what changed, so an
    # age ("35 分钟前") would go stale in the hover, and would change every
    # point every minute.
    template = (
        "<b>%{customdata[1]}</b> · %{customdata[3]}<br>%{customdata[6]}<br>"
        + (
            "编号 %{customdata[0]}<br>状态 %{customdata[2]}<br>上报 %{customdata[4]}"
            "<br>网格 %{customdata[5]}"
            if zh
            else "No. %{customdata[0]}<br>Status %{customdata[2]}<br>Reported %{customdata[4]}"
            "<br>Grid %{customdata[5]}"
        )
        + "<extra></extra>"
    )
    colours = list(STATUS_COLOURS.values())
    dots = {
        "type": "scattermap",
        "uid": "incidents",
        "name": style.text("事件", "Incidents"),
        "ids": incidents["public_id"].astype(str).tolist(),
        "lon": incidents["lon"].round(6).tolist(),
        "lat": incidents["lat"].round(6).tolist(),
        "mode": "markers",
        "marker": coded_marker(
            status_code(incidents["status"]).tolist(),
            colours,
            size=[style.px(_SIZE.get(int(p), 9)) for p in incidents["priority"]],
            opacity=0.95,
        ),
        "customdata": customdata,
        "hovertemplate": template,
        "showlegend": False,
    }
    return [halo, dots, build_flash(incidents, style=style, now=now)]


FLASH_SECONDS = 20  # how long a new urgent report stands out


def build_flash(incidents: pd.DataFrame, *, style: MapStyle, now: dt.datetime) -> dict:
    """A large bright ring on urgent incidents reported in the last ``FLASH_SECONDS``.

    The screen rebuilds while a ring is up, so it goes away by itself.
    """
    reported = pd.to_datetime(incidents["reported_at"], utc=True)
    fresh = incidents[
        (incidents["priority"] == 1)
        & (reported > pd.Timestamp(now) - pd.Timedelta(seconds=FLASH_SECONDS))
    ]
    return {
        "type": "scattermap",
        "uid": "incident-flash",
        "name": style.text("新紧急事件", "New urgent"),
        "lon": fresh["lon"].round(6).tolist(),
        "lat": fresh["lat"].round(6).tolist(),
        "mode": "markers",
        "marker": {"size": style.px(64), "color": "#ffffff", "opacity": 0.55},
        "hoverinfo": "skip",
        "showlegend": False,
    }


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
