"""The residents' reporting page's report (issue 21); the case after it is in ``resident_case``.

``api.resident`` parses each request and calls one function here. A report
goes through the same intake as Open311 (``services.intake.store_report``,
channel 'app'), with its photos and its reporter's follow in the report's
own transaction: a refused report leaves nothing behind. Every refusal
speaks the resident's language: Chinese, or English.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping

from domain.coords import check_lonlat, normalize_crs, to_wgs84
from domain.errors import Conflict, InvalidInput, Unprocessable
from domain.services import BY_SERVICE_CODE, SERVICES, Service, check_attributes
from services import intake
from services.field import inside_city

DESCRIPTION_MAX = 500
MAX_PHOTOS = 3
MOBILE = re.compile(r"^1[3-9]\d{9}$")
JSON = "application/json"
ATTRIBUTE_FIELD = re.compile(r"^attribute\[([A-Za-z0-9_.-]{1,64})\]$")


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
    """The categories a resident may report, with their groups and questions, zh and en."""
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
                "questions": _questions(s),
            }
        )
    return listed


def _questions(service: Service) -> list[dict]:
    """The service's own questions (Open311 attributes) as the page asks them."""
    return [
        {
            "code": a.code,
            "zh": a.zh,
            "en": a.en,
            "datatype": a.datatype,
            "required": a.required,
            "choices": [{"key": k, "zh": zh, "en": en} for k, zh, en in a.choices()],
        }
        for a in sorted(service.attributes, key=lambda a: a.order)
        if a.variable
    ]


# ----------------------------------------------------------------- checks


def claim_key(store, key: str, device: str, request: dict):
    """Claim the page's Idempotency-Key (per device) for ``request``."""
    if not isinstance(key, str) or not 1 <= len(key) <= 200:
        raise refuse(
            "the Idempotency-Key header is required (1 to 200 characters)",
            "请求缺少 Idempotency-Key，请刷新页面后重试",
        )
    client = store.resident_client()
    scoped = "resident:" + hashlib.sha256(f"{device}\n{key}".encode()).hexdigest()
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
    try:
        return client, store.claim_idempotency_key(client.id, scoped, digest)
    except Unprocessable:  # in the resident's words, without the stored (scoped) key
        raise Unprocessable(
            "this Idempotency-Key was already used with a different form: make a new one",
            zh="该表单已用不同内容提交过，请刷新页面后重新填写",
        ) from None
    except Conflict:
        raise Conflict(
            "this form is still being stored: send it again shortly with the same key",
            zh="该表单正在提交，请稍候",
        ) from None


def replayed(claim) -> tuple[int, dict, bool] | None:
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
    category = str(form.get("category") or "").strip()
    if category not in BY_SERVICE_CODE:
        raise refuse("choose what the report is about (category)", "请选择反映的问题类别")
    answers = {
        found.group(1): str(value)
        for name, value in form.items()
        if (found := ATTRIBUTE_FIELD.match(str(name))) and str(value).strip()
    }
    check_attributes(category, answers)  # in zh and en, before anything is claimed
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
        "attributes": answers,
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
    client, claim = claim_key(store, key, device, request)
    replay = replayed(claim)
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
        open311.update({f"attribute[{code}]": v for code, v in fields["attributes"].items()})
        writes = store.resident_report_writes(hashed, device, photos, actor="resident")
        _, public_id = intake.store_report(store, open311, client, claim, answer, then=writes)
    except BaseException as error:
        store.release_idempotency_key(claim)
        if isinstance(error, InvalidInput) and not error.zh:
            raise in_chinese_too(error) from error
        raise
    return 201, follow_answer(public_id, token), False


def in_chinese_too(error: InvalidInput) -> InvalidInput:
    """A refusal from deeper down that has no Chinese: say in Chinese what to do."""
    return type(error)(str(error), zh="报事未能受理，请核对填写的内容后重试")
