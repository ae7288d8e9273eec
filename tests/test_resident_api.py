"""The residents' page's API over a real HTTP server, on SQLite and PostgreSQL
(issue 21): a report stored once per Idempotency-Key with its photo, followed
by its private link, rated (2 reopens it), "me too" on a case nearby. Each bad
input is refused with a message in Chinese and in English, and writes nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid

import pytest
import requests
from PIL import Image
from sqlalchemy import func, select

from api.media import MEDIA_STORE
from app import create_app
from data import schema
from domain.services import SERVICES
from services.photos import save_photo
from settings import Settings
from tests.servers import thread_server
from tests.tiny_city import tiny_city

PHONE = "13912345678"
INSIDE = {"lon": "120.005", "lat": "36.005"}  # in grid A-1 of the tiny city, by T1
TABLES = ("incidents", "photos", "resident_follows", "audit_log", "change_feed")


@pytest.fixture
def served(database_url, tmp_path):
    settings = Settings.from_env(
        {
            "DATABASE_URL": database_url,
            "GC_MEDIA": str(tmp_path / "m"),
            "GC_PHOTO_MAX_BYTES": "200000",
            "GC_RESIDENT_RATE": "1000/minute",
            "GC_RESIDENT_DEVICE_RATE": "6/minute",
        }
    )
    app = create_app(settings)
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city(dt.datetime.now(dt.UTC)))
    with thread_server(app.server) as base:
        yield {"base": base, "store": store, "media": app.server.extensions[MEDIA_STORE]}
    store.close()


def jpeg(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def counts(store) -> dict:
    with store.engine.connect() as conn:
        return {
            name: conn.execute(
                select(func.count()).select_from(schema.metadata.tables[name])
            ).scalar()
            for name in TABLES
        }


def report(served, fields=None, photos=(), key=None, device=None, lang="zh"):
    form = {"category": "fire_lane", "description": "小区消防通道被车辆堵塞", **INSIDE}
    form.update({"phone": PHONE, "anonymous": "0", "website": ""})
    form.update(fields or {})
    files = [("photos", (f"p{n}.jpg", data, "image/jpeg")) for n, data in enumerate(photos)]
    headers = {
        "Idempotency-Key": key or str(uuid.uuid4()),
        "X-GC-Device": device or str(uuid.uuid4()),
        "Accept-Language": lang,
    }
    return requests.post(
        f"{served['base']}/api/v1/public/reports", data=form, files=files or None, headers=headers
    )


def case(served, token: str, lang="zh") -> dict:
    answer = requests.get(
        f"{served['base']}/api/v1/public/cases/{token}", headers={"Accept-Language": lang}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_report_is_stored_once_with_its_photo_and_followed_by_its_link(served):
    store = served["store"]
    before = counts(store)
    key, device = str(uuid.uuid4()), "phone-a"
    first = report(served, photos=[jpeg()], key=key, device=device)
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["follow_url"] == f"/report/c/{answer['token']}"
    again = report(served, photos=[jpeg()], key=key, device=device)  # the offline queue's replay
    assert again.status_code == 201 and again.json() == answer
    assert again.headers["Idempotent-Replayed"] == "true"
    after = counts(store)
    assert after["incidents"] == before["incidents"] + 1
    assert after["photos"] == before["photos"] + 1
    assert after["resident_follows"] == before["resident_follows"] + 1
    incident = store.incidents(public_ids=[answer["case"]]).iloc[0]
    assert incident["channel"] == "app" and incident["grid_code"] == "A-1"
    assert incident["reporter_phone"] == PHONE and incident["due_resolve_at"] is not None
    with store.engine.connect() as conn:
        hashes = conn.execute(select(schema.resident_follows.c.token_hash)).scalars().all()
    assert answer["token"] not in hashes and len(hashes[0]) == 64  # only its hash is kept

    seen = case(served, answer["token"])
    assert seen["case"] == answer["case"] and seen["status"] == "reported"
    assert [s["step"] for s in seen["timeline"]] == ["received"]
    assert seen["place"] and seen["can_rate"] is False


def test_each_bad_report_is_refused_in_both_languages_and_writes_nothing(served):
    store = served["store"]
    before = counts(store)
    cases = {
        "outside the city": ({"lon": "121.5", "lat": "31.2"}, [], "不在本市网格范围内"),
        "empty description": ({"description": "   "}, [], "请描述"),
        "unknown category": ({"category": "nonsense"}, [], "类别"),
        "no position": ({"lon": "", "lat": ""}, [], "位置"),
        "bad phone": ({"phone": "12345"}, [], "手机号"),
        "honeypot": ({"website": "http://spam.example"}, [], "表单无法提交"),
        "not an image": ({}, [b"%PDF-1.4 not a photo"], "照片"),
        "too many photos": ({}, [jpeg()] * 4, "最多上传"),
        "water depth not said": ({"category": "waterlogging"}, [], "请回答：积水深度"),
        "water depth not a choice": (
            {"category": "waterlogging", "attribute[depth]": "ocean"},
            [],
            "积水深度：请从没过脚踝、没过膝盖、齐腰以上中选一项",
        ),
        "a question of another service": ({"attribute[depth]": "knee"}, [], "没有“depth”"),
        "area not a number": ({"category": "farm_help", "attribute[area_mu]": "lots"}, [], "数字"),
    }
    for name, (fields, photos, zh) in cases.items():
        zh_answer = report(served, fields, photos, lang="zh-CN,zh;q=0.9")
        assert zh_answer.status_code == 400, (name, zh_answer.text)
        error = zh_answer.json()["error"]
        assert zh in error["message"], (name, error)
        assert re.search("[\u4e00-\u9fff]", error["message"]), (name, error)  # Chinese, not
        assert not re.search("[a-z]{2,} [a-z]{2,}", error["message"]), (name, error)  # English
        en_answer = report(served, fields, photos, lang="en-GB,en;q=0.8")
        en = en_answer.json()["error"]
        assert en_answer.status_code == 400 and en["message"] == en["message_en"], name
        assert en["message"].isascii() and en["message"] != error["message"], name
    big = report(served, photos=[b"\xff\xd8\xff" + b"0" * 250_000])
    assert big.status_code in (400, 413) and "照片" in big.json()["error"]["message"]
    no_key = requests.post(
        f"{served['base']}/api/v1/public/reports",
        data={"category": "fire_lane", "description": "x", **INSIDE},
    )
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json()["error"]["message"]
    assert counts(store) == before


def test_every_service_asks_its_questions_and_can_be_reported_with_their_answers(served):
    """The class of 积水内涝 (its water depth is required): for every service, the
    page is told its questions, and a report answering them is stored with them."""
    listed = {s["code"]: s for s in requests.get(f"{served['base']}/api/v1/public/services").json()}
    assert set(listed) == {s.code for s in SERVICES}
    depth = next(q for q in listed["waterlogging"]["questions"] if q["code"] == "depth")
    assert (
        depth["required"] and depth["zh"] == "积水深度" and depth["en"] == "How deep is the water?"
    )
    assert [c["key"] for c in depth["choices"]] == ["ankle", "knee", "waist"]
    assert depth["choices"][1] == {"key": "knee", "zh": "没过膝盖", "en": "Knee"}
    for service in SERVICES:
        questions = listed[service.code]["questions"]
        assert {q["code"] for q in questions} == {a.code for a in service.attributes}
        answers = {}
        for q in questions:
            answer = (
                q["choices"][-1]["key"]
                if q["choices"]
                else "3"
                if q["datatype"] == "number"
                else "粮食"
            )
            answers[f"attribute[{q['code']}]"] = answer
        sent = report(served, {"category": service.code, **answers}, device=service.code)
        assert sent.status_code == 201, (service.code, sent.text)
        stored = served["store"].incidents(public_ids=[sent.json()["case"]]).iloc[0]
        kept = json.loads(stored["attributes"]) if stored["attributes"] else {}
        assert {k: str(v) for k, v in kept.items()} == {
            k.removeprefix("attribute[").removesuffix("]"): str(float(v)) if v == "3" else v
            for k, v in answers.items()
        }, service.code


def test_a_key_reused_for_another_form_is_refused_in_words_without_the_stored_key(served):
    key, device = str(uuid.uuid4()), "phone-k"
    assert report(served, key=key, device=device).status_code == 201
    before = counts(served["store"])
    for lang, words in (
        ("zh", "该表单已用不同内容提交过"),
        ("en", "already used with a different form"),
    ):
        other = report(served, {"description": "另一件事"}, key=key, device=device, lang=lang)
        assert other.status_code == 422, other.text
        message = other.json()["error"]["message"]
        assert words in message and "resident:" not in other.text and key not in other.text
    assert counts(served["store"]) == before


def test_a_flood_from_one_phone_is_refused_with_a_clear_message(served):
    store = served["store"]
    answers = [report(served, device="flooding-phone") for _ in range(7)]  # 6/minute
    assert [a.status_code for a in answers[:6]] == [201] * 6
    refused = answers[6]
    assert refused.status_code == 429 and "频繁" in refused.json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) >= 1
    before = counts(store)
    english = report(served, device="flooding-phone", lang="en")
    assert english.status_code == 429 and "too many" in english.json()["error"]["message"]
    assert counts(store) == before
    assert report(served, device="another-phone").status_code == 201  # per phone


def resolve_with_proof(served, public_id: str) -> int:
    """The desk and a cadre take the case through to resolved, with a proof photo."""
    store = served["store"]
    incident_id = int(store.incidents(public_ids=[public_id]).iloc[0]["id"])
    for action in ("register", "dispatch", "start"):
        store.apply_action(incident_id, action, actor="user:desk")
    proof = save_photo(
        store, served["media"], incident_id, jpeg(), actor="cadre:张三", max_bytes=200_000
    )
    store.apply_action(
        incident_id,
        "resolve",
        actor="cadre:张三",
        note="已清理占道车辆",
        photo_url=f"{served['base']}/media/photos/{proof['id']}",
    )
    return incident_id


def test_a_resolved_case_shows_the_reply_and_proof_and_a_rating_of_2_reopens_it(served):
    store = served["store"]
    made = report(served, photos=[jpeg()]).json()
    incident_id = resolve_with_proof(served, made["case"])
    seen = case(served, made["token"])
    assert seen["status"] == "resolved" and seen["reply"] == "已清理占道车辆"
    assert seen["can_rate"] is True and len(seen["proof_photos"]) == 1
    steps = [s["step"] for s in seen["timeline"]]
    assert steps == ["received", "registered", "dispatched", "resolved"]
    text = str(seen)
    assert "张三" not in text and PHONE not in text and "desk" not in text  # nobody's name
    photo = requests.get(served["base"] + seen["proof_photos"][0])
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
    assert requests.get(served["base"] + seen["proof_photos"][0] + "0").status_code == 404

    url = f"{served['base']}/api/v1/public/cases/{made['token']}/rating"
    bad = requests.post(url, json={"rating": 9}, headers={"Accept-Language": "en"})
    assert bad.status_code == 400 and "1 to 5" in bad.json()["error"]["message"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    rated = requests.post(url, json={"rating": 2, "comment": "车又停回来了"}, headers=key)
    assert rated.status_code == 200 and rated.json()["status"] == "registered"
    replay = requests.post(url, json={"rating": 2, "comment": "车又停回来了"}, headers=key)
    assert replay.json() == rated.json() and replay.headers["Idempotent-Replayed"] == "true"
    incident = store.incidents(ids=[incident_id]).iloc[0]
    assert incident["status"] == "registered" and int(incident["satisfaction"]) == 2
    again = case(served, made["token"])
    assert [s["step"] for s in again["timeline"]][-1] == "reopened"
    assert again["can_rate"] is False and again["rating"] == 2 and again["reply"] is None
    once_more = requests.post(url, json={"rating": 5}, headers={"Idempotency-Key": "other"})
    assert once_more.status_code == 400 and "办结后" in once_more.json()["error"]["message"]


def test_lookup_by_case_number_and_phone_tail_gives_a_new_link(served):
    made = report(served).json()
    url = f"{served['base']}/api/v1/public/lookup"
    found = requests.post(url, json={"case": made["case"], "phone_tail": PHONE[-4:]})
    assert found.status_code == 200 and found.json()["token"] != made["token"]
    assert case(served, found.json()["token"])["case"] == made["case"]
    before = counts(served["store"])
    wrong = requests.post(url, json={"case": made["case"], "phone_tail": "0000"})
    assert wrong.status_code == 404 and "手机尾号" in wrong.json()["error"]["message"]
    nonsense = requests.post(url, json={"case": made["case"], "phone_tail": "12"})
    assert nonsense.status_code == 400
    assert counts(served["store"]) == before
    unknown = requests.get(f"{served['base']}/api/v1/public/cases/not-a-token")
    assert unknown.status_code == 404 and "链接" in unknown.json()["error"]["message"]


def test_nearby_shows_open_cases_without_personal_data_and_me_too_follows_one(served):
    store = served["store"]
    made = report(served).json()
    near = requests.get(f"{served['base']}/api/v1/public/nearby", params=INSIDE)
    assert near.status_code == 200
    rows = near.json()
    mine = next(r for r in rows if r["id"] == made["case"])
    assert set(mine) == {"id", "category", "place", "reported_at", "metres", "me_too_count"}
    assert all(r["metres"] <= 500 for r in rows) and PHONE not in near.text
    far = requests.get(
        f"{served['base']}/api/v1/public/nearby", params={"lon": "120.05", "lat": "36.05"}
    )
    assert made["case"] not in far.text

    before = counts(store)
    url = f"{served['base']}/api/v1/public/cases/{made['case']}/me-too"
    headers = {"Idempotency-Key": str(uuid.uuid4()), "X-GC-Device": "neighbour"}
    joined = requests.post(url, headers=headers)
    assert joined.status_code == 201, joined.text
    assert requests.post(url, headers=headers).json() == joined.json()  # replayed
    after = counts(store)
    assert after["resident_follows"] == before["resident_follows"] + 1
    assert after["change_feed"] > before["change_feed"]
    followed = case(served, joined.json()["token"])
    assert followed["case"] == made["case"]
    near = requests.get(f"{served['base']}/api/v1/public/nearby", params=INSIDE).json()
    assert next(r for r in near if r["id"] == made["case"])["me_too_count"] == 1
    twice = requests.post(url, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert twice.status_code == 409 and "已" in twice.json()["error"]["message"]
    assert counts(store)["resident_follows"] == after["resident_follows"]


def test_near_me_hides_cases_about_people_and_shows_distances_coarsely(served):
    """A neighbours' dispute or an old person's need is about people: not listed
    to neighbours, not joined by me too. Distances come in 50 m steps, so a few
    look-ups from different spots do not find the reporter's door."""
    store = served["store"]
    made = report(served, device="reporter").json()
    personal = report(served, {"category": "dispute"}).json()
    near = requests.get(f"{served['base']}/api/v1/public/nearby", params=INSIDE).json()
    assert made["case"] in {r["id"] for r in near}
    assert personal["case"] not in {r["id"] for r in near}
    assert all(r["metres"] % 50 == 0 and r["metres"] >= 50 for r in near)
    before = counts(store)
    base = f"{served['base']}/api/v1/public/cases"
    for case_id, device, status, words in (
        (personal["case"], "neighbour-p", 404, "没有编号"),
        (made["case"], "reporter", 409, "本人反映"),  # the reporter's own phone
    ):
        headers = {"Idempotency-Key": str(uuid.uuid4()), "X-GC-Device": device}
        answer = requests.post(f"{base}/{case_id}/me-too", headers=headers)
        assert answer.status_code == status and words in answer.json()["error"]["message"]
    assert counts(store) == before


