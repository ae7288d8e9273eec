"""A resident's case after the report (issue 21): follow, rate, near me, me too.

What a resident reads of a case is public: its category, place, public
steps, the department's reply and proof photo; no name or phone of anyone,
no cadre, no note. ``api.resident`` calls one function here per request.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping

import pandas as pd

from domain.coords import check_lonlat
from domain.distance import haversine_m
from domain.errors import InvalidInput, NotFound
from domain.services import PERSONAL_SERVICES
from services.resident import (
    JSON,
    claim_key,
    follow_answer,
    new_token,
    refuse,
    replayed,
    token_hash,
)

COMMENT_MAX = 300
NEARBY_M = 500
DISTANCE_STEP_M = 50

# Timeline steps from the audit log's actions, in the resident's words.
STEPS = {
    "add_report": ("received", "已受理您的反映", "Your report was received"),
    "register": ("registered", "已立案", "Registered as a case"),
    "dispatch": ("dispatched", "已派遣处置人员", "Sent to the people who fix it"),
    "resolve": ("resolved", "已办结", "Resolved"),
    "close": ("closed", "已结案", "Closed"),
    "merge": ("merged", "已合并至先前反映的同一问题", "Merged into an earlier report of the same"),
    "reopen": ("reopened", "已重新办理", "Reopened"),
    "rate": ("rated", "已收到您的评价", "Your rating was received"),
}


def _followed(store, token: str) -> dict:
    case = store.followed_case(token_hash(token)) if token else None
    if case is None:
        raise NotFound(
            "this follow link is not known: check it, or find the case by its number",
            zh="该跟进链接无效，请核对链接或用案件编号查询",
        )
    return case


def _place(case: dict) -> str:
    parts = [case.get("town_name"), case.get("grid_name")]
    return " ".join(str(p) for p in parts if p)


def _iso(value) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def timeline(store, incident_id: int) -> list[dict]:
    """The case's public steps, oldest first: no actor, no note of anyone."""
    steps = []
    for row in store.incident_history(incident_id).to_dict("records"):
        step = STEPS.get(row["action"])
        if step is None:
            continue
        name, zh, en = step
        steps.append({"at": _iso(row["at"]), "step": name, "text_zh": zh, "text_en": en})
        after = json.loads(row["after"]) if row.get("after") else {}
        if name == "rated" and after.get("status") == "registered":
            steps.append({"at": _iso(row["at"]), "step": "reopened", **_texts("reopen")})
    return steps


def _texts(action: str) -> dict:
    _, zh, en = STEPS[action]
    return {"text_zh": zh, "text_en": en}


def public_case(store, token: str) -> dict:
    """What the follow link shows (``GET /api/v1/public/cases/<token>``)."""
    from data.store_resident import can_rate

    case = _followed(store, token)
    shown = case
    merged = case.get("merged_into")
    if case["status"] == "duplicate" and merged is not None and not pd.isna(merged):
        shown = store.public_case(int(merged)) or case
    resolution = json.loads(shown["resolution"]) if shown.get("resolution") else {}
    reply = (
        resolution.get("note") if shown["status"] in ("resolved", "verified", "closed") else None
    )
    proof = []
    url = resolution.get("photo_url") or ""
    found = re.search(r"/media/photos/(\d+)$", url)
    if reply is not None and found:
        proof.append(f"/api/v1/public/cases/{token}/photos/{found.group(1)}")
    rating = shown.get("satisfaction")
    return {
        "case": case["public_id"],
        "category": case["category"],
        "place": _place(case),
        "status": shown["status"],
        "timeline": timeline(store, int(case["id"]))
        + (timeline(store, int(shown["id"]))[1:] if shown is not case else []),
        "reply": reply,
        "proof_photos": proof,
        "can_rate": can_rate(shown),
        "rating": None if rating is None or pd.isna(rating) else int(rating),
    }


def proof_photo(store, token: str, photo_id: int) -> dict:
    """The proof photo's row if it is the followed case's resolution proof."""
    answer = public_case(store, token)
    if f"/photos/{photo_id}" not in " ".join(answer["proof_photos"]):
        raise NotFound("no such photo", zh="没有这张照片")
    row = store.photo(photo_id)
    if row is None:
        raise NotFound("no such photo", zh="没有这张照片")
    return row


