"""A citizen's report, from the raw form to the row that is stored.

Checks every field (``domain.report``), the service's questions
(``domain.services``), places the report in its grid (by coordinates, or by a
place name in the address), sets its priority and SLA deadlines, and says
when the resident will hear back.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from domain.coords import CRS_CHOICES
from domain.errors import InvalidInput
from domain.report import validate_report
from domain.services import check_attributes
from domain.sla import deadlines

LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class PreparedReport:
    """What to store, and the notice for the resident."""

    values: dict
    notice: str


def prepare_report(
    fields: dict, places, now: dt.datetime, *, policy=None, calendar=None
) -> PreparedReport:
    """Turn an Open311 form into an incident row.

    Parameters
    ----------
    fields : dict
        The form as sent (Open311 names; ``coordinate_system`` is our extension).
    places
        Has ``locator`` (``domain.locator.GridLocator``) and ``gazetteer``
        (``domain.gazetteer.Gazetteer``) of the city.
    now : datetime
        Aware; when the report arrived.

    Raises
    ------
    InvalidInput
        Naming each bad field, or saying the place is outside the city.
    """
    fields = dict(fields)
    if "coordinate_system" in fields:
        system = fields.pop("coordinate_system")
        if str(system).strip().lower() not in CRS_CHOICES:
            raise InvalidInput(
                f"coordinate_system must be one of {', '.join(CRS_CHOICES)}, not {system!r}"
            )
        fields["crs"] = system
    report = validate_report(fields)
    answers = check_attributes(report.service_code, dict(report.attributes))
    if report.lat is not None and report.long is not None:
        lon, lat = report.long, report.lat
        orig = (report.original_long, report.original_lat, report.crs)
        place = places.locator.locate(lon, lat)
        if place is None:
            raise InvalidInput(
                f"the location lat {report.original_lat}, long {report.original_long} "
                f"({report.crs}) is outside the city's grids: check lat, long and "
                "coordinate_system",
                zh="该位置不在本市网格范围内，请核对位置",
            )
    else:
        match = places.gazetteer.find(report.address_string or "")
        if match is None:
            raise InvalidInput(
                f"the address {report.address_string!r} names no village, community or grid "
                "of the city: add its name, or send lat and long",
                zh="地址中没有本市的村、社区或网格名称，请补充名称或提供经纬度",
            )
        lon, lat, orig = match.lon, match.lat, (None, None, "address")
        place = places.locator.locate(lon, lat)
    due = deadlines(report.service_code, report.priority, now, policy, calendar)
    name = " ".join(part for part in (report.last_name, report.first_name) if part) or None
    values = {
        "channel": report.channel,
        "category": report.service_code,
        "description": report.description,
        "address": report.address_string,
        "lon": lon,
        "lat": lat,
        "orig_lon": orig[0],
        "orig_lat": orig[1],
        "orig_crs": orig[2],
        "grid_code": place.grid_code if place else None,
        "town_code": place.town_code if place else None,
        "priority": report.priority,
        "reporter_name": name,
        "reporter_phone": report.phone,
        "reporter_email": report.email,
        "media_url": report.media_url,
        "attributes": json.dumps(answers, ensure_ascii=False) if answers else None,
        "reported_at": now,
        "updated_at": now,
        "due_contact_at": due.first_contact_at,
        "due_resolve_at": due.resolve_at,
        "headcount": headcount(answers),
    }
    return PreparedReport(values, contact_notice(due.first_contact_at))


MAX_HEADCOUNT = 500


def headcount(answers: dict) -> int:
    """Hands a report asks for: its ``helpers_needed`` answer (farm work), else 1."""
    wanted = answers.get("helpers_needed")
    if wanted is None:
        return 1
    if not 1 <= wanted <= MAX_HEADCOUNT or wanted != int(wanted):
        raise InvalidInput(
            f"attribute[helpers_needed] must be a whole number from 1 to {MAX_HEADCOUNT}",
            zh=f"需要人手须为 1 到 {MAX_HEADCOUNT} 的整数",
        )
    return int(wanted)


def contact_notice(first_contact_at: dt.datetime) -> str:
    """What the resident reads back: when we will call, in Beijing time."""
    return _notice(first_contact_at.astimezone(LOCAL).replace(second=0, microsecond=0))


@functools.lru_cache(maxsize=256)  # deadlines of the same minute read the same
def _notice(local: dt.datetime) -> str:
    return (
        f"已受理，我们将在{local:%m月%d日 %H:%M}前与您联系。"
        f" Received: we will contact you by {local:%Y-%m-%d %H:%M} (Beijing time)."
    )
