"""Glue between the dispatch use cases and the console: recommendations, plans, the map.

No Dash here: plain values in, plain values out, so that the console's
callbacks stay thin and all of this is tested on a real store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from dashboard.i18n import t
from domain.categories import PRIORITIES, category_name
from domain.dispatch_work import DISPATCHABLE
from domain.errors import InvalidInput, NotFound
from domain.lifecycle import OPEN_STATUSES, status_name
from layers.dispatch_lines import (
    COUNTY,
    backdrop_layer,
    empty_layers,
    fit_bounds,
    plan_layers,
    recommendation_layers,
)
from layers.style import MapStyle, scale_for_width
from layers.towns import label_layer
from services.dispatch import (
    assignments_from,
    max_travel_seconds,
    proposal_payload,
    propose,
    recommendations,
)

LIMIT = 5  # recommendations shown for one incident
MAX_OPERATOR = 60  # characters, as the API allows for an actor
UNMET_NAMED = 5  # incidents short of hands named in the summary
DEFAULT_SCREEN = {"width": 1920, "height": 1080}


def operator_name(value: object) -> str:
    """The operator's name from the console's input, or InvalidInput asking for it."""
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > MAX_OPERATOR:
        raise InvalidInput(t("console.who", "en"), zh=t("console.who", "zh"))
    return name


def _number(value) -> float | None:
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def acknowledged(store, incident_id: int, ack_minutes: int = 10) -> list[dict]:
    """Each cadre sent to the incident: whether they have seen and accepted
    the task on their phone, and whether nobody accepted it within ``ack_minutes``."""
    frame = store.acknowledgements([incident_id], ack_minutes=ack_minutes)
    return [
        {
            "name": str(a["cadre_name"]),
            "state": "accepted" if a["accepted_at"] else "seen" if a["seen_at"] else "sent",
            "late": bool(a["unacknowledged"]),
        }
        for a in frame.to_dict("records")
    ]


def picked(
    store, incident_id: int, lang: str, limit: int = LIMIT, *, ack_minutes: int = 10
) -> dict | None:
    """One incident with its best cadres and those already sent, as plain JSON values.

    Returns None for an unknown incident. ``cadres`` is empty when the
    incident takes nobody in its status or has no location. ``acks`` says
    for each cadre sent whether they have seen and accepted it
    (``acknowledged``), and ``ack_minutes`` is the time they have for it.
    """
    frame = store.incidents(ids=[incident_id])
    if not len(frame):
        return None
    row = frame.iloc[0]
    lon, lat = _number(row["lon"]), _number(row["lat"])
    dispatchable = row["status"] in DISPATCHABLE
    incident = {
        "id": int(row["id"]),
        "public_id": str(row["public_id"]),
        "lon": lon,
        "lat": lat,
        "label": category_name(row["category"], lang),
        "urgent": int(row["priority"]) == 1,
        "status": str(row["status"]),
        "status_name": status_name(row["status"], lang),
        "dispatchable": dispatchable,
        "located": lon is not None and lat is not None,
    }
    active = store.active_dispatches([incident_id])
    sent = [
        {
            "name": str(a.cadre_name),
            "status": str(a.cadre_status),
            "from": [float(a.cadre_lon), float(a.cadre_lat)],
        }
        for a in active.itertuples()
        if _number(a.cadre_lon) is not None and _number(a.cadre_lat) is not None
    ]
    cadres = []
    if dispatchable and incident["located"]:
        for r in recommendations(store, incident_id, lang=lang, limit=limit):
            cadres.append(
                {
                    "cadre_id": int(r["cadre_id"]),
                    "name": str(r["name"]),
                    "department": r["department"],
                    "reason": str(r["reason"]),
                    "eta_s": float(r["eta_s"]),
                    "distance_m": float(r["distance_m"]),
                    "paired": bool(r["paired"]),
                    "position_at": r["position_at"],
                    "from": [float(v) for v in r["from"]],
                    "to": [float(v) for v in r["to"]],
                }
            )
    acks = acknowledged(store, incident_id, ack_minutes)
    return {
        "incident": incident,
        "cadres": cadres,
        "sent": sent,
        "acks": acks,
        "ack_minutes": ack_minutes,
    }


def send(store, chosen: Mapping, cadre_id: int, operator: object, lang: str) -> str:
    """Dispatch one recommended cadre to the chosen incident; the message to show.

    ``chosen`` is what ``picked`` returned. The cadre's position is not pinned:
    the operator chose a person, not a route, and the store still refuses a
    cadre who is no longer available. Raises ``GridCommandError`` (its
    ``message(lang)`` is for the screen).
    """
    actor = operator_name(operator)
    cadre = next((c for c in chosen["cadres"] if c["cadre_id"] == cadre_id), None)
    if cadre is None:
        raise NotFound(
            f"cadre {cadre_id} is not among the recommended", zh="该干部不在推荐名单中，请刷新"
        )
    incident = chosen["incident"]
    item = {"incident": incident["id"], "cadre_id": cadre_id, "eta_s": cadre["eta_s"]}
    store.dispatch(assignments_from([item], store), actor=actor)
    return t("console.sent", lang).format(name=cadre["name"], incident=incident["public_id"])


def plan(store, *, town: str | None, minutes: object) -> dict:
    """The proposal for all open work (of one town) as ``proposal_payload`` gives it."""
    limit = max_travel_seconds(minutes)
    return proposal_payload(propose(store, town=town or None, max_travel_s=limit))


def plan_rows(payload: Mapping, lang: str, token: object = 0) -> list[dict]:
    """Rows of the plan table: what the operator reads, and what a confirmation needs.

    ``token`` names the plan (each row carries it) so the map refits for a new
    plan and keeps its view while rows are ticked and unticked. Urgent work
    comes first, then the nearest: the order an operator checks a plan in.
    """
    i = 0 if lang == "zh" else 1
    yes = "是" if lang == "zh" else "yes"
    return [
        {
            "id": f"{a['incident_id']}-{a['cadre_id']}",
            "plan": str(token),
            "incident": a["incident"],
            "incident_id": a["incident_id"],
            "category": category_name(a["category"], lang),
            "priority": a["priority"],
            "priority_name": PRIORITIES.get(int(a["priority"]), ("", ""))[i],
            "cadre_id": a["cadre_id"],
            "cadre_name": a["cadre_name"],
            "department": a["department"] or "—",
            "km": round(a["distance_m"] / 1000, 1),
            "eta_min": round(a["eta_s"] / 60, 1),
            "paired": yes if a["paired"] else "",
            "eta_s": a["eta_s"],
            "position_at": a["position_at"],
            "from": a["from"],
            "to": a["to"],
        }
        for a in sorted(payload["assignments"], key=lambda a: (a["priority"], a["eta_s"]))
    ]


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:,.0f}"


def plan_summary(payload: Mapping, lang: str) -> dict:
    """The plan against greedy in words and figures: a small table and two lines."""
    head = [t(k, lang) for k in ("plan.method", "plan.filled", "plan.weighted", "plan.max")]
    rows = [
        [
            t(f"plan.{name}", lang),
            f"{p['filled']}/{p['needed']}",
            _minutes(p["total_weighted_s"]),
            _minutes(p["max_eta_s"]),
        ]
        for name, p in (("optimal", payload["optimal"]), ("greedy", payload["greedy"]))
    ]
    gain = t("plan.gain", lang).format(pct=payload["gain_vs_greedy_pct"])
    extra = payload["extra_filled_vs_greedy"]
    if extra > 0:
        gain += t("plan.extra", lang).format(n=extra)
    unmet = payload["unmet"]
    if unmet:
        names = "、".join(u["incident"] for u in unmet[:UNMET_NAMED])
        more = "…" if len(unmet) > UNMET_NAMED else ""
        missing = sum(u["missing"] for u in unmet)
        short = t("plan.unmet", lang).format(k=len(unmet), n=missing, names=names + more)
    else:
        short = t("plan.all_met", lang)
    return {"head": head, "rows": rows, "gain": gain, "unmet": short, "unmet_count": len(unmet)}


def confirm(store, rows: object, operator: object, lang: str) -> str:
    """Dispatch the ticked rows of a plan, all or nothing; the message to show."""
    actor = operator_name(operator)
    if not isinstance(rows, list) or not rows:
        raise InvalidInput(t("plan.none_ticked", "en"), zh=t("plan.none_ticked", "zh"))
    items = [
        {key: row.get(key) for key in ("incident", "cadre_id", "eta_s", "position_at")}
        for row in rows
        if isinstance(row, Mapping)
    ]
    assignments = assignments_from(items, store)
    store.dispatch(assignments, actor=actor)
    incidents = len({a.incident_id for a in assignments})
    return t("plan.sent", lang).format(n=len(assignments), k=incidents)


def town_options(store, lang: str) -> list[dict]:
    """The towns for the plan's filter, by code."""
    towns = store.towns()
    names = towns["name"] if lang == "zh" else towns["name_en"]
    return [{"label": str(n), "value": str(c)} for c, n in zip(towns["code"], names, strict=True)]


