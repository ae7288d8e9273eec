"""What a cadre's phone shows and checks: tasks nearest first, links that open
the phone's map app, and whether an arrival is where the task is.

Pure: plain values and DataFrames in, plain values out.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import numpy as np
import pandas as pd

from domain.coords import gcj02_to_bd09, wgs84_to_gcj02
from domain.distance import haversine_m
from domain.errors import InvalidInput

ARRIVAL_RADIUS_M = 300  # farther than this from the place, an arrival needs a note
NOTE_MAX = 500
APP_NAME = "gridcommand.field"  # how the map apps' URI APIs are told who calls


class NoteNeeded(InvalidInput):
    """An arrival far from the place: say why (the field app asks for a note)."""

    reason = "note_needed"


def tasks_nearest_first(tasks: pd.DataFrame, lon: float | None, lat: float | None) -> pd.DataFrame:
    """``tasks`` with ``distance_m`` from (lon, lat), nearest first.

    Without a position the distance is missing and the tasks keep the order
    of their deadlines, soonest first.
    """
    out = tasks.copy()
    if out.empty:
        out["distance_m"] = pd.Series(dtype=float)
        return out
    if lon is None or lat is None:
        out["distance_m"] = np.nan
        return out.sort_values(["due_resolve_at", "dispatch_id"], na_position="last")
    out["distance_m"] = np.round(
        haversine_m(lon, lat, out["lon"].to_numpy(float), out["lat"].to_numpy(float))
    )
    return out.sort_values(["distance_m", "dispatch_id"])


def navigation_links(lon: float, lat: float, name: str) -> dict[str, str]:
    """Links that open a route to (lon, lat) (WGS84) in the phone's map app.

    Each app reads its own coordinate system: Amap (高德) and Tencent (腾讯)
    GCJ-02, Baidu (百度) BD-09. Amap's URI works in any browser and hands
    over to the app where it is installed; Baidu's and Tencent's are the
    apps' own schemes.
    """
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    bd_lon, bd_lat = gcj02_to_bd09(gcj_lon, gcj_lat)
    name = (name or "")[:40]
    amap = "https://uri.amap.com/navigation?" + urlencode(
        {
            "to": f"{gcj_lon:.6f},{gcj_lat:.6f},{name}",
            "mode": "car",
            "coordinate": "gaode",
            "callnative": "1",
            "src": APP_NAME,
        },
        quote_via=quote,
    )
    baidu = "baidumap://map/direction?" + urlencode(
        {
            "destination": f"latlng:{bd_lat:.6f},{bd_lon:.6f}|name:{name}",
            "coord_type": "bd09ll",
            "mode": "driving",
            "src": APP_NAME,
        },
        quote_via=quote,
    )
    tencent = "qqmap://map/routeplan?" + urlencode(
        {
            "type": "drive",
            "to": name,
            "tocoord": f"{gcj_lat:.6f},{gcj_lon:.6f}",
            "referer": APP_NAME,
        },
        quote_via=quote,
    )
    return {"amap": amap, "baidu": baidu, "tencent": tencent}


def checked_arrival(
    place_lon: float, place_lat: float, lon: float, lat: float, note: object
) -> tuple[float, str | None]:
    """(metres from the place, the note) of an arrival at (lon, lat).

    Raises NoteNeeded when the arrival is farther than ARRIVAL_RADIUS_M
    from the place and says nothing about why.
    """
    away = float(haversine_m(lon, lat, place_lon, place_lat))
    text = str(note).strip() if note is not None else ""
    if len(text) > NOTE_MAX:
        raise InvalidInput(
            f"the note must be at most {NOTE_MAX} characters", zh=f"说明最多 {NOTE_MAX} 字"
        )
    if away > ARRIVAL_RADIUS_M and not text:
        raise NoteNeeded(
            f"you are {away:.0f} m from the place (more than {ARRIVAL_RADIUS_M} m): "
            "add a note saying why",
            zh=f"您距事发地 {away:.0f} 米（超过 {ARRIVAL_RADIUS_M} 米），请填写说明",
        )
    return round(away), text or None


def position_interval_s(on_duty: bool, has_task: bool) -> int:
    """How often the phone shares its position: often on the way to a task,
    rarely when merely on duty, never off duty (0)."""
    if not on_duty:
        return 0
    return 30 if has_task else 120