def test_a_duplicate_shows_it_was_merged_and_then_the_case_it_joined(served):
    store = served["store"]
    first = report(served).json()
    second = report(served).json()
    original = int(store.incidents(public_ids=[first["case"]]).iloc[0]["id"])
    duplicate = int(store.incidents(public_ids=[second["case"]]).iloc[0]["id"])
    store.apply_action(original, "register", actor="user:desk")
    store.apply_action(duplicate, "merge", actor="user:desk", into=original)
    seen = case(served, second["token"])
    assert seen["case"] == second["case"] and seen["status"] == "registered"
    assert [s["step"] for s in seen["timeline"]] == ["received", "merged", "registered"]
    assert "desk" not in str(seen)


def test_a_flood_from_one_address_is_refused_whatever_the_phone(database_url, tmp_path):
    settings = Settings.from_env(
        {
            "DATABASE_URL": database_url,
            "GC_MEDIA": str(tmp_path / "m"),
            "GC_RESIDENT_RATE": "3/minute",
            "GC_RESIDENT_DEVICE_RATE": "100/minute",
        }
    )
    app = create_app(settings)
    store = app.server.extensions["gridcommand.store"]
    try:
        client = app.server.test_client()
        url = "/api/v1/public/lookup"
        codes = [
            client.post(
                url, json={"case": "T1", "phone_tail": "0000"}, headers={"X-GC-Device": f"p{n}"}
            ).status_code
            for n in range(4)
        ]
        assert codes == [404, 404, 404, 429]
    finally:
        store.close()


@pytest.mark.parametrize("hops", [0, 1])
def test_behind_a_proxy_each_forwarded_address_has_its_own_limit(database_url, tmp_path, hops):
    """GC_PROXY_HOPS=1 (behind nginx): each resident's address, from the proxy's
    X-Forwarded-For, has its own limit. With 0 the header is ignored: a client
    naming a new address each time is still one address."""
    settings = Settings.from_env(
        {
            "DATABASE_URL": database_url,
            "GC_MEDIA": str(tmp_path / "m"),
            "GC_RESIDENT_RATE": "2/minute",
            "GC_RESIDENT_DEVICE_RATE": "100/minute",
            "GC_PROXY_HOPS": str(hops),
        }
    )
    app = create_app(settings)
    try:
        client = app.server.test_client()
        codes = [
            client.post(
                "/api/v1/public/lookup",
                json={"case": "T1", "phone_tail": "0000"},
                headers={"X-GC-Device": f"p{n}", "X-Forwarded-For": f"10.0.0.{n % 2}"},
            ).status_code
            for n in range(4)
        ]
        assert codes == ([404] * 4 if hops else [404, 404, 429, 429])
    finally:
        app.server.extensions["gridcommand.store"].close()