def map_size(screen: Mapping | None) -> tuple[float, float, float]:
    """The console map's width and height in CSS px, and the marks' size scale."""
    screen = screen or DEFAULT_SCREEN
    width = float(screen.get("width") or DEFAULT_SCREEN["width"])
    height = float(screen.get("height") or DEFAULT_SCREEN["height"])
    map_w = float(screen.get("mapWidth") or width * 0.45)
    map_h = float(screen.get("mapHeight") or height * 0.5)
    return map_w, map_h, scale_for_width(width)


def console_map(
    store,
    *,
    lang: str,
    screen: Mapping | None,
    chosen: Mapping | None = None,
    planned: Sequence[Mapping] | None = None,
    plan_token: object = "",
) -> dict:
    """What the console's map shows: the plan's lines if ``planned`` is given,
    else the chosen incident with its candidates, else the county with its open work.

    Returns ``layers`` (a FeatureCollection for each of the console's point and
    line layers, ``layers.dispatch_lines.LAYERS``, and ``labels`` for the town
    names), the ``bounds`` that fit what is shown, and its ``revision``: the
    view is fitted anew only when that changes (another incident, another
    plan), so rows can be unticked in peace.
    """
    scale = map_size(screen)[2]
    style = MapStyle(scale=scale, lang=lang)
    layers = {
        "backdrop": backdrop_layer(store.incidents(sorted(OPEN_STATUSES)), style=style),
        **empty_layers(),
    }
    points: list = []
    if planned is not None:
        layers.update(plan_layers(planned, style=style))
        points = [r["from"] for r in planned] + [r["to"] for r in planned]
        revision = f"plan-{plan_token}"
    elif chosen is not None and chosen["incident"]["located"]:
        incident = chosen["incident"]
        layers.update(
            recommendation_layers(incident, chosen["cadres"], sent=chosen["sent"], style=style)
        )
        points = [[incident["lon"], incident["lat"]], *(c["from"] for c in chosen["cadres"])]
        points += [c["from"] for c in chosen["sent"]]
        revision = f"incident-{incident['id']}-{len(chosen['sent'])}"
    else:
        revision = "overview"
    towns = store.towns()
    layers["labels"] = label_layer(pd.DataFrame(towns.drop(columns="geometry")), style=style)
    fallback = tuple(towns.total_bounds) if len(towns) else COUNTY
    return {"layers": layers, "bounds": fit_bounds(points, fallback), "revision": revision}
