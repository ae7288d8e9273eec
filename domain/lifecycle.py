"""Incident lifecycle after the digital city-management workflow of GB/T 30428.

reported 受理 → registered 立案 → dispatched 派遣 → in_progress 处置 →
resolved 办结 → verified 核查 → closed 结案; on the side: rejected 不予受理,
duplicate 重复 (merged into another incident, whose reporters then follow it),
escalated 上报, parked 挂账 (the SLA clock stops), and reopened: a rating of 1
or 2 of 5, or a complaint, sends a finished incident back to registered.

Moves are actions (``register``, ``resolve`` …); ``plan`` checks one against
the incident as it is and returns the changes to store. Only legal moves pass,
and a refused one says which moves are legal.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from domain.distance import haversine_m
from domain.errors import InvalidInput
from domain.sla import resolve_deadline_with_pauses

STATUSES: dict[str, tuple[str, str]] = {
    "reported": ("受理", "Reported"),
    "registered": ("立案", "Registered"),
    "dispatched": ("派遣", "Dispatched"),
    "in_progress": ("处置", "In progress"),
    "parked": ("挂账", "Parked"),
    "resolved": ("办结", "Resolved"),
    "verified": ("核查", "Verified"),
    "closed": ("结案", "Closed"),
    "rejected": ("不予受理", "Rejected"),
    "duplicate": ("重复", "Duplicate"),
    "escalated": ("上报", "Escalated"),
}

# Work still to be done: these show on the live map and count as load.
OPEN_STATUSES: frozenset[str] = frozenset(
    {"reported", "registered", "dispatched", "in_progress", "escalated", "parked"}
)
DONE_STATUSES: frozenset[str] = frozenset(set(STATUSES) - OPEN_STATUSES)

PROOF_RADIUS_M = 200  # a check-in proves presence within this distance of the place
MAX_NOTE = 2000


@dataclass(frozen=True)
class Action:
    """A move: from which statuses, to which status, and the time column it stamps."""

    name: str
    zh: str
    sources: frozenset[str]
    target: str
    stamp: str | None = None
    needs_note: bool = False


def _action(name, zh, sources, target, stamp=None, needs_note=False) -> Action:
    return Action(name, zh, frozenset(sources), target, stamp, needs_note)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _action("register", "立案", {"reported"}, "registered", "registered_at"),
        _action("reject", "不予受理", {"reported", "registered"}, "rejected", "closed_at", True),
        _action("merge", "合并重复", {"reported", "registered"}, "duplicate", "closed_at"),
        _action("dispatch", "派遣", {"registered", "escalated"}, "dispatched", "dispatched_at"),
        _action("start", "开始处置", {"dispatched"}, "in_progress"),
        _action(
            "escalate",
            "上报",
            {"registered", "dispatched", "in_progress"},
            "escalated",
            needs_note=True,
        ),
        _action(
            "park", "挂账", {"registered", "dispatched", "in_progress"}, "parked", needs_note=True
        ),
        _action("unpark", "解除挂账", {"parked"}, "registered"),
        _action("resolve", "办结", {"in_progress"}, "resolved", "resolved_at", True),
        _action("verify", "核查通过", {"resolved"}, "verified"),
        _action("send_back", "核查退回", {"resolved"}, "in_progress", needs_note=True),
        _action("close", "结案", {"verified"}, "closed", "closed_at"),
        _action("rate", "评价", {"closed"}, "closed"),
        _action(
            "reopen", "重新办理", {"resolved", "verified", "closed"}, "registered", needs_note=True
        ),
    )
}

# The statuses each status can move to, derived from the actions.
TRANSITIONS: dict[str, frozenset[str]] = {
    status: frozenset(a.target for a in ACTIONS.values() if status in a.sources)
    for status in STATUSES
}


@dataclass(frozen=True)
class Plan:
    """What a legal move changes: the columns to set, and what to write in the audit."""

    action: str
    source: str
    target: str
    changes: dict
    details: dict


def status_name(status: str, lang: str = "zh") -> str:
    """Display name of a status; the code itself if unknown."""
    names = STATUSES.get(status)
    if names is None:
        return status
    return names[0] if lang == "zh" else names[1]


def legal_actions(status: str) -> list[str]:
    """The actions an incident in ``status`` allows, in workflow order."""
    return [name for name, a in ACTIONS.items() if status in a.sources]


def check_transition(current: str, target: str) -> None:
    """Raise ``InvalidInput`` unless some action moves ``current`` to ``target``."""
    if current not in STATUSES:
        raise InvalidInput(f"unknown status {current!r}")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise InvalidInput(
            f"an incident that is {current!r} cannot become {target!r} (allowed: {allowed})"
        )


def plan(
    incident: dict, action: str, *, actor: str, now: dt.datetime, policy=None, **details
) -> Plan:
    """Check ``action`` on ``incident`` (a row as a dict) and say what it changes.

    Parameters
    ----------
    details
        ``note`` (text), and per action: ``resolve`` needs proof — ``photo_url``,
        a ``checkin`` (lon, lat in WGS84, within 200 m of the incident) or a
        ``callback`` result of calling the reporter; ``merge`` needs ``into``
        (the id of the open incident it duplicates); ``rate`` needs
        ``rating`` 1–5 (1 or 2 reopens the incident).
    policy : domain.sla.SlaPolicy, optional
        The SLA limits in force (default ``SlaPolicy.default()``): parking and
        unparking recompute the resolution deadline under it. Parked, the
        deadline is undetermined (None, "paused"); unparked, it is the original
        one moved later by the working time spent parked.

    Raises
    ------
    InvalidInput
        The move is not legal now, lacks what it needs, or breaks the rule
        that the resolver does not verify their own work.
    """
    status = incident["status"]
    move = ACTIONS.get(action)
    if move is None:
        raise InvalidInput(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    if status not in move.sources:
        allowed = ", ".join(legal_actions(status)) or "none"
        allowed_zh = "、".join(ACTIONS[a].zh for a in legal_actions(status)) or "无"
        raise InvalidInput(
            f"cannot {action} an incident that is {status} ({status_name(status)}); "
            f"legal now: {allowed}",
            zh=f"“{status_name(status)}”的事件不能“{move.zh}”；现在可以：{allowed_zh}",
        )
    note = _note(details.get("note"), move)
    changes: dict = {"status": move.target, "updated_at": now}
    if move.stamp:
        changes[move.stamp] = now
    audit: dict = {"note": note} if note else {}
    if action == "resolve":
        proof = _proof(incident, details)
        changes.update(
            resolved_by=actor, resolution=json.dumps({"note": note, **proof}, ensure_ascii=False)
        )
        audit.update(proof)
    elif action == "verify" and incident.get("resolved_by") == actor:
        raise InvalidInput(
            "the person who resolved an incident cannot also verify it",
            zh="办结人不能核查自己办结的事件，请由他人核查",
        )
    elif action == "merge":
        into = details.get("into")
        if not isinstance(into, int) or into == incident.get("id"):
            raise InvalidInput(
                "merge needs 'into': the id of the other, open incident",
                zh="合并需要指定另一件未办结事件的编号",
            )
        changes["merged_into"] = into
        audit["into"] = into
    elif action == "rate":
        rating = details.get("rating")
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            raise InvalidInput(
                "rating must be a whole number from 1 to 5", zh="评价须为 1 到 5 的整数"
            )
        changes.update(satisfaction=rating, rated_at=now)
        audit["rating"] = rating
        if rating <= 2:  # an unhappy reporter sends it back
            changes.update(status="registered", closed_at=None, resolved_at=None)
    elif action == "reopen":
        changes.update(closed_at=None, resolved_at=None)
    if action in ("park", "unpark"):
        pauses = _pauses(incident.get("pauses"), action, now)
        changes["pauses"] = json.dumps(pauses)
        changes["due_resolve_at"] = _resolve_deadline(incident, pauses, policy)
    return Plan(action, status, changes["status"], changes, audit)


def _note(value, move: Action) -> str | None:
    note = (value or "").strip() if isinstance(value, str | type(None)) else None
    if value is not None and note is None:
        raise InvalidInput("note must be text", zh="说明须为文字")
    if move.needs_note and not note:
        raise InvalidInput(
            f"{move.name} ({move.zh}) needs a note that says why", zh=f"“{move.zh}”须填写说明"
        )
    if note and len(note) > MAX_NOTE:
        raise InvalidInput(
            f"note must be at most {MAX_NOTE} characters", zh=f"说明最多 {MAX_NOTE} 字"
        )
    return note or None


def _proof(incident: dict, details: dict) -> dict:
    """At least one proof of the fix, as GB/T-style platforms require."""
    proof: dict = {}
    photo = details.get("photo_url")
    if photo:
        if not str(photo).startswith(("http://", "https://")) or len(str(photo)) > 500:
            raise InvalidInput(
                "photo_url must be an http(s) address of at most 500 characters",
                zh="照片地址须为 http(s) 地址，最长 500 字符",
            )
        proof["photo_url"] = str(photo)
    checkin = details.get("checkin")
    if checkin:
        lon, lat = (float(v) for v in checkin)
        away = float(haversine_m(lon, lat, float(incident["lon"]), float(incident["lat"])))
        if not away <= PROOF_RADIUS_M:
            raise InvalidInput(
                f"the check-in is {away:.0f} m from the incident; it must be within "
                f"{PROOF_RADIUS_M} m",
                zh=f"签到位置距事发地 {away:.0f} 米，须在 {PROOF_RADIUS_M} 米以内",
            )
        proof["checkin"] = [lon, lat]
    callback = (details.get("callback") or "").strip()
    if callback:
        proof["callback"] = callback[:500]
    if not proof:
        raise InvalidInput(
            "resolve needs proof: a photo_url, a checkin near the place, or a callback result",
            zh="办结须有佐证：现场照片、现场签到或回访结果，至少一项",
        )
    return proof


def _pauses(raw: str | None, action: str, now: dt.datetime) -> list:
    pauses = json.loads(raw) if raw else []
    if action == "park":
        pauses.append([now.isoformat(), None])
    elif pauses and pauses[-1][1] is None:
        pauses[-1][1] = now.isoformat()
    return pauses


def _resolve_deadline(incident: dict, pauses: list, policy) -> dt.datetime | None:
    """The resolution deadline after ``pauses`` (None while a pause is open)."""
    reported_at = incident["reported_at"]
    if reported_at.tzinfo is None:
        reported_at = reported_at.replace(tzinfo=dt.UTC)
    spans = [
        (dt.datetime.fromisoformat(start), None if end is None else dt.datetime.fromisoformat(end))
        for start, end in pauses
    ]
    return resolve_deadline_with_pauses(
        reported_at,
        spans,
        category=incident["category"],
        priority=int(incident["priority"]),
        policy=policy,
    )
