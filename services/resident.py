"""The residents' reporting page's use cases (issue 21): report, follow, rate, me too.

``api.resident`` parses each request and calls one function here. A report
goes through the same intake as Open311 (``services.intake.store_report``,
channel 'app'), with its photos and its reporter's follow in the report's
own transaction: a refused report leaves nothing behind. What a resident
reads of a case is public: no name or phone of anyone, no cadre.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
from collections.abc import Mapping

import pandas as pd

from domain.coords import check_lonlat, normalize_crs, to_wgs84
from domain.distance import haversine_m
from domain.errors import InvalidInput, NotFound
from domain.services import SERVICES
from services import intake
from services.field import inside_city

DESCRIPTION_MAX = 500
COMMENT_MAX = 300
MAX_PHOTOS = 3
NEARBY_M = 500
MOBILE = re.compile(r"^1[3-9]\d{9}$")
JSON = "application/json"

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


def refuse(en: str, zh: str) -> InvalidInput:
    return InvalidInput(en, zh=zh)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A follow link's token and its hash (only the hash is stored)."""
    token = secrets.token_urlsafe(24)
    return token, token_hash(token)


def follow_answer(public_id: str, token: str) -> dict:
    return {"case": public_id, "follow_url": f"/report/c/{token}", "token": token}


def services_list() -> list[dict]:
    """The categories a resident may report, with their groups, zh and en."""
    listed = []
    for s in SERVICES:
        group_zh, _, group_en = s.group.partition(" ")
        listed.append(
            {
                "code": s.code,
                "zh": s.category.zh,
                "en": s.category.en,
                "group_zh": group_zh,
                "group_en": group_en or group_zh,
            }
        )
    return listed


# ----------------------------------------------------------------- checks


def _claim(store, key: str, device: str, request: dict):
    """Claim the page's Idempotency-Key (per device) for ``request``."""
    if not isinstance(key, str) or not 1 <= len(key) <= 200:
        raise refuse(
            "the Idempotency-Key header is required (1 to 200 characters)",
            "请求缺少 Idempotency-Key，请刷新页面后重试",
        )
    client = store.resident_client()
    scoped = "resident:" + hashlib.sha256(f"{device}\n{key}".encode()).hexdigest()
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
    return client, store.claim_idempotency_key(client.id, scoped, digest)


def _replayed(claim) -> tuple[int, dict, bool] | None:
    if isinstance(claim, intake.Replay):
        return claim.status, json.loads(claim.body), True
    return None


def checked_report(form: Mapping) -> dict:
    """The report's fields checked, with messages in zh and en; Open311 names."""
    if str(form.get("website") or "").strip():
        raise refuse(
            "the form could not be accepted: leave the hidden field empty",
            "表单无法提交，请刷新页面后重试",
        )
    codes = {s.code for s in SERVICES}
    category = str(form.get("category") or "").strip()
    if category not in codes:
        raise refuse("choose what the report is about (category)", "请选择反映的问题类别")
    description = " ".join(str(form.get("description") or "").split())
    if not description:
        raise refuse("describe the problem (description)", "请描述您遇到的问题")
    if len(description) > DESCRIPTION_MAX:
        raise refuse(
            f"the description may be at most {DESCRIPTION_MAX} characters",
            f"问题描述最多 {DESCRIPTION_MAX} 字",
        )
    try:
        lon, lat = check_lonlat(form.get("lon"), form.get("lat"))
        crs = normalize_crs(str(form.get("crs") or "wgs84"))
    except InvalidInput:
        raise refuse(
            "say where it is: use the phone's position or tap on the map",
            "请提供位置：使用手机定位或在地图上点选",
        ) from None
    anonymous = str(form.get("anonymous") or "0").strip()
    if anonymous not in ("0", "1"):
        raise refuse("anonymous must be 0 or 1", "匿名选项无效")
    phone = re.sub(r"[\s-]", "", str(form.get("phone") or ""))
    if anonymous == "1":
        phone = ""
    if phone and not MOBILE.match(phone):
        raise refuse(
            "the phone number must be a mobile number of 11 digits starting with 1",
            "手机号须为 1 开头的 11 位数字",
        )
    return {
        "service_code": category,
        "description": description,
        "long": lon,
        "lat": lat,
        "crs": crs,
        "phone": phone,
    }


def checked_photos(files: list[bytes], max_bytes: int) -> list:
    from services.photos import check_photo

    if len(files) > MAX_PHOTOS:
        raise refuse(f"at most {MAX_PHOTOS} photos", f"最多上传 {MAX_PHOTOS} 张照片")
    checked = []
    for data in files:
        try:
            checked.append(check_photo(data, max_bytes=max_bytes))
        except InvalidInput as error:
            raise refuse(
                f"photo {len(checked) + 1}: {error}",
                f"第 {len(checked) + 1} 张照片：{error.message('zh')}",
            ) from None
    return checked


# ------------------------------------------------------------------ report


def submit(
    store, media, form: Mapping, files: list[bytes], key: str, device: str, *, max_bytes: int
) -> tuple[int, dict, bool]:
    """Store a resident's report once per key: (status, answer, replayed)."""
    fields = checked_report(form)
    photos = checked_photos(files, max_bytes)
    lon, lat = to_wgs84(fields["long"], fields["lat"], fields["crs"])
    inside_city(store, lon, lat, "the place")
    request = {**fields, "photos": [p.sha256 for p in photos]}
    client, claim = _claim(store, key, device, request)
    replay = _replayed(claim)
    if replay is not None:
        return replay
    try:
        for photo in photos:  # content-addressed: a retry puts the same bytes again
            media.put(photo.sha256, photo.data, photo.content_type)
            media.put(photo.thumb_sha256, photo.thumb, photo.content_type)
        token, hashed = new_token()

        def answer(public_id: str, notice: str) -> tuple[int, str, str]:
            return 201, json.dumps(follow_answer(public_id, token)), JSON

        open311 = {
            "service_code": fields["service_code"],
            "description": fields["description"],
            "long": str(fields["long"]),
            "lat": str(fields["lat"]),
            "coordinate_system": fields["crs"],
            "channel": "app",
        }
        if fields["phone"]:
            open311["phone"] = fields["phone"]
        writes = store.resident_report_writes(hashed, device, photos, actor="resident")
        _, public_id = intake.store_report(store, open311, client, claim, answer, then=writes)
    except BaseException:
        store.release_idempotency_key(claim)
        raise
    return 201, follow_answer(public_id, token), False


# ------------------------------------------------------------ public view


def _followed(store, token: str) -> dict:
    case = store.followed_case(token_hash(token)) if token else None
    if case is None:
        raise NotFound(
            "this follow link is not known: check it, or find the case by its number",
            zh="该跟进链接无效，请核对链接或用事件编号查询",
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
            "请填写事件编号和报事手机号的后 4 位",
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
        _, claim = _claim(store, key, device, request)
        replay = _replayed(claim)
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
        if away <= NEARBY_M:
            found.append(
                {
                    "id": row["public_id"],
                    "category": row["category"],
                    "place": _place(row),
                    "reported_at": _iso(row["reported_at"]),
                    "metres": round(float(away)),
                    "me_too_count": counts.get(int(row["id"]), 0),
                }
            )
    return sorted(found, key=lambda r: r["metres"])


def me_too(store, public_id: str, key: str, device: str) -> tuple[int, dict, bool]:
    """The resident says "me too" to an open case and follows it."""
    if not device:
        raise refuse("the X-GC-Device header is required", "请求缺少设备标识，请刷新页面后重试")
    _, claim = _claim(store, key, device, {"me_too": public_id})
    replay = _replayed(claim)
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
