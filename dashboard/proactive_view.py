"""The console's proactive cases: the recurring spots proposed, with their evidence.

Plain values from the store (``spot_evidence``), then Dash components from
them (``spot_cards``) and the small map's collections (``spot_map``), so the
callbacks of ``dashboard.proactive_panel`` stay thin and all of this is
tested without a browser.
"""

from __future__ import annotations

import math
from html import escape

import pandas as pd
from dash import html

from dashboard import ids
from dashboard.i18n import t
from domain.categories import category_name
from domain.distance import EARTH_RADIUS_M
from layers.timefmt import local_text

POINT = "#ffb020"  # the reports on the small map: the warning amber of the desk
RING = "#38c8ff"  # the spot's extent
ROOM_M = 40.0  # around the spot's ring on its map, metres


def spot_evidence(store, spots: pd.DataFrame, lang: str) -> list[dict]:
    """Each proposed spot with what the desk needs to judge it, as JSON values.

    Parameters
    ----------
    store : Store
    spots : DataFrame
        ``services.proactive.proposals``: key, category, lon, lat (WGS84),
        radius_m, reports, report_ids, first_reported_at, last_reported_at
        (UTC), grid_code.
    lang : str

    Returns
    -------
    list of dict
        key, category (its name), lon, lat, radius_m, count, days (from the
        first report to the last, whole days), first, last (Beijing dates),
        place (the grid and the address nearest the spot) and reports: id,
        public_id, at (Beijing time), lon, lat, address, in time order.
    """
    if spots is None or spots.empty:
        return []
    wanted = sorted({int(i) for ids_ in spots["report_ids"] for i in ids_})
    found = store.incidents(ids=wanted) if wanted else pd.DataFrame()
    by_id = {int(r["id"]): r for r in found.to_dict("records")} if len(found) else {}
    out = []
    for spot in spots.to_dict("records"):
        reports = [by_id[int(i)] for i in spot["report_ids"] if int(i) in by_id]
        first, last = (
            pd.Timestamp(spot["first_reported_at"]),
            pd.Timestamp(spot["last_reported_at"]),
        )
        out.append(
            {
                "key": str(spot["key"]),
                "category": category_name(str(spot["category"]), lang),
                "lon": float(spot["lon"]),
                "lat": float(spot["lat"]),
                "radius_m": int(spot["radius_m"]),
                "count": int(spot["reports"]),
                "days": max(1, math.ceil((last - first) / pd.Timedelta(days=1))),
                "first": _local(first, "%m-%d"),
                "last": _local(last, "%m-%d"),
                "place": _place(reports, float(spot["lon"]), float(spot["lat"])),
                "reports": [
                    {
                        "id": int(r["id"]),
                        "public_id": str(r["public_id"]),
                        "at": _local(r["reported_at"], "%m-%d %H:%M"),
                        "lon": _number(r.get("lon")),
                        "lat": _number(r.get("lat")),
                        "address": _text(r.get("address")),
                    }
                    for r in reports
                ],
            }
        )
    return out


def _local(at, fmt: str) -> str:
    return local_text(pd.Series([at]), fmt).iloc[0]


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _place(reports: list[dict], lon: float, lat: float) -> str:
    """Where the spot is, in words: its grid, and the address of the report
    nearest its centre (reports are typed by residents: any one may be off)."""
    located = [r for r in reports if _number(r.get("lon")) is not None]
    if not located:
        return "—"
    nearest = min(
        located, key=lambda r: (float(r["lon"]) - lon) ** 2 + (float(r["lat"]) - lat) ** 2
    )
    parts = [_text(nearest.get("grid_name")), _text(nearest.get("address"))]
    return " · ".join(p for p in parts if p) or "—"


def spot_cards(spots: list[dict], lang: str, picked: str | None = None) -> list:
    """The proposed spots as cards: what, where, how often, when, the reports
    (each opens its detail) and the two decisions; or a line saying there is none."""
    if not spots:
        return html.P(t("proactive.none", lang), className="gc-muted")
    return html.Ol([_card(spot, lang, spot["key"] == picked) for spot in spots])


