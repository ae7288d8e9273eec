"""Batches of positions from the field app, checked and turned into WGS84 rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from domain.bounds import checked_time, is_id
from domain.coords import check_lonlat, normalize_crs, to_wgs84
from domain.errors import InvalidInput

MAX_BATCH = 1000
FUTURE_SLACK = dt.timedelta(minutes=5)  # phone clocks run a little fast


def positions_from(items: object, now: dt.datetime) -> list[dict]:
    """Rows (cadre_id, lon, lat, recorded_at) from a JSON list of field positions.

    Each item: ``cadre_id``, ``lon``, ``lat``, ``recorded_at`` (ISO 8601 with a
    time zone) and optionally ``coordinate_system`` (wgs84, gcj02, bd09;
    converted to WGS84). The whole batch is refused, naming the first bad item,
    if any item is wrong.
    """
    if not isinstance(items, list) or not items:
        raise InvalidInput("positions must be a non-empty list")
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} positions per batch")
    rows = []
    for n, item in enumerate(items):
        where = f"positions[{n}]"
        if not isinstance(item, Mapping):
            raise InvalidInput(f"{where} must be an object")
        cadre = item.get("cadre_id")
        if not is_id(cadre):
            raise InvalidInput(f"{where}.cadre_id must be a positive whole number (a cadre's id)")
        try:
            lon, lat = check_lonlat(item.get("lon"), item.get("lat"))
            crs = normalize_crs(str(item.get("coordinate_system") or "wgs84"))
        except InvalidInput as error:
            raise InvalidInput(f"{where}: {error}") from None
        lon, lat = to_wgs84(lon, lat, crs)
        rows.append(
            {
                "cadre_id": cadre,
                "lon": lon,
                "lat": lat,
                "recorded_at": reported_time(item.get("recorded_at"), where, now),
            }
        )
    return rows


def reported_time(value: object, where: str, now: dt.datetime) -> dt.datetime:
    """A phone's ISO 8601 time with a zone, not in the future (within a little slack)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{where}.recorded_at must be an ISO 8601 time with a time zone")
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{where}.recorded_at must be an ISO 8601 time: {value[:40]!r}"
        ) from None
    if stamp.tzinfo is None:
        raise InvalidInput(f"{where}.recorded_at needs a time zone (e.g. +08:00 or Z)")
    if stamp > now + FUTURE_SLACK:
        raise InvalidInput(f"{where}.recorded_at is in the future: {value}")
    return checked_time(stamp, f"{where}.recorded_at")
