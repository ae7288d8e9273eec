"""The cadre's phone over a real HTTP server, on SQLite and PostgreSQL: sign-in
by a one-time invite, their work nearest first, and each action (accept,
decline, arrive, progress, done, duty, positions, check-in) applied once per
idempotency key. Bad input is refused clearly and changes nothing."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from app import create_app
from data import schema
from data.store_dispatch import Assignment
from domain.coords import wgs84_to_gcj02
from settings import Settings
from tests.servers import thread_server
from tests.tiny_city import tiny_city

ZHANG, WANG = "13800000001", "13800000002"  # cadres 1 and 2 of the tiny city
T1, T2 = 1, 2  # incidents: T1 fire lane at (120.005, 36.005), T2 waterlogging (120.006, 36.015)


@pytest.fixture
def served(database_url, tmp_path):
    settings = Settings.from_env({"DATABASE_URL": database_url, "GC_MEDIA": str(tmp_path / "m")})
    app = create_app(settings)
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city(dt.datetime.now(dt.UTC)))
    with thread_server(app.server) as base:
        yield {"base": base, "store": store}
    store.close()


def signed_in(served, phone: str) -> requests.Session:
    """A phone signed in by the invite the desk made for ``phone``."""
    token, _ = served["store"].create_field_invite(phone, actor="user:desk")
    phone_browser = requests.Session()
    page = phone_browser.get(f"{served['base']}/field/join/{token}")
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = phone_browser.post(
        f"{served['base']}/field/join/{token}",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/field")
    cookie = answer.headers["Set-Cookie"]
    assert "gc_field=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    return phone_browser


def post(session, served, path: str, body=None, key: str | None = None, **kwargs):
    headers = {"X-GC-Field": "1", "Idempotency-Key": key or str(uuid.uuid4())}
    return session.post(
        f"{served['base']}/api/v1/field{path}", json=body or {}, headers=headers, **kwargs
    )


def me(session, served, **params):
    answer = session.get(f"{served['base']}/api/v1/field/me", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def count(store, table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def send(store, incident: int, cadre: int) -> int:
    store.dispatch([Assignment(incident, cadre)], actor="user:desk")
    return int(store.field_tasks(cadre)["dispatch_id"].iloc[0])


def test_an_invite_signs_in_one_phone_once_and_the_phone_sees_its_work(served):
    store = served["store"]
    send(store, T1, 1)
    phone = signed_in(served, ZHANG)
    work = me(phone, served, lon=120.006, lat=36.011)
    assert work["cadre"]["name"] == "张伟" and work["duty"] == "on"
    [task] = work["tasks"]
    assert task["public_id"] == "T1" and task["category"] == "fire_lane"
    assert 600 < task["distance_m"] < 700  # 36.011 -> 36.005 is about 670 m
    # The navigation links carry the place in each app's own system.
    gcj_lon, gcj_lat = wgs84_to_gcj02(120.005, 36.005)
    amap = parse_qs(urlsplit(task["nav"]["amap"]).query)
    assert amap["to"][0].startswith(f"{gcj_lon:.6f},{gcj_lat:.6f}")
    assert amap["coordinate"] == ["gaode"]
    assert task["nav"]["baidu"].startswith("baidumap://map/direction?")
    assert "coord_type=bd09ll" in task["nav"]["baidu"]
    assert f"tocoord={gcj_lat:.6f}%2C{gcj_lon:.6f}" in task["nav"]["tencent"]
    # The task reached the phone: the desk can see it was seen.
    assert store.field_tasks(1)["seen_at"].notna().all()


@pytest.mark.parametrize("which", ["used", "expired", "unknown", "left the roster"])
def test_a_stale_or_reused_invite_is_refused_and_writes_nothing(served, which):
    store = served["store"]
    token, _ = store.create_field_invite(WANG, actor="user:desk")
    if which == "used":
        store.redeem_field_invite(token)
    elif which == "expired":
        with store._transaction() as conn:
            conn.execute(
                schema.field_invites.update().values(
                    expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
                )
            )
    elif which == "unknown":
        token = "not-a-token"
    else:
        with store._transaction() as conn:
            conn.execute(schema.cadres.update().where(schema.cadres.c.id == 2).values(phone="1"))
    sessions = count(store, schema.field_sessions)
    page = requests.get(f"{served['base']}/field/join/{token}")
    assert page.status_code == 410
    assert "邀请" in page.text and "invite" in page.text
    taken = requests.post(f"{served['base']}/field/join/{token}", data={})
    assert taken.status_code in (400, 410)  # no CSRF token: refused before anything
    assert count(store, schema.field_sessions) == sessions


def test_a_desk_invite_for_a_phone_not_on_the_roster_says_so(served):
    from domain.errors import NotFound

    with pytest.raises(NotFound, match="no cadre of the roster"):
        served["store"].create_field_invite("13999999999", actor="user:desk")


def test_a_whole_task_accept_arrive_and_done_each_applies_once(served):
    store = served["store"]
    dispatch = send(store, T1, 1)
    phone = signed_in(served, ZHANG)
    key = str(uuid.uuid4())
    first = post(phone, served, f"/tasks/{dispatch}/accept", key=key)
    again = post(phone, served, f"/tasks/{dispatch}/accept", key=key)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    # The same key for another action is refused and changes nothing.
    other = post(phone, served, f"/tasks/{dispatch}/decline", {"reason": "病假"}, key=key)
    assert other.status_code == 422
    assert store.field_tasks(1)["accepted_at"].notna().all()

    far = post(phone, served, f"/tasks/{dispatch}/arrive", {"lon": 120.006, "lat": 36.011})
    assert far.status_code == 400 and far.json()["error"]["reason"] == "note_needed"
    assert "m from the place" in far.json()["error"]["message"]
    assert store.field_tasks(1)["arrived_at"].isna().all()
    arrive_key = str(uuid.uuid4())
    body = {"lon": 120.0051, "lat": 36.0051}
    arrived = post(phone, served, f"/tasks/{dispatch}/arrive", body, key=arrive_key)
    assert arrived.status_code == 200, arrived.text
    assert post(phone, served, f"/tasks/{dispatch}/arrive", body, key=arrive_key).status_code == 200
    assert store.incident_by_public_id("T1")["status"] == "in_progress"

    no_note = post(phone, served, f"/tasks/{dispatch}/done", {"note": ""})
    assert no_note.status_code == 400
    done_key = str(uuid.uuid4())
    done_body = {"note": "已劝离占道车辆，通道畅通"}
    done = post(phone, served, f"/tasks/{dispatch}/done", done_body, key=done_key)
    assert done.status_code == 200, done.text
    assert done.json()["resolved"] is True
    assert post(phone, served, f"/tasks/{dispatch}/done", done_body, key=done_key).json() == (
        done.json()
    )
    assert store.incident_by_public_id("T1")["status"] == "resolved"
    assert me(phone, served)["tasks"] == []
    with store.engine.connect() as conn:
        actions = list(
            conn.execute(
                select(schema.audit_log.c.action).where(schema.audit_log.c.actor == "cadre:张伟")
            ).scalars()
        )
    assert actions.count("field_accept") == 1
    assert actions.count("field_arrive") == 1
    assert actions.count("field_done") == 1 and actions.count("resolve") == 1


def test_a_decline_frees_the_cadre_and_tells_the_desk(served):
    store = served["store"]
    dispatch = send(store, T1, 1)
    phone = signed_in(served, ZHANG)
    empty = post(phone, served, f"/tasks/{dispatch}/decline", {"reason": "  "})
    assert empty.status_code == 400 and empty.json()["error"]["message_zh"] == "请填写拒绝理由"
    declined = post(phone, served, f"/tasks/{dispatch}/decline", {"reason": "车辆故障"})
    assert declined.status_code == 200, declined.text
    assert store.field_cadre(1)["status"] == "available"
    with store.engine.connect() as conn:
        row = (
            conn.execute(select(schema.outbox).where(schema.outbox.c.kind == "decline"))
            .mappings()
            .one()
        )
    assert row["recipient_kind"] == "desk" and "车辆故障" in row["payload"]
    # The task is no longer theirs.
    later = post(phone, served, f"/tasks/{dispatch}/accept")
    assert later.status_code == 409


def test_another_cadres_task_is_not_found_and_untouched(served):
    store = served["store"]
    dispatch = send(store, T1, 1)
    other = signed_in(served, WANG)
    for action, body in (
        ("accept", {}),
        ("decline", {"reason": "x"}),
        ("arrive", {"lon": 120.005, "lat": 36.005}),
    ):
        answer = post(other, served, f"/tasks/{dispatch}/{action}", body)
        assert answer.status_code == 404, (action, answer.text)
    task = store.field_tasks(1).iloc[0]
    assert task["accepted_at"] is None or task["accepted_at"] != task["accepted_at"]


def test_positions_outside_the_city_are_refused_whole(served):
    store = served["store"]
    phone = signed_in(served, ZHANG)
    now = dt.datetime.now(dt.UTC).isoformat()
    before = count(store, schema.cadre_positions)
    bad = post(
        phone,
        served,
        "/me/positions",
        {
            "positions": [
                {"lon": 120.01, "lat": 36.01, "at": now},
                {"lon": 116.4, "lat": 39.9, "at": now},
            ]
        },
    )
    assert bad.status_code == 400 and "outside the city" in bad.json()["error"]["message"]
    assert count(store, schema.cadre_positions) == before
    key = str(uuid.uuid4())
    batch = {"positions": [{"lon": 120.01, "lat": 36.01, "at": now}]}
    assert post(phone, served, "/me/positions", batch, key=key).json()["stored"] == 1
    assert post(phone, served, "/me/positions", batch, key=key).json()["stored"] == 1
    assert count(store, schema.cadre_positions) == before + 1


def test_changes_without_the_field_header_or_the_key_are_refused(served):
    phone = signed_in(served, ZHANG)
    bare = phone.post(f"{served['base']}/api/v1/field/duty", json={"on": False})
    assert bare.status_code == 403 and "X-GC-Field" in bare.json()["error"]["message"]
    no_key = phone.post(
        f"{served['base']}/api/v1/field/duty", json={"on": False}, headers={"X-GC-Field": "1"}
    )
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json()["error"]["message"]
    assert served["store"].field_cadre(1)["status"] == "available"
    # Nobody signed in: told to open the invite, not to send an API key.
    nobody = requests.get(f"{served['base']}/api/v1/field/me")
    assert nobody.status_code == 401 and "invite link" in nobody.json()["error"]["message"]
    assert "邀请链接" in nobody.json()["error"]["message_zh"]


def test_duty_off_and_on_and_a_revoked_phone_is_signed_out(served):
    store = served["store"]
    phone = signed_in(served, ZHANG)
    assert post(phone, served, "/duty", {"on": False}).json()["status"] == "off_duty"
    assert me(phone, served)["duty"] == "off" and me(phone, served)["position_interval_s"] == 0
    assert post(phone, served, "/duty", {"on": True}).json()["status"] == "available"
    assert store.revoke_field_sessions(ZHANG, actor="user:admin") == 1
    assert phone.get(f"{served['base']}/api/v1/field/me").status_code == 401


def test_the_desk_makes_an_invite_over_the_api_and_a_phone_key_may_not(served):
    store = served["store"]
    desk = store.create_api_key("desk", actor="test", scopes="dispatch")
    field_key = store.create_api_key("old field app", actor="test", scopes="field")
    url = f"{served['base']}/api/v1/field/invites"
    made = requests.post(url, json={"phone": ZHANG}, headers={"X-API-Key": desk})
    assert made.status_code == 201, made.text
    assert made.json()["url"].startswith(f"{served['base']}/field/join/")
    assert made.json()["cadre"]["name"] == "张伟"
    unknown = requests.post(url, json={"phone": "1"}, headers={"X-API-Key": desk})
    assert unknown.status_code == 404 and "roster" in unknown.json()["error"]["message"]
    refused = requests.post(url, json={"phone": ZHANG}, headers={"X-API-Key": field_key})
    assert refused.status_code == 403


def test_a_phone_photo_larger_than_the_servers_request_limit_is_proof_of_the_fix(served):
    """A camera's JPEG of several MB goes through (the photo's own limit, not the
    server's 2 MB for other requests); EXIF is gone from what is served; "done"
    with it resolves the incident with the photo as proof."""
    import io
    import random

    from PIL import Image

    from tests.test_photos import camera_exif

    store = served["store"]
    dispatch = send(store, T1, 1)
    phone = signed_in(served, ZHANG)
    noise = Image.frombytes("RGB", (1800, 1400), random.Random(7).randbytes(1800 * 1400 * 3))
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=97, exif=camera_exif())
    big = out.getvalue()
    assert 2_000_000 < len(big) < 10_000_000
    url = f"{served['base']}/api/v1/field/tasks/{dispatch}/photos"
    headers = {"X-GC-Field": "1", "Idempotency-Key": "photo-1"}
    sent = phone.post(url, files={"photo": ("p.jpg", big, "image/jpeg")}, headers=headers)
    assert sent.status_code == 200, sent.text[:300]
    photo = sent.json()["photo"]
    assert photo["exif_lon"] is not None and max(photo["width"], photo["height"]) <= 2048
    served_photo = phone.get(f"{served['base']}{photo['url']}")
    assert served_photo.status_code == 200 and b"Exif" not in served_photo.content[:4096]
    text = {"photo": ("p.jpg", b"%PDF-1.4 not a photo", "image/jpeg")}
    before = count(store, schema.photos)
    refused = phone.post(url, files=text, headers={**headers, "Idempotency-Key": "photo-2"})
    assert refused.status_code == 400 and "JPEG" in refused.json()["error"]["message"]
    assert count(store, schema.photos) == before
    # Far from the place (no check-in proof): the photo is the proof.
    body = {"lon": 120.009, "lat": 36.009, "note": "从北侧进入"}
    assert post(phone, served, f"/tasks/{dispatch}/arrive", body).status_code == 200
    done = post(
        phone, served, f"/tasks/{dispatch}/done", {"note": "已清理", "photo_ids": [photo["id"]]}
    )
    assert done.status_code == 200, done.text
    incident = store.incident_by_public_id("T1")
    assert incident["status"] == "resolved"
    assert f"/media/photos/{photo['id']}" in incident["resolution"]


def test_a_phones_use_is_written_at_most_every_few_minutes_per_process(served):
    """/me is asked about a hundred times a second by 2,000 phones: its note of
    the session's use must not take the writer lock each time (bench/field.py)."""
    store = served["store"]
    token, _ = store.create_field_invite(ZHANG, actor="user:desk")
    session, _ = store.redeem_field_invite(token)
    long_ago = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def last_seen():
        with store.engine.connect() as conn:
            return conn.execute(select(schema.field_sessions.c.last_seen_at)).scalar()

    def age_it():
        with store._transaction() as conn:
            conn.execute(schema.field_sessions.update().values(last_seen_at=long_ago))

    age_it()
    store.touch_field_session(session, device="phone")
    assert last_seen() > long_ago  # written: older than SEEN_EVERY
    age_it()
    store.touch_field_session(session, device="phone")
    assert last_seen() == long_ago  # this process wrote it a moment ago: nothing written