def lookup(store, body: Mapping, device: str) -> dict:
    """A new follow link for the case's reporter, by case number and phone tail."""
    case = str(body.get("case") or "").strip()
    tail = str(body.get("phone_tail") or "").strip()
    if not case or not re.fullmatch(r"\d{4}", tail):
        raise refuse(
            "give the case number and the last 4 digits of the phone you reported with",
            "请填写案件编号和报事手机号的后 4 位",
        )
    token, hashed = new_token()
    store.lookup_case(case, tail, hashed, device)
    return follow_answer(case, token)


def rate(store, token: str, body: Mapping, key: str, device: str) -> tuple[int, dict, bool]:
    """The resident's rating 1–5 with a comment; 1–2 reopens the case."""
    case = _followed(store, token)
    rating = body.get("rating")
    if isinstance(rating, str) and rating.strip().isdigit():
        rating = int(rating)
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise refuse("rating must be a whole number from 1 to 5", "评价须为 1 到 5 分")
    comment = " ".join(str(body.get("comment") or "").split())
    if len(comment) > COMMENT_MAX:
        raise refuse(
            f"the comment may be at most {COMMENT_MAX} characters", f"评价内容最多 {COMMENT_MAX} 字"
        )
    claim = None
    if key:
        request = {"rate": token_hash(token), "rating": rating, "comment": comment}
        _, claim = claim_key(store, key, device, request)
        replay = replayed(claim)
        if replay is not None:
            return replay
    answer: dict = {"case": case["public_id"], "rating": rating}

    def respond(status: str) -> tuple[int, str, str]:  # the status is known in the write
        return 200, json.dumps({**answer, "status": status}), JSON

    try:
        status = store.resident_rate(int(case["id"]), rating, comment, claim=claim, respond=respond)
    except BaseException:
        if claim is not None:
            store.release_idempotency_key(claim)
        raise
    return 200, {**answer, "status": status}, False


# ---------------------------------------------------------------- nearby


def nearby(store, lon, lat) -> list[dict]:
    """Open cases within ``NEARBY_M`` of (lon, lat): public columns, nearest first."""
    try:
        lon, lat = check_lonlat(lon, lat)
    except InvalidInput:
        raise refuse("give lon and lat of where you are", "请提供您所在位置的经纬度") from None
    dlat = NEARBY_M / 111_320
    dlon = dlat / max(0.01, math.cos(math.radians(lat)))
    frame = store.open_cases_in(lon - dlon, lat - dlat, lon + dlon, lat + dlat)
    if not len(frame):
        return []
    metres = haversine_m(lon, lat, frame["lon"].to_numpy(), frame["lat"].to_numpy())
    counts = store.me_too_counts(frame["id"])
    found = []
    for row, away in zip(frame.to_dict("records"), metres, strict=True):
        if away <= NEARBY_M and row["category"] not in PERSONAL_SERVICES:
            found.append(
                {
                    "id": row["public_id"],
                    "category": row["category"],
                    "place": _place(row),
                    "reported_at": _iso(row["reported_at"]),
                    "metres": rounded_up(float(away)),
                    "me_too_count": counts.get(int(row["id"]), 0),
                }
            )
    return sorted(found, key=lambda r: r["metres"])


def rounded_up(metres: float) -> int:
    """A distance shown in steps of ``DISTANCE_STEP_M``: enough to know it is the
    same lane, too coarse to find a reporter's door from a few places."""
    return max(DISTANCE_STEP_M, math.ceil(metres / DISTANCE_STEP_M) * DISTANCE_STEP_M)


def me_too(store, public_id: str, key: str, device: str) -> tuple[int, dict, bool]:
    """The resident says "me too" to an open case and follows it."""
    if not device:
        raise refuse("the X-GC-Device header is required", "请求缺少设备标识，请刷新页面后重试")
    _, claim = claim_key(store, key, device, {"me_too": public_id})
    replay = replayed(claim)
    if replay is not None:
        return replay
    token, hashed = new_token()
    answer = follow_answer(public_id, token)
    try:
        store.add_me_too(
            public_id, hashed, device, claim=claim, respond=lambda: (201, json.dumps(answer), JSON)
        )
    except BaseException:
        store.release_idempotency_key(claim)
        raise
    return 201, answer, False
