"""An event as an OASIS Common Alerting Protocol 1.2 alert (CAP XML).

Pure: event values in, XML text out, so other alerting systems (the
province's emergency platform, sirens, SMS gateways) can take the event.
Element order, time format and polygon syntax follow the CAP 1.2 schema:
times as 2026-06-12T08:00:00+08:00, polygons as "lat,lon" pairs, closed,
exterior rings only (CAP has no holes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from shapely.geometry import MultiPolygon, Polygon

from domain.events import KINDS, SEVERITIES

NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
LOCAL = ZoneInfo("Asia/Shanghai")
CATEGORY = {
    "flood": "Met",
    "fire": "Fire",
    "epidemic": "Health",
    "harvest_help": "Other",
    "other": "Other",
}
SEVERITY = {1: "Extreme", 2: "Severe", 3: "Moderate", 4: "Minor"}


@dataclass(frozen=True)
class CapEvent:
    """What an alert says about one event."""

    id: int
    name: str
    kind: str
    severity: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    area: Polygon | MultiPolygon
    area_name: str  # e.g. the towns it covers
    sender_name: str  # the command centre


def cap_time(moment: dt.datetime) -> str:
    """2026-06-12T08:00:00+08:00: local time, whole seconds, with its offset."""
    local = moment.astimezone(LOCAL).replace(microsecond=0)
    return local.isoformat()


def cap_polygons(area: Polygon | MultiPolygon, *, decimals: int = 5) -> list[str]:
    """Each exterior ring as "lat,lon lat,lon …", closed."""
    polygons = list(area.geoms) if isinstance(area, MultiPolygon) else [area]
    texts = []
    for polygon in polygons:
        if polygon.is_empty:
            continue
        ring = list(polygon.exterior.coords)
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        texts.append(" ".join(f"{lat:.{decimals}f},{lon:.{decimals}f}" for lon, lat, *_ in ring))
    return texts


def identifier(sender: str, event_id: int, ended: bool) -> str:
    return f"{sender.split('@')[0]}-event-{event_id}" + ("-ended" if ended else "")


def cap_alert(event: CapEvent, *, sender: str, lang: str = "zh") -> str:
    """The CAP 1.2 alert of ``event`` as XML text.

    An active event is an ``Alert`` sent when it was declared; an ended one an
    ``Update``, sent when it ended, that refers to that alert, with urgency
    ``Past`` and ``expires`` at the end. The same event state always gives
    the same message, so a receiver can tell a repeat from news.
    """
    ET.register_namespace("", NAMESPACE)

    def add(parent, tag: str, text: str | None = None):
        element = ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}")
        if text is not None:
            element.text = text
        return element

    ended = event.ended_at is not None
    sent = event.ended_at if ended else event.started_at
    zh = lang == "zh"
    alert = ET.Element(f"{{{NAMESPACE}}}alert")
    add(alert, "identifier", identifier(sender, event.id, ended))
    add(alert, "sender", sender)
    add(alert, "sent", cap_time(sent))
    add(alert, "status", "Actual")
    add(alert, "msgType", "Update" if ended else "Alert")
    add(alert, "scope", "Public")
    if ended:
        first = f"{sender},{identifier(sender, event.id, False)},{cap_time(event.started_at)}"
        add(alert, "references", first)
    info = add(alert, "info")
    add(info, "language", "zh-CN" if zh else "en-US")
    add(info, "category", CATEGORY[event.kind])
    kind = KINDS[event.kind][0 if zh else 1]
    add(info, "event", kind)
    add(info, "responseType", "AllClear" if ended else "Monitor")
    add(info, "urgency", "Past" if ended else "Immediate")
    add(info, "severity", SEVERITY[event.severity])
    add(info, "certainty", "Observed")
    add(info, "onset", cap_time(event.started_at))
    if ended:
        add(info, "expires", cap_time(event.ended_at))
    add(info, "senderName", event.sender_name)
    level = SEVERITIES[event.severity][0 if zh else 1]
    state = ("（已结束）" if ended else "") if zh else (" (ended)" if ended else "")
    add(info, "headline", f"{event.name}{state}")
    add(info, "description", f"{kind} · {level} · {event.area_name}")
    area = add(info, "area")
    add(area, "areaDesc", event.area_name)
    for polygon in cap_polygons(event.area):
        add(area, "polygon", polygon)
    return ET.tostring(alert, encoding="unicode", xml_declaration=True)