def _card(spot: dict, lang: str, picked: bool) -> html.Li:
    key = spot["key"]
    often = t("proactive.times", lang).format(n=spot["count"], days=spot["days"])
    span = t("proactive.span", lang).format(first=spot["first"], last=spot["last"])
    reach = t("proactive.radius", lang).format(m=spot["radius_m"])
    reports = [
        html.Button(
            [
                html.Span(r["at"].split(" ")[0], className="gc-spot-date"),
                html.Span(r["public_id"], className="gc-spot-id"),
            ],
            id={"type": ids.PROACTIVE_REPORT, "incident": r["id"]},
            className="gc-spot-report",
            title=r["address"] or None,
        )
        for r in spot["reports"]
    ]
    return html.Li(
        [
            html.Div(
                [
                    html.B(spot["category"], className="gc-spot-category"),
                    html.Span(spot["place"], title=spot["place"]),
                ],
                className="gc-spot-head",
            ),
            html.Div(f"{often} · {span} · {reach}", className="gc-spot-when"),
            html.Div(
                [
                    html.Span(
                        t("proactive.reports", lang) + ("：" if lang == "zh" else ": "),
                        className="gc-muted",
                    ),
                    *reports,
                ],
                className="gc-spot-reports",
            ),
            html.Div(
                [
                    html.Button(
                        t("proactive.show", lang),
                        id={"type": ids.PROACTIVE_PICK, "spot": key},
                        className="gc-button gc-spot-show",
                    ),
                    html.Button(
                        t("proactive.open", lang),
                        id={"type": ids.PROACTIVE_OPEN, "spot": key},
                        className="gc-button gc-confirm gc-spot-open",
                    ),
                    html.Button(
                        t("proactive.dismiss", lang),
                        id={"type": ids.PROACTIVE_DISMISS, "spot": key},
                        className="gc-button gc-spot-dismiss",
                    ),
                ],
                className="gc-buttons gc-spot-buttons",
            ),
        ],
        id={"type": ids.PROACTIVE_CARD, "spot": key},
        className=card_class(picked),
    )


def card_class(picked: bool) -> str:
    """A spot card's class: the one on the small map is marked."""
    return "gc-spot gc-spot-picked" if picked else "gc-spot"


def spot_map(spot: dict | None, scale: float = 1.0) -> dict:
    """The small map of one spot: its reports as points (each with its number
    and date as a hover card), a ring of its extent, and the view around them.

    Returns
    -------
    dict
        ``points`` and ``ring`` (GeoJSON FeatureCollections, WGS84) and
        ``bounds`` ([[south, west], [north, east]]), None without a spot.
    """
    if not spot:
        empty = {"type": "FeatureCollection", "features": []}
        return {"points": empty, "ring": empty, "bounds": None}
    radius = max(4, round(6 * scale))
    points = [
        {
            "type": "Feature",
            "id": r["id"],
            "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": {
                "r": radius,
                "c": POINT,
                "tooltip": escape(f"{r['public_id']} · {r['at']}"),
            },
        }
        for r in spot["reports"]
        if r["lon"] is not None and r["lat"] is not None
    ]
    lon, lat, metres = spot["lon"], spot["lat"], max(float(spot["radius_m"]), 10.0)
    ring = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [_circle(lon, lat, metres)]},
        "properties": {"c": RING, "o": 0.08, "w": 1.5},
    }
    reach = metres + ROOM_M
    dlat = math.degrees(reach / EARTH_RADIUS_M)
    dlon = dlat / math.cos(math.radians(lat))
    lons = [p["geometry"]["coordinates"][0] for p in points] + [lon - dlon, lon + dlon]
    lats = [p["geometry"]["coordinates"][1] for p in points] + [lat - dlat, lat + dlat]
    return {
        "points": {"type": "FeatureCollection", "features": points},
        "ring": {"type": "FeatureCollection", "features": [ring]},
        "bounds": [[min(lats), min(lons)], [max(lats), max(lons)]],
    }


def _circle(lon: float, lat: float, metres: float, sides: int = 48) -> list[list[float]]:
    """A circle of ``metres`` around (lon, lat) as a closed WGS84 ring."""
    dlat = math.degrees(metres / EARTH_RADIUS_M)
    dlon = dlat / math.cos(math.radians(lat))
    ring = [
        [
            round(lon + dlon * math.cos(2 * math.pi * k / sides), 7),
            round(lat + dlat * math.sin(2 * math.pi * k / sides), 7),
        ]
        for k in range(sides)
    ]
    return [*ring, ring[0]]
