"""Query parameters of the HTTP API, parsed and checked with messages for people.

Every parser takes ``name``, the parameter as the caller sent it
(``start_date``, ``since``, ``at`` …), and its messages say that name: a
caller who sent ``start_date`` must not read about ``since``. There is no
default name, so a new caller cannot leak another route's.
"""

from __future__ import annotations

import datetime as dt
import math

from domain.bounds import checked_time
from domain.errors import InvalidInput
from domain.lifecycle import OPEN_STATUSES, STATUSES


def parse_bbox(text: str | None, name: str) -> tuple[float, float, float, float] | None:
    """'minlon,minlat,maxlon,maxlat' in WGS84 degrees, checked."""
    if not text:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInput(
            f"{name} must be four numbers minlon,minlat,maxlon,maxlat: {text!r}"
        ) from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInput(f"{name} must be four numbers minlon,minlat,maxlon,maxlat: {text!r}")
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidInput(f"{name} must run west,south,east,north within WGS84 bounds: {text!r}")
    return values


def parse_time(text: str | None, name: str) -> dt.datetime | None:
    """An ISO 8601 time; without an offset it is taken as UTC."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{name} must be an ISO 8601 time such as 2026-06-20T08:00:00Z: {text!r}"
        ) from None
    return checked_time(value if value.tzinfo else value.replace(tzinfo=dt.UTC), name)


def parse_statuses(text: str | None, name: str) -> list[str] | None:
    """A comma list of statuses; 'open' stands for every open status."""
    if not text:
        return None
    wanted: set[str] = set()
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if part == "open":
            wanted |= OPEN_STATUSES
        elif part in STATUSES:
            wanted.add(part)
        else:
            raise InvalidInput(f"unknown {name} {part!r}: use open or any of {', '.join(STATUSES)}")
    return sorted(wanted)


def parse_int(text: str | None, name: str, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number: {text!r}") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}: {value}")
    return value


def parse_choices(text: str | None, name: str, allowed) -> list[str] | None:
    """A comma list whose every item must be one of ``allowed``; None if empty."""
    if not text:
        return None
    values = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise InvalidInput(f"unknown {name} {unknown[0]!r}: use any of {', '.join(allowed)}")
    return values


MAX_JSON_BYTES = 2_000_000


def json_body(request) -> dict:
    """The request's JSON object, or a clear 400."""
    if not request.is_json:
        raise InvalidInput("send a JSON object with Content-Type: application/json")
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise InvalidInput(f"the body must be at most {MAX_JSON_BYTES} bytes")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    return body
