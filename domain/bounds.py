"""Bounds on numbers and times from outside, checked before they reach the database.

A whole number past the database's integer, or a time at the edge of
Python's calendar, is valid JSON and valid ISO 8601 but breaks deep inside
(an overflow, not a clear message); the API fuzz found both. Ids and times
from clients pass through here first.
"""

from __future__ import annotations

import datetime as dt

from domain.errors import InvalidInput

MAX_ID = 2**31 - 1  # the largest id column (PostgreSQL integer)
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def is_id(value: object) -> bool:
    """True for a whole number that can be a row id (1 … MAX_ID); never for a bool."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def checked_id(value: object, name: str) -> int:
    """``value`` as a row id, or InvalidInput naming ``name``."""
    if not is_id(value):
        raise InvalidInput(f"{name} must be a whole number from 1 to {MAX_ID}")
    return value


def digits_id(text: str) -> int | None:
    """An id written in ASCII digits ("42"), or None: '¹'.isdigit() is True too."""
    if text.isascii() and text.isdigit() and is_id(int(text)):
        return int(text)
    return None


def checked_time(stamp: dt.datetime, name: str) -> dt.datetime:
    """An aware time within 1970 … 2200, in UTC; InvalidInput otherwise."""
    try:
        utc = stamp.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise InvalidInput(f"{name} must lie between 1970 and 2200: {stamp.isoformat()}")
    return utc
