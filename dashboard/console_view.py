"""Glue between the store and the dispatch console: queue rows, incident detail, moves."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from domain.categories import PRIORITIES, category_name
from domain.errors import InvalidInput
from domain.lifecycle import ACTIONS, OPEN_STATUSES, legal_actions, status_name
from domain.sla import sla_flags
from layers.timefmt import local_text

SLA_LABELS = {
    "breached": ("已超期", "Overdue"),
    "near": ("临期", "Due soon"),
    "running": ("正常", "On time"),
    "met": ("按时", "Met"),
    "paused": ("挂账", "Paused"),
}
RECENT = dt.timedelta(days=7)


def queue_rows(store, scope: str, lang: str, now: dt.datetime) -> list[dict]:
    """Rows of the incident queue: open work, or everything of the last 7 days."""
    if scope == "open":
        frame = store.incidents(sorted(OPEN_STATUSES))
    else:
        frame = store.incidents(reported=(now - RECENT, None))
    if not len(frame):
        return []
    flags = sla_flags(frame, now)
    i = 0 if lang == "zh" else 1
    out = pd.DataFrame({
        "id": frame["id"].astype(int),
        "public_id": frame["public_id"],
        "category": frame["category"].map(lambda c: category_name(c, lang)),
        "priority": frame["priority"].astype(int),
        "priority_name": frame["priority"].map(lambda p: PRIORITIES.get(int(p), ("", ""))[i]),
        "status": frame["status"].map(lambda s: status_name(s, lang)),
        "grid": frame["grid_name"].fillna("—"),
        "reported": local_text(frame["reported_at"], "%m-%d %H:%M"),
        "due": local_text(frame["due_resolve_at"], "%m-%d %H:%M"),
        "sla": flags["resolve_state"].map(lambda s: SLA_LABELS.get(s, (s, s))[i]),
        "sla_state": flags["resolve_state"],
        "description": frame["description"].str.slice(0, 60),
    })  # fmt: skip
    return out.to_dict("records")


def incident_detail(store, incident_id: int, lang: str) -> dict | None:
    """One incident with its timeline and the moves it allows now."""
    rows = store.incidents(ids=[incident_id])
    if not len(rows):
        return None
    row = rows.iloc[0].to_dict()
    # The row's own time stamps, then every audited move (imported history has
    # stamps but no audit entries).
    stamps = [(name, row.get(column)) for column, name in _STAMPS.items()]
    timeline = [
        {"at": _local(at), "actor": "", "action": name, "note": None}
        for name, at in stamps if at is not None and not pd.isna(at)
    ]  # fmt: skip
    for h in store.incident_history(incident_id).itertuples():
        after = json.loads(h.after) if h.after else {}
        timeline.append({
            "at": _local(h.at), "actor": h.actor,
            "action": ACTIONS[h.action].zh if h.action in ACTIONS else h.action,
            "note": after.get("note") if isinstance(after, dict) else None,
        })  # fmt: skip
    return {"row": row, "timeline": timeline, "actions": legal_actions(row["status"])}


_STAMPS = {
    "reported_at": "上报",
    "registered_at": "立案",
    "first_contact_at": "首次联系",
    "dispatched_at": "派遣",
    "resolved_at": "办结",
    "closed_at": "结案",
}


def _local(at) -> str:
    return local_text(pd.Series([at]), "%m-%d %H:%M").iloc[0]


def move_details(store, action: str, note: str | None, proof: str | None, extra: str | None):
    """Keyword arguments of ``Store.apply_action`` from the console's three inputs."""
    details: dict = {"note": note or None}
    proof = (proof or "").strip()
    extra = (extra or "").strip()
    if action == "resolve" and proof:
        details["photo_url" if proof.startswith(("http://", "https://")) else "callback"] = proof
    if action == "rate":
        if not extra.isdigit():
            raise InvalidInput("the rating must be a whole number 1–5", zh="评分须为 1–5 的整数")
        details["rating"] = int(extra)
    if action == "merge":
        original = store.incident_by_public_id(extra) if extra else None
        if original is None:
            raise InvalidInput(f"no incident numbered {extra!r}", zh=f"没有编号为 {extra!r} 的事件")
        details["into"] = int(original["id"])
    return details
